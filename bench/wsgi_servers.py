"""Measure candidate HTTP servers with the emulator app (docs/decisions.md, "HTTP server").

For each server: requests per second over keep-alive connections from 1 and 4 client threads
(interleaved across servers, median of the rounds), the time ``stop()`` takes when idle, and what
hostile clients do to a well-behaved one: 200 sockets sending their head a byte a second, 200 that
stop after a partial head, 200 bodies declared as 20 MB sent a byte every 5 s (with the growth of
resident memory), and one 64 MB header line.  Clients and servers share this process (and its GIL).

Run: ``python -m bench.wsgi_servers [--rounds N] [--no-hostile]``.  cheroot and waitress come with
the ``bench`` extra.  Output is printed, not stored.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.server import EmulatorServer

BODY = b'{"vectorBucketName": "bench-bucket"}'
HOSTILE = 200
PROBE_TIMEOUT = 5.0

Started = tuple[Callable[[], None], int]


def _emulator(app: Any) -> Started:
    server = EmulatorServer(app, "127.0.0.1", 0, 16)
    server.start()
    return server.stop, server.port


def _cheroot(app: Any) -> Started:
    from cheroot import wsgi

    # As s3vectors_emulator/server.py ran it until the I/O thread replaced it.
    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=16, request_queue_size=64)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()

    def stop() -> None:
        server.stop()
        thread.join(timeout=10)

    return stop, server.bind_addr[1]


def _waitress(app: Any) -> Started:
    import waitress

    # Tuned to the same limits: by default waitress stops accepting past 100 connections.
    server = waitress.create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=16,
        connection_limit=1000,
        max_request_header_size=16384,
        max_request_body_size=20 * 1024 * 1024,
        channel_timeout=60,
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        server.close()
        thread.join(timeout=10)

    return stop, server.effective_port


SERVERS: dict[str, Callable[[Any], Started]] = {"emulator": _emulator, "cheroot": _cheroot, "waitress": _waitress}


def _app() -> Any:
    app = create_app(Config())
    app.test_client().post("/CreateVectorBucket", data=BODY)
    return app


def _load(port: int, clients: int, seconds: float) -> float:
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            conn.request("POST", "/GetVectorBucket", BODY, {"Content-Type": "application/json"})
            conn.getresponse().read()
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def _probe(port: int) -> str:
    """The slowest of 3 well-behaved calls on fresh connections, or how they failed."""
    worst = 0.0
    for _ in range(3):
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT)
        try:
            conn.request("POST", "/GetVectorBucket", BODY)
            status = conn.getresponse().status
        except OSError as exc:
            return f"failed after {time.perf_counter() - start:.1f} s ({exc.__class__.__name__})"
        finally:
            conn.close()
        if status != 200:
            return f"answered {status}"
        worst = max(worst, time.perf_counter() - start)
    return f"{worst * 1e3:.0f} ms"


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def _hostile(port: int, first: bytes, drip: bytes, every: float, seconds: float = 3.0) -> tuple[str, int]:
    """HOSTILE sockets send ``first`` then a byte of ``drip`` each ``every`` s (none if empty); the probe
    runs once they are all connected.  Returns the probe's result and the growth of resident memory."""
    before = _rss()
    socks: list[socket.socket] = []
    try:
        for _ in range(HOSTILE):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setblocking(False)
            try:
                sock.send(first)
            except OSError:
                pass
            socks.append(sock)
        stop = threading.Event()

        def dripper() -> None:
            i = 0
            while drip and not stop.wait(every):
                for sock in socks:
                    try:
                        sock.send(drip[i % len(drip) : i % len(drip) + 1])
                    except OSError:
                        pass
                i += 1

        thread = threading.Thread(target=dripper, daemon=True)
        thread.start()
        time.sleep(1.0)
        result = _probe(port)
        stop.wait(max(0.0, seconds - 1.0))
        grown = _rss() - before
        stop.set()
        thread.join()
        return result, grown
    finally:
        for sock in socks:
            sock.close()


def _huge_header(port: int) -> tuple[str, int]:
    before = _rss()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /GetVectorBucket HTTP/1.1\r\nHost: x\r\nX-Big: ")
        line = b"a" * (1 << 20)
        answer = ""
        try:
            for _ in range(64):
                sock.sendall(line)
            sock.sendall(b"\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
        except OSError as exc:
            answer = f"closed while sending ({exc.__class__.__name__}); "
        try:
            head = sock.recv(4096).split(b"\r\n", 1)[0].decode("latin-1", "replace")
        except OSError as exc:
            head = exc.__class__.__name__
        grown = _rss() - before
    return f"{answer}{head or 'no answer'}", grown


def _stop_time(start: Callable[[Any], Started]) -> float:
    stop, _ = start(_app())
    time.sleep(0.2)
    began = time.perf_counter()
    stop()
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wsgi_servers", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved throughput rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=1.5, help="length of one load run (default 1.5)")
    parser.add_argument("--no-hostile", action="store_true", help="skip the slow and stalled client runs")
    parser.add_argument("--only", action="append", default=[], help="servers to measure (default all)")
    args = parser.parse_args(argv)
    names = args.only or list(SERVERS)
    running = {name: SERVERS[name](_app()) for name in names}
    for _, port in running.values():
        _load(port, 1, 0.3)  # connections, lazy imports
    one: dict[str, list[float]] = {name: [] for name in names}
    four: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            one[name].append(_load(running[name][1], 1, args.seconds))
            four[name].append(_load(running[name][1], 4, args.seconds))
    for stop, _ in running.values():
        stop()
    print(
        f"GetVectorBucket over keep-alive connections, median of {args.rounds} interleaved rounds of {args.seconds} s"
    )
    for name in names:
        print(
            f"  {name:9s} 1 client {statistics.median(one[name]):6.0f} req/s   "
            f"4 clients {statistics.median(four[name]):6.0f} req/s   "
            f"stop() when idle {_stop_time(SERVERS[name]) * 1e3:5.0f} ms"
        )
    if args.no_hostile:
        return
    scenarios: list[tuple[str, Callable[[int], tuple[str, int]]]] = [
        (
            "heads sent a byte a second",
            lambda p: _hostile(p, b"POST /GetVectorBucket HTTP/1.1\r\n", b"X-a: b\r\n", 1.0),
        ),
        ("heads stalled half-way", lambda p: _hostile(p, b"POST /GetVectorBucket HTTP/1.1\r\nHost: x\r\n", b"", 1.0)),
        (
            "20 MB bodies sent a byte every 5 s",
            lambda p: _hostile(
                p, b"POST /PutVectors HTTP/1.1\r\nHost: x\r\nContent-Length: 20971520\r\n\r\n", b"{", 5.0
            ),
        ),
        ("one 64 MB header line", _huge_header),
    ]
    print(f"A well-behaved call (slowest of 3, {PROBE_TIMEOUT:g} s timeout) next to {HOSTILE} hostile sockets")
    for label, scenario in scenarios:
        for name in names:
            stop, port = SERVERS[name](_app())
            try:
                result, grown = scenario(port)
            finally:
                threading.Thread(target=stop, daemon=True).start()  # cheroot may wait for stuck workers
            print(f"  {label:36s} {name:9s} {result:40s} RSS {grown / 2**20:+7.1f} MiB")


if __name__ == "__main__":
    main()
