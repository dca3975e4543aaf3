"""The dashboard in headless Chromium (Debian's, driven by Playwright): log in, add a tracker, see charts drawn
with data, switch ranges, download the CSV and check it against the API, compare two trackers, stop one.

The server is real (uvicorn on 127.0.0.1, a SQLite file, the emulator upstream); its history comes from the real
collector run in virtual time. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live import DAY, EMAIL, HOUR, NOW, PASSWORD, Live, live_server, quiet_names

CHROMIUM = os.environ.get("ROOST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

playwright_sync = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # `make test` installs it; say so rather than fail obscurely
    pytest.skip(f"{CHROMIUM} missing: run `make install` (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("e2e"), start=NOW - 10 * DAY, slots=5) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def canvas_ink(page: Any, selector: str) -> int:
    """How many pixels of the chart's canvas are painted (uPlot draws axes, grid and series there)."""
    ink: int = page.eval_on_selector(
        f"{selector} canvas",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""",
    )
    return ink


def series_ink(page: Any, selector: str, rgb: tuple[int, int, int] = (37, 99, 235)) -> int:
    """Pixels in the first series' colour: the line itself, not the axes."""
    ink: int = page.eval_on_selector(
        f"{selector} canvas",
        """(c, rgb) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
             for (let i = 0; i < d.length; i += 4)
               if (d[i+3] > 0 && Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i+1] - rgb[1]) < 40
                   && Math.abs(d[i+2] - rgb[2]) < 40) n++;
             return n; }""",
        list(rgb),
    )
    return ink


def points(page: Any, metric: str) -> int:
    return int(page.get_attribute(f"#chart-{metric} .plot", "data-points") or 0)


def test_dashboard_end_to_end(live: Live, browser: Any) -> None:
    first, second, third = quiet_names(live.world, 3, NOW - 10 * DAY)
    a, b = live.track([first, second])
    live.collect(NOW - DAY)  # nine days of hourly snapshots ...
    live.collect(NOW, timeline=True)  # ... and a day with the timeline archive, for the activity chart

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Log in (a wrong password first).
    page.goto(live.url + "/")
    assert page.url.endswith("/dashboard/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "Wrong email or password" in page.inner_text("main")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.is_visible("#simulated-banner")
    assert "3 of 5" in page.inner_text("#balance")

    # Add a tracker; the collector then runs six more virtual hours.
    page.fill("#add-form input[name=aliases]", "@" + third)
    page.click("#add-form button")
    page.wait_for_url("**/dashboard")
    assert "Now tracking @" + third in page.inner_text("#flash")
    assert "2 of 5" in page.inner_text("#balance")
    live.collect(NOW + 6 * HOUR)
    page.reload()
    rows = page.locator("#trackers-table tbody tr")
    assert rows.count() == 3
    assert page.locator(f"tr[data-tracker='{a}'] svg.spark polyline").count() == 1
    assert page.inner_text(f"tr[data-tracker='{a}'] td.delta >> nth=0").strip() not in ("", "–")
    shot(page, "01-trackers")

    # The new tracker's page: charts drawn with its seven snapshots.
    page.click(f"tr[data-alias='{third}'] a")
    page.wait_for_selector("#chart-followers canvas")
    assert points(page, "followers") == 7
    assert series_ink(page, "#chart-followers") > 50
    shot(page, "02-new-tracker")

    # An older tracker: 7 days by default, then 30 days, today, yesterday and a custom range.
    page.goto(f"{live.url}/dashboard/trackers/{a}")
    page.wait_for_selector("#chart-tweets canvas")
    assert 160 <= points(page, "followers") <= 169
    for metric in ("followers", "following", "tweets", "lists"):
        assert canvas_ink(page, f"#chart-{metric}") > 1000 and series_ink(page, f"#chart-{metric}") > 50, metric
    page.click("a[data-range='30d']")
    page.wait_for_url("**range=30d**")
    page.wait_for_selector("#chart-followers canvas")
    assert 10 * 24 - 2 <= points(page, "followers") <= 10 * 24 + 8
    assert page.locator("#deltas-table tbody tr").count() == 7
    activity = page.request.get(f"{live.url}/dashboard/trackers/{a}/activity.json?range=30d&tz=UTC")
    assert activity.status == 200, activity.text()[:500]
    page.wait_for_selector("#chart-activity canvas")
    assert series_ink(page, "#chart-activity") > 0 or canvas_ink(page, "#chart-activity") > 1000
    shot(page, "03-tracker-30d")
    page.click("a[data-range='yesterday']")
    page.wait_for_url("**range=yesterday**")
    assert points(page, "followers") == 24
    page.fill("#custom-range input[name=start]", "2026-11-15")
    page.fill("#custom-range input[name=end]", "2026-11-16")
    page.click("#custom-range button")
    page.wait_for_url("**range=custom**")
    assert points(page, "followers") == 48
    start, end = (
        int(page.get_attribute("#charts", "data-start") or 0),
        int(page.get_attribute("#charts", "data-end") or 0),
    )

    # The CSV download matches the API's stats for the same range, row by row.
    with page.expect_download() as info:
        page.click("#csv-snapshots")
    downloaded = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    token = httpx.post(live.url + "/authorize/email/login", json={"email": EMAIL, "password": PASSWORD}).json()
    api = httpx.get(
        f"{live.url}/user-trackers/{a}/stats",
        params={"startDate": start, "endDate": end, "isTimeline": "true"},
        headers={"Authorization": f"Bearer {token['authToken']}"},
    ).json()
    assert len(downloaded) == len(api) == 48
    for row, doc in zip(downloaded, api, strict=True):
        assert {k: float(v) for k, v in row.items()} == {k: float(doc[k]) for k in row}

    # Bad input is a clear message, not an error page from the server.
    page.goto(f"{live.url}/dashboard/trackers/{a}?range=custom&start=2026-11-20&end=2026-11-01")
    assert "must not be after" in page.inner_text("#error-message")

    # Tag two trackers and compare them on one chart.
    page.goto(live.url + "/dashboard")
    page.fill("#tag-form input[name=name]", "rivals")
    page.click("#tag-form button")
    page.wait_for_url("**/dashboard")
    page.check(f"tr[data-tracker='{a}'] input[type=checkbox]")
    page.check(f"tr[data-tracker='{b}'] input[type=checkbox]")
    page.click("#tag-button")
    page.wait_for_url("**/dashboard")
    assert "Tagged 2 trackers" in page.inner_text("#flash")
    page.click("#tag-list a")
    page.wait_for_selector("#chart-compare canvas")
    assert page.locator("#compare-table tbody tr").count() == 2
    assert page.locator("#chart-compare .u-legend .u-series").count() == 3  # the x axis and two trackers
    assert series_ink(page, "#chart-compare") > 50 and series_ink(page, "#chart-compare", (220, 38, 38)) > 50
    shot(page, "04-compare")

    # Stop one: its slot comes back and its data stays readable.
    page.goto(live.url + "/dashboard")
    page.check(f"tr[data-alias='{third}'] input[type=checkbox]")
    page.click("#stop-button")
    page.wait_for_url("**/dashboard")
    assert "Stopped 1 tracker" in page.inner_text("#flash")
    assert "3 of 5" in page.inner_text("#balance")
    assert "stopped" in (page.get_attribute(f"tr[data-alias='{third}']", "class") or "")
    shot(page, "05-stopped")

    # A phone-sized screen: nothing wider than the viewport except inside scrolling tables.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    for path, name in (("/dashboard", "06-phone-trackers"), (f"/dashboard/trackers/{a}", "07-phone-tracker")):
        mobile.goto(live.url + path)
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        shot(mobile, name)
    assert mobile.evaluate("document.querySelector('#chart-followers canvas').getBoundingClientRect().width") <= 390
    phone.close()
    context.close()
    assert errors == []


def test_api_docs_render_with_the_network_blocked(live: Live, browser: Any) -> None:
    """/docs loads Swagger UI from the installed package, not a CDN: with every other host blocked it renders the
    operations, and the Authorize button offers the bearer scheme."""
    page = browser.new_page()
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(live.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/user-trackers/{resourceId}/stats" in p for p in paths), paths
    page.click("button.authorize")
    assert "HTTPBearer" in page.inner_text(".modal-ux")
    shot(page, "api-docs")
    assert not [u for u in blocked if "favicon" not in u], blocked
    page.close()
