"""Alert channels, rules, rule states and events (the outbox is roost.store.outbox).

`add_event` writes an event and one outbox row per channel of its account in the caller's transaction, which is
the transaction of the snapshot that caused it: both commit together or neither does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.alert_schema import alert_channels, alert_deliveries, alert_events, alert_rules, alert_states
from roost.store.schema import snapshots, tags, tracker_tags, trackers, x_users
from roost.store.sql import dialect_insert


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    account_id: int
    kind: str
    name: str
    url: str | None
    secret: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: str
    account_id: int
    kind: str
    tracker_id: str | None
    tag_id: str | None
    params: dict[str, Any]
    created_at: int


@dataclass(frozen=True, slots=True)
class Target:
    """A rule applied to one tracked X user (through a tracker of the rule's account that its scope covers)."""

    rule_id: str
    account_id: int
    kind: str
    params: dict[str, Any]
    tracker_id: str
    alias: str
    x_user_id: int


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    account_id: int
    rule_id: str | None
    kind: str
    x_user_id: int | None
    tracker_id: str | None
    at: int
    title: str
    payload: dict[str, Any]
    read_at: int | None


@dataclass(frozen=True, slots=True)
class RuleView:
    """A rule as the faces show it: its scope's names and a description (services.alerts fills it)."""

    id: str
    kind: str
    description: str
    tracker_id: str | None
    tracker: str | None  # the tracker's alias
    tag_id: str | None
    tag: str | None
    params: dict[str, Any]
    created_at: int


# ---- channels and rules -----------------------------------------------------------------------------------------


def _channel(r: Any) -> Channel:
    return Channel(r.id, r.account_id, r.kind, r.name, r.url, r.secret, r.created_at)


def _rule(r: Any) -> RuleRow:
    return RuleRow(r.id, r.account_id, r.kind, r.tracker_id, r.tag_id, json.loads(r.params), r.created_at)


async def add_channel(
    conn: AsyncConnection, *, account_id: int, kind: str, name: str, url: str | None, secret: str | None, now: int
) -> Channel:
    channel = Channel(str(uuid.uuid4()), account_id, kind, name, url, secret, now)
    await conn.execute(alert_channels.insert().values(**asdict(channel)))
    return channel


async def list_channels(conn: AsyncConnection, *, account_id: int) -> list[Channel]:
    query = (
        select(alert_channels).where(alert_channels.c.account_id == account_id).order_by(alert_channels.c.created_at)
    )
    return [_channel(r) for r in await conn.execute(query)]


async def get_channel(conn: AsyncConnection, *, channel_id: str, account_id: int | None = None) -> Channel | None:
    query = select(alert_channels).where(alert_channels.c.id == channel_id)
    if account_id is not None:
        query = query.where(alert_channels.c.account_id == account_id)
    row = (await conn.execute(query)).first()
    return _channel(row) if row else None


async def delete_channel(conn: AsyncConnection, *, channel_id: str, account_id: int) -> bool:
    stmt = delete(alert_channels).where(alert_channels.c.id == channel_id, alert_channels.c.account_id == account_id)
    return (await conn.execute(stmt)).rowcount > 0


async def add_rule(
    conn: AsyncConnection,
    *,
    account_id: int,
    kind: str,
    tracker_id: str | None,
    tag_id: str | None,
    params: dict[str, Any],
    now: int,
) -> RuleRow:
    rule = RuleRow(str(uuid.uuid4()), account_id, kind, tracker_id, tag_id, params, now)
    values = {"id": rule.id, "account_id": account_id, "kind": kind, "tracker_id": tracker_id, "tag_id": tag_id,
              "params": json.dumps(params), "created_at": now}  # fmt: skip
    await conn.execute(alert_rules.insert().values(**values))
    return rule


async def list_rules(conn: AsyncConnection, *, account_id: int) -> list[RuleRow]:
    query = select(alert_rules).where(alert_rules.c.account_id == account_id).order_by(alert_rules.c.created_at)
    return [_rule(r) for r in await conn.execute(query)]


async def delete_rule(conn: AsyncConnection, *, rule_id: str, account_id: int) -> bool:
    stmt = delete(alert_rules).where(alert_rules.c.id == rule_id, alert_rules.c.account_id == account_id)
    return (await conn.execute(stmt)).rowcount > 0


# ---- targets and states ----------------------------------------------------------------------------------------


async def targets(
    conn: AsyncConnection, *, x_user_ids: Iterable[int] | None = None, kinds: Sequence[str] | None = None
) -> list[Target]:
    """Every (rule, tracked X user) pair: rules on a tracker, on a tag of it, or on all the account's trackers,
    over active trackers only (of these users, of these kinds)."""
    tagged = exists().where(tracker_tags.c.tracker_id == trackers.c.id, tracker_tags.c.tag_id == alert_rules.c.tag_id)
    scope = or_(
        and_(alert_rules.c.tracker_id.is_(None), alert_rules.c.tag_id.is_(None)),
        alert_rules.c.tracker_id == trackers.c.id,
        and_(alert_rules.c.tag_id.is_not(None), tagged),
    )
    query = (
        select(alert_rules, trackers.c.id.label("tid"), trackers.c.alias, trackers.c.x_user_id)
        .join(trackers, and_(trackers.c.account_id == alert_rules.c.account_id, trackers.c.status == "active"))
        .where(scope, alert_rules.c.kind != "budget")  # budget rules watch the whole bill, not trackers
        .order_by(alert_rules.c.created_at, trackers.c.created_at)
    )
    if x_user_ids is not None:
        query = query.where(trackers.c.x_user_id.in_(set(x_user_ids)))
    if kinds is not None:
        query = query.where(alert_rules.c.kind.in_(kinds))
    return [
        Target(r.id, r.account_id, r.kind, json.loads(r.params), r.tid, r.alias, r.x_user_id)
        for r in await conn.execute(query)
    ]


async def user_states(conn: AsyncConnection, *, x_user_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(username, state) of these X users as stored before this lookup's writes."""
    rows = await conn.execute(
        select(x_users.c.id, x_users.c.username, x_users.c.state).where(x_users.c.id.in_(set(x_user_ids)))
    )
    return {r.id: (r.username, r.state) for r in rows}


async def last_buckets(conn: AsyncConnection, *, x_user_ids: Iterable[int]) -> dict[int, int]:
    """The newest snapshot bucket of each of these users (users without one are absent)."""
    rows = await conn.execute(
        select(snapshots.c.x_user_id, func.max(snapshots.c.bucket))
        .where(snapshots.c.x_user_id.in_(set(x_user_ids)))
        .group_by(snapshots.c.x_user_id)
    )
    return {int(u): int(b) for u, b in rows}


async def get_states(
    conn: AsyncConnection, *, rule_ids: Iterable[str]
) -> dict[tuple[str, str], tuple[bool, str | None]]:
    """(firing, note) per (rule id, subject) of these rules."""
    rows = await conn.execute(select(alert_states).where(alert_states.c.rule_id.in_(set(rule_ids))))
    return {(r.rule_id, r.subject): (bool(r.firing), r.note) for r in rows}


async def put_states(conn: AsyncConnection, *, rows: Sequence[tuple[str, str, bool, str | None]], now: int) -> None:
    """Record (rule id, subject, firing, note) rows; `since` changes only when `firing` does."""
    if not rows:
        return
    stmt = dialect_insert(conn, alert_states)
    same = alert_states.c.firing == stmt.excluded.firing
    stmt = stmt.on_conflict_do_update(
        index_elements=[alert_states.c.rule_id, alert_states.c.subject],
        set_={
            "firing": stmt.excluded.firing,
            "note": stmt.excluded.note,
            "since": case((same, alert_states.c.since), else_=stmt.excluded.since),
        },
        where=or_(~same, alert_states.c.note.is_distinct_from(stmt.excluded.note)),
    )
    await conn.execute(
        stmt, [{"rule_id": r, "subject": s, "firing": int(f), "since": now, "note": n} for r, s, f, n in rows]
    )


async def claim_transition(conn: AsyncConnection, *, rule_id: str, subject: str, now: int) -> bool:
    """Set (rule, subject) firing; True only for the transaction that made it so. Two workers judging the same
    installation-wide condition (a budget rule) fire once: on PostgreSQL the second waits for the first to commit,
    then finds it firing and changes nothing."""
    stmt = dialect_insert(conn, alert_states).values(rule_id=rule_id, subject=subject, firing=1, since=now, note=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[alert_states.c.rule_id, alert_states.c.subject],
        set_={"firing": 1, "since": now},
        where=alert_states.c.firing == 0,
    )
    return (await conn.execute(stmt.returning(alert_states.c.rule_id))).first() is not None


async def rules_of_kind(conn: AsyncConnection, *, kind: str) -> list[RuleRow]:
    """Every account's rules of one kind (those that watch no tracker, such as budget rules)."""
    query = select(alert_rules).where(alert_rules.c.kind == kind).order_by(alert_rules.c.created_at)
    return [_rule(r) for r in await conn.execute(query)]


# ---- events -----------------------------------------------------------------------------------------------------


async def add_event(
    conn: AsyncConnection,
    *,
    account_id: int,
    rule_id: str | None,
    kind: str,
    x_user_id: int | None,
    tracker_id: str | None,
    at: int,
    title: str,
    payload: dict[str, Any],
    now: int,
    channel_ids: Sequence[str] | None = None,
    event_id: str | None = None,
) -> str:
    """Write an event and its outbox rows (every channel of the account, or only `channel_ids`); its id."""
    event_id = event_id or new_event_id()
    payload = {**payload, "data": {**payload.get("data", {}), "eventId": event_id}}
    await conn.execute(
        alert_events.insert().values(
            id=event_id,
            account_id=account_id,
            rule_id=rule_id,
            kind=kind,
            x_user_id=x_user_id,
            tracker_id=tracker_id,
            at=at,
            title=title,
            payload=json.dumps(payload),
        )
    )
    query = select(alert_channels.c.id, alert_channels.c.kind).where(alert_channels.c.account_id == account_id)
    if channel_ids is not None:
        query = query.where(alert_channels.c.id.in_(channel_ids))
    rows = []
    for channel_id, channel_kind in await conn.execute(query):
        dashboard = channel_kind == "dashboard"  # delivered by being written: the notifications list reads it
        rows.append({
            "id": f"{event_id}_{channel_id[:8]}", "event_id": event_id, "channel_id": channel_id,
            "account_id": account_id, "status": "delivered" if dashboard else "pending", "attempts": 0,
            "next_at": now, "first_at": now, "done_at": now if dashboard else None,
        })  # fmt: skip
    if rows:
        await conn.execute(alert_deliveries.insert(), rows)
    return event_id


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _event(r: Any) -> Event:
    return Event(r.id, r.account_id, r.rule_id, r.kind, r.x_user_id, r.tracker_id, r.at, r.title,
                 json.loads(r.payload), r.read_at)  # fmt: skip


async def list_events(
    conn: AsyncConnection, *, account_id: int, unread: bool = False, limit: int = 100, dashboard_only: bool = False
) -> list[Event]:
    """The account's events, newest first (only those its dashboard channel received, if asked)."""
    query = select(alert_events).where(alert_events.c.account_id == account_id)
    if unread:
        query = query.where(alert_events.c.read_at.is_(None))
    if dashboard_only:
        on_dashboard = (
            select(alert_deliveries.c.id)
            .join(alert_channels, alert_channels.c.id == alert_deliveries.c.channel_id)
            .where(alert_deliveries.c.event_id == alert_events.c.id, alert_channels.c.kind == "dashboard")
        )
        query = query.where(on_dashboard.exists())
    query = query.order_by(alert_events.c.at.desc(), alert_events.c.id).limit(limit)
    return [_event(r) for r in await conn.execute(query)]


async def mark_read(conn: AsyncConnection, *, account_id: int, event_ids: Sequence[str] | None, now: int) -> int:
    """Mark these events (None: all) read; how many changed."""
    stmt = update(alert_events).where(alert_events.c.account_id == account_id, alert_events.c.read_at.is_(None))
    if event_ids is not None:
        stmt = stmt.where(alert_events.c.id.in_(event_ids))
    return (await conn.execute(stmt.values(read_at=now))).rowcount


async def find_tracker(conn: AsyncConnection, *, account_id: int, ref: str) -> str | None:
    """The id of the account's tracker with this id, or of its active tracker with this alias (any case)."""
    mine = trackers.c.account_id == account_id
    query = select(trackers.c.id).where(
        mine,
        or_(trackers.c.id == ref, and_(func.lower(trackers.c.alias) == ref.lower(), trackers.c.status == "active")),
    )
    return (await conn.execute(query.limit(1))).scalar_one_or_none()


async def tracker_aliases(conn: AsyncConnection, *, account_id: int) -> dict[str, str]:
    rows = await conn.execute(select(trackers.c.id, trackers.c.alias).where(trackers.c.account_id == account_id))
    return {r.id: r.alias for r in rows}


async def tag_names(conn: AsyncConnection, *, account_id: int) -> dict[str, str]:
    rows = await conn.execute(select(tags.c.id, tags.c.name).where(tags.c.account_id == account_id))
    return {r.id: r.name for r in rows}
