"""A week of virtual time over the demo's four accounts with a few rules a manager would set: the alerts are the
ones a person expects from what happens in the emulator's world that week, and no others.

The week (10-17 Nov 2026, after four days of history) holds, in the world of seed 2024: tole68's follower burst
from a popular post (13 Nov, 19:00 UTC), an upstream glitch of tole68's followers (11 Nov, about 2 h at 13 % of
the count), GAB521 passing its next thousand followers; scripted on top: muc43 suspended for 6 hours (14 Nov)
and Jen1929 renamed (15 Nov). A weekly report on the four trackers (Mondays 09:00 Europe/Madrid, to the dashboard)
goes out once, on 16 Nov at 08:00 UTC, with the numbers compare shows for 9-16 Nov.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from roost.config import Settings
from roost.services import alert_reports, alerts, reports
from roost.services.demo import DEMO_ACCOUNTS, milestone
from roost.services.runtime import Runtime
from roost.store import accounts as account_store
from roost.store.alert_schema import alert_events
from tests.integration.collector_helpers import HOUR, rig


def at(day: int, hour: int = 0) -> float:
    return datetime(2026, 11, day, hour, tzinfo=UTC).timestamp()


WARM, WEEK, END = at(6), at(10), at(17)


async def test_a_week_over_the_demo_accounts_fires_what_a_person_expects(database_url: str) -> None:
    async with rig(database_url, start=WARM + 120) as r:
        tole, jen, muc, gab = DEMO_ACCOUNTS
        await r.track(list(DEMO_ACCOUNTS))
        # Four days of history first (unusual movement needs 72 hourly changes to compare with).
        await r.collector().run(until=WEEK)
        runtime = Runtime(Settings(database_url=database_url, _env_file=None), r.clock, r.engine)  # type: ignore[call-arg]
        async with r.engine.connect() as conn:
            account = await account_store.get_account(conn, account_id=r.account_id)
        assert account is not None
        board = await alerts.add_channel(runtime, account, url="dashboard")
        mark = milestone(r.world, [gab], start=WEEK, now=END)
        assert mark is not None and mark[0] == gab
        add = alerts.add_rule
        await add(runtime, account, kind="unusual", tracker=None, tag=None, options={"z": 5})
        await add(runtime, account, kind="change", tracker=None, tag=None, options={"change": "-10%", "window": "24h"})
        await add(runtime, account, kind="threshold", tracker=gab, tag=None, options={"value": mark[1]})
        await add(runtime, account, kind="state", tracker=None, tag=None, options={})
        await add(runtime, account, kind="stale", tracker=None, tag=None, options={"hours": 3})
        weekly = await alert_reports.add_report(runtime, account, every="week", at="09:00", tz="Europe/Madrid",
                                                trackers=list(DEMO_ACCOUNTS), channel=board.id)  # fmt: skip
        ids = {n: r.world.user_by_username(n, WEEK).id for n in DEMO_ACCOUNTS}  # type: ignore[union-attr]
        r.world.script.add("suspend", user_id=ids[muc], at=at(14, 6), until=at(14, 12))
        r.world.script.add("rename", user_id=ids[jen], at=at(15, 9), new_name="jen1929_new")

        await r.collector().run(until=END)

        async with r.engine.connect() as conn:
            rows = (await conn.execute(select(alert_events.c.at, alert_events.c.kind, alert_events.c.title)
                                       .order_by(alert_events.c.at, alert_events.c.kind))).all()  # fmt: skip
        got = [(datetime.fromtimestamp(t, UTC).strftime("%d %H:00"), kind, title) for t, kind, title in rows]
        crossing = next(
            t for t in range(int(WEEK), int(END), HOUR)
            if r.world.user(ids[gab], t + 120).followers_count >= mark[1]  # type: ignore[union-attr]
        )  # fmt: skip
        expected = sorted([
            ("13 20:00", "unusual", f"@{tole}"),  # the burst began at 18:59: its first full hour shows at 20:02
            (datetime.fromtimestamp(crossing, UTC).strftime("%d %H:00"), "threshold", f"@{gab}"),
            ("14 06:00", "state", f"@{muc}"),  # suspended
            ("14 08:00", "stale", f"@{muc}"),  # last snapshot in the 05:00 bucket: 3 hours without one at 08:02
            ("15 09:00", "state", f"@{jen}"),  # renamed
            ("16 08:00", "report", "Roost weekly report"),  # Monday 09:00 in Madrid (CET)
        ])  # fmt: skip
        assert sorted((when, kind, title.split(":")[0]) for when, kind, title in got) == expected, got
        titles = [title for _, _, title in got]
        assert any(f"@{jen} is now @jen1929_new" in t for t in titles) and any("is suspended" in t for t in titles)

        # The weekly report's numbers are compare's for the same period (the one change rule, glitches left out).
        sent = [n for n in await alerts.notifications(runtime, account) if n.kind == "report"]
        assert len(sent) == 1
        document = sent[0].payload["data"]["report"]
        assert (document["period"]["start"], document["period"]["end"]) == (at(9, 8), at(16, 8))
        _, results = await reports.compare(
            runtime, account, tracker_ids=weekly.tracker_ids, tag=None, start=at(9, 8), end=at(16, 8),
            interval="day", tz="Europe/Madrid",
        )  # fmt: skip
        assert [t.alias for t, _ in results] == [t["alias"] for t in document["trackers"]]
        for (_, growth), row in zip(results, document["trackers"], strict=True):
            for metric, total in growth.totals.items():
                got = row["metrics"][metric]
                assert (got["start"], got["end"], got["change"]) == (total.start, total.end, total.absolute)
        tole_row = next(t for t in document["trackers"] if t["alias"] == tole)["metrics"]["followers"]
        assert tole_row["change"] > 0  # the burst of 13 Nov is in it; the glitch of 11 Nov is not
