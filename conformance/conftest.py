"""The conformance suite's target, fixtures, marker rules and report (docs/conformance.md).

``--target`` (or ``S3V_TARGET``) picks where requests go:

- ``emulator`` (default): the emulator, started in this process on a free port for the session;
- ``inprocess``: the emulator's in-process mode (``mock_s3vectors``): no server, clients without ``endpoint_url``;
- ``aws``: real AWS, through boto3's standard credential chain and region;
- ``http://...`` / ``https://...``: an endpoint already running (dummy credentials, us-east-1).

Every bucket the run creates starts with ``s3v-conf-<8 hex>-``. Each test's buckets are deleted when it ends;
whatever is left under the prefix is deleted at the end of the session, at exit, and on SIGINT/SIGTERM.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
import pytest

from conformance.helpers import CALLS, LEFTOVERS, OPERATIONS, Buckets, Target, make_client, purge
from s3vectors_emulator.protocol import output_check

HERE = Path(__file__).parent
# Markers name anchors of docs/behaviour.md: ref("vectors-keys") for AWS's rules, decision("decision-...")
# for the emulator's own choices ("compat": a difference listed in docs/compatibility.md).
_ANCHORS = frozenset(re.findall(r'<a id="([^"]+)"', (HERE.parent / "docs" / "behaviour.md").read_text("utf-8")))
REF_ANCHORS = frozenset(a for a in _ANCHORS if not a.startswith("decision-"))
DECISION_ANCHORS = frozenset(a for a in _ANCHORS if a.startswith("decision-")) | {"compat"}
# Areas in report order; each is one test file (test_<area>.py).
AREAS = (
    "buckets",
    "indexes",
    "vectors",
    "metadata_limits",
    "query_distances",
    "filters",
    "pagination",
    "tags_policies_encryption",
    "index_modes",
    "text_search",
    "workflow",
)
# Areas without tests, with the reason (the report lists them). Full-text and hybrid search are covered by
# test_text_search.py since they landed, so nothing is left out here.
NOT_COVERED: dict[str, str] = {}

# Distances: float32 error on an exact target, a few per cent on AWS's approximate index (behaviour.md#distances).
TIGHT = {"rel": 1e-5, "abs": 1e-6}
# nodeid -> {"area", "kind" ("ref" or "decision"), "outcome" (None, "passed", "failed", "skipped"), "error"}
_results: dict[str, dict[str, Any]] = {}
_signalled: list[int] = []  # signals that stopped the run
TOLERANT = {"rel": 0.05, "abs": 1e-3}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "S3 Vectors conformance suite")
    group.addoption(
        "--target",
        default=None,
        help="emulator (default), inprocess, aws, or an http(s):// endpoint; also the S3V_TARGET environment variable",
    )
    group.addoption(
        "--conformance-report",
        default=None,
        metavar="FILE",
        help="write a Markdown summary of the conformance run to FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ref(anchor): the test checks a rule of AWS's, an anchor of docs/behaviour.md")
    config.addinivalue_line(
        "markers",
        "decision(anchor): the test checks an emulator choice (a decision-* anchor of docs/behaviour.md, "
        "or 'compat' for a choice listed in docs/compatibility.md)",
    )


def _target_label(config: pytest.Config) -> str:
    return config.getoption("--target") or os.environ.get("S3V_TARGET") or "emulator"


def _in_suite(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).parents


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every conformance test must say what it checks: @pytest.mark.ref(...) or @pytest.mark.decision(...)."""
    problems = []
    for item in items:
        if not _in_suite(item):
            continue
        refs = [m.args[0] if m.args else None for m in item.iter_markers("ref")]
        decisions = [m.args[0] if m.args else None for m in item.iter_markers("decision")]
        if not refs and not decisions:
            problems.append(f"{item.nodeid}: no @pytest.mark.ref or @pytest.mark.decision")
        problems += [f"{item.nodeid}: bad ref {r!r}" for r in refs if r not in REF_ANCHORS]
        problems += [f"{item.nodeid}: bad decision {d!r}" for d in decisions if d not in DECISION_ANCHORS]
        area = Path(str(item.path)).stem.removeprefix("test_")
        # A test that depends on any emulator choice is a decision test, even if it also cites a fact.
        _results[item.nodeid] = {"area": area, "kind": "decision" if decisions else "ref", "outcome": None, "error": ""}
    if problems:
        raise pytest.UsageError("conformance tests must name what they check:\n  " + "\n  ".join(problems))


# ----------------------------------------------------------------------------------------------------------------
# The target and the clean-up


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    label = _target_label(request.config)
    prefix = f"s3v-conf-{secrets.token_hex(4)}-"
    with ExitStack() as stack:
        if label == "emulator":
            from s3vectors_emulator.config import Config
            from s3vectors_emulator.testing import running_emulator

            url = stack.enter_context(running_emulator(Config(port=0)))
            yield Target("emulator", label, url, "us-east-1", prefix)
            return
        if label == "inprocess":
            from s3vectors_emulator.mock import mock_s3vectors

            # The emulator's own rules either way: only the front end differs (no socket, no endpoint_url).
            stack.enter_context(mock_s3vectors())
            yield Target("emulator", label, None, "us-east-1", prefix)
            return
        if label == "aws":
            region = boto3.session.Session().region_name
            if not region:
                pytest.exit("--target aws needs a region (AWS_REGION, AWS_DEFAULT_REGION or a profile)", 4)
            tgt = Target("aws", label, None, region, prefix)
        elif re.match(r"^https?://", label):
            tgt = Target("endpoint", label, label.rstrip("/"), "us-east-1", prefix)
        else:
            raise pytest.UsageError(f"--target must be emulator, inprocess, aws or an http(s):// URL, not {label!r}")
        stack.callback(_guard(tgt))
        yield tgt


def _guard(tgt: Target) -> Callable[[], None]:
    """Delete everything under the run's prefix at session end, at exit and on SIGINT/SIGTERM, exactly once."""
    state = {"done": False, "running": False}
    cleaner = make_client(tgt, validate=False)

    def cleanup() -> None:
        if state["done"] or state["running"]:
            return
        state["running"] = True
        try:
            purge(cleaner, tgt.prefix)
            state["done"] = True
        finally:
            state["running"] = False

    def on_signal(signum: int, frame: Any) -> None:
        if state["running"]:  # a second Ctrl-C while cleaning up: keep cleaning
            print("conformance: still deleting this run's buckets...", file=sys.stderr)
            return
        print(f"conformance: signal {signum}: deleting buckets with prefix {tgt.prefix}", file=sys.stderr)
        cleanup()
        _signalled.append(signum)
        # KeyboardInterrupt for both: pytest stops the session on it and runs the teardowns. SystemExit would be
        # recorded as one failed test, and pytest.exit() as an error that botocore's retry layer may swallow.
        raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread
            pass
    atexit.register(cleanup)

    def finish() -> None:
        try:
            cleanup()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            atexit.unregister(cleanup)

    return finish


@pytest.fixture(autouse=True)
def answers_in_shape() -> Iterator[None]:
    """On the emulator target, fail a test whose requests got an answer off the service model's shapes (the app
    no longer walks its answers against them: s3vectors_emulator.protocol.output_check)."""
    check = output_check.watch()
    yield
    if problems := check.take():
        pytest.fail("answers off their shapes:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def client(target: Target) -> Any:
    return target.client()


@pytest.fixture(scope="session")
def raw(target: Target) -> Any:
    """A client without botocore's parameter validation, for values botocore refuses client-side."""
    return target.client(validate=False)


@pytest.fixture
def buckets(target: Target) -> Iterator[Buckets]:
    factory = Buckets(target)
    yield factory
    factory.delete_all()


@pytest.fixture
def bucket(buckets: Buckets) -> str:
    """A fresh, empty bucket of this test's own."""
    return buckets.create()


@pytest.fixture(scope="module")
def module_buckets(target: Target) -> Iterator[Buckets]:
    """For read-only data sets shared by the parametrised cases of one module (one bucket, not one per case)."""
    factory = Buckets(target)
    yield factory
    factory.delete_all()


@pytest.fixture(scope="session")
def close(target: Target) -> Callable[[float], Any]:
    """``close(expected)``: a pytest.approx for distances, tight on exact targets and tolerant on AWS."""
    tolerance = TOLERANT if target.is_aws else TIGHT

    def approx(expected: Any) -> Any:
        return pytest.approx(expected, **tolerance)

    return approx


@pytest.fixture(scope="session")
def legacy(target: Target) -> Iterator[Target]:
    """An emulator whose new buckets count as made before 2026-09-30 (behaviour.md#decision-post-cutoff-buckets); only
    on the emulator targets."""
    if not target.is_emulator:
        pytest.skip("buckets made before 2026-09-30 exist only on the emulator (--legacy-buckets)")
    from s3vectors_emulator.config import Config

    config = Config(port=0, legacy_buckets=True)
    if target.label == "inprocess":
        from s3vectors_emulator.mock import mock_s3vectors
        from s3vectors_emulator.store.store import Store

        # One mock answers a process's clients at a time: this one while a test uses legacy buckets
        # (legacy_buckets), over the session's, with one store for the session as the server keeps.
        store = Store(legacy_buckets=True)
        mock = mock_s3vectors(config=config, store=store)
        yield Target("emulator", "inprocess --legacy-buckets", None, "us-east-1", target.prefix, answering=lambda: mock)
        store.close()
        return
    from s3vectors_emulator.testing import running_emulator

    with running_emulator(config) as url:
        yield Target("emulator", "emulator --legacy-buckets", url, "us-east-1", target.prefix)


@pytest.fixture
def legacy_buckets(legacy: Target) -> Iterator[Buckets]:
    """Buckets that count as made before 2026-09-30: default index mode CLASSIC
    (behaviour.md#decision-post-cutoff-buckets)."""
    with legacy.answering():
        factory = Buckets(legacy)
        yield factory
        factory.delete_all()


# ----------------------------------------------------------------------------------------------------------------
# The report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    results = _results.get(report.nodeid)
    if results is None:
        return
    if report.failed:
        if results["outcome"] != "failed":
            results["error"] = _first_line(report)
        results["outcome"] = "failed"
    elif report.skipped and results["outcome"] is None:
        results["outcome"] = "skipped"
    elif report.passed and report.when == "call" and results["outcome"] is None:
        results["outcome"] = "passed"


def _first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    if report.when != "call":
        text = f"[{report.when}] {text}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[0] if lines else "(no message)"
    return line if len(line) <= 300 else line[:297] + "..."


def _table(label: str) -> list[str]:
    rows = [
        "| area | target | passed | failed | skipped | decision passed | decision failed | decision skipped |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = [0] * 6
    areas = list(AREAS) + sorted({r["area"] for r in _results.values()} - set(AREAS))
    for area in areas:
        counts = [0] * 6
        for result in _results.values():
            if result["area"] != area or result["outcome"] is None:
                continue
            column = ("passed", "failed", "skipped").index(result["outcome"])
            counts[column + (3 if result["kind"] == "decision" else 0)] += 1
        if not any(counts):
            continue
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append(f"| {area} | {label} | " + " | ".join(map(str, counts)) + " |")
    rows.append(f"| **total** | {label} | " + " | ".join(f"**{n}**" for n in totals) + " |")
    return rows


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if signal.SIGTERM in _signalled:
        session.exitstatus = 128 + signal.SIGTERM
    path = session.config.getoption("--conformance-report")
    if not path or not _results:
        return
    label = _target_label(session.config)
    lines = [
        f"# S3 Vectors conformance: `{label}`",
        "",
        "`passed`/`failed`/`skipped` count tests of sourced AWS facts (`@pytest.mark.ref`); the `decision` "
        "columns count tests of emulator choices (`@pytest.mark.decision`), where a failure against AWS is "
        "information, not a bug.",
        "",
    ]
    lines += _table(label)
    if NOT_COVERED:
        lines += ["", "Areas not covered yet:", ""]
        lines += [f"- {area}: {why}" for area, why in NOT_COVERED.items()]
    missing = [op for op in OPERATIONS if not CALLS[op]]
    lines += [
        "",
        f"Operations exercised: {len(OPERATIONS) - len(missing)} of {len(OPERATIONS)}"
        + (f" (not exercised: {', '.join(missing)})" if missing else "")
        + ".",
    ]
    requests = sum(n for op, n in CALLS.items() if op in OPERATIONS)
    lines += [
        "",
        f"Requests sent: {requests} (CreateVectorBucket {CALLS['CreateVectorBucket']}, CreateIndex "
        f"{CALLS['CreateIndex']}, PutVectors {CALLS['PutVectors']} with {CALLS['vectors put']} vectors, "
        f"QueryVectors {CALLS['QueryVectors']}).",
    ]
    if LEFTOVERS:
        lines += ["", "**Clean-up could not delete:** " + "; ".join(LEFTOVERS)]
    for kind, title in (("ref", "Failed tests of sourced facts"), ("decision", "Failed tests of emulator decisions")):
        failed = [(nodeid, r) for nodeid, r in _results.items() if r["kind"] == kind and r["outcome"] == "failed"]
        lines += ["", f"## {title} ({len(failed)})", ""]
        lines += [f"- `{nodeid}`: {r['error'].replace('|', '&#124;')}" for nodeid, r in failed] or ["None."]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _results or all(r["outcome"] is None for r in _results.values()):
        return
    terminalreporter.section("S3 Vectors conformance")
    for line in _table(_target_label(config)):
        terminalreporter.write_line(line)
    for leftover in LEFTOVERS:
        terminalreporter.write_line(f"clean-up could not delete {leftover}", red=True)
    divergent = [n for n, r in _results.items() if r["kind"] == "decision" and r["outcome"] == "failed"]
    if divergent and _target_label(config) != "emulator":
        terminalreporter.write_line(
            f"{len(divergent)} decision test(s) failed: the target differs from an emulator "
            "choice (information, not a bug)."
        )
