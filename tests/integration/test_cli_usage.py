"""`roost track --no-archive`, `roost archive on|off` and `roost usage` on a fresh database against the embedded
emulator, on SQLite and PostgreSQL: what is switched, what the meter says, one-line errors."""

from __future__ import annotations

import json
import time

from roost.xsim.world import World
from tests.integration.cli_helpers import DAY, SEED
from tests.integration.collector_helpers import quiet_names
from tests.integration.test_cli_trackers import EMAIL, db, last_error, roost

__all__ = ["db"]  # the fixture, shared with test_cli_trackers


def test_archive_switch_and_usage(db: str) -> None:
    world = World(SEED)
    now = time.time()
    a, b = quiet_names(world, 2, now - DAY, now)
    assert roost("accounts", "create", EMAIL, "--trackers", "3", "--password", "pw").exit_code == 0
    assert roost("track", a).exit_code == 0
    assert roost("track", b, "--no-archive").exit_code == 0
    listed = {t["alias"]: t["archive"] for t in json.loads(roost("trackers", "--json").stdout)["trackers"]}
    assert listed == {a: True, b: False}

    switched = roost("archive", "off", a, "--json")
    assert switched.exit_code == 0, switched.output
    assert [(i["alias"], i["archive"]) for i in json.loads(switched.stdout)["ok"]] == [(a, False)]
    on = roost("archive", "on", b)
    assert on.exit_code == 0 and f"{b} (" in on.stdout and "archive on" in on.stdout
    listed = {t["alias"]: t["archive"] for t in json.loads(roost("trackers", "--json").stdout)["trackers"]}
    assert listed == {a: False, b: True}
    assert last_error(roost("archive", "maybe", a)) == "Error: the state must be on or off, not 'maybe'"
    assert (
        last_error(roost("archive", "on", "nosuchtracker"))
        == "Error: nosuchtracker: no active tracker called nosuchtracker"
    )

    # Each `track` looked its account up: one user read each, $0.01, under "lookups".
    doc = json.loads(roost("usage", "--json").stdout)
    assert doc["scope"] == "all" and doc["dollars"] == 0.02
    assert doc["kinds"] == {"lookups": {"users": 2, "posts": 0, "dollars": 0.02}}
    assert doc["endpoints"]["GET /2/users/by"]["users"] == 2
    assert {t["alias"] for t in doc["trackers"]} == {a, b}
    assert doc["xUsage"] is not None and doc["xUsage"]["meterPosts"] == 0  # the emulator serves GET /2/usage/tweets
    mine = json.loads(roost("usage", "--account", EMAIL, "--json").stdout)
    assert mine["scope"] == "account" and mine["dollars"] == 0.02 and mine["endpoints"] == {}
    table = roost("usage")
    assert table.exit_code == 0 and "(the whole bill): $0.02 charged" in table.stdout and "lookups" in table.stdout
    assert last_error(roost("usage", "--month", "2026-13")) == "Error: month: '2026-13' is not a month like 2026-12."
    assert last_error(roost("usage", "--account", "nobody@example.com")).startswith("Error: ")
