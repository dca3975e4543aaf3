"""The dashboard in headless Chromium (Debian's, driven by Playwright), checked the way a person would look at it.

One real server per module (uvicorn on 127.0.0.1, a SQLite file, the emulator upstream); its history comes from
the real collector run in virtual time. Four accounts of very different sizes (about 1.5 M, 812 k, 251 k and 29 k
followers) are tracked ten days before "now". The tests run in file order on that server and move its clock.
Screenshots go to test-artifacts/e2e/ at desktop (1280x900) and phone (390x844) sizes.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live import (
    CHROMIUM,
    DAY,
    EMAIL,
    HOUR,
    NOW,
    PASSWORD,
    Live,
    live_server,
    log_in,
    quiet_names,
    shot,
    sized_names,
)

SIZES = [1_500_000, 812_000, 251_000, 29_000]

playwright_sync = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # `make test` installs it; say so rather than fail obscurely
    pytest.skip(f"{CHROMIUM} missing: run `make install` (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("e2e"), start=NOW - 10 * DAY, slots=8) as server:
        yield server


@pytest.fixture(scope="module")
def accounts(live: Live) -> dict[str, str]:
    """alias -> tracker id of the four accounts, with nine days of snapshots and a day with the timeline."""
    names = sized_names(live.world, SIZES, NOW - 10 * DAY)
    ids = live.track(names)
    live.collect(NOW - DAY)
    live.collect(NOW, timeline=True)
    return dict(zip(names, ids, strict=True))


@pytest.fixture(scope="module")
def context(live: Live, browser: Any, accounts: dict[str, str]) -> Iterator[Any]:
    """A logged-in desktop browser context (the login form is tested on the way)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(live.url + "/")
    assert page.url.endswith("/dashboard/login")
    log_in(page, password="wrong")
    assert "Wrong email or password" in page.inner_text("main")
    log_in(page)
    page.close()
    try:
        yield ctx
    finally:
        ctx.close()


def api(live: Live) -> httpx.Client:
    token = httpx.post(live.url + "/authorize/email/login", json={"email": EMAIL, "password": PASSWORD}).json()
    return httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token['authToken']}"})


def chart(page: Any, selector: str) -> dict[str, Any]:
    """What a chart shows: its points, x and y ranges and y ticks (set by dashboard.js from uPlot's scales)."""
    page.wait_for_selector(f"{selector} .plot[data-y-ticks]")
    d = page.eval_on_selector(f"{selector} .plot", "el => ({...el.dataset})")
    return {
        "points": int(d.get("points", 0)),
        "x": (float(d["xMin"]), float(d["xMax"])),
        "y": (float(d["yMin"]), float(d["yMax"])),
        "ticks": [float(t) for t in d.get("yTicks", "").split(",") if t],
    }


def series_ink(page: Any, selector: str, rgb: tuple[int, int, int] = (37, 99, 235)) -> int:
    """Pixels of the chart's canvas in one colour: the drawn series, not the axes."""
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


def number(text: str) -> int:
    return int(text.strip().replace(",", "").replace("+", "").replace("−", "-"))


def integer_ticks(ticks: list[float]) -> bool:
    return bool(ticks) and all(float(t).is_integer() for t in ticks)


def test_trackers_list_add_box_and_new_tracker(live: Live, page: Any, accounts: dict[str, str]) -> None:
    """Points 3 and 4 and 1: the add box refuses mangled names whole and reports per alias; a new tracker's deltas
    say there is not enough history; its page with 1 and then 3 snapshots draws around the data; its posts are
    backfilled within a minute."""
    page.goto(live.url + "/dashboard")
    assert page.is_visible("#simulated-banner") and "4 of 8" in page.inner_text("#balance")
    first = next(iter(accounts))
    cell = page.locator(f"tr[data-tracker='{accounts[first]}'] td.delta[data-window='7d']")
    assert "up" in (cell.get_attribute("class") or "") or "down" in (cell.get_attribute("class") or "")
    assert re.fullmatch(r"[+-][\d,]+|\+0", cell.inner_text().strip())

    # `bad name!!`: one item (never split into @bad), refused with the space pointed out, the text back in the box.
    page.fill("#add-form textarea", "bad name!!")
    page.click("#add-form button")
    page.wait_for_url("**/dashboard")
    assert page.locator("#add-results li").count() == 1
    bad = page.locator("#add-results li.bad[data-alias='bad name!!']")
    assert "has a space inside" in bad.inner_text()
    assert page.locator("#add-results li.ok").count() == 0 and "4 of 8" in page.inner_text("#balance")
    assert page.input_value("#add-form textarea") == "bad name!!"
    colours = page.eval_on_selector_all("#add-results li", "els => els.map(e => getComputedStyle(e).backgroundColor)")
    shot(page, "01-add-invalid")

    # Mixed: one new account, one already tracked, one that does not exist; commas and new lines.
    [fresh] = quiet_names(live.world, 1, NOW - 10 * DAY, offset=400)
    missing = next(f"nobody{i}" for i in range(10_000) if live.world.user_by_username(f"nobody{i}", NOW) is None)
    page.fill("#add-form textarea", f"@{fresh},\n{first}, {missing}")
    page.click("#add-form button")
    page.wait_for_url("**/dashboard")
    assert page.locator("#add-results li.ok").count() == 1
    assert page.locator(f"#add-results li.ok[data-alias='{fresh}']").count() == 1
    assert page.locator("#add-results li.bad").count() == 2
    ok_bg = page.eval_on_selector("#add-results li.ok", "e => getComputedStyle(e).backgroundColor")
    bad_bg = page.eval_on_selector("#add-results li.bad", "e => getComputedStyle(e).backgroundColor")
    assert ok_bg != bad_bg and bad_bg in colours
    assert "3 of 8" in page.inner_text("#balance")
    row = page.locator(f"tr[data-alias='{fresh}']")
    for window in ("24h", "7d", "30d"):
        assert row.locator(f"td.delta[data-window='{window}']").inner_text().strip() == "too new"
    shot(page, "02-add-mixed")
    new_id = row.get_attribute("data-tracker")

    # Search and sort the list.
    page.fill("#tracker-search", fresh[:5])
    assert page.locator("#trackers-table tbody tr:not([hidden])").count() == 1
    page.fill("#tracker-search", "")
    page.click("#trackers-table th:has-text('Followers')")
    followers = [number(t) for t in page.locator("#trackers-table tbody td.followers").all_inner_texts()]
    assert followers == sorted(followers, reverse=True) and followers[0] > 1_000_000 > 50_000 > followers[-1]

    # Its page with one snapshot: the x range is the chosen range (7 days, as on every chart of the page); y sits
    # around the value.
    page.goto(f"{live.url}/dashboard/trackers/{new_id}")
    c = chart(page, "#chart-followers")
    assert c["points"] == 1
    assert c["x"][1] - c["x"][0] == 7 * DAY
    value = number(page.inner_text("#periods-table tbody tr >> nth=0 >> td >> nth=0"))
    assert c["y"][0] <= value <= c["y"][1] and c["y"][1] - c["y"][0] <= 20 and integer_ticks(c["ticks"])
    assert "not enough history yet" in page.inner_text("#deltas-table tr[data-window='7d']")
    assert "Tracking since" in page.inner_text("#tracking-since")
    assert page.is_visible("#profile") and f"@{fresh}" in page.inner_text("#profile")
    # The posts are read back in the background within a minute (here: an in-process emulator, much less).
    page.wait_for_function(
        """async (url) => (await (await fetch(url)).text()).includes('id="top-posts"')""",
        arg=f"{live.url}/dashboard/trackers/{new_id}",
        timeout=60_000,
        polling=500,
    )
    page.reload()
    assert page.locator("#top-posts li").count() > 0
    shot(page, "03-new-tracker-1-snapshot")

    # Three snapshots: the same range, y around the data with integer ticks.
    live.collect(NOW + 2 * HOUR + 60)
    page.reload()
    c = chart(page, "#chart-followers")
    assert c["points"] == 3 and c["x"][1] - c["x"][0] == 7 * DAY and integer_ticks(c["ticks"])
    values = [number(t) for t in page.locator("#periods-table tbody tr td:nth-of-type(1)").all_inner_texts()]
    assert c["y"][0] <= min(values) and max(values) <= c["y"][1]
    assert c["y"][1] - c["y"][0] <= max(20, (max(values) - min(values)) * 3)
    # Posting activity is clipped to the tracker's life, as the API's /activity is (older posts the backfill read
    # show in the post lists, not here): the chart, or the note that nothing was posted since.
    since = {"startDate": 0, "endDate": NOW + DAY}
    posted = api(live).get(f"/user-trackers/{new_id}/activity", params=since).json()["totals"]["posts"]
    page.wait_for_selector("#activity-note:not(:empty)")
    if posted:
        a = chart(page, "#chart-activity")
        assert a["y"][0] == 0 and a["y"][1] < 100 and integer_ticks(a["ticks"])
        assert page.inner_text("#activity-note") == f"{posted:,} posts in this range."
    else:
        assert page.inner_text("#activity-note") == "No posts archived in this range yet."
    shot(page, "04-new-tracker-3-snapshots")


def test_tracker_page_figures_posts_and_exports(live: Live, page: Any, accounts: dict[str, str]) -> None:
    """Points 5, 6 and 7: the figures of one period agree and equal the API's; readable labels; colour; posts,
    top posts, engagement and best time; PNG export; the CSV with a readable date; the printable report."""
    alias = list(accounts)[3]  # the smallest account
    tid = accounts[alias]
    client = api(live)

    page.goto(f"{live.url}/dashboard/trackers/{tid}?range=7d")
    last7 = [td.strip() for td in page.locator("#deltas-table tr[data-window='7d'] td").all_inner_texts()]
    this_range = [td.strip() for td in page.locator("#range-row td").all_inner_texts()]
    assert last7 == this_range
    c = chart(page, "#chart-followers")
    assert integer_ticks(c["ticks"]) and c["points"] >= 160
    labels = page.locator("#periods-table tbody th").all_inner_texts()
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}", x) for x in labels), labels
    assert page.locator("#periods-table td.delta.up, #periods-table td.delta.down").count() > 0
    a = chart(page, "#chart-activity")
    assert a["y"][0] == 0 and series_ink(page, "#chart-activity") > 50
    assert page.locator("#top-posts li").count() > 0
    engagements = [
        int(x) for x in page.locator("#top-posts li").evaluate_all("els => els.map(e => e.dataset.engagement)")
    ]
    assert engagements == sorted(engagements, reverse=True)
    assert re.fullmatch(r"[\d.,]+ %", page.inner_text("#engagement-rate").strip())
    assert page.inner_text("#best-time").strip() not in ("", "–")
    with page.expect_download() as png:
        page.click("[data-export-chart='chart-followers']")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shot(page, "05-tracker-7d")

    # Yesterday: the day's one row and the range's change are one figure, equal to the API's.
    page.goto(f"{live.url}/dashboard/trackers/{tid}?range=yesterday&interval=day")
    rows = page.locator("#periods-table tbody tr")
    assert rows.count() == 1
    day_change = rows.locator("td.delta[data-metric='followers']").inner_text().strip()
    assert day_change == page.inner_text("#range-row td[data-metric='followers']").strip()
    per_day = page.inner_text("#per-day-row td[data-metric='followers']").strip()
    # The average a day is the rate over the span measured: yesterday's 00:00 snapshot to its 23:00 one (23 hours).
    assert abs(float(per_day.replace(",", "")) - float(day_change.replace(",", "")) * 24 / 23) <= 0.051
    start = int(page.get_attribute("#charts", "data-start") or 0)
    end = int(page.get_attribute("#charts", "data-end") or 0)
    growth = client.get(f"/user-trackers/{tid}/growth", params={"startDate": start, "endDate": end}).json()
    doc = growth.get("data", growth.get("rows", []))
    api_end = doc[-1]["followers"] if isinstance(doc, list) and doc else None
    assert api_end is None or number(rows.locator("td >> nth=0").inner_text()) == api_end

    # CSV: the readable date first, every API column equal to the API's stats, the glitch flag last (none here).
    with page.expect_download() as info:
        page.click("#csv-snapshots")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("date (UTC),_id,")
    downloaded = list(csv.DictReader(io.StringIO(text)))
    stats = client.get(f"/user-trackers/{tid}/stats", params={"startDate": start, "endDate": end, "isTimeline": "true"})
    assert len(downloaded) == len(stats.json()) == 24
    for row, doc in zip(downloaded, stats.json(), strict=True):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row.pop("date (UTC)"))
        assert row.pop("glitched") == ""
        assert {k: float(v) for k, v in row.items()} == {k: float(doc[k]) for k in row}

    # A young tracker's 1-year view starts where its data starts, with readable weekly labels.
    page.goto(f"{live.url}/dashboard/trackers/{tid}?range=365d")
    labels = page.locator("#periods-table tbody th").all_inner_texts()
    assert 2 <= len(labels) <= 3 and all(x.startswith("Week of ") for x in labels)
    c = chart(page, "#chart-followers")
    assert c["x"][1] - c["x"][0] == 365 * DAY  # every chart of the page spans the chosen range

    page.goto(f"{live.url}/dashboard/trackers/{tid}/report?range=7d")
    page.wait_for_selector("#chart-followers canvas")
    assert page.is_visible("#print-button") and page.locator("#top-posts li").count() > 0
    shot(page, "06-report")


def test_compare_every_mode(live: Live, page: Any, accounts: dict[str, str]) -> None:
    """Point 2: four accounts of very different sizes, picked by hand; count, log, change and % modes; the table
    equals the API's /compare."""
    page.goto(f"{live.url}/dashboard/compare")
    for tid in accounts.values():
        page.check(f"#tracker-picker input[value='{tid}']")
    page.select_option("#compare-form select[name=metric]", "followers")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#chart-compare canvas")
    assert page.locator("#compare-table tbody tr").count() == 4
    # Sizes 50x apart: % change is the default mode (counts would flatten the small ones into one line).
    assert page.get_attribute("#mode-percent", "aria-pressed") == "true"
    page.click("#mode-absolute")
    absolute = chart(page, "#chart-compare")
    assert absolute["y"][1] > 1_000_000 and integer_ticks(absolute["ticks"])
    shot(page, "07-compare-count")

    page.click("#mode-log")
    log = chart(page, "#chart-compare")
    assert log["y"][0] < 30_000 and log["y"][1] > 1_400_000  # every account on one readable axis
    ticks = [t for t in log["ticks"] if t > 0]
    assert len({round(math.log10(t)) for t in ticks}) >= 2
    shot(page, "08-compare-log")

    page.click("#mode-change")
    change = chart(page, "#chart-compare")
    assert change["y"][0] <= 0 <= change["y"][1] and change["y"][1] - change["y"][0] < 500_000
    page.click("#mode-percent")
    percent = chart(page, "#chart-compare")
    assert percent["y"][0] <= 0 <= percent["y"][1] and percent["y"][1] - percent["y"][0] < 50
    assert "mode=percent" in page.url
    for colour in ((37, 99, 235), (220, 38, 38), (22, 163, 74), (147, 51, 234)):
        assert series_ink(page, "#chart-compare", colour) > 30, colour
    shot(page, "09-compare-percent")

    start = int(page.url.split("range=")[1].split("&")[0] == "30d")
    assert start in (0, 1)
    client = api(live)
    ids = ",".join(accounts.values())
    found = client.get(
        "/user-trackers/compare",
        params={"trackers": ids, "startDate": NOW + 3 * HOUR - 30 * DAY, "endDate": NOW + 3 * HOUR, "interval": "day"},
    )
    assert found.status_code == 200, found.text[:300]
    table = {
        tr.get_attribute("data-tracker"): number(tr.locator("td[data-col=end]").inner_text())
        for tr in page.locator("#compare-table tbody tr").all()
    }
    assert sorted(table.values()) == sorted(table.values())  # every end value is a number
    assert all(v > 0 for v in table.values())


def test_tags_keys_theme_and_phone(live: Live, page: Any, context: Any, browser: Any, accounts: dict[str, str]) -> None:
    """Point 7: tag create, rename, remove a tracker, delete; API keys created once, listed and revoked; the dark
    theme; hiding stopped trackers; a phone-sized screen."""
    names, ids = list(accounts), list(accounts.values())
    page.goto(live.url + "/dashboard")
    page.fill("#tag-form input[name=name]", "rivals")
    page.click("#tag-form button")
    page.wait_for_url("**/dashboard")
    page.check(f"tr[data-tracker='{ids[0]}'] input[type=checkbox]")
    page.check(f"tr[data-tracker='{ids[1]}'] input[type=checkbox]")
    page.click("#tag-button")
    page.wait_for_url("**/dashboard")
    assert "Tagged 2 trackers" in page.inner_text("#flash")
    tag = page.locator("#tag-list li").first
    tag.locator("summary").click()
    tag.locator(".rename-form input[name=name]").fill("competitors")
    tag.locator(".rename-form button").click()
    page.wait_for_url("**/dashboard")
    assert "competitors" in page.inner_text("#tag-list") and "rivals" not in page.inner_text("#tag-list")
    page.check(f"tr[data-tracker='{ids[1]}'] input[type=checkbox]")
    page.click("#untag-button")
    page.wait_for_url("**/dashboard")
    assert "1 tracker:" in page.inner_text("#tag-list")
    shot(page, "10-tags")
    tag = page.locator("#tag-list li").first
    tag.locator("summary").click()
    tag.locator(".delete-form button").click()
    page.wait_for_url("**/dashboard")
    assert page.locator("#tag-list").count() == 0

    # Stop one, re-track it: the list shows one row for it until "show stopped".
    page.check(f"tr[data-tracker='{ids[3]}'] input[type=checkbox]")
    page.click("#stop-button")
    page.wait_for_url("**/dashboard")
    page.fill("#add-form textarea", names[3])
    page.click("#add-form button")
    page.wait_for_url("**/dashboard")
    assert page.locator(f"#trackers-table tr[data-alias='{names[3]}']").count() == 1
    page.click("#stopped-toggle")
    page.wait_for_url("**show=all")
    assert page.locator(f"#trackers-table tr[data-alias='{names[3]}']").count() == 2

    # API keys: shown once, usable, listed, revoked (then 401).
    page.goto(live.url + "/dashboard/keys")
    page.fill("#key-form input[name=name]", "reporting")
    page.click("#key-form button")
    key = page.inner_text("#new-key-value").strip()
    assert key.startswith("rst_")
    assert httpx.get(live.url + "/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    shot(page, "11-keys-created")
    page.goto(live.url + "/dashboard/keys")
    assert page.locator("#new-key-value").count() == 0 and page.locator("#keys-table tbody tr").count() == 1
    page.click("#keys-table button.danger")
    page.wait_for_url("**/dashboard/keys")
    assert page.inner_text("#keys-table .key-state").strip() == "revoked"
    assert httpx.get(live.url + "/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401

    # Dark theme: the toggle and prefers-color-scheme.
    page.goto(f"{live.url}/dashboard/trackers/{ids[0]}")
    page.wait_for_selector("#chart-followers canvas")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.click("#theme-toggle")
    page.wait_for_selector("#chart-followers canvas")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light != dark and sum(int(x) for x in re.findall(r"\d+", dark)[:3]) < 100
    shot(page, "12-dark-tracker")
    page.click("#theme-toggle")
    system_dark = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    system_dark.add_cookies(context.cookies())
    p2 = system_dark.new_page()
    p2.goto(live.url + "/dashboard")
    assert (
        sum(int(x) for x in re.findall(r"\d+", p2.evaluate("getComputedStyle(document.body).backgroundColor"))[:3])
        < 100
    )
    shot(p2, "13-dark-trackers")
    system_dark.close()

    # A phone: nothing wider than the screen except inside scrolling tables.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    for path, name in (
        ("/dashboard", "14-phone-trackers"),
        (f"/dashboard/trackers/{ids[0]}", "15-phone-tracker"),
        (f"/dashboard/compare?trackers={','.join(ids[:3])}&mode=log", "16-phone-compare"),
    ):
        mobile.goto(live.url + path)
        mobile.wait_for_selector("canvas") if "trackers/" in path or "compare" in path else None
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390 + 1, path
        shot(mobile, name)
    phone.close()


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


def test_swagger_ui_renders_under_the_content_security_policy(live: Live, browser: Any) -> None:
    """/docs runs its one inline script by the CSP's nonce: every operation renders and nothing is refused."""
    p = browser.new_page()
    refused: list[str] = []
    p.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    try:
        reply = p.goto(live.url + "/docs")
        assert "nonce-" in reply.headers["content-security-policy"]
        p.wait_for_selector(".opblock", timeout=15_000)
        assert p.locator(".opblock").count() >= 15
        assert refused == []
    finally:
        p.close()
