"""Issue 21 in headless Chromium: compare keeps its whole state in the URL, the add box adds what it can, and the
first minute's build banner follows the demo's progress. One small live server (SQLite, the emulator upstream,
virtual time); screenshots at desktop and phone sizes go to test-artifacts/e2e/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.live import CHROMIUM, DAY, NOW, Live, live_server, quiet_names, shot, signed_in, sized_names

playwright_sync = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} missing: run `make install` (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("e2e21"), start=NOW - 3 * DAY, slots=8) as server:
        yield server


@pytest.fixture(scope="module")
def ids(live: Live) -> list[str]:
    """Three accounts about 50x apart in size, with three days of snapshots."""
    names = sized_names(live.world, [1_500_000, 250_000, 29_000], NOW - 3 * DAY)
    found = live.track(names)
    live.collect(NOW)
    return found


@pytest.fixture(scope="module")
def context(live: Live, browser: Any) -> Iterator[Any]:
    ctx = signed_in(browser, live, viewport={"width": 1280, "height": 800})
    try:
        yield ctx
    finally:
        ctx.close()


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_compare_keeps_its_state_in_the_url(live: Live, page: Any, ids: list[str]) -> None:
    first, second, third = ids
    page.goto(f"{live.url}/dashboard/compare?start=2026-11-16&end=2026-11-18&tz=Europe/Madrid&trackers={first},{third}")
    page.wait_for_selector("#chart-compare canvas")
    assert page.get_attribute("#mode-percent", "aria-pressed") == "true"  # 50x apart: % change by default
    # Changing the metric keeps the custom dates and the zone.
    page.select_option("#compare-form select[name=metric]", "tweets")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#chart-compare canvas")
    q = query(page)
    assert q["start"] == ["2026-11-16"] and q["end"] == ["2026-11-18"] and q["tz"] == ["Europe/Madrid"]
    assert q["metric"] == ["tweets"] and page.locator("#compare-table tbody tr").count() == 2
    # A mode picked stays; a tracker ticked but not submitted is kept when a range button is clicked.
    page.click("#mode-change")
    page.check(f"#tracker-picker input[value='{second}']")
    page.click(".ranges a[data-range='7d']")
    page.wait_for_selector("#chart-compare canvas")
    q = query(page)
    assert q["range"] == ["7d"] and q["tz"] == ["Europe/Madrid"] and q["metric"] == ["tweets"]
    assert q["mode"] == ["change"] and set(q["trackers"]) == {first, second, third}
    assert page.locator("#compare-table tbody tr").count() == 3
    assert page.get_attribute("#mode-change", "aria-pressed") == "true"
    # The bookmark: the same URL in a fresh page shows the same comparison.
    bookmark = page.url
    page.goto(bookmark)
    page.wait_for_selector("#chart-compare canvas")
    assert page.locator("#compare-table tbody tr").count() == 3 and query(page) == q
    shot(page, "21-compare-kept-state")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#chart-compare canvas")
    shot(page, "21-compare-kept-state-phone")


def test_add_box_adds_what_it_can(live: Live, page: Any, ids: list[str]) -> None:
    a, b = quiet_names(live.world, 2, NOW - 3 * DAY, offset=500)
    page.goto(live.url + "/dashboard")
    page.fill("#add-form textarea", f"{a}, bad name!, @{b}")
    page.click("#add-form button")
    page.wait_for_url("**/dashboard")
    assert page.locator("#add-results li.ok").count() == 2
    assert page.locator(f"#add-results li.ok[data-alias='{a}']").count() == 1
    bad = page.locator("#add-results li.bad[data-alias='bad name!']")
    assert "has a space inside" in bad.inner_text() and "not added" in bad.inner_text()
    assert page.input_value("#add-form textarea") == "bad name!"
    assert page.locator(f"tr[data-alias='{a}']").count() == 1 and page.locator(f"tr[data-alias='{b}']").count() == 1
    assert page.locator("tr[data-alias='bad']").count() == 0  # never split into @bad
    shot(page, "21-add-partial")


def test_build_banner_follows_the_demo(live: Live, page: Any, ids: list[str]) -> None:
    live.status["demo"] = "building 3/30 days (collected up to 07 Nov, simulated time)"
    try:
        page.goto(live.url + "/dashboard")
        assert page.is_visible("#build-banner")
        assert "3/30 days" in page.inner_text("#build-progress")
        assert page.get_attribute("#build-bar", "value") == "3"
        live.status["demo"] = "building 17/30 days (collected up to 21 Nov, simulated time)"
        page.wait_for_selector("#build-progress:has-text('17/30')")
        assert page.eval_on_selector("#build-bar", "e => e.value") == 17
        shot(page, "21-build-banner")
        live.status["demo"] = "ready"
        page.wait_for_selector("#build-banner", state="detached", timeout=20_000)  # reloaded when done
    finally:
        live.status["demo"] = "ready"
