"""Dashboard benchmark (issue 6): the tracker page showing one year of hourly data for one tracker, in Chromium.

A real server (uvicorn, SQLite file, the emulator upstream) holds one tracker with 8,760 hourly snapshots. The
snapshots are the emulator world's counts at each hour, written straight to the store: the same values the
collector would fetch, without spending minutes of virtual collection. Then headless Chromium (Debian's, through
Playwright) loads `/dashboard/trackers/{id}?range=365d` repeatedly and we time, from navigation start:
- the HTML (server: read 8,760 snapshots, growth rows, deltas, render; the page embeds the series as JSON);
- the four uPlot charts drawn (`window.roostChartsDrawn`, set after the last chart), which is the goal: < 1 s;
- the `load` event.
Also with `interval=hour`, where the server computes 8,760 growth rows (the table shows the newest 400).

Run: .venv/bin/python -m bench.bench_dashboard [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from roost.core.domain import Snapshot
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine, transaction
from tests.e2e.live import DAY, EMAIL, HOUR, NOW, PASSWORD, live_server, quiet_names, run_async

YEAR_HOURS = 8760
CHROMIUM = "/usr/bin/chromium"


async def fill_year(database_url: str, world: Any, username: str, start: int) -> int:
    """8,760 hourly snapshots of the user, from the world's counts at each hour."""
    user = world.user_by_username(username, start)
    rows = []
    for k in range(YEAR_HOURS):
        t = start + k * HOUR
        state = world.user(user.id, t)
        rows.append(
            Snapshot(
                x_user_id=user.id,
                bucket=t,
                tweets=state.tweet_count,
                followers=state.followers_count,
                following=state.following_count,
                lists=state.listed_count,
                created_at=t + 60,
                updated_at=t + 60,
            )
        )
    engine = create_engine(database_url)
    try:
        async with transaction(engine) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=rows)
    finally:
        await engine.dispose()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    start = NOW - NOW % HOUR - YEAR_HOURS * HOUR
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp), start=start - 60) as live:
        [name] = quiet_names(live.world, 1, start - DAY)
        [tracker] = live.track([name])
        count = run_async(fill_year(live.database_url, live.world, name, start))
        live.clock.set(NOW)
        print(f"tracker @{name}: {count} hourly snapshots over a year")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(live.url + "/dashboard/login")
            page.fill("input[name=email]", EMAIL)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard")
            for label, query in (
                ("1 year, weekly rows", "range=365d"),
                ("1 year, hourly rows", "range=365d&interval=hour"),
            ):
                timings: list[tuple[float, float, float, int]] = []
                for _ in range(args.repeat + 1):  # the first load warms caches and is left out
                    page.goto(f"{live.url}/dashboard/trackers/{tracker}?{query}")
                    page.wait_for_function("window.roostChartsDrawn !== undefined")
                    page.wait_for_load_state("load")
                    nav = page.evaluate(
                        """() => { const n = performance.getEntriesByType('navigation')[0];
                                   const plot = document.querySelector('#chart-followers .plot');
                                   return [n.responseEnd, window.roostChartsDrawn, n.loadEventEnd,
                                           Number(plot.dataset.points)]; }"""
                    )
                    timings.append((nav[0], nav[1], nav[2], nav[3]))
                kept = timings[1:]
                points = kept[0][3]
                html, drawn, load = (statistics.median(t[i] for t in kept) for i in range(3))
                worst = max(t[1] for t in kept)
                print(
                    f"{label}: {points} points a chart; median HTML {html:.0f} ms, charts drawn {drawn:.0f} ms "
                    f"(worst {worst:.0f} ms), load {load:.0f} ms; over {len(kept)} loads"
                )
            browser.close()


if __name__ == "__main__":
    main()
