"""What every browser test shares: one headless Chromium per module (Debian's, driven by Playwright; each test
module skips itself when it is missing) and a fresh page of the module's logged-in `context` per test, which fails
the test on any script error the page raised."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.live import CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(context: Any) -> Iterator[Any]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
    p.on("dialog", lambda dialog: dialog.accept())
    yield p
    p.close()
    assert errors == []
