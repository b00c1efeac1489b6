"""A server that cannot start says why and what to do in one line on stderr: no traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import skip_unless_importable_as


def _fails(*args: str, user: bool = False) -> str:
    command = [sys.executable, "-m", "s3vectors_emulator", *args]
    if user:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode != 0 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = _fails("--port", str(port))
    assert line == (
        f"s3vectors-emulator: 127.0.0.1:{port} is already in use; stop the other process or pick another port "
        "with --port (0 picks a free one)"
    )


def test_address_not_on_this_machine():
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine; binding sends nothing.
    line = _fails("--host", "192.0.2.1", "--port", "0")
    assert "192.0.2.1 is not an address of this machine" in line and "--host 127.0.0.1" in line


def test_unknown_host_name():
    line = _fails("--host", "no-such-host.invalid", "--port", "0")
    assert "not a known host name" in line


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop to an unprivileged user"
)
def test_privileged_port_as_an_ordinary_user():
    skip_unless_importable_as(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], "uid 65534")
    line = _fails("--port", "80", user=True)
    assert "permission denied" in line and "--port" in line


def test_data_dir_that_cannot_be_used(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    line = _fails("--port", "0", "--data-dir", str(blocker / "d"))
    assert f"cannot use the data directory {blocker / 'd'}" in line and "--data-dir" in line


def test_auth_file_that_cannot_be_read(tmp_path: Path):
    line = _fails("--port", "0", "--auth-file", str(tmp_path / "missing"))
    assert line == f"s3vectors-emulator: cannot read --auth-file {tmp_path / 'missing'}: No such file or directory"
