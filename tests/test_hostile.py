"""Hostile input: requests generated from the service model, then mutated.

Every answer must be a success or a well-formed AWS-style 4xx error: never a 5xx, a hang
or a dead server.  HOSTILE_EXAMPLES raises the number of requests (CI runs a few hundred;
`HOSTILE_EXAMPLES=10000 make test PYTEST_ARGS=tests/test_hostile.py` for a long run).
"""

from __future__ import annotations

import http.client
import json
import os
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3vectors_emulator.protocol import model

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "300"))
OPERATIONS = sorted(model.service_model().operation_names)
BUCKET, INDEX = "fuzz-bucket", "fuzz-index"
INDEX_ARN = f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{BUCKET}/index/{INDEX}"

NASTY_STRINGS = st.sampled_from(
    [
        "",
        "a",
        BUCKET,
        INDEX,
        INDEX_ARN,
        "x" * 5000,
        "\ud800",
        "\udfff",
        "😀" * 600,
        "中" * 400,
        "\x00",
        "../../etc",
        "%2F%2F",
        "NaN",
        "Infinity",
        "-Infinity",
        "$eq",
        "arn:aws:s3vectors:us-east-1:123456789012:bucket/",
    ]
)
NASTY_NUMBERS = st.sampled_from(
    [
        0,
        -1,
        1,
        3,
        4096,
        4097,
        10_000,
        10_001,
        2**31,
        -(2**63),
        2**64,
        10**400,
        1e308,
        -1e308,
        1e39,
        1e-46,
        0.5,
    ]
)
SCALARS = st.one_of(
    NASTY_STRINGS, NASTY_NUMBERS, st.booleans(), st.none(), st.floats(allow_nan=False), st.text(max_size=20)
)


def _deep_filter(depth: int) -> Any:
    node: Any = {"n": {"$gt": 1}}
    for i in range(depth):
        node = {"$and" if i % 2 else "$or": [node, {"s": {"$in": ["a", 1, True]}}]}
    return node


FILTERS = st.one_of(
    st.sampled_from(
        [
            {},
            [],
            "x",
            None,
            {"$and": []},
            {"a": {"$regex": "x"}},
            {"a": {"$in": []}},
            {"a": {"$eq": None}},
            {"a": 1, "b": 2},
            {"a": {"$startsWith": 5}},
            _deep_filter(40),
            _deep_filter(300),
            {"a": {"$in": list(range(500))}},
        ]
    ),
    st.recursive(
        SCALARS,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["$and", "$or", "$eq", "$ne", "$in", "$nin", "$gt", "$exists", "a", "b", ""]),
                inner,
                max_size=3,
            )
        ),
        max_leaves=12,
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def value_for(shape: Shape, name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly valid values for ``shape``, with hostile ones mixed in at every level."""
    if shape.metadata.get("document"):
        return FILTERS if name == "filter" else JSON
    kind = shape.type_name
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        fixed = {"vectorBucketName": st.just(BUCKET), "indexName": st.just(INDEX)}
        return (
            st.fixed_dictionaries(
                {}, optional={m: fixed[m] if m in fixed else value_for(s, m, depth + 1) for m, s in members.items()}
            )
            | SCALARS
        )
    if kind == "list":
        member = shape.member  # type: ignore[attr-defined]
        if member.type_name == "float":
            return (
                st.lists(
                    st.one_of(
                        st.floats(width=32, allow_nan=False, allow_infinity=False),
                        NASTY_NUMBERS,
                        st.sampled_from(["NaN", "Infinity", "1"]),
                    ),
                    max_size=6,
                )
                | SCALARS
            )
        return st.lists(value_for(member, name, depth + 1), max_size=3 if depth else 5) | SCALARS
    if kind == "map":
        return st.dictionaries(NASTY_STRINGS, NASTY_STRINGS, max_size=4) | SCALARS
    if kind == "string":
        choices = [NASTY_STRINGS]
        if shape.enum:
            choices.insert(0, st.sampled_from(shape.enum))
        return st.one_of(*choices)
    if kind in ("integer", "long"):
        return NASTY_NUMBERS | st.integers(min_value=-5, max_value=20) | SCALARS
    if kind in ("float", "double"):
        return NASTY_NUMBERS | st.sampled_from(["NaN", "Infinity"])
    if kind == "boolean":
        return st.booleans() | SCALARS
    return SCALARS


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str]]:
    name = draw(st.sampled_from(OPERATIONS))
    op = model.operation(name)
    body_value = draw(value_for(op.input_shape, ""))
    http = op.http
    arn = draw(NASTY_STRINGS | st.just(INDEX_ARN)).encode("utf-8", "surrogatepass")
    path = http["requestUri"].replace("{resourceArn}", quote(arn, safe=""))
    method = http["method"]
    headers = {"Content-Type": draw(st.sampled_from(["application/json", "text/plain", "", "application/xml"]))}
    try:
        body = json.dumps(body_value, allow_nan=True).encode("utf-8", "surrogatepass")
    except (ValueError, TypeError):
        body = b"{}"
    mutation = draw(st.sampled_from(["none", "none", "truncate", "bytes", "utf8", "method", "path", "nest"]))
    if mutation == "truncate" and body:
        body = body[: draw(st.integers(min_value=0, max_value=len(body) - 1))]
    elif mutation == "bytes":
        body = draw(st.binary(max_size=64))
    elif mutation == "utf8":
        body = body[:-1] + b'"\xff\xfe"}' if body.endswith(b"}") else b'{"a": "\xc3\x28"}'
    elif mutation == "method":
        method = draw(st.sampled_from(["GET", "PUT", "DELETE", "PATCH"]))
    elif mutation == "path":
        path = draw(st.sampled_from(["/", "/tags", "/tags/", "//CreateIndex", "/CreateIndex/extra", "/%ff", "/_x"]))
    elif mutation == "nest":
        body = b'{"filter":' + b"[" * 5000 + b"]" * 5000 + b"}"
    return method, path, body, headers


def _call(url: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def fuzz_target(server, client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    client.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=3,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["b"]},
    )
    client.put_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        vectors=[
            {"key": f"k{i}", "data": {"float32": [1.0, float(i), 0.5]}, "metadata": {"n": i, "s": "a", "b": "x"}}
            for i in range(20)
        ],
    )
    return server.url


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_hostile_requests_get_well_formed_answers(fuzz_target, request):
    method, path, body, headers = request
    status, response_headers, response_body = _call(fuzz_target, method, path, body, headers)
    assert status < 500, (status, method, path, body[:300], response_body[:300])
    assert "x-amzn-requestid" in response_headers
    assert response_headers.get("content-type") == "application/json"
    payload = json.loads(response_body)
    if status >= 400:
        assert response_headers.get("x-amzn-errortype"), response_body
        assert isinstance(payload.get("message"), str) and payload["message"]
        assert "Traceback" not in payload["message"] and "<" not in payload["message"][:1]
    assert _call(fuzz_target, "GET", "/_emulator/health", b"", {})[0] == 200
