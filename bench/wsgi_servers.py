"""Measure candidate WSGI servers with the emulator app: requests per second over
keep-alive connections from 1 and 4 client threads, and what each does with an
oversize body.  Run: python -m bench.wsgi_servers.  Output is printed, not stored."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable

from emulator.app import create_app
from emulator.config import Config

BODY = b'{"vectorBucketName": "bench-bucket"}'


def _cheroot(app: object) -> tuple[Callable[[], None], int]:
    from cheroot import wsgi

    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=16)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return server.stop, server.bind_addr[1]


def _waitress(app: object) -> tuple[Callable[[], None], int]:
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=16)
    threading.Thread(target=server.run, daemon=True).start()
    return server.close, server.effective_port


def _load(port: int, clients: int, seconds: float) -> float:
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            conn.request("POST", "/GetVectorBucket", BODY, {"Content-Type": "application/json"})
            conn.getresponse().read()
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def _oversize(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = b" " * (21 * 1024 * 1024)
    try:
        conn.request("POST", "/GetVectorBucket", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return f"{response.status} {response.getheader('x-amzn-ErrorType')}"
    except OSError as exc:
        return f"connection error: {exc.__class__.__name__}"


def main() -> None:
    app = create_app(Config())
    conn_setup = http.client.HTTPConnection
    for name, start in (("cheroot", _cheroot), ("waitress", _waitress)):
        stop, port = start(app)
        c = conn_setup("127.0.0.1", port)
        c.request("POST", "/CreateVectorBucket", BODY)
        c.getresponse().read()
        one = statistics.median(_load(port, 1, 1.5) for _ in range(3))
        four = statistics.median(_load(port, 4, 1.5) for _ in range(3))
        print(f"{name:9s} 1 client {one:7.0f} req/s   4 clients {four:7.0f} req/s   oversize: {_oversize(port)}")
        stop()
        app = create_app(Config())


if __name__ == "__main__":
    main()
