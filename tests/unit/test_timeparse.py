"""Dates as typed on the command line."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from roost.core.timeparse import DAY, parse_range, parse_when

NOW = 1_795_000_000  # 2026-11-18T11:06:40Z
MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("now", NOW),
        ("1700000000", 1_700_000_000),
        ("7d", NOW - 7 * DAY),
        ("24h", NOW - 86400),
        ("30m", NOW - 1800),
        ("90s", NOW - 90),
        ("2w", NOW - 14 * DAY),
        (" 7D ", NOW - 7 * DAY),
        ("2026-11-01", 1_793_491_200),
        ("2026-11-01T10:00:00Z", 1_793_527_200),
        ("2026-11-01T10:00:00+01:00", 1_793_523_600),
        ("2026-11-01T10:00", 1_793_527_200),  # no offset: the zone given (UTC)
    ],
)
def test_accepted_forms(text: str, want: int) -> None:
    assert parse_when(text, now=NOW) == want


def test_a_bare_date_is_read_in_the_zone_and_means_its_end_at_the_end() -> None:
    assert parse_when("2026-11-01", now=NOW, end=True) == 1_793_491_200 + DAY - 1
    assert parse_when("2026-11-01", now=NOW, tz=MADRID) == 1_793_491_200 - 3600  # CET is UTC+1
    assert parse_when("2026-03-29", now=NOW, tz=MADRID, end=True) == 1_774_821_600 - 1  # a 23-hour day
    assert parse_when("2026-11-01T10:00:00Z", now=NOW, tz=MADRID) == 1_793_527_200  # an offset wins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty date"),
        ("yesterday-ish", "is not a date: use unix seconds, YYYY-MM-DD, RFC 3339 or 7d / 24h / now"),
        ("2026-13-01", "is not a calendar date"),
        ("1795000000000", "milliseconds"),
        ("7y", "is not a date"),
        ("-7d", "is not a date"),
    ],
)
def test_refused_forms_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_when(text, now=NOW)


def test_range_defaults_to_the_last_seven_days() -> None:
    assert parse_range(None, None, now=NOW) == (NOW - 7 * DAY, NOW)
    assert parse_range("24h", None, now=NOW) == (NOW - DAY, NOW)
    assert parse_range(None, "1d", now=NOW) == (NOW - 8 * DAY, NOW - DAY)  # seven days up to --to
    assert parse_range("2026-11-01", "2026-11-07", now=NOW) == (1_793_491_200, 1_793_491_200 + 7 * DAY - 1)
    assert parse_range("2026-11-01", "2026-11-01", now=NOW) == (1_793_491_200, 1_793_491_200 + DAY - 1)


def test_range_errors_name_the_option() -> None:
    with pytest.raises(ValueError, match=r"^--from: 'soon' is not a date"):
        parse_range("soon", None, now=NOW)
    with pytest.raises(ValueError, match=r"^--to: "):
        parse_range(None, "2026-02-30", now=NOW)
    with pytest.raises(ValueError, match=r"^--from \(2026-11-18T11:06:40Z\) is after --to \(2026-11-17T11:06:40Z\)$"):
        parse_range("now", "1d", now=NOW)
