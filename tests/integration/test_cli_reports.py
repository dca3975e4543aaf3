"""`roost trackers`, `roost stats`, `roost growth`, `roost export` over history the collector produced against
the emulator (tests/integration/cli_helpers.py), on SQLite and PostgreSQL; JSON checked against the API's."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from roost.cli import app
from roost.config import Settings
from roost.core.clock import SystemClock
from roost.main import create_app
from roost.schemas import GROWTH_CSV as CSV_HEADER
from roost.schemas.stats import STATS_FIELDS
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine
from tests.conftest import BACKENDS, _drop_pg_database, _MigratedTemplates
from tests.integration.cli_helpers import DAY, HOUR, PAST, RECENT, History, build


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _migrated_templates: _MigratedTemplates
) -> Iterator[History]:
    """One database per backend for the whole module: the history is read, never changed, by these tests."""
    if request.param == "sqlite":
        yield build(asyncio.run(_migrated_templates.sqlite_copy(tmp_path_factory.mktemp("cli") / "roost.db")))
        return
    plain = asyncio.run(_migrated_templates.postgres_copy())
    try:
        yield build(plain.replace("postgresql://", "postgresql+asyncpg://", 1))
    finally:
        asyncio.run(_drop_pg_database(plain))


@pytest.fixture
def h(history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    """The history's database as ROOST_DATABASE_URL, in a clean environment (no .env, no X token)."""
    for name in ("ROOST_X_BEARER_TOKEN", "ROOST_X_API_BASE", "ROOST_ACCOUNT", "ROOST_SNAPSHOT_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROOST_DATABASE_URL", history.url)
    monkeypatch.chdir(tmp_path)
    return history


def roost(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok_json(*args: str) -> Any:
    result = roost(*args, "--json") if args[0] not in ("export",) else roost(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fails_with(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stdout == ""


async def _api(url: str, email: str, paths: list[str]) -> list[Any]:
    """The API's answers to `paths` for the account with `email`, on the same database."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            account = await account_store.get_account_by_email(conn, email=email)
            assert account is not None
            token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=int(SystemClock().now()))
    finally:
        await engine.dispose()
    api = create_app(Settings(database_url=url, _env_file=None), migrate=False)  # type: ignore[call-arg]
    answers = []
    async with api.router.lifespan_context(api):
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://roost.test") as client:
            for path in paths:
                reply = await client.get(path, headers={"Authorization": f"Bearer {token}"})
                assert reply.status_code == 200, reply.text
                answers.append(reply.text if "format=csv" in path else reply.json())
    return answers


def api(h: History, email: str, *paths: str) -> list[Any]:
    return asyncio.run(_api(h.url, email, list(paths)))


def test_trackers_lists_counts_deltas_and_balance(h: History) -> None:
    doc = ok_json("trackers", "--account", RECENT)
    assert doc["account"] == RECENT and doc["balance"] == {"total": 5, "balance": 4}
    by_alias = {t["alias"]: t for t in doc["trackers"]}
    steady, stopped = by_alias[h.steady], by_alias[h.stopped]
    assert [t["createdAt"] for t in doc["trackers"]] == sorted((t["createdAt"] for t in doc["trackers"]), reverse=True)
    assert steady["status"] == "active" and stopped["status"] == "stopped" and stopped["stoppedAt"] == h.stopped_at
    (listed,) = api(h, RECENT, "/user-trackers/me")
    api_docs = {t["_id"]: t for t in listed["data"]}
    for t in doc["trackers"]:  # the API's tracker document, plus the deltas
        assert {k: v for k, v in t.items() if k not in ("deltas", "deltasComplete")} == api_docs[t["_id"]]
    # The 24h delta is the newest snapshot minus the one 24 hours before it.
    series = ok_json("stats", h.steady, "--timeline", "--account", RECENT)
    by_bucket = {s["_id"]: s for s in series}
    newest = series[-1]
    assert steady["deltas"]["24h"]["followers"] == newest["followers"] - by_bucket[newest["_id"] - DAY]["followers"]
    assert steady["deltasComplete"] == {"24h": True, "7d": False, "30d": False}
    assert stopped["lastSnapshot"]["_id"] <= h.stopped_at  # read inside its life

    table = roost("trackers", "--account", RECENT)
    assert table.exit_code == 0, table.output
    assert f"Trackers of {RECENT}: 4 of 5 tracker slots free." in table.stdout
    line = next(row for row in table.stdout.splitlines() if f"@{h.steady}" in row)
    assert "active" in line and f"{newest['followers']:,}" in line and h.steady_id in line
    assert "* less history than the window" in table.stdout

    assert ok_json("trackers", "--account", RECENT, "--status", "stopped")["trackers"] == [stopped]


def test_the_account_to_act_for(h: History, monkeypatch: pytest.MonkeyPatch) -> None:
    fails_with(roost("trackers"), f"2 accounts exist ({PAST}, {RECENT}): choose one with --account EMAIL")
    fails_with(roost("trackers", "--account", "nobody@example.com"), "no account with email nobody@example.com")
    monkeypatch.setenv("ROOST_ACCOUNT", PAST)
    assert [t["alias"] for t in ok_json("trackers")["trackers"]] == [h.glitchy]


def test_stats_two_point_and_timeline_match_the_api(h: History) -> None:
    start, end = h.now - 36 * HOUR, h.now - 6 * HOUR
    two = ok_json("stats", h.steady, "--from", str(start), "--to", str(end), "--account", RECENT)
    timeline = ok_json("stats", h.steady_id, "--from", str(start), "--to", str(end), "--timeline", "--account", RECENT)
    eight = [{k: doc[k] for k, _ in STATS_FIELDS} for doc in (timeline[0], timeline[-1])]  # timelines add activity
    assert len(two) == 2 and two == eight
    assert len(timeline) == 30 and [s["_id"] for s in timeline] == sorted(s["_id"] for s in timeline)
    assert timeline[0]["_id"] >= start and timeline[-1]["_id"] <= end
    query = f"startDate={start}&endDate={end}"
    api_two, api_timeline = api(
        h,
        RECENT,
        f"/user-trackers/{h.steady_id}/stats?{query}",
        f"/user-trackers/{h.steady_id}/stats?{query}&isTimeline=true",
    )
    assert two == api_two and timeline == api_timeline

    everything = ok_json("stats", h.steady, "--timeline", "--account", RECENT)  # the last 7 days: all of it
    assert everything[0]["_id"] <= h.now - 47 * HOUR and everything[-1]["_id"] >= h.now - HOUR
    default = ok_json("stats", f"@{h.steady.upper()}", "--account", RECENT)
    assert default == [{k: doc[k] for k, _ in STATS_FIELDS} for doc in (everything[0], everything[-1])]

    table = roost("stats", h.steady, "--from", str(start), "--to", str(end), "--account", RECENT)
    assert table.exit_code == 0, table.output
    change = next(line for line in table.stdout.splitlines() if "change" in line)
    assert f"{two[1]['followers'] - two[0]['followers']:+,}" in change or two[1]["followers"] == two[0]["followers"]


def test_stats_of_a_stopped_tracker_stay_inside_its_life(h: History) -> None:
    series = ok_json("stats", h.stopped, "--timeline", "--account", RECENT)
    assert series and series[-1]["_id"] <= h.stopped_at
    assert ok_json("stats", h.stopped, "--from", "6h", "--account", RECENT) == []
    empty = roost("stats", h.stopped, "--from", "6h", "--account", RECENT)
    assert empty.exit_code == 0 and f"No snapshots of @{h.stopped} between" in empty.stdout


def test_growth_flags_the_glitch_and_matches_the_api(h: History) -> None:
    start, end = int(h.glitch[0] - 12 * HOUR), int(h.glitch[1] + 12 * HOUR)  # over a day: glitches last 1-3 h
    args = ("growth", h.glitchy, "--from", str(start), "--to", str(end), "--account", PAST)
    doc = ok_json(*args, "--interval", "hour")
    assert doc["interval"] == "hour" and doc["tz"] == "UTC" and doc["_id"] == h.glitchy_id
    flagged = [g for g in doc["glitches"] if g["metric"] == "followers"]
    assert flagged and all(h.glitch[0] - HOUR <= g["_id"] < h.glitch[1] for g in flagged)
    changes = [r["followersChange"] for r in doc["rows"] if r["followersChange"] is not None]
    totals = doc["totals"]["followers"]
    assert sum(changes) == totals["absolute"] == totals["end"] - totals["start"]
    assert max(abs(c) for c in changes) < 0.05 * totals["start"]  # the collapse makes no absurd delta
    assert totals["projection30d"] is not None and isinstance(totals["avgDaily"], float)
    (api_doc,) = api(h, PAST, f"/user-trackers/{h.glitchy_id}/growth?startDate={start}&endDate={end}&interval=hour")
    assert doc == api_doc

    madrid = ok_json(*args, "--tz", "Europe/Madrid")
    assert madrid["tz"] == "Europe/Madrid" and madrid["rows"][0]["label"].count("-") == 2

    table = roost(*args, "--interval", "day")
    assert table.exit_code == 0, table.output
    assert f"@{h.glitchy}: growth per day (UTC)" in table.stdout and "IN 30 DAYS" in table.stdout
    assert f"{len(flagged)} followers value(s) flagged as upstream glitches" in table.stdout


def test_export_csv_and_json(h: History, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(roost("export", h.steady, "--account", RECENT).stdout)))
    series = ok_json("stats", h.steady, "--timeline", "--account", RECENT)
    assert rows[0] == [
        "_id",
        "tweets",
        "followers",
        "following",
        "lists",
        "followersFollowing",
        "createdAt",
        "updatedAt",
    ]
    assert [int(r[0]) for r in rows[1:]] == [s["_id"] for s in series]
    assert [int(r[2]) for r in rows[1:]] == [s["followers"] for s in series]

    out = tmp_path / "growth.csv"
    done = roost("export", h.steady, "--what", "growth", "--from", "2d", "-o", str(out), "--account", RECENT)
    assert done.exit_code == 0 and done.stdout.startswith("Wrote ") and str(out) in done.stdout
    growth_rows = list(csv.reader(out.open(newline="")))
    assert growth_rows[0] == CSV_HEADER and len(growth_rows) in (4, 5)  # 3 or 4 days touched by 48 hours

    start, end = h.now - 2 * DAY, h.now
    posts = ok_json(
        "export",
        h.steady,
        "--what",
        "tweets",
        "--format",
        "json",
        "--from",
        str(start),
        "--to",
        str(end),
        "--account",
        RECENT,
    )
    tweets_csv = roost(
        "export", h.steady, "--what", "tweets", "--from", str(start), "--to", str(end), "--account", RECENT
    ).stdout_bytes.decode()  # RFC 4180 line ends, as the API's
    (page, api_csv) = api(
        h, RECENT,
        f"/user-trackers/{h.steady_id}/tweets?startDate={start}&endDate={end}&limit=1000",
        f"/user-trackers/{h.steady_id}/tweets?startDate={start}&endDate={end}&limit=1000&format=csv",
    )  # fmt: skip
    assert posts == page["data"] and page["pagination"]["total"] == len(posts)
    assert tweets_csv == api_csv


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stats", "nosuchalias"], f"{RECENT} has no tracker called nosuchalias (see `roost trackers`)"),
        (["stats", "not an alias!"], "'not an alias!' is neither a tracker id nor an X screen name"),
        (["stats", "x", "--from", "last tuesday"], "--from: 'last tuesday' is not a date"),
        (["stats", "x", "--from", "now", "--to", "1d"], "is after --to"),
        (["growth", "x", "--interval", "year"], "--interval: interval must be one of hour, day, week, month"),
        (["growth", "x", "--tz", "Mars/Olympus"], "--tz: 'Mars/Olympus' is not an IANA time zone name"),
        (["growth", "x", "--from", "3000d", "--interval", "hour"], "use a longer --interval"),
        (["export", "x", "--format", "xml"], "--format must be csv or json"),
        (["export", "x", "--what", "likes"], "--what must be one of stats, growth, tweets"),
        (["export", "x", "-o", "/nonexistent-dir/x.csv"], "cannot write /nonexistent-dir/x.csv"),
        (["trackers", "--status", "paused"], "--status must be active or stopped"),
    ],
)
def test_errors_are_one_line(h: History, args: list[str], message: str) -> None:
    args = [h.steady if a == "x" else a for a in args]
    fails_with(roost(*args, "--account", RECENT), message)


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROOST_DATABASE_URL", "postgresql+asyncpg://roost:s3cret@127.0.0.1:1/roost")
    result = roost("trackers")
    fails_with(result, "cannot use the database postgresql+asyncpg://roost:***@127.0.0.1:1/roost")
    assert "s3cret" not in result.stderr
