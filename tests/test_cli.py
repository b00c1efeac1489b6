"""The command line: the start-up line, a free port, clean exit on SIGINT and SIGTERM."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

LINE = re.compile(r"^S3 Vectors emulator listening on http://127\.0\.0\.1:(\d+)$")


def start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline().rstrip("\n")
    match = LINE.match(first)
    assert match, f"unexpected first line {first!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
    port = int(match.group(1))
    assert port != 0
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_module_entry_point(sig):
    proc, url = start([sys.executable, "-m", "s3vectors_emulator", "--port", "0"])
    try:
        with urllib.request.urlopen(url + "/_emulator/health", timeout=10) as response:
            assert json.loads(response.read())["status"] == "ok"
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0


def test_console_script_and_options():
    script = shutil.which("s3vectors-emulator") or str(Path(sys.executable).parent / "s3vectors-emulator")
    proc, url = start([script, "--port", "0", "--region", "eu-west-1", "--account-id", "111122223333"])
    try:
        request = urllib.request.Request(
            url + "/CreateVectorBucket", data=b'{"vectorBucketName": "cli"}', method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {
                "vectorBucketArn": "arn:aws:s3vectors:eu-west-1:111122223333:bucket/cli"
            }
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_signal_right_after_start_line_exits_cleanly():
    proc, _ = start([sys.executable, "-m", "s3vectors_emulator", "--port", "0"])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


@pytest.mark.parametrize("args", [["--port", "70000"], ["--account-id", "12"], ["--threads", "0"]])
def test_bad_options(args):
    result = subprocess.run(
        [sys.executable, "-m", "s3vectors_emulator", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "error" in result.stderr
