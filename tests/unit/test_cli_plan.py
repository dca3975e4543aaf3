"""`roost plan`: its JSON and table output, and bad input as one `Error:` line with exit status 1."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner, Result

from roost.cli import app

BASE = ["plan", "--accounts", "1", "--posts-per-day", "5", "--backfill", "200", "--refresh", "1h,24h"]


def roost(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_json_prices_one_account_posting_five_a_day() -> None:
    result = roost(*BASE, "--json")
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.stdout)
    assert doc["input"] == {
        "accounts": 1,
        "postsPerDay": 5.0,
        "backfill": 200,
        "refresh": "1h,24h",
        "tokens": 1,
        "snapshotInterval": 3600,
        "postCap": None,
    }
    assert doc["perMonth"]["usd"] == "1.80" and doc["perMonth"]["usdPerAccount"] == "1.80"
    assert {k: v["usd"] for k, v in doc["perMonth"]["byKind"].items()} == {
        "snapshots": "0.30",
        "new_posts": "0.75",
        "refreshes": "0.75",
    }
    assert doc["perDay"] == {"users": 1.0, "posts": 10.0, "readsPerPost": 2.0, "usd": "0.06"}
    assert doc["startup"] == {"usd": "1.02", "usdPerAccount": "1.02", "timelineRequests": 2, "hours": 0.0}
    assert doc["postCap"]["cap"] == 2_000_000 and doc["postCap"]["fits"] is True
    assert [e["endpoint"] for e in doc["requests"]["endpoints"]] == [
        "GET /2/users",
        "GET /2/users/:id/tweets",
        "GET /2/tweets",
    ]
    assert doc["storagePerYear"]["snapshotRows"] == 8766 and doc["storagePerYear"]["postRows"] == 1826


def test_the_table_says_what_does_not_fit() -> None:
    result = roost("plan", "--accounts", "100000", "--posts-per-day", "5", "--post-cap", "15000", "--tokens", "2")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Tokens needed: 13 (does NOT fit with 2)" in out
    assert "Post cap 15,000 a month: 30,000,000 post reads a month do NOT fit" in out
    assert "$6,000.00 a day" in out and "$180,000.00" in out
    assert "Storage a year:" in out and "SQLite" in out and "PostgreSQL" in out


def test_schedules_change_the_price() -> None:
    cheap = orjson.loads(roost(*BASE[:-1], "none", "--json").stdout)
    dear = orjson.loads(roost(*BASE[:-1], "1h,24h,7d", "--json").stdout)
    assert cheap["perMonth"]["usd"] == "1.05" and dear["perMonth"]["usd"] == "2.55"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--posts-per-day", "5"], "Error: --accounts is required (see roost plan --help)"),
        (["--accounts", "10"], "Error: --posts-per-day is required (see roost plan --help)"),
        (["--accounts", "ten", "--posts-per-day", "5"], "Error: --accounts must be a whole number, not 'ten'"),
        (["--accounts", "0", "--posts-per-day", "5"], "Error: --accounts must be at least 1, not 0"),
        (["--accounts", "1", "--posts-per-day", "-2"], "Error: --posts-per-day must be a number >= 0, not -2.0"),
        (["--accounts", "1", "--posts-per-day", "1", "--tokens", "0"], "Error: --tokens must be at least 1, not 0"),
        (["--accounts", "1", "--posts-per-day", "1", "--backfill", "1.5"], "Error: --backfill must be a whole number"),
        (["--accounts", "1", "--posts-per-day", "1", "--refresh", "7d,1d"], "Error: --refresh: the refresh schedule"),
        (["--accounts", "1", "--posts-per-day", "1", "--refresh", "soon"], "Error: --refresh: 'soon' in the refresh"),
    ],
)
def test_bad_input_is_one_error_line(args: list[str], message: str) -> None:
    result = roost("plan", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
