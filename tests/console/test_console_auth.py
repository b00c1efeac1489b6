"""The console under --auth: refused without the token the emulator prints at start, usable with it.

The emulator is started as a user starts it (``python -m s3vectors_emulator --auth KEY:SECRET``), and the
console's address is read from what it prints.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from console.console_support import shot
from s3vectors_emulator.testing import client_for

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, saying why
    expect = None

ACCESS_KEY, SECRET_KEY = "AKIACONSOLETEST", "test"  # testing.client_for signs with the secret "test"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
CONSOLE = re.compile(r"console: (http://\S+/_emulator/ui\?token=\S+)")
REFUSED = "This emulator checks signatures"


@pytest.fixture(scope="module")
def signed() -> Iterator[tuple[str, str]]:
    """(endpoint, the console address it printed) of an emulator that checks signatures."""
    auth = f"{ACCESS_KEY}:{SECRET_KEY}"
    command = [sys.executable, "-m", "s3vectors_emulator", "--port", "0", "--quiet", "--auth", auth]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        listening = LISTENING.search(proc.stdout.readline())
        printed = CONSOLE.search(proc.stderr.readline())  # --quiet: the console's address is all it says
        assert listening and printed, "the emulator did not print its address and its console's"
        yield listening.group(1), printed.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_without_the_token_the_console_and_its_api_are_refused(page: Any, signed: tuple[str, str]) -> None:
    url, _ = signed
    answer = page.goto(f"{url}/_emulator/ui")
    assert answer is not None and answer.status in (401, 403)
    expect(page.locator("body")).to_contain_text(REFUSED)
    for path in ("/_emulator/api/overview", "/_emulator/api/buckets", "/_emulator/requests"):
        assert status_of(url + path) in (401, 403), path
    answer = page.goto(f"{url}/_emulator/ui?token=not-the-token")
    assert answer is not None and answer.status in (401, 403)


def test_the_printed_address_opens_the_console(page: Any, signed: tuple[str, str]) -> None:
    url, console = signed
    client_for(url, access_key=ACCESS_KEY).create_vector_bucket(vectorBucketName="signed-bucket")
    page.goto(console)
    expect(page.get_by_test_id("auth")).to_contain_text("checked")
    assert "token=" not in page.url  # kept in a cookie, not in the address bar
    page.locator("#sidenav").get_by_role("link", name="Buckets").click()
    expect(page.get_by_test_id("bucket-row")).to_contain_text("signed-bucket")
    page.locator("#sidenav").get_by_role("link", name="Requests").click()
    expect(page.get_by_test_id("request-row").first).to_have_attribute("data-operation", "CreateVectorBucket")
    page.goto(f"{url}/_emulator/ui#/")  # the cookie opens it from now on, without the token
    expect(page.get_by_test_id("version")).to_be_visible()

    # A page left open whose cookie is gone says what to do.
    page.context.clear_cookies()
    page.locator("#sidenav").get_by_role("link", name="Buckets").click()
    expect(page.get_by_test_id("error")).to_contain_text(
        "This emulator checks signatures: open the console with the URL it printed at start"
    )
    shot(page, "auth-refused-in-page")
    page.goto(console)
    expect(page.get_by_test_id("auth")).to_contain_text("checked")
