"""The collector's alert hook: evaluate the rules a lookup (or a metrics refresh) can change, in the transaction
that writes it, so an event commits with the snapshot that caused it or not at all.

Called before the lookup's own writes (it needs the screen name and state as they were). With no rule on the
looked-up users it costs one query. The rules themselves are pure (roost.core.alerts); the store keeps their
states and writes each event with its outbox rows (roost.store.alerts).
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core import alerts as rules
from roost.core.analytics import Series
from roost.core.domain import Snapshot
from roost.store import alerts as store
from roost.store import snapshots as snapshot_store
from roost.store.schema import tweets
from roost.xapi.models import XUser

SERIES_KINDS = ("change", "threshold", "unusual")


def payload(target: store.Target, *, at: int, title: str, verdict: rules.Verdict, kind: str) -> dict[str, Any]:
    """The document every channel receives (Standard Webhooks' recommended shape: type, timestamp, data)."""
    return {
        "type": f"alert.{kind}",
        "timestamp": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "title": title,
            "summary": verdict.summary,
            "rule": {"id": target.rule_id, "kind": target.kind, "params": target.params},
            "tracker": {"id": target.tracker_id, "alias": target.alias},
            "xUserId": str(target.x_user_id),
            "at": at,
            "detail": verdict.detail,
        },
    }


async def _fire(conn: AsyncConnection, target: store.Target, verdict: rules.Verdict, *, now: int, kind: str) -> None:
    title = f"@{target.alias}: {verdict.summary}"
    await store.add_event(
        conn, account_id=target.account_id, rule_id=target.rule_id, kind=kind, x_user_id=target.x_user_id,
        tracker_id=target.tracker_id, at=now, title=title,
        payload=payload(target, at=now, title=title, verdict=verdict, kind=kind), now=now,
    )  # fmt: skip


@dataclass
class _States:
    """The rule states one evaluation pass reads and writes: (firing, note) per (rule id, subject) as stored, the
    state rows the pass owes the store, and how many events it fired."""

    stored: dict[tuple[str, str], tuple[bool, str | None]]
    writes: list[tuple[str, str, bool, str | None]] = field(default_factory=list)
    fired: int = 0

    def firing(self, key: tuple[str, str]) -> bool:
        """Whether the rule's condition held for the subject at its last evaluation (False: never evaluated)."""
        return self.stored.get(key, (False, None))[0]

    async def step(
        self,
        conn: AsyncConnection,
        target: store.Target,
        key: tuple[str, str],
        verdict: rules.Verdict,
        *,
        firing: bool,
        now: int,
        kind: str,
    ) -> None:
        """Move (rule, subject) on from `firing` by `verdict`: an event on the transition to true, and a state row
        owed when the outcome differs from the stored state (or none is stored)."""
        fire, firing_after = rules.step(firing, verdict)
        if fire:
            await _fire(conn, target, verdict, now=now, kind=kind)
            self.fired += 1
        if key not in self.stored or self.stored[key][0] != firing_after:
            self.writes.append((*key, firing_after, None))

    async def save(self, conn: AsyncConnection, *, now: int) -> int:
        """Write the state rows owed; returns how many events the pass fired."""
        await store.put_states(conn, rows=self.writes, now=now)
        return self.fired


async def _series(conn: AsyncConnection, x_user_id: int, span: int, new: Snapshot | None, now: int) -> Series:
    """The user's snapshots of the last `span` seconds, with this lookup's (not yet written) one at the end."""
    # One plain statement, rows as columns (inside the lookup's transaction: it has written already, so the read
    # runs in it on both databases; this lookup's own row is replaced by `new` below either way).
    found = await snapshot_store.series_range(conn, x_user_id=x_user_id, start=now - span, end=now, lo=0, hi=None)
    if new is None:
        return found
    keep = bisect_left(found.buckets, new.bucket)  # the snapshots before this lookup's bucket, then its own
    return Series(
        buckets=[*found.buckets[:keep], new.bucket],
        values={m: [*v[:keep], getattr(new, m)] for m, v in found.values.items()},
    )


def _span(rule: rules.Rule) -> int:
    if rule.kind == "change":
        return rule.window + 2 * rules.DAY
    if rule.kind == "unusual":
        return rules.HISTORY + 2 * rules.DAY
    return 2 * rules.DAY


async def on_lookup(
    conn: AsyncConnection,
    *,
    snapshots: Sequence[Snapshot],
    users: Sequence[XUser],
    problems: Iterable[tuple[int, str]],
    now: int,
) -> int:
    """Evaluate the rules on these users after a lookup: `snapshots` and `users` it found, `problems` (user id,
    state) it could not read. Returns how many events fired."""
    new = {s.x_user_id: s for s in snapshots}
    seen: dict[int, str] = {u.id: "protected" if u.protected else "ok" for u in users}
    seen.update(problems)
    found = await store.targets(conn, x_user_ids=seen)
    if not found:
        return 0
    states = _States(await store.get_states(conn, rule_ids={t.rule_id for t in found}))
    before = await store.user_states(conn, x_user_ids=seen)
    names = {u.id: u.username for u in users}
    series: dict[int, Series] = {}
    spans: dict[int, int] = {}
    for target in found:
        rule = rules.Rule.from_params(target.kind, target.params)
        if rule.kind in SERIES_KINDS:
            spans[target.x_user_id] = max(spans.get(target.x_user_id, 0), _span(rule))
    for target in found:
        rule = rules.Rule.from_params(target.kind, target.params)
        key = (target.rule_id, f"u{target.x_user_id}")
        firing = states.firing(key)
        verdict = rules.UNKNOWN
        if rule.kind in SERIES_KINDS and target.x_user_id in new:
            # One read per user, of the longest span its rules look at; each rule sees its own span of it.
            longest = spans[target.x_user_id]
            whole = series.get(target.x_user_id)
            if whole is None:
                whole = await _series(conn, target.x_user_id, longest, new[target.x_user_id], now)
                series[target.x_user_id] = whole
            cached = whole.between(now - _span(rule), now) if _span(rule) < longest else whole
            if rule.kind == "threshold" and key not in states.stored:
                firing = rules.threshold_was(rule, cached, now)  # a level already passed was not crossed now
            verdict = rules.evaluate_series(rule, cached, now, firing=firing)
        elif rule.kind == "state":
            old_name, _ = before.get(target.x_user_id, (None, None))
            new_name = names.get(target.x_user_id)
            if "renamed" in rule.states and old_name and new_name and old_name.lower() != new_name.lower():
                renamed = rules.Verdict(True, f"renamed: @{old_name} is now @{new_name}",
                                        {"state": "renamed", "old": old_name, "new": new_name})  # fmt: skip
                await _fire(conn, target, renamed, now=now, kind="state")
                states.fired += 1
            verdict = rules.evaluate_state(rule, seen[target.x_user_id])
        elif rule.kind == "stale" and target.x_user_id in new:
            verdict = rules.Verdict(False)  # a snapshot just came: collection works again
        await states.step(conn, target, key, verdict, firing=firing, now=now, kind=rule.kind)
    return await states.save(conn, now=now)


async def check_stale(conn: AsyncConnection, *, now: int) -> int:
    """Evaluate every "no snapshot for N hours" rule (once a pass: no snapshot is what it watches)."""
    found = await store.targets(conn, kinds=["stale"])
    if not found:
        return 0
    last = await store.last_buckets(conn, x_user_ids={t.x_user_id for t in found})
    states = _States(await store.get_states(conn, rule_ids={t.rule_id for t in found}))
    for target in found:
        rule = rules.Rule.from_params(target.kind, target.params)
        key = (target.rule_id, f"u{target.x_user_id}")
        verdict = rules.evaluate_stale(rule, last.get(target.x_user_id), now)
        await states.step(conn, target, key, verdict, firing=states.firing(key), now=now, kind="stale")
    return await states.save(conn, now=now)


async def on_post_metrics(conn: AsyncConnection, *, posts: Sequence[Any], now: int) -> int:
    """Evaluate engagement rules on refreshed posts (each post fires once, when it passes the level)."""
    authors = {p.author_id for p in posts}
    found = await store.targets(conn, x_user_ids=authors, kinds=["engagement"])
    if not found:
        return 0
    states = _States(await store.get_states(conn, rule_ids={t.rule_id for t in found}))
    recent: dict[int, list[int]] = {}
    for author in authors:
        rows = await conn.execute(
            select(tweets.c.metrics).where(
                tweets.c.author_id == author, tweets.c.created_at >= now - rules.HISTORY, tweets.c.kind != "retweet"
            )
        )
        recent[author] = [rules.engagement_of(_json(m)) for (m,) in rows if m]
    for target in found:
        rule = rules.Rule.from_params(target.kind, target.params)
        for post in posts:
            if post.author_id != target.x_user_id or post.kind == "retweet" or not post.metrics:
                continue
            key = (target.rule_id, f"p{post.id}")
            firing = states.firing(key)
            verdict = rules.evaluate_engagement(rule, rules.engagement_of(post.metrics), recent[post.author_id])
            fire, firing_after = rules.step(firing, verdict)
            if fire:
                link = f"https://x.com/{target.alias}/status/{post.id}"
                shown = rules.Verdict(True, verdict.summary, {**verdict.detail, "postId": str(post.id), "url": link})
                await _fire(conn, target, shown, now=now, kind="engagement")
                states.fired += 1
            # Unlike `_States.step`, a post whose rule has not fired for it gets no state row.
            if firing_after != firing or (key not in states.stored and firing_after):
                states.writes.append((*key, firing_after, None))
    return await states.save(conn, now=now)


def _json(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


__all__ = ["check_stale", "on_lookup", "on_post_metrics"]
