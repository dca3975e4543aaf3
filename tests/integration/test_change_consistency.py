"""One change rule on every surface (issue 21): the same change of the same tracker over the same period, read from
the API (growth, compare), the CLI (`roost trackers --json`, `roost growth --json`), and the dashboard (the list's
cells, the tracker page's figures, compare's table, its chart data and legend baseline), on SQLite and PostgreSQL.

The expected numbers are computed here from the planted snapshots by the rule as the README words it (value as of
the start: the last good snapshot at or before it, else the first after it; value as of the end: the last good one
at or before it; the planted glitch left out), not read from the code under test."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from roost.cli import app
from roost.core.clock import VirtualClock
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine
from tests.integration.api_helpers import Harness, harness
from tests.integration.test_api_growth import DAY, HOUR, T, put_series, tracked
from tests.integration.test_api_trackers import bearer
from tests.integration.test_dashboard import login

EMAIL = "consistent@example.com"
NOW = T + 40 * DAY - 1800  # mid-hour: every window's start falls between two snapshots
LATE = 25 * DAY  # the third tracker's history begins this long after T: its 30-day change "began later"
GLITCH = (T + 33 * DAY + 7 * HOUR, T + 33 * DAY + 9 * HOUR)  # [from, to) hours where the first account collapses


def follower_series(kind: int, hours: int) -> list[int]:
    """Hourly follower counts with uneven growth (and a decline for kind 1), different sizes per kind."""
    base = (62_000, 4_100, 900_000)[kind]
    out, value = [], base
    for k in range(hours):
        step = (k * 7919 + kind * 31) % 23 - (14 if kind == 1 else 6)
        value += step * (10 if kind == 2 else 1)
        out.append(value)
    return out


def planted() -> dict[int, tuple[list[int], list[int], set[int]]]:
    """kind -> (buckets, followers, glitched buckets)."""
    hours = 40 * 24
    found = {}
    for kind in range(3):
        first = T + (LATE if kind == 2 else 0)
        n = hours - (LATE // HOUR if kind == 2 else 0)
        buckets = [first + k * HOUR for k in range(n)]
        values = follower_series(kind, n)
        glitched = set()
        if kind == 0:
            for k, b in enumerate(buckets):
                if GLITCH[0] <= b < GLITCH[1]:
                    values[k] //= 10
                    glitched.add(b)
        found[kind] = (buckets, values, glitched)
    return found


def expected(series: tuple[list[int], list[int], set[int]], start: int, end: int) -> tuple[int, bool]:
    buckets, values, bad = series
    good = [(b, v) for b, v in zip(buckets, values, strict=True) if b not in bad]
    before = [v for b, v in good if b <= start]
    ending = [v for b, v in good if b <= end][-1]
    if before:
        return ending - before[-1], False
    return ending - next(v for b, v in good if b > start), True


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


async def fresh_token(h: Harness) -> str:
    engine = create_engine(h.database_url)
    try:
        async with engine.begin() as conn:
            found = await account_store.get_account_by_email(conn, email=EMAIL)
            assert found is not None
            token, _ = await token_store.issue_login_token(conn, account_id=found.id, now=int(h.clock.now()))
    finally:
        await engine.dispose()
    return token


async def cli(*args: str) -> Any:
    """The CLI in a thread (it runs its own event loop), as a person would call it."""
    result = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--account", EMAIL, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def custom_day(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).date().isoformat()


async def test_every_surface_shows_the_same_change(
    h: Harness, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await h.account(EMAIL)
    made = await tracked(h, token, 3)
    series = planted()
    for kind, (_, x_user_id) in enumerate(made):
        buckets, values, _ = series[kind]
        await put_series(h, x_user_id, values, start=buckets[0])
    ids = [tracker_id for tracker_id, _ in made]
    r = await h.client.get("/user-trackers/me", params={"limit": 100}, headers=bearer(token))
    alias = {d["_id"]: d["alias"] for d in r.json()["data"]}
    h.clock.set(NOW)
    token = await fresh_token(h)  # the first one expired in the 40 days

    # The CLI reads the same database, on the same (virtual) now.
    monkeypatch.setenv("ROOST_DATABASE_URL", database_url)
    for name in ("ROOST_X_BEARER_TOKEN", "ROOST_X_API_BASE", "ROOST_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("roost.services.runtime.SystemClock", lambda: VirtualClock(NOW))
    listed = {row["_id"]: row for row in (await cli("trackers"))["trackers"]}

    await login(h.client, EMAIL)
    page = (await h.client.get("/dashboard")).text
    windows = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY}
    custom = (T + 20 * DAY, T + 31 * DAY - 1)  # whole UTC days, as the dashboard's custom range picks them
    ranges = [(w, NOW - seconds, NOW) for w, seconds in windows.items()] + [("custom", *custom)]
    checked = 0
    for name, start, end in ranges:
        params = {"startDate": start, "endDate": end, "interval": "day"}
        r = await h.client.get(
            "/user-trackers/compare", params={**params, "trackers": ",".join(ids)}, headers=bearer(token)
        )
        assert r.status_code == 200, r.text
        compared = {d["_id"]: d["totals"]["followers"] for d in r.json()["trackers"]}
        legend: dict[str, Any] = {}
        cmp_page = ""
        if name != "24h":  # no such preset on the dashboard: its compare page is checked on the others
            query = (
                f"range={name}" if name != "custom" else f"start={custom_day(start)}&end={custom_day(end)}"
            ) + "&tz=UTC&metric=followers"
            cmp_page = (await h.client.get(f"/dashboard/compare?{query}&trackers={','.join(ids)}")).text
            data = re.search(r'id="page-data" type="application/json">(.*?)</script>', cmp_page, re.S)
            assert data is not None, cmp_page[-2000:]
            legend = {s["label"]: s for s in json.loads(html.unescape(data.group(1)))["chart"]["series"]}
        for kind, tracker_id in enumerate(ids):
            want, later = expected(series[kind], start, end)
            r = await h.client.get(f"/user-trackers/{tracker_id}/growth", params=params, headers=bearer(token))
            total = r.json()["totals"]["followers"]
            assert (total["absolute"], total["beganLater"]) == (want, later), (name, kind)
            assert compared[tracker_id]["absolute"] == want
            doc = await cli("growth", tracker_id, "--from", str(start), "--to", str(end), "--tz", "UTC")
            assert doc["totals"]["followers"]["absolute"] == want
            if cmp_page:
                row = re.search(rf'<tr data-tracker="{tracker_id}">.*?</tr>', cmp_page, re.S)
                assert row is not None
                cell = re.search(r'data-col="change" data-value="(-?\d*)"', row.group(0))
                assert cell is not None and int(cell.group(1)) == want, (name, kind, row.group(0))
                line = legend["@" + alias[tracker_id]]
                assert line["change"] == want
                last = next(v for v in reversed(line["values"]) if v is not None)
                assert last - line["base"] == want  # the chart's "change since start" at its last point
            if name in windows:
                got = listed[tracker_id]
                assert got["deltas"][name]["followers"] == want
                assert got["deltasComplete"][name] is (not later)
                cell = re.search(
                    rf'<tr data-tracker="{tracker_id}".*?data-window="{name}" data-value="(-?\d*)"', page, re.S
                )
                assert cell is not None
                if not later:
                    assert int(cell.group(1)) == want
                tracker_page = (await h.client.get(f"/dashboard/trackers/{tracker_id}?range=today&tz=UTC")).text
                fig = re.search(
                    rf'<tr data-window="{name}">.*?data-metric="followers" data-value="(-?\d*)"', tracker_page, re.S
                )
                assert fig is not None and int(fig.group(1)) == want  # "Last 7d" whatever range is shown
                if name != "24h":
                    shown = (await h.client.get(f"/dashboard/trackers/{tracker_id}?range={name}&tz=UTC")).text
                    ranged = re.search(r'id="range-row">.*?data-metric="followers" data-value="(-?\d*)"', shown, re.S)
                    assert ranged is not None and int(ranged.group(1)) == want
            checked += 1
    assert checked == 12
