"""Each rule kind fires once on its transition and re-arms; a glitch never fires. The real collector against the
in-process emulator with scripted events, on both databases, in virtual time."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from roost.config import Settings
from roost.core.alerts import engagement_of
from roost.services import alerts
from roost.services.runtime import Runtime
from roost.store import accounts as account_store
from roost.store.alert_schema import alert_deliveries, alert_events
from roost.store.schema import tweets
from roost.xsim.world import World
from tests.integration.collector_helpers import DAY, HOUR, START, Rig, quiet_names, rig

T0 = START
BURST1, BURST2 = T0 + 100 * HOUR, T0 + 130 * HOUR
END = T0 + 140 * HOUR


def glitchy_name(world: World, start: float, end: float) -> str:
    """A catalogue account whose followers read collapsed for a few hours in [start, end), and nothing else odd."""
    for i in range(20_000):
        user_id = world.catalogue_id(i)
        e = world.events(user_id)
        if e is None or not e.exists or e.created_at > T0 - 40 * DAY:
            continue
        if e.suspensions or e.protected_from or e.deleted_at or e.rename:
            continue
        found = [g for g in world.glitches(user_id, T0 - 2 * DAY, end + DAY)]
        if len(found) == 1 and found[0].metric == "followers" and start < found[0].start < end - 12 * HOUR:
            state = world.user(user_id, start)
            if state is not None and state.status == "active" and state.followers_count > 500:
                return state.username
    raise LookupError("no glitchy account")


async def kinds_fired(r: Rig) -> Counter[tuple[str, str]]:
    async with r.engine.connect() as conn:
        rows = await conn.execute(select(alert_events.c.kind, alert_events.c.title))
        return Counter((kind, title.split(":")[0]) for kind, title in rows)


async def test_each_rule_fires_once_on_its_transition_and_rearms(database_url: str) -> None:
    async with rig(database_url, start=T0) as r:
        quiet = quiet_names(r.world, 30, T0, END)
        a = next(n for n in quiet if 2_000 < r.world.user_by_username(n, T0).followers_count < 50_000)  # type: ignore[union-attr]
        b, c, d, f = [n for n in quiet if n != a][:4]
        e = glitchy_name(r.world, T0 + 96 * HOUR, END)
        await r.track([a, b, c, d, e, f])
        runtime = Runtime(Settings(database_url=database_url, _env_file=None), r.clock, r.engine)  # type: ignore[call-arg]
        async with r.engine.connect() as conn:
            account = await account_store.get_account(conn, account_id=r.account_id)
        assert account is not None
        await alerts.add_channel(runtime, account, url="dashboard")
        a_now = r.world.user_by_username(a, T0)
        assert a_now is not None
        level = a_now.followers_count + 3000
        add = alerts.add_rule
        change = {"change": "+2000", "window": "24h"}  # far above the account's drift
        await add(runtime, account, kind="change", tracker=a, tag=None, options=change)
        await add(runtime, account, kind="threshold", tracker=a, tag=None, options={"value": level})
        await add(runtime, account, kind="unusual", tracker=a, tag=None, options={"z": 6})
        await add(runtime, account, kind="state", tracker=None, tag=None, options={})
        await add(runtime, account, kind="stale", tracker=f, tag=None, options={"hours": 3})
        # Rules the glitch would trip if glitched values counted.
        await add(runtime, account, kind="change", tracker=e, tag=None, options={"change": "-20%", "window": "24h"})
        await add(runtime, account, kind="threshold", tracker=e, tag=None, options={"value": 10, "direction": "below"})
        await add(runtime, account, kind="unusual", tracker=e, tag=None, options={})

        script = r.world.script
        ids = {n: r.world.user_by_username(n, T0).id for n in (a, b, c, d, f)}  # type: ignore[union-attr]
        script.add("burst", user_id=ids[a], at=BURST1, followers=5000, hours=2)
        script.add("burst", user_id=ids[a], at=BURST2, followers=5000, hours=2)
        script.add("suspend", user_id=ids[b], at=BURST1, until=BURST1 + 10 * HOUR)
        script.add("suspend", user_id=ids[b], at=BURST2, until=BURST2 + 5 * HOUR)
        script.add("protect", user_id=ids[c], at=BURST1)
        script.add("rename", user_id=ids[d], at=BURST1, new_name="renamed_d")
        script.add("delete", user_id=ids[f], at=BURST1)

        await r.collector().run(until=END)

        fired = await kinds_fired(r)
        assert fired == Counter({
            ("change", f"@{a}"): 2,  # each burst; re-armed when the first left the 24 h window
            ("threshold", f"@{a}"): 1,  # crossed once, then stayed above
            ("unusual", f"@{a}"): 2,  # each burst's hours, once each
            ("state", f"@{b}"): 2,  # suspended twice (re-armed when it came back)
            ("state", f"@{c}"): 1,  # protected
            ("state", f"@{d}"): 1,  # renamed
            ("state", f"@{f}"): 1,  # not found
            ("stale", f"@{f}"): 1,  # no snapshot for 3 hours
        }), fired  # fmt: skip
        async with r.engine.connect() as conn:
            titles = (await conn.execute(select(alert_events.c.title))).scalars().all()
            delivered = (await conn.execute(select(func.count()).select_from(alert_deliveries))).scalar_one()
        assert any(f"renamed: @{d}" in t.lower() or "renamed_d" in t for t in titles), titles
        assert delivered == sum(fired.values())  # one dashboard delivery per event
        shown = await alerts.notifications(runtime, account, unread=True)
        assert len(shown) == sum(fired.values())
        assert await alerts.mark_read(runtime, account, [shown[0].id]) == 1
        assert len(await alerts.notifications(runtime, account, unread=True)) == len(shown) - 1


def engagement_level(world: World, name: str, start: float, end: float) -> int:
    """A level some of the account's posts of [start, end) pass by `end` in the emulator's model: half the top one."""
    state = world.user_by_username(name, start)
    assert state is not None
    user_id = int(state.id)
    top = 0
    for index in range(world.tweet_count(user_id, end) - 1, -1, -1):
        post = world.post(user_id, index)
        if post.created_at_ms < start * 1000:
            break
        if post.kind != "retweet":
            m = world.metrics(post, end)
            top = max(top, m.like_count + m.retweet_count + m.reply_count + m.quote_count)
    return max(1, top // 2)


async def test_engagement_fires_once_per_post_that_passes_the_level(database_url: str) -> None:
    start = datetime(2026, 11, 10, tzinfo=UTC).timestamp() + 120
    async with rig(database_url, start=start) as r:
        await r.track(["GAB521"])
        level = engagement_level(r.world, "GAB521", start, start + 4 * DAY)
        runtime = Runtime(Settings(database_url=database_url, _env_file=None), r.clock, r.engine)  # type: ignore[call-arg]
        async with r.engine.connect() as conn:
            account = await account_store.get_account(conn, account_id=r.account_id)
        assert account is not None
        await alerts.add_channel(runtime, account, url="dashboard")
        await alerts.add_rule(runtime, account, kind="engagement", tracker="GAB521", tag=None, options={"value": level})
        await r.collector(timeline=True, backfill_depth=60).run(until=start + 4 * DAY)
        async with r.engine.connect() as conn:
            events = await conn.execute(select(alert_events.c.payload).where(alert_events.c.kind == "engagement"))
            details = [json.loads(p)["data"]["detail"] for (p,) in events]
            rows = await conn.execute(
                select(tweets.c.id, tweets.c.metrics, tweets.c.created_at).where(
                    tweets.c.metrics.is_not(None), tweets.c.kind != "retweet"
                )
            )
            stored = {str(i): (engagement_of(json.loads(m)), created) for i, m, created in rows}
        assert details, f"some of GAB521's posts of those days pass {level} engagements in the emulator's model"
        posts = [d["postId"] for d in details]
        assert len(posts) == len(set(posts))  # each post fires once, however often its metrics are refreshed
        new = {i for i, (e, created) in stored.items() if e >= level and created >= start}
        assert new <= set(posts)  # every post of those days that passes the level fired
        for d in details:
            assert d["engagement"] >= d["level"] == level and stored[d["postId"]][0] >= level
            assert d["url"].endswith(f"/status/{d['postId']}")
