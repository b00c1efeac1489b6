"""QueryVectors end to end: boto3 → HTTP → the emulator (``running_emulator``) → boto3, against the
same boto3 client's round trip to a server that answers instantly plus the in-process kernel time
for the same query.  The three are interleaved call by call.

One client serves both servers: a ``before-send`` hook points the prepared request at the instant
server when asked, so serialisation, signing, parsing and connection reuse (one keep-alive pool per
host) are the same for both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.data import gaussian, generator, put_matrix
from bench.report import Column, Section, Target
from bench.servers import client_for, create_index, http_put
from bench.stats import interleaved, median, percentile
from s3vectors_emulator.server import EmulatorServer
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.testing import running_emulator

INSTANT_BODY = b'{"vectors": [], "distanceMetric": "cosine"}'
BUCKET = "bench-e2e"
K = 10
TARGET = 1.3


def instant_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A WSGI app that answers POST /QueryVectors at once with an empty result."""
    stream = environ.get("wsgi.input")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if stream is not None and length:
        stream.read(length)  # consume the body, as any server must, to keep the connection usable
    if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/QueryVectors":
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(INSTANT_BODY)))])
        return [INSTANT_BODY]
    body = b'{"message": "not found"}'
    start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class Redirect:
    """A ``before-send`` hook that sends a client's QueryVectors to another host while ``on``."""

    def __init__(self, client: Any, url: str) -> None:
        self.netloc = urlsplit(url).netloc
        self.on = False
        client.meta.events.register("before-send.s3vectors.QueryVectors", self)

    def __call__(self, request: Any, **kwargs: Any) -> None:  # None: the request is sent as usual
        if self.on:
            request.url = urlunsplit(urlsplit(request.url)._replace(netloc=self.netloc))


@contextmanager
def instant_server() -> Iterator[str]:
    """``instant_app`` on the emulator's own server (s3vectors_emulator.server) on a free port; yields its URL."""
    server = EmulatorServer(instant_app, "127.0.0.1", 0, 4)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def run(quick: bool) -> Section:
    sizes = [(10_000, 1024)] if quick else [(10_000, 1024), (100_000, 1024)]
    calls = 60 if quick else 100
    section = Section(
        "e2e",
        f"QueryVectors end to end through boto3 (cosine, k={K}, {calls} calls each)",
        [
            Column("n", "N", "{:,}"),
            Column("d", "d"),
            Column("instant_p50_ms", "instant p50", "{:.2f}"),
            Column("instant_p99_ms", "instant p99", "{:.2f}"),
            Column("kernel_p50_ms", "kernel p50", "{:.2f}"),
            Column("e2e_p50_ms", "e2e p50", "{:.2f}"),
            Column("e2e_p99_ms", "e2e p99", "{:.2f}"),
            Column("ratio", "e2e/(instant+kernel)", "{:.2f}x"),
            Column("target", "target"),
        ],
    )
    section.notes.append("ms; instant = the same boto3 client's round trip to a cheroot app that answers at once")
    rng = generator()
    with running_emulator() as url, instant_server() as instant_url:
        client = client_for(url)
        redirect = Redirect(client, instant_url)
        for n, d in sizes:
            name = f"e2e-{n}-{d}"
            create_index(client, BUCKET, name, d)
            matrix = gaussian(rng, n, d)
            seconds = http_put(url, BUCKET, name, matrix)
            section.notes.append(f"filling {n:,} x {d} over HTTP: {seconds:.1f} s ({n / seconds:,.0f} vectors/s)")
            local = Index(d, "cosine")
            put_matrix(local, matrix)
            del matrix
            inputs = [(q, q.tolist()) for q in gaussian(rng, calls + 5, d)]

            def query(item: tuple[Any, list[float]], instant: bool, name: str = name) -> Any:
                redirect.on = instant
                try:
                    return client.query_vectors(
                        vectorBucketName=BUCKET,
                        indexName=name,
                        queryVector={"float32": item[1]},
                        topK=K,
                        returnDistance=True,
                    )
                finally:
                    redirect.on = False

            # The hook really does switch servers: the instant one answers no vectors.
            if query(inputs[0], True)["vectors"] or len(query(inputs[0], False)["vectors"]) != K:
                raise RuntimeError("the instant/emulator redirect did not reach the expected servers")
            times = interleaved(
                {
                    "instant": lambda item: query(item, True),
                    "e2e": lambda item: query(item, False),
                    "kernel": lambda item, local=local: local.search(item[0], None, K),
                },
                inputs,
                warmup=5,
            )
            instant, e2e, kernel = median(times["instant"]), median(times["e2e"]), median(times["kernel"])
            ratio = e2e / (instant + kernel)
            row: dict[str, Any] = {
                "n": n,
                "d": d,
                "calls": calls,
                "instant_p50_ms": instant * 1e3,
                "instant_p99_ms": percentile(times["instant"], 99) * 1e3,
                "kernel_p50_ms": kernel * 1e3,
                "e2e_p50_ms": e2e * 1e3,
                "e2e_p99_ms": percentile(times["e2e"], 99) * 1e3,
                "ratio": ratio,
            }
            if (n, d) == (10_000, 1024):
                section.add_target(row, Target(f"e2e QueryVectors {n}x{d} p50", ratio, "<=", TARGET))
            section.rows.append(row)
            del local, inputs
    return section
