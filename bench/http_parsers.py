"""The HTTP/1.1 parsers considered for s3vectors_emulator/server.py's I/O thread, which parses every request of
every client, so its cost per request bounds the whole server: a boto3-like request head (parse, and
for h11 also the answer's head, as a server using it would), and a 10 MB body in 256 KiB pieces.

Run: ``python -m bench.http_parsers`` (h11 comes with the ``bench`` extra).  Output is printed.
"""

from __future__ import annotations

import statistics
import time

import httptools

HEAD = (
    b"POST /GetVectorBucket HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept-Encoding: identity\r\n"
    b"Content-Type: application/json\r\nUser-Agent: Boto3/1.42.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.1 "
    b"md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.44.5\r\n"
    b"X-Amz-Date: 20260101T000000Z\r\nX-Amz-Content-SHA256: "
    b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\nAuthorization: AWS4-HMAC-SHA256 "
    b"Credential=test/20260101/us-east-1/s3vectors/aws4_request, SignedHeaders=content-type;host;"
    b"x-amz-content-sha256;x-amz-date, Signature=" + b"0123456789abcdef" * 4 + b"\r\n"
    b"amz-sdk-invocation-id: 6f1c7d0e-5a0b-4e55-8b5b-1c2d3e4f5a6b\r\namz-sdk-request: attempt=1\r\n"
    b"Content-Length: 36\r\n\r\n"
)
REQUEST = HEAD + b'{"vectorBucketName": "bench-bucket"}'
BIG = 10 * 1024 * 1024
PIECE = 256 * 1024
PIECES = [b" " * PIECE for _ in range(BIG // PIECE)]  # as the sockets return them


class _Collect:
    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.parts.append(body)


def _httptools_head(n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        parser = httptools.HttpRequestParser(_Collect())  # one per request, as the server does
        parser.feed_data(REQUEST)
    return (time.perf_counter() - start) / n


def _httptools_body() -> float:
    parser = httptools.HttpRequestParser(_Collect())
    start = time.perf_counter()
    parser.feed_data(b"POST /PutVectors HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BIG)
    for piece in PIECES:
        parser.feed_data(piece)
    return time.perf_counter() - start


def _h11_head(n: int) -> float:
    import h11

    conn = h11.Connection(h11.SERVER)
    start = time.perf_counter()
    for _ in range(n):
        conn.receive_data(REQUEST)
        while (event := conn.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
            if type(event) is h11.EndOfMessage:
                break
        headers = [("Content-Type", "application/json"), ("Content-Length", "2"), ("x-amzn-RequestId", "x")]
        conn.send(h11.Response(status_code=200, headers=headers))
        conn.send(h11.Data(data=b"{}"))
        conn.send(h11.EndOfMessage())
        conn.start_next_cycle()
    return (time.perf_counter() - start) / n


def _h11_body() -> float:
    import h11

    conn = h11.Connection(h11.SERVER)
    start = time.perf_counter()
    conn.receive_data(b"POST /PutVectors HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BIG)
    parts = []
    for piece in PIECES:
        conn.receive_data(piece)
        while (event := conn.next_event()) is not h11.NEED_DATA:
            if type(event) is h11.Data:
                parts.append(event.data)
            elif type(event) is h11.EndOfMessage:
                break
    return time.perf_counter() - start


def main() -> None:
    rows = [("httptools", _httptools_head, _httptools_body)]
    try:
        import h11  # noqa: F401

        rows.append(("h11", _h11_head, _h11_body))
    except ImportError:
        print("h11 is not installed (pip install h11): only httptools is measured")
    for name, head, body in rows:
        per_request = statistics.median(head(5000) for _ in range(5))
        per_body = statistics.median(body() for _ in range(5))
        print(f"{name:9s} request head {per_request * 1e6:6.1f} µs   10 MB body {per_body * 1e3:6.2f} ms")


if __name__ == "__main__":
    main()
