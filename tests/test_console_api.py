"""The console's JSON endpoints and the request history, through the real HTTP server: the same
answers and errors as the API, and the access rule under --auth (the browser tests drive the page)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from conftest import make_client, serving

from s3vectors_emulator.config import Config
from s3vectors_emulator.server import EmulatorServer

WHERE = {"vectorBucketName": "console", "indexName": "docs"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(url: str, path: str, body: Any = None, method: str | None = None, **headers: str) -> tuple[int, Any, Any]:
    """(status, headers, decoded JSON body or raw bytes) of one request, redirects not followed."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with OPENER.open(request) as answer:
            status, info, raw = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, info, raw = error.code, error.headers, error.read()
    is_json = (info.get("Content-Type") or "").startswith("application/json") and raw
    return status, info, json.loads(raw) if is_json else raw


@pytest.fixture(scope="module")
def seeded() -> Iterator[EmulatorServer]:
    with serving(Config(port=0)) as server:
        client = make_client(server.url)
        client.create_vector_bucket(vectorBucketName="console", tags={"team": "search"})
        client.put_vector_bucket_policy(vectorBucketName="console", policy='{"Version": "2012-10-17"}')
        client.create_index(
            **WHERE,
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
            metadataConfiguration={
                "nonFilterableMetadataKeys": ["raw"],
                "textSearchConfigurations": [{"metadataKey": "body"}],
            },
        )
        vectors = [
            {
                "key": f"doc-{i:03d}",
                "data": {"float32": [1.0 + i, (i % 5) - 2.0, 0.5, (i % 3) * 1.0]},
                "metadata": {"genre": ["drama", "comedy", "news"][i % 3], "year": 2000 + i, "body": f"story {i}"},
            }
            for i in range(120)
        ]
        client.put_vectors(**WHERE, vectors=vectors)
        yield server


def test_overview_buckets_and_indexes_describe_what_the_api_describes(seeded: EmulatorServer) -> None:
    url = seeded.url
    status, _, overview = call(url, "/_emulator/api/overview")
    assert status == 200 and overview["dataDir"] is None and overview["auth"] is False
    assert overview["endpoint"] == url and overview["requestLogSize"] == 1000
    assert "QueryVectors" in overview["operations"] and len(overview["operations"]) == len(set(overview["operations"]))
    assert {"account": "123456789012", "region": "us-east-1", "buckets": 1, "indexes": 1, "vectors": 120} in overview[
        "regions"
    ]
    client = make_client(url)
    _, _, buckets = call(url, "/_emulator/api/buckets?account=123456789012&region=us-east-1")
    (bucket,) = buckets["buckets"]
    described = client.get_vector_bucket(vectorBucketName="console")["vectorBucket"]
    assert bucket["arn"] == described["vectorBucketArn"] and bucket["tags"] == {"team": "search"}
    assert bucket["policy"] == '{"Version": "2012-10-17"}' and (bucket["indexCount"], bucket["vectorCount"]) == (1, 120)
    _, _, indexes = call(url, "/_emulator/api/indexes?bucket=console")
    (index,) = indexes["indexes"]
    api = client.get_index(**WHERE)["index"]
    assert index["nonFilterableMetadataKeys"] == ["raw"] and index["dimension"] == api["dimension"] == 4
    assert index["textSearchConfigurations"] == api["metadataConfiguration"]["textSearchConfigurations"]
    assert index["vectorCount"] == 120 and index["memoryBytes"] > 120 * 4 * 4


def test_vectors_page_by_prefix_and_filter_and_refuse_a_filter_as_aws_does(seeded: EmulatorServer) -> None:
    url = seeded.url
    seen: list[str] = []
    token = ""
    while True:
        query = f"/_emulator/api/vectors?bucket=console&index=docs&limit=7&prefix=doc-0&nextToken={token}"
        status, _, page = call(url, query + "&filter=" + urllib.request.quote('{"genre": {"$eq": "drama"}}'))
        assert status == 200 and page["total"] == 120 and page["matched"] == 34
        seen += [item["key"] for item in page["vectors"]]
        token = page["nextToken"] or ""
        if not token:
            break
    assert seen == [f"doc-{i:03d}" for i in range(0, 100, 3)]
    status, _, refused = call(
        url, "/_emulator/api/vectors?bucket=console&index=docs&filter=%7B%22genre%22%3A%7B%22%24bogus%22%3A1%7D%7D"
    )
    assert status == 400
    assert refused == {
        "error": {
            "code": "ValidationException",
            "message": "Invalid filter",
            "fieldList": [{"path": "filter", "message": "Invalid filter"}],
        }
    }
    status, _, missing = call(url, "/_emulator/api/vectors?bucket=console&index=nope")
    assert status == 404 and missing["error"]["code"] == "NotFoundException"
    status, _, vector = call(url, "/_emulator/api/vector?bucket=console&index=docs&key=doc-002")
    assert status == 200 and vector["data"] == [3.0, 0.0, 0.5, 2.0] and vector["norm"] == pytest.approx(3.640055)


def test_queries_answer_exactly_what_query_vectors_answers(seeded: EmulatorServer) -> None:
    url = seeded.url
    request = {
        **WHERE,
        "topK": 5,
        "queryVector": {"float32": [1.0, 0.0, 0.5, 1.0]},
        "filter": {"year": {"$gte": 2050}},
        "returnDistance": True,
        "returnMetadata": True,
    }
    status, _, answer = call(url, "/_emulator/api/query", {"request": request})
    assert status == 200
    direct = make_client(url).query_vectors(**request)
    assert [v["key"] for v in answer["response"]["vectors"]] == [v["key"] for v in direct["vectors"]]
    assert [v["distance"] for v in answer["response"]["vectors"]] == [v["distance"] for v in direct["vectors"]]
    status, _, refused = call(url, "/_emulator/api/query", {"request": {**request, "topK": 0}})
    assert status == 400 and refused["error"]["code"] == "ValidationException"
    assert "topK" in refused["error"]["message"]


def test_the_map_projects_a_deterministic_sample_and_the_query(seeded: EmulatorServer) -> None:
    url = seeded.url
    body = {"bucket": "console", "index": "docs", "queryVector": [1.0, 0.0, 0.5, 1.0]}
    status, _, first = call(url, "/_emulator/api/map", body)
    assert status == 200 and first["sampled"] == first["total"] == 120 and len(first["points"]) == 120
    assert 0.0 < first["explained"][1] <= first["explained"][0] <= 1.0
    assert set(first["query"]) == {"x", "y"} and first["points"][0]["metadata"]["genre"] == "drama"
    assert call(url, "/_emulator/api/map", body)[2] == first
    status, _, refused = call(url, "/_emulator/api/map", {**body, "queryVector": [1.0, 2.0]})
    assert (
        status == 400
        and refused["error"]["message"] == "Query vector contains invalid values or is invalid for this index"
    )


def test_the_request_history_holds_api_calls_newest_first_with_their_bodies(seeded: EmulatorServer) -> None:
    url = seeded.url
    client = make_client(url)
    client.query_vectors(**WHERE, topK=2, queryTexts=[{"metadataKey": "body", "text": "story"}])
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_index(vectorBucketName="console", indexName="absent")
    status, _, listed = call(url, "/_emulator/requests?limit=2")
    assert status == 200
    failed, queried = listed["requests"]
    assert (failed["operation"], failed["status"], failed["errorCode"]) == ("GetIndex", 404, "NotFoundException")
    assert failed["response"] == {"message": "The specified index could not be found"}
    assert queried["operation"] == "QueryVectors" and queried["userAgent"].startswith("Boto3/")
    assert queried["request"]["queryTexts"] == ["***"]  # the model marks a query text sensitive
    assert {"id", "time", "account", "region", "durationMs"} <= set(queried)
    _, _, one = call(url, f"/_emulator/requests/{queried['id']}")
    assert one == queried
    _, _, puts = call(url, "/_emulator/requests?operation=PutVectors")
    (put,) = puts["requests"]
    assert put["request"]["vectors"][0]["data"]["float32"] == [1.0, -2.0, 0.5, 0.0]
    _, _, errors = call(url, "/_emulator/requests?status=4xx")
    assert [r["status"] for r in errors["requests"]] == [404]
    # The console's own calls are not API calls: none is in the history.
    assert all(not (r["operation"] or "").startswith("GET /") for r in call(url, "/_emulator/requests")[2]["requests"])
    assert call(url, "/_emulator/requests?status=teapot")[0] == 400


def test_clearing_and_turning_off_the_history() -> None:
    with serving(Config(port=0, request_log_size=0)) as server:
        make_client(server.url).list_vector_buckets()
        assert call(server.url, "/_emulator/requests")[2] == {"requests": []}
    with serving(Config(port=0)) as server:
        make_client(server.url).list_vector_buckets()
        assert call(server.url, "/_emulator/requests", method="DELETE")[2] == {"cleared": 1}
        assert call(server.url, "/_emulator/requests")[2] == {"requests": []}


def test_a_browser_at_the_root_is_sent_to_the_console_and_api_clients_get_aws_404(seeded: EmulatorServer) -> None:
    status, headers, _ = call(seeded.url, "/", Accept="text/html,application/xhtml+xml")
    assert status == 302 and headers["Location"] == "/_emulator/ui"
    status, headers, body = call(seeded.url, "/", Accept="application/json")
    assert status == 404 and headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert call(seeded.url, "/_emulator/ui/../app.py")[0] == 404


def test_the_page_and_its_files_are_served_from_the_package(seeded: EmulatorServer) -> None:
    status, headers, page = call(seeded.url, "/_emulator/ui")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<html" in page
    files = [path.name for path in (resources.files("s3vectors_emulator") / "console").iterdir()]
    assert "console.js" in files
    for name in files:
        status, headers, _ = call(seeded.url, f"/_emulator/ui/{name}")
        assert status == 200 and headers["Cache-Control"] == "no-cache", name


def test_with_auth_the_console_needs_its_token_or_a_signature() -> None:
    config = Config(port=0, credentials=(("AKIDCONSOLE", "secret"),), console_token="t0ken")
    with serving(config) as server:
        url = server.url
        assert call(url, "/_emulator/ui")[0] == 401
        status, _, refused = call(url, "/_emulator/api/overview")
        assert status == 403 and "Missing Authentication Token" in str(refused)
        assert call(url, "/_emulator/api/overview", **{"X-Emulator-Token": "wrong"})[0] == 403
        status, headers, _ = call(url, "/_emulator/ui?token=t0ken")
        assert status == 303 and headers["Location"] == "/_emulator/ui"
        cookie = headers["Set-Cookie"].split(";")[0]
        assert "HttpOnly" in headers["Set-Cookie"] and cookie == "s3vectors_console=t0ken"
        status, headers, page = call(url, "/_emulator/ui", Cookie=cookie)
        assert status == 200 and b"<html" in page
        status, _, overview = call(url, "/_emulator/api/overview", Cookie=cookie)
        assert status == 200 and overview["auth"] is True
        assert call(url, "/_emulator/requests", Cookie="s3vectors_console=nope")[0] == 403
