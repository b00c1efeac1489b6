"""QueryVectors end to end: boto3 → HTTP → the emulator (``running_emulator``) → boto3, against the
same boto3 client's round trip to a server that answers instantly, plus (for a large index) an
in-process numpy search of the same matrix.  All are interleaved call by call.

One client serves both servers: a ``before-send`` hook points the prepared request at the instant
server when asked, so serialisation, signing, parsing and connection reuse (one keep-alive pool per
host) are the same for both.  The instant server answers the bytes the emulator answered to the
same query, so both responses are parsed alike.

Two targets:

- one vector of dimension 1024: what the wire costs on top of an HTTP round trip (routing, validation,
  the handler, encoding), e2e ≤ 1.25 × instant;
- 50,000 × 1024: e2e ≤ 1.2 × (instant + ``X @ q`` with argpartition), so the emulator's search and
  its wire together cost little more than a bare numpy search on top of the round trip.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import orjson
from numpy.typing import NDArray

from bench.data import gaussian, generator
from bench.report import Column, Section, Target
from bench.servers import client_for, create_index, http_put
from bench.stats import interleaved, median, now, percentile
from s3vectors_emulator.server import EmulatorServer
from s3vectors_emulator.testing import running_emulator

BUCKET = "bench-e2e"
D = 1024
K = 10
# (N, the baseline the e2e time is divided by, target, calls in --quick, calls in a full run).  The one-vector
# calls take ~4 ms and their ratio hangs on ~0.5 ms, so they get more rounds against the machine's noise.
WIRE = (1, "instant", 1.25, 300, 600)
SEARCH = (50_000, "instant+numpy", 1.2, 80, 200)


class InstantApp:
    """A WSGI app that answers POST /QueryVectors at once with ``body`` (set to what the emulator answered)."""

    def __init__(self) -> None:
        self.body = b'{"vectors":[],"distanceMetric":"cosine"}'

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ.get("wsgi.input")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if stream is not None and length:
            stream.read(length)  # consume the body, as any server must, to keep the connection usable
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/QueryVectors":
            body = self.body
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
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
def instant_server(app: InstantApp) -> Iterator[str]:
    """``app`` on the emulator's own server (s3vectors_emulator.server) on a free port; yields its URL.

    The same server as the emulator's, so the ratio is what the application adds, not a difference of servers.
    """
    server = EmulatorServer(app, "127.0.0.1", 0, 4)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def answer_of(url: str, index: str, vector: list[float]) -> bytes:
    """The body the emulator answers to the query the benchmark sends (unsigned, as the fills are)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        query = {
            "vectorBucketName": BUCKET,
            "indexName": index,
            "queryVector": {"float32": vector},
            "topK": K,
            "returnDistance": True,
        }
        conn.request("POST", "/QueryVectors", orjson.dumps(query), {"Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"QueryVectors answered {response.status}: {body[:300]!r}")
        return body
    finally:
        conn.close()


def numpy_search(unit_rows: NDArray[np.float32]) -> Callable[[NDArray[np.float32]], NDArray[np.intp]]:
    """Cosine top k as a bare numpy program would do it: rows normalised once, then ``X @ q``, argpartition
    and a sort of the k kept."""

    def search(q: NDArray[np.float32]) -> NDArray[np.intp]:
        scores = unit_rows @ (q / np.linalg.norm(q))
        if len(scores) <= K:
            return np.argsort(-scores)
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])]

    return search


def run(quick: bool) -> Section:
    section = Section(
        "e2e",
        f"QueryVectors end to end through boto3 (cosine, d={D}, k={K})",
        [
            Column("n", "N", "{:,}"),
            Column("calls", "calls"),
            Column("instant_p50_ms", "instant p50", "{:.2f}"),
            Column("instant_p99_ms", "instant p99", "{:.2f}"),
            Column("numpy_p50_ms", "numpy p50", "{:.2f}"),
            Column("baseline_p50_ms", "baseline p50", "{:.2f}"),
            Column("e2e_p50_ms", "e2e p50", "{:.2f}"),
            Column("e2e_p99_ms", "e2e p99", "{:.2f}"),
            Column("baseline", "baseline"),
            Column("ratio", "e2e/baseline", "{:.3f}x"),
            Column("target", "target"),
        ],
    )
    section.notes.append(
        "ms; instant = the same boto3 client's round trip to the emulator's HTTP server running an app that answers "
        "the emulator's own response bytes at once; numpy = X @ q + argpartition on the same (normalised) matrix in "
        "this process, timed in the same call as an instant round trip"
    )
    section.notes.append("client and server share this process (running_emulator), so they share its GIL")
    section.notes.append(
        "at 50,000 every call follows a search, whose OpenBLAS threads spin on for a while after it: round trips "
        "there pay for that (compare the two rows' instant p50), in the baseline and in e2e alike"
    )
    rng = generator()
    app = InstantApp()
    with running_emulator() as url, instant_server(app) as instant_url:
        client = client_for(url)
        redirect = Redirect(client, instant_url)
        for n, baseline, limit, quick_calls, full_calls in (WIRE, SEARCH):
            calls = quick_calls if quick else full_calls
            name = f"e2e-{n}-{D}"
            create_index(client, BUCKET, name, D)
            matrix = gaussian(rng, n, D)
            seconds = http_put(url, BUCKET, name, matrix)
            if n > 1:
                section.notes.append(f"filling {n:,} x {D} over HTTP: {seconds:.1f} s ({n / seconds:,.0f} vectors/s)")
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)  # in place: one copy of the rows in the bench
            inputs = [(q, q.tolist()) for q in gaussian(rng, calls + 5, D)]
            app.body = answer_of(url, name, inputs[0][1])
            row = _measure(Query(client, redirect, name), numpy_search(matrix), inputs, n, baseline)
            row["answer_bytes"] = len(app.body)
            section.add_target(row, Target(f"e2e QueryVectors {n:,}x{D} p50 / {baseline}", row["ratio"], "<=", limit))
            section.rows.append(row)
            del matrix, inputs
            client.delete_index(vectorBucketName=BUCKET, indexName=name)  # frees its memory before the next size
    return section


Item = tuple[NDArray[np.float32], list[float]]  # a query as numpy (for the numpy search) and as sent


class Query:
    """One boto3 QueryVectors of the benchmark, to the emulator or (``instant=True``) to the instant server."""

    def __init__(self, client: Any, redirect: Redirect, index: str) -> None:
        self.client, self.redirect, self.index = client, redirect, index

    def __call__(self, item: Item, instant: bool) -> Any:
        self.redirect.on = instant
        try:
            return self.client.query_vectors(
                vectorBucketName=BUCKET,
                indexName=self.index,
                queryVector={"float32": item[1]},
                topK=K,
                returnDistance=True,
            )
        finally:
            self.redirect.on = False


def _measure(
    query: Query, search: Callable[[NDArray[np.float32]], Any], inputs: list[Item], n: int, baseline: str
) -> dict[str, Any]:
    # The hook really does switch servers: the instant one answers what the emulator answered to the first
    # query, whatever the query; the emulator answers each its own.
    canned, fresh = query(inputs[0], False)["vectors"], query(inputs[1], False)["vectors"]
    if query(inputs[1], True)["vectors"] != canned or fresh == canned or len(canned) != min(n, K):
        raise RuntimeError("the instant/emulator redirect did not reach the expected servers")
    parts: dict[str, list[float]] = {"instant": [], "numpy": []}

    def instant_then_numpy(item: Item) -> None:
        # One call, the round trip then the search, so the baseline is one figure, timed as e2e is; its parts
        # are kept for the table.
        began = now()
        query(item, True)
        middle = now()
        search(item[0])
        parts["instant"].append(middle - began)
        parts["numpy"].append(now() - middle)

    contenders: dict[str, Callable[[Item], Any]] = {"e2e": lambda item: query(item, False)}
    if baseline == "instant":
        contenders["instant"] = lambda item: query(item, True)
    else:
        contenders["instant+numpy"] = instant_then_numpy
    times = interleaved(contenders, inputs, warmup=5)
    rounds = len(times["e2e"])
    instant = times.get("instant") or parts["instant"][-rounds:]  # the warm-up rounds are left out
    numpy_parts = parts["numpy"][-rounds:]
    e2e, base = median(times["e2e"]), median(times[baseline])
    return {
        "n": n,
        "d": D,
        "calls": rounds,
        "instant_p50_ms": median(instant) * 1e3,
        "instant_p99_ms": percentile(instant, 99) * 1e3,
        "numpy_p50_ms": median(numpy_parts) * 1e3 if numpy_parts else None,
        "baseline_p50_ms": base * 1e3,
        "e2e_p50_ms": e2e * 1e3,
        "e2e_p99_ms": percentile(times["e2e"], 99) * 1e3,
        "baseline": baseline,
        "ratio": e2e / base,
    }
