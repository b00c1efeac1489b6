"""The web console as a person uses it, in a real browser against the real server.

Every view is reached by clicking from the overview or from a link the console itself shows; what it
shows is checked against what boto3 gets from the same server, and the code it offers to copy is run.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from console.console_support import (
    BUCKET,
    GENRES,
    INDEX,
    OTHER_ACCOUNT,
    OTHER_BUCKET,
    OTHER_REGION,
    TAGS,
    VECTORS,
    Seeded,
    shot,
)
from s3vectors_emulator import __version__
from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import client_for, running_emulator

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, saying why
    expect = None

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "js"
INDEX_ROUTE = f"#/buckets/{BUCKET}/indexes/{INDEX}"


def open_console(page: Any, seeded: Seeded, route: str = "") -> None:
    page.goto(f"{seeded.url}/_emulator/ui{route}")


def keys_of(rows: Any) -> list[str]:
    return rows.evaluate_all("rows => rows.map(r => r.dataset.key)")


def aws_error(call: Any, **params: Any) -> tuple[str, str]:
    """(code, message) of the refusal boto3 gets for the same request."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def query_refusal(seeded: Seeded, **params: Any) -> tuple[str, str]:
    """(code, message) of boto3's QueryVectors refusal on the seeded index."""
    return aws_error(seeded.client.query_vectors, vectorBucketName=BUCKET, indexName=INDEX, **params)


def stored_vector(seeded: Seeded, key: str) -> list[float]:
    """A vector as the server keeps it (float32), which is what the console sends as queryVector."""
    got = seeded.client.get_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=[key], returnData=True)
    return got["vectors"][0]["data"]["float32"]


def expect_error(page: Any, code: str, message: str) -> None:
    box = page.get_by_test_id("error")
    expect(box).to_be_visible()
    expect(box.locator(".code")).to_have_text(code)
    expect(box.locator(".message")).to_have_text(message)


def run_query(page: Any, **fields: str) -> None:
    for testid, value in fields.items():
        page.get_by_test_id(testid.replace("_", "-")).fill(value)
    page.get_by_test_id("run-query").click()


# ---------------------------------------------------------------------------------------------------------


def test_overview_shows_the_emulator_and_where_state_is(page: Any, seeded: Seeded) -> None:
    open_console(page, seeded)
    expect(page.get_by_test_id("version")).to_contain_text(__version__)
    expect(page.get_by_test_id("data-dir")).to_contain_text("memory only")
    expect(page.get_by_test_id("auth")).to_contain_text("not checked")
    expect(page.get_by_test_id("endpoint")).to_contain_text(seeded.url)
    rows = page.get_by_test_id("region-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="us-east-1").locator("td")).to_have_text(
        ["123456789012", "us-east-1", "1", "1", str(VECTORS)]
    )
    expect(rows.filter(has_text=OTHER_REGION).locator("td")).to_have_text([OTHER_ACCOUNT, OTHER_REGION, "1", "0", "0"])
    # The header's selector lists the same pairs.
    options = page.locator("#scope option").all_text_contents()
    assert sorted(options) == sorted(["123456789012 / us-east-1", f"{OTHER_ACCOUNT} / {OTHER_REGION}"])
    shot(page, "overview", doc_height=800)


def test_reach_the_index_by_clicking_and_page_through_its_vectors(page: Any, seeded: Seeded) -> None:
    open_console(page, seeded)
    page.locator("#sidenav").get_by_role("link", name="Buckets").click()
    bucket_row = page.get_by_test_id("bucket-row").filter(has_text=BUCKET)
    expect(bucket_row).to_contain_text("AES256")
    expect(bucket_row.locator("td.num")).to_have_text(["1", str(VECTORS)])
    for key, value in TAGS.items():
        expect(bucket_row).to_contain_text(f"{key}={value}")
    # The policy, pretty-printed, behind a toggle.
    policy = page.get_by_test_id("policy-row")
    expect(policy).to_be_hidden()
    bucket_row.get_by_test_id("policy-toggle").click()
    expect(policy).to_be_visible()
    shown = policy.locator("pre").text_content()
    assert "\n" in shown and json.loads(shown)["Statement"][0]["Action"] == "s3vectors:*"
    shot(page, "buckets", doc_height=800)
    bucket_row.get_by_test_id("bucket-link").click()

    index_row = page.get_by_test_id("index-row").filter(has_text=INDEX)
    for shown in ("8", "cosine", "float32", "body", "ACTIVE", str(VECTORS)):
        expect(index_row).to_contain_text(shown)
    shot(page, "indexes")
    index_row.get_by_test_id("index-link").click()

    expect(page.get_by_test_id("vectors-status")).to_have_text(f"{VECTORS} vectors in the index")
    rows = page.get_by_test_id("vector-row")
    expect(rows).to_have_count(50)
    # Metadata keys are columns; the first values of the data are shown.
    header = page.get_by_test_id("vectors-table").locator("thead th").all_text_contents()
    assert header[:4] == ["Key", "body", "genre", "year"]
    first_key = keys_of(rows)[0]
    first_values = seeded.vectors[first_key]["data"]
    expect(rows.first.locator("td.head-cell")).to_contain_text(f"{first_values[0]:.3f}")

    # Every page through the server's nextToken, then back.
    seen: list[str] = []
    pages = []
    while True:
        expect(rows.first).to_be_visible()
        keys = keys_of(rows)
        pages.append(keys)
        seen += keys
        if page.get_by_test_id("next").is_disabled():
            break
        page.get_by_test_id("next").click()
        expect(rows.first).not_to_have_attribute("data-key", keys[0])
    assert sorted(seen) == sorted(seeded.vectors)
    assert len(pages) == VECTORS // 50
    page.get_by_test_id("prev").click()
    expect(rows.first).to_have_attribute("data-key", pages[-2][0])


def test_the_header_selects_another_account_and_region(page: Any, seeded: Seeded) -> None:
    open_console(page, seeded, "#/buckets")
    expect(page.get_by_test_id("bucket-row")).to_have_count(1)
    expect(page.get_by_test_id("bucket-row")).to_contain_text(BUCKET)
    page.locator("#scope").select_option(f"{OTHER_ACCOUNT}/{OTHER_REGION}")
    expect(page.get_by_test_id("bucket-row")).to_contain_text(OTHER_BUCKET)
    expect(page.get_by_test_id("bucket-row")).to_have_count(1)
    page.locator("#scope").select_option("123456789012/us-east-1")
    expect(page.get_by_test_id("bucket-row")).to_contain_text(BUCKET)


def test_filter_the_vectors_with_the_filter_language(page: Any, seeded: Seeded) -> None:
    open_console(page, seeded, INDEX_ROUTE)
    expect(page.get_by_test_id("vector-row")).to_have_count(50)
    page.get_by_test_id("filter").fill('{"genre": {"$eq": "drama"}}')
    page.get_by_test_id("apply").click()
    dramas = [k for k, v in seeded.vectors.items() if v["metadata"]["genre"] == "drama"]
    expect(page.get_by_test_id("vectors-status")).to_have_text(f"{len(dramas)} of {VECTORS} vectors match")
    rows = page.get_by_test_id("vector-row")
    expect(rows).to_have_count(50)
    genre_column = page.get_by_test_id("vectors-table").locator("tbody tr td:nth-child(3)")
    assert set(genre_column.all_text_contents()) == {"drama"}
    shot(page, "vectors", doc_height=800)

    wanted = {"$and": [{"genre": {"$in": ["comedy", "horror"]}}, {"year": {"$gte": 2000}}]}
    page.get_by_test_id("filter").fill(json.dumps(wanted))
    page.get_by_test_id("prefix").fill("film-1")
    page.get_by_test_id("apply").click()
    expected = sorted(
        k
        for k, v in seeded.vectors.items()
        if k.startswith("film-1") and v["metadata"]["genre"] in ("comedy", "horror") and v["metadata"]["year"] >= 2000
    )
    expect(page.get_by_test_id("vectors-status")).to_have_text(f"{len(expected)} of {VECTORS} vectors match")
    expect(rows).to_have_count(len(expected))
    assert sorted(keys_of(rows)) == expected


def test_a_refused_filter_shows_the_code_and_message_aws_gives(page: Any, seeded: Seeded) -> None:
    bogus = {"genre": {"$bogus": 1}}
    code, message = query_refusal(seeded, topK=1, queryVector={"float32": [1.0] * 8}, filter=bogus)
    assert code == "ValidationException" and "Invalid filter" in message
    open_console(page, seeded, INDEX_ROUTE)
    page.get_by_test_id("filter").fill(json.dumps(bogus))
    page.get_by_test_id("apply").click()
    expect_error(page, code, message)
    expect(page.get_by_test_id("vector-row")).to_have_count(0)
    # Text that is not JSON at all is caught before it is sent.
    page.get_by_test_id("filter").fill("{genre: drama")
    page.get_by_test_id("apply").click()
    expect(page.get_by_test_id("error")).to_contain_text("not valid JSON")


def test_a_vector_page_and_find_similar(page: Any, seeded: Seeded) -> None:
    key = "film-007"
    open_console(page, seeded, INDEX_ROUTE)
    page.get_by_test_id("prefix").fill(key)
    page.get_by_test_id("prefix").press("Enter")
    expect(page.get_by_test_id("vector-row")).to_have_count(1)
    page.get_by_test_id("vector-row").get_by_role("link", name=key).click()

    expect(page).to_have_url(re.compile(f"/vectors/{key}$"))
    metadata = json.loads(page.get_by_test_id("metadata").text_content())
    assert metadata == seeded.vectors[key]["metadata"]
    data = stored_vector(seeded, key)
    assert float(page.get_by_test_id("norm").text_content()) == pytest.approx(math.hypot(*data), abs=1e-6)
    expect(page.get_by_test_id("values").locator("span")).to_have_count(len(data))
    shot(page, "vector", doc_height=800)

    page.get_by_test_id("find-similar").click()
    results = page.get_by_test_id("result-row")
    expect(results).to_have_count(10)
    expect(results.first).to_have_attribute("data-key", key)
    assert float(results.first.get_by_test_id("distance").text_content()) == pytest.approx(0, abs=1e-5)
    # The query sent the vector's values: the code to copy holds them.
    expect(page.get_by_test_id("snippet")).to_contain_text(f'queryVector={{"float32": [{data[0]!r}, {data[1]!r},')

    # A key that is not there: the server's 404, shown as such.
    open_console(page, seeded, f"{INDEX_ROUTE}/vectors/no-such-key")
    expect(page.get_by_test_id("error").locator(".code")).to_have_text("NotFoundException")


def _snippet(page: Any, lang: str) -> str:
    page.get_by_test_id(f"snippet-{lang}").click()
    return page.get_by_test_id("snippet").text_content()


def _run(command: list[str], **kwargs: Any) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{command[:2]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _js_sdk(tmp_path: Path) -> Path | None:
    """A folder whose node_modules holds @aws-sdk/client-s3vectors (tests/js's), or None without Node.js."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-s3vectors").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR)  # as tests/test_js_sdk.py does
    (tmp_path / "node_modules").symlink_to(JS_DIR / "node_modules")
    return tmp_path


def test_a_filtered_query_in_the_playground_and_the_code_to_copy(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    key, wanted = "film-002", {"genre": {"$eq": "action"}}
    open_console(page, seeded, INDEX_ROUTE)
    page.get_by_role("tab", name="Query").click()
    run_query(page, query_key=key, topk="5", query_filter=json.dumps(wanted))
    rows = page.get_by_test_id("result-row")
    expect(rows).to_have_count(5)

    expected = seeded.client.query_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        topK=5,
        queryVector={"float32": stored_vector(seeded, key)},
        filter=wanted,
        returnMetadata=True,
        returnDistance=True,
    )["vectors"]
    assert keys_of(rows) == [v["key"] for v in expected]
    distances = [float(t) for t in page.get_by_test_id("distance").all_text_contents()]
    assert distances == pytest.approx([v["distance"] for v in expected], abs=1e-6)
    assert distances == sorted(distances)
    expect(page.get_by_test_id("results-table")).to_contain_text('"genre":"action"')
    shot(page, "query", doc_height=1120)
    assert all(seeded.vectors[k]["metadata"]["genre"] == "action" for k in keys_of(rows))

    # Copy as boto3, the AWS CLI and the JavaScript SDK: each, run, finds the same vectors.
    context = page.context
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=seeded.url)
    boto3_code = _snippet(page, "boto3")
    assert f'endpoint_url="{seeded.url}"' in boto3_code and 'region_name="us-east-1"' in boto3_code
    page.get_by_test_id("copy-snippet").click()
    assert page.evaluate("navigator.clipboard.readText()") == boto3_code
    printed = _run([sys.executable, "-c", boto3_code], cwd=tmp_path)
    assert [ast.literal_eval(line)["key"] for line in printed.splitlines()] == [v["key"] for v in expected]

    cli_code = _snippet(page, "cli")
    assert f"--endpoint-url {seeded.url}" in cli_code and "--filter" in cli_code
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("AWS_PROFILE", None)
    answer = json.loads(_run(["bash", "-c", cli_code], env=env, cwd=tmp_path))
    assert [v["key"] for v in answer["vectors"]] == [v["key"] for v in expected]

    js_code = _snippet(page, "js")
    assert "QueryVectorsCommand" in js_code and "@aws-sdk/client-s3vectors" in js_code
    folder = _js_sdk(tmp_path)
    if folder is not None:
        (folder / "snippet.mjs").write_text(js_code)
        answer = json.loads(_run([shutil.which("node") or "node", "snippet.mjs"], cwd=folder))
        assert [v["key"] for v in answer] == [v["key"] for v in expected]
    page.get_by_test_id("snippet-boto3").click()
    page.get_by_test_id("query-output").scroll_into_view_if_needed()


def test_a_refused_query_shows_the_code_and_message_aws_gives(page: Any, seeded: Seeded) -> None:
    bogus = {"genre": {"$bogus": 1}}
    code, message = query_refusal(
        seeded,
        topK=3,
        queryVector={"float32": stored_vector(seeded, "film-001")},
        filter=bogus,
        returnMetadata=True,
        returnDistance=True,
    )
    open_console(page, seeded, f"{INDEX_ROUTE}/query")
    run_query(page, query_key="film-001", topk="3", query_filter=json.dumps(bogus))
    expect_error(page, code, message)

    # A vector of the wrong dimension: AWS's own refusal again.
    code, message = query_refusal(seeded, topK=3, queryVector={"float32": [1.0, 2.0]})
    page.get_by_test_id("mode-vector").check(force=True)
    page.get_by_test_id("query-filter").fill("")
    page.get_by_test_id("returnMetadata").uncheck()
    page.get_by_test_id("returnDistance").uncheck()
    run_query(page, query_vector="[1, 2]")
    expect_error(page, code, message)


def test_text_and_hybrid_queries_show_their_scores(page: Any, seeded: Seeded) -> None:
    open_console(page, seeded)
    page.locator("#sidenav").get_by_role("link", name="Query").click()  # the navigation asks which index
    page.get_by_test_id("pick-row").filter(has_text=INDEX).get_by_role("link", name=INDEX).click()
    expect(page).to_have_url(re.compile(f"{re.escape(INDEX_ROUTE)}/query$"))
    page.get_by_test_id("mode-text").check(force=True)
    expect(page.get_by_test_id("text-key")).to_have_value("body")  # the index's searchable key
    run_query(page, query_text="robot storm", topk="5")
    rows = page.get_by_test_id("result-row")
    expect(rows).to_have_count(5)
    expected = seeded.client.query_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        topK=5,
        queryTexts=[{"metadataKey": "body", "text": "robot storm"}],
        returnMetadata=True,
        returnDistance=True,
        returnScores=True,
    )["vectors"]
    assert keys_of(rows) == [v["key"] for v in expected]
    expect(page.get_by_test_id("results-table").locator("thead")).to_contain_text("bm25Scores")
    expect(rows.first).to_contain_text("body: ")

    page.get_by_test_id("mode-hybrid").check(force=True)
    run_query(page, query_key="film-010")
    expect(rows).to_have_count(5)
    expected = seeded.client.query_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        topK=5,
        queryVector={"float32": stored_vector(seeded, "film-010")},
        queryTexts=[{"metadataKey": "body", "text": "robot storm"}],
        returnMetadata=True,
        returnDistance=True,
        returnScores=True,
    )["vectors"]
    assert keys_of(rows) == [v["key"] for v in expected]
    expect(page.get_by_test_id("results-table").locator("thead")).to_contain_text("fused")
    expect(page.get_by_test_id("snippet")).to_contain_text(
        'queryTexts=[{"metadataKey": "body", "text": "robot storm"}]'
    )


def test_the_map_draws_the_sample_and_the_last_query(page: Any, seeded: Seeded) -> None:
    projection = seeded.api(
        "/_emulator/api/map", {"bucket": BUCKET, "index": INDEX, "colorBy": None, "queryVector": None}
    )
    open_console(page, seeded, f"{INDEX_ROUTE}/query")
    run_query(page, query_key="film-004", topk="7")
    expect(page.get_by_test_id("result-row")).to_have_count(7)
    page.get_by_role("tab", name="Map").click()

    points = page.locator("[data-testid=map-svg] circle.pt")
    expect(points).to_have_count(projection["sampled"])
    assert projection["sampled"] == VECTORS
    expect(page.get_by_test_id("map-info")).to_have_text(f"{VECTORS} vectors")
    first, second = projection["explained"]
    expect(page.get_by_test_id("x-label")).to_have_text(f"PC1 ({first * 100:.1f} %)")
    expect(page.get_by_test_id("y-label")).to_have_text(f"PC2 ({second * 100:.1f} %)")
    # Coloured by the key with few values (genre), with a legend of them.
    expect(page.get_by_test_id("color-by")).to_have_value("genre")
    legend = page.get_by_test_id("legend")
    for genre in GENRES:
        expect(legend).to_contain_text(genre)
    # The last query: its point, and its results ringed.
    expect(page.get_by_test_id("query-point")).to_have_count(1)
    expect(page.locator("[data-testid=map-svg] circle.pt.hit")).to_have_count(7)
    expect(legend).to_contain_text("query results (7)")
    shot(page, "map", doc_height=1000)

    page.get_by_test_id("color-by").select_option("year")
    expect(legend).to_contain_text("1970 –")
    page.get_by_test_id("color-by").select_option("genre")

    # Hover: the key and metadata; click: that vector's page.
    target = page.locator("[data-testid=map-svg] circle.pt.hit").first
    target.hover()
    tooltip = page.locator(".tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("genre")
    hovered = tooltip.locator(".k").text_content()
    assert hovered in seeded.vectors
    target.click()
    expect(page).to_have_url(re.compile(f"/vectors/{hovered}$"))


def test_the_request_log_shows_the_calls_and_refreshes_itself(page: Any, seeded: Seeded) -> None:
    aws_error(seeded.client.get_index, vectorBucketName=BUCKET, indexName="no-such-index")
    open_console(page, seeded)
    page.locator("#sidenav").get_by_role("link", name="Requests").click()
    rows = page.get_by_test_id("request-row")
    for operation in ("CreateVectorBucket", "CreateIndex", "PutVectors", "GetIndex"):
        expect(rows.filter(has=page.locator(f"td:text-is('{operation}')")).first).to_be_visible()
    newest = rows.first.get_attribute("data-operation")
    assert newest == "GetIndex"  # newest first

    page.get_by_test_id("req-operation").select_option("PutVectors")
    expect(rows).to_have_count(3)  # the seeding's three calls
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.operation)")) == {"PutVectors"}
    page.get_by_test_id("req-operation").select_option("")
    page.get_by_test_id("req-status").select_option("4xx")
    expect(rows.filter(has_text="NotFoundException").first).to_be_visible()
    assert all(s.startswith("4") for s in rows.locator("td:nth-child(5)").all_text_contents())
    page.get_by_test_id("req-status").select_option("")
    page.get_by_test_id("req-text").fill("CreateIndex")
    expect(rows).to_have_count(1)
    rows.first.click()
    detail = page.get_by_test_id("request-detail")
    expect(detail).to_contain_text("CreateIndex")
    request_body = json.loads(detail.get_by_test_id("request-body").text_content())
    assert request_body["indexName"] == INDEX and request_body["dimension"] == 8
    shot(page, "requests", doc_height=900)
    page.get_by_test_id("req-text").fill("")

    # Refreshed while open, paused on demand.
    seeded.client.list_vector_buckets()
    expect(rows.first).to_have_attribute("data-operation", "ListVectorBuckets", timeout=5000)
    page.get_by_test_id("req-pause").click()
    seeded.client.list_indexes(vectorBucketName=BUCKET)
    page.wait_for_timeout(2500)
    expect(rows.first).to_have_attribute("data-operation", "ListVectorBuckets")
    page.get_by_test_id("req-pause").click()
    expect(rows.first).to_have_attribute("data-operation", "ListIndexes", timeout=5000)


def test_a_narrow_window_scrolls_tables_not_the_page(narrow_page: Any, seeded: Seeded) -> None:
    page = narrow_page
    fits = "document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"
    views = {
        "": "region-row",
        "#/buckets": "bucket-row",
        f"#/buckets/{BUCKET}": "index-row",
        INDEX_ROUTE: "vector-row",
        f"{INDEX_ROUTE}/vectors/film-001": "metadata",
        f"{INDEX_ROUTE}/query?key=film-001": "result-row",
        f"{INDEX_ROUTE}/map": "map-svg",
        "#/requests": "request-row",
    }
    for route, testid in views.items():
        open_console(page, seeded, route)
        expect(page.get_by_test_id(testid).first).to_be_visible()
        assert page.evaluate(fits), f"{route or 'overview'} is wider than the window"
    # Wide tables scroll inside their frame.
    open_console(page, seeded, INDEX_ROUTE)
    expect(page.get_by_test_id("vector-row").first).to_be_visible()
    frame = page.locator(".table-wrap").first
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth && getComputedStyle(el).overflowX === 'auto'")
    # The navigation folds into the menu button.
    nav = page.locator("#sidenav")
    expect(nav).to_be_hidden()
    page.locator("#nav-toggle").click()
    expect(nav).to_be_visible()
    shot(page, "narrow-nav")
    nav.get_by_role("link", name="Requests").click()
    expect(nav).to_be_hidden()
    expect(page.get_by_test_id("request-row").first).to_be_visible()
    open_console(page, seeded, INDEX_ROUTE)
    expect(page.get_by_test_id("vector-row").first).to_be_visible()


def test_clear_the_request_log(page: Any, seeded: Seeded) -> None:
    open_console(page, seeded, "#/requests")
    rows = page.get_by_test_id("request-row")
    expect(rows.first).to_be_visible()
    page.get_by_test_id("req-clear").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Clear").click()
    expect(rows).to_have_count(0)
    expect(page.locator(".empty")).to_have_text("No API call recorded yet.")
    assert seeded.api("/_emulator/requests")["requests"] == []


def test_download_a_snapshot_that_init_restores(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    open_console(page, seeded)
    with page.expect_download() as download:
        page.get_by_test_id("snapshot").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    with running_emulator(Config(port=0, quiet=True, init=str(archive))) as url:
        restored = client_for(url).list_vectors(vectorBucketName=BUCKET, indexName=INDEX, returnData=True)
        assert {v["key"]: v["data"] for v in restored["vectors"]} == {
            k: {"float32": stored_vector(seeded, k)} for k in seeded.vectors
        }


def test_reset_asks_first_then_drops_every_state(page: Any) -> None:
    with running_emulator(Config(port=0, quiet=True)) as url:
        client = client_for(url)
        client.create_vector_bucket(vectorBucketName="to-be-reset")
        page.goto(f"{url}/_emulator/ui")
        expect(page.get_by_test_id("region-row")).to_have_count(1)
        dialog = page.locator("#confirm")
        page.get_by_test_id("reset").click()
        expect(dialog).to_contain_text("Reset the emulator?")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == ["to-be-reset"]
        page.get_by_test_id("reset").click()
        dialog.get_by_role("button", name="Reset").click()
        expect(page.get_by_text("No account or region holds any state yet.")).to_be_visible()
        assert client.list_vector_buckets()["vectorBuckets"] == []
        shot(page, "overview-after-reset")
