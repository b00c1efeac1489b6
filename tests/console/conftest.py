"""Browser tests of the web console (/_emulator/ui): Playwright driving Debian's Chromium.

One headless Chromium for the session, one seeded emulator per module.  Playwright's own browser
builds are never downloaded: the tests use /usr/bin/chromium (``apt-get install chromium``) and skip,
saying so, where it is missing.  Each test leaves a screenshot of its view in tests/console/screenshots/.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.console_support import CHROMIUM, CHROMIUM_ARGS, NARROW, SCREENSHOTS, WIDE, Seeded, seed
from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import running_emulator


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the browser tests need Playwright: pip install -e '.[test]' (Playwright's own browsers are not needed)"
    if not CHROMIUM.exists():
        return "the browser tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium"
    return None


SKIP_REASON = _missing()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP_REASON is None:
        return
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # `pytest -q` lists no skip reasons: say here why the browser tests did not run.
    if SKIP_REASON is not None and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line(f"tests/console skipped: {SKIP_REASON}", yellow=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    with running_emulator(Config(port=0, quiet=True)) as url:
        yield seed(url)


class PageErrors(list):
    """Uncaught errors of the page's scripts: any fails the test."""


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _page(browser, request, WIDE)


@pytest.fixture
def narrow_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _page(browser, request, NARROW)


def _page(browser: Any, request: pytest.FixtureRequest, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
        assert not errors, f"errors in the page's scripts: {errors}"
    finally:
        context.close()
