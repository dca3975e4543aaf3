"""`roost track` and `roost stop` on a fresh database, against the embedded emulator (no X token), on SQLite and
PostgreSQL: per-alias results, the balance, `--json`, a progress bar on a terminal, one-line errors."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from roost.cli import app
from roost.xsim.testing import find_missing_username, find_user
from roost.xsim.world import World
from tests.integration.cli_helpers import DAY, SEED
from tests.integration.collector_helpers import quiet_names

EMAIL = "ana@example.com"


@pytest.fixture
def db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test database as ROOST_DATABASE_URL; no X token, so `track` resolves names with the emulator."""
    for name in ("ROOST_X_BEARER_TOKEN", "ROOST_X_API_BASE", "ROOST_ACCOUNT", "ROOST_XSIM_SEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROOST_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return database_url


def roost(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def last_error(result: Result) -> str:
    """The error line (the emulator's notice that its data is simulated may come before it)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines and lines[-1].startswith("Error: ")
    assert all(not line.startswith("Error") for line in lines[:-1])
    return lines[-1]


def codes(doc: dict[str, Any]) -> dict[str, str]:
    return {e["alias"]: e["code"] for e in doc["errors"]}


def test_track_then_stop(db: str) -> None:
    world = World(SEED)
    now = time.time()
    a, b, c = quiet_names(world, 3, now - DAY, now)
    missing = find_missing_username(world, now)
    suspended = find_user(world, now, status="suspended").username
    assert roost("accounts", "create", EMAIL, "--trackers", "2", "--password", "pw").exit_code == 0

    result = roost("track", a, f"@{b}", missing, suspended, a.upper(), "bad name!", c, "--json")
    assert last_error(result) == "Error: 5 of 7 aliases were not tracked"
    doc = json.loads(result.stdout)
    assert [item["alias"] for item in doc["ok"]] == [a, b] and doc["balance"] == {"total": 2, "balance": 0}
    assert codes(doc) == {
        missing: "user_not_found",
        suspended: "user_suspended",
        a.upper(): "duplicate_in_request",
        "bad name!": "invalid_alias",
        c: "no_balance",
    }
    ids = {item["alias"]: item["resourceId"] for item in doc["ok"]}

    listed = json.loads(roost("trackers", "--json").stdout)  # the only account: no --account needed
    assert {t["_id"]: t["status"] for t in listed["trackers"]} == {ids[a]: "active", ids[b]: "active"}
    assert all(t["lastSnapshot"] is not None for t in listed["trackers"])  # the lookup is the first snapshot

    again = roost("track", a)
    assert last_error(again) == "Error: 1 of 1 aliases were not tracked"
    assert "already_tracking" in again.stdout and "Tracked 0 of 1: 0 of 2 tracker slots free." in again.stdout

    stopped = roost("stop", a, ids[b], "nosuchtracker", "--json")
    assert last_error(stopped) == "Error: 1 of 3 trackers were not stopped"
    doc = json.loads(stopped.stdout)
    assert [(i["ref"], i["resourceId"]) for i in doc["ok"]] == [(a, ids[a]), (ids[b], ids[b])]
    assert doc["errors"] == [{"ref": "nosuchtracker", "code": "not_found", "message": "No such tracker."}]
    assert doc["balance"] == {"total": 2, "balance": 2}
    twice = roost("stop", a.upper())
    assert last_error(twice) == "Error: 1 of 1 trackers were not stopped" and "already_stopped" in twice.stdout

    retrack = roost("track", a)  # a stopped tracker is never restarted: a new one is made
    assert retrack.exit_code == 0, retrack.output
    assert "Tracked 1 of 1: 1 of 2 tracker slots free." in retrack.stdout
    listed = json.loads(roost("trackers", "--json").stdout)["trackers"]
    assert sorted(t["status"] for t in listed if t["alias"] == a) == ["active", "stopped"]
    done = roost("stop", a)
    assert done.exit_code == 0 and "Stopped 1 of 1: 2 of 2 tracker slots free." in done.stdout


def test_a_progress_bar_on_a_terminal_and_clean_json(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(SEED)
    now = time.time()
    names = quiet_names(world, 3, now - DAY, now)
    assert roost("accounts", "create", EMAIL, "--trackers", "5", "--password", "pw").exit_code == 0
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws the bar only on a terminal; this makes stderr one
    result = roost("track", *names, "--json")
    assert result.exit_code == 0, result.output
    assert "3/3" in result.stderr  # the bar's last state, on stderr
    assert [item["alias"] for item in json.loads(result.stdout)["ok"]] == names  # stdout is only the JSON


def test_no_account_yet(db: str) -> None:
    for args in (["trackers"], ["track", "osasuna"], ["stop", "osasuna"], ["stats", "osasuna"]):
        result = roost(*args)
        assert last_error(result).startswith("Error: no accounts yet: create one with `roost accounts create")
        assert result.stdout == ""


def test_commands_have_help() -> None:
    for command in ("trackers", "track", "stop", "stats", "growth", "export"):
        result = roost(command, "--help")
        assert result.exit_code == 0 and "--account" in result.stdout and "e.g." in result.stdout.lower(), command
