"""Interoperability: the AWS SDK for JavaScript v3 against the real server (tests/js/smoke.mjs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from s3vectors_emulator.server import EmulatorServer

JS_DIR = Path(__file__).parent / "js"


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"


def test_js_sdk_smoke(server: EmulatorServer) -> None:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js (node and npm on PATH) is needed to run the JavaScript SDK v3 smoke test")

    if not (JS_DIR / "node_modules").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert installed.returncode == 0, f"npm ci failed in {JS_DIR}\n{_output(installed)}"

    result = subprocess.run(
        [node, str(JS_DIR / "smoke.mjs"), server.url],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, _output(result)
    assert "OK" in result.stdout.splitlines(), _output(result)
