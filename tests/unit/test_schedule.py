"""Scheduled reports' calendar (roost.core.schedule) and their files (roost.core.reportfiles, core.pngchart)."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

import pytest

from roost.core import reportfiles
from roost.core import schedule as sched
from roost.core.alerts import Rule, RuleError, evaluate_budget, parse_share


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp())


def test_weekly_due_times_follow_the_local_clock_across_dst() -> None:
    s = sched.make("week", "09:00", "Europe/Madrid", weekday="mon")
    t, dues = utc(2026, 10, 14), []
    for _ in range(3):
        t = sched.next_due(s, t)
        dues.append(t)
    assert dues == [utc(2026, 10, 19, 7), utc(2026, 10, 26, 8), utc(2026, 11, 2, 8)]  # CEST, then CET
    assert sched.period(s, dues[1]) == (dues[0], dues[1])  # 7 days and one hour of wall time
    assert sched.last_due(s, dues[1]) == dues[1] and sched.last_due(s, dues[1] - 1) == dues[0]
    assert sched.next_due(s, dues[1]) == dues[2]  # strictly after
    ny = sched.make("week", "18:30", "America/New_York", weekday="sun")
    assert sched.next_due(ny, utc(2026, 3, 1)) == utc(2026, 3, 1, 23, 30)  # Sunday 1 Mar, EST
    assert sched.next_due(ny, utc(2026, 3, 1, 23, 30)) == utc(2026, 3, 8, 22, 30)  # EDT since that morning


def test_gaps_folds_and_month_ends() -> None:
    gap = sched.make("week", "02:30", "Europe/Madrid", weekday="sun")  # 29 Mar 2026: 02:00 -> 03:00
    assert sched.next_due(gap, utc(2026, 3, 28)) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    fold = sched.make("week", "02:30", "Europe/Madrid", weekday="sun")  # 25 Oct 2026: 02:00-03:00 twice
    assert sched.next_due(fold, utc(2026, 10, 24)) == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    monthly = sched.make("month", "23:00", "Asia/Tokyo", day=31)
    t, dues = utc(2026, 1, 1), []
    for _ in range(4):
        t = sched.next_due(monthly, t)
        dues.append(datetime.fromtimestamp(t, UTC).strftime("%m-%d %H"))
    assert dues == ["01-31 14", "02-28 14", "03-31 14", "04-30 14"]
    assert sched.period(monthly, utc(2026, 2, 28, 14)) == (utc(2026, 1, 31, 14), utc(2026, 2, 28, 14))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("day", "09:00", "UTC"), "every"),
        (("week", "9", "UTC"), "at"),
        (("week", "24:00", "UTC"), "at"),
        (("week", "09:60", "UTC"), "at"),
        (("week", "09:00", "Nowhere/City"), "tz"),
        (("week", "09:00", ""), "tz"),
        (("week", "09:00", "../../etc/passwd"), "tz"),
    ],
)
def test_bad_schedules_name_the_field(args: tuple[str, str, str], field: str) -> None:
    with pytest.raises(sched.ScheduleError) as refused:
        sched.make(*args)
    assert refused.value.field == field


def test_weekday_and_day_go_with_their_kind() -> None:
    with pytest.raises(sched.ScheduleError, match="weekday"):
        sched.make("week", "09:00", "UTC", weekday="funday")
    with pytest.raises(sched.ScheduleError) as refused:
        sched.make("month", "09:00", "UTC", day=0)
    assert refused.value.field == "day"
    with pytest.raises(sched.ScheduleError):
        sched.make("month", "09:00", "UTC", weekday="mon")
    assert sched.make("week", "9:05", "UTC", weekday="Friday").describe() == "every Fri at 09:05 (UTC)"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, tag = struct.unpack(">I4s", data[8:16])
    assert tag == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    crc = struct.unpack(">I", data[29:33])[0]
    assert crc == zlib.crc32(data[12:29]) & 0xFFFFFFFF
    return width, height


DOC = {
    "id": "r1", "every": "week", "schedule": "every Mon at 09:00 (Europe/Madrid)",
    "period": {"start": utc(2026, 10, 19, 7), "end": utc(2026, 10, 26, 8), "tz": "Europe/Madrid"},
    "trackers": [{"id": "t1", "alias": "tole68", "metrics": {
        "followers": {"start": 1000, "end": 1100, "change": 100, "percent": 10.0, "beganLater": False},
        "following": {"start": 5, "end": 5, "change": 0, "percent": 0.0, "beganLater": False},
        "tweets": {"start": None, "end": None, "change": None, "percent": None, "beganLater": False},
        "lists": {"start": 0, "end": 1, "change": 1, "percent": None, "beganLater": True}}}],
    "topPosts": [{"id": "9", "alias": "tole68", "engagement": 1234, "createdAt": utc(2026, 10, 20),
                  "text": "hello, \"world\"", "url": "https://x.com/tole68/status/9"}],
    "chart": [{"alias": "tole68", "points": [[utc(2026, 10, 20), 1000], [utc(2026, 10, 21), 1050],
                                             [utc(2026, 10, 22), 1100]]}],
}  # fmt: skip


def test_report_files() -> None:
    assert _png_size(reportfiles.png_bytes(DOC)) == (800, 420)
    table = reportfiles.csv_text(DOC)
    assert table.startswith("\ufeffperiod start,period end,time zone\n2026-10-19 09:00,2026-10-26 09:00,Europe/Madrid")
    assert "tole68,followers,1000,1100,100,10.0,\n" in table and "tole68,lists,0,1,1,,yes\n" in table
    assert '1,tole68,1234,2026-10-20 02:00,https://x.com/tole68/status/9,"hello, ""world"""' in table
    text = reportfiles.text(DOC)
    assert "@tole68 (since tracking began): followers 1,000 -> 1,100 +100 (+10.00%)" in text
    assert "1. @tole68 1,234 engagements https://x.com/tole68/status/9" in text
    assert reportfiles.file_name(DOC, "png") == "roost-report-2026-10-26.png"


def test_budget_rule() -> None:
    rule = Rule.from_params("budget", {"share": parse_share("80%")})
    assert evaluate_budget(rule, 7.99, 10.0).holds is False
    assert evaluate_budget(rule, 8.0, 10.0).holds is True
    assert evaluate_budget(rule, 8.0, None).holds is None  # no budget set: nothing to pass
    cap = Rule.from_params("budget", {"share": 50.0, "limit": "cap"})
    assert "post reads 600 passed 50% of the 1,000 post cap (60%)" in evaluate_budget(cap, 600, 1000).summary
    with pytest.raises(RuleError):
        parse_share("0%")
    with pytest.raises(RuleError):
        Rule.from_params("budget", {"share": 80.0, "limit": "credits"})
