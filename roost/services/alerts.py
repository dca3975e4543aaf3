"""Alerts: an account's channels and rules, its notifications and its delivery log (issue 22). Every face calls
these; evaluation happens in the collector (roost.collector.alerting), delivery in roost.collector.delivery."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import apprise

from roost.collector import delivery
from roost.core import alerts as rules
from roost.core.domain import AliasError, normalize_alias
from roost.services.errors import Invalid, NotFound
from roost.services.runtime import Runtime
from roost.store import alerts as store
from roost.store import outbox
from roost.store.accounts import Account
from roost.store.alerts import RuleView
from roost.store.db import transaction

MAX_URL = 2000
MAX_NAME = 100
MAX_RULES = 200
MAX_CHANNELS = 20


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def channel_kind(url: str) -> str:
    """ "dashboard", a signed "webhook" (plain http/https URL) or an "apprise" notification URL; Invalid otherwise."""
    url = url.strip()
    if url.lower() == "dashboard":
        return "dashboard"
    if len(url) > MAX_URL:
        raise Invalid("url", f"The URL is longer than {MAX_URL} characters.")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise Invalid("url", "A webhook URL needs a host, e.g. https://example.com/hooks/roost.")
        return "webhook"
    if not parts.scheme or not apprise.Apprise().add(url):
        raise Invalid(
            "url",
            "Not a channel Roost knows: give an http(s) webhook URL, 'dashboard', or a notification URL apprise "
            "understands (slack://, discord://, tgram://, ntfy://, mailto://, msteams://...).",
        )
    return "apprise"


def _default_name(kind: str, url: str) -> str:
    if kind == "dashboard":
        return "Dashboard"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"[:MAX_NAME]  # never the path or query: they hold tokens


async def add_channel(rt: Runtime, account: Account, *, url: str, name: str | None = None) -> store.Channel:
    kind = channel_kind(url)
    name = (name or "").strip() or _default_name(kind, url)
    if len(name) > MAX_NAME:
        raise Invalid("name", f"A channel name has at most {MAX_NAME} characters.")
    async with transaction(rt.engine) as conn:
        existing = await store.list_channels(conn, account_id=account.id)
        if len(existing) >= MAX_CHANNELS:
            raise Invalid("url", f"An account has at most {MAX_CHANNELS} channels; remove one first.")
        if kind == "dashboard" and any(c.kind == "dashboard" for c in existing):
            raise Invalid("url", "This account already has its dashboard channel.")
        return await store.add_channel(
            conn, account_id=account.id, kind=kind, name=name, url=None if kind == "dashboard" else url.strip(),
            secret=new_secret() if kind == "webhook" else None, now=rt.now(),
        )  # fmt: skip


async def list_channels(rt: Runtime, account: Account) -> list[store.Channel]:
    async with rt.engine.connect() as conn:
        return await store.list_channels(conn, account_id=account.id)


async def remove_channel(rt: Runtime, account: Account, channel_id: str) -> None:
    async with transaction(rt.engine) as conn:
        if not await store.delete_channel(conn, channel_id=channel_id, account_id=account.id):
            raise NotFound("channel")


async def test_channel(rt: Runtime, account: Account, channel_id: str) -> outbox.DeliveryRow:
    """Send a test event through one channel now (through the outbox, so it is logged like any other); the
    delivery as it stands after this first attempt (retried later like any other if it failed)."""
    now = rt.now()
    async with transaction(rt.engine) as conn:
        channel = await store.get_channel(conn, channel_id=channel_id, account_id=account.id)
        if channel is None:
            raise NotFound("channel")
        title = f"Test alert from Roost to {channel.name}"
        data = {"title": title, "summary": "This is a test: alerts from Roost reach this channel.", "at": now}
        await store.add_event(
            conn, account_id=account.id, rule_id=None, kind="test", x_user_id=None, tracker_id=None, at=now,
            title=title, payload={"type": "alert.test", "timestamp": _iso(now), "data": data}, now=now,
            channel_ids=[channel.id],
        )  # fmt: skip
    return await deliver_now(rt, account, f"test:{channel.id[:8]}", lambda d: d.channel_id == channel.id)


async def deliver_now(
    rt: Runtime, account: Account, worker_id: str, wanted: Callable[[outbox.DeliveryRow], bool]
) -> outbox.DeliveryRow:
    """One delivery round now, by a worker of its own (what a test or "send now" button waits for); the account's
    newest delivery that is `wanted`, as it stands after its first attempt (retried later like any other)."""
    worker = delivery.Deliverer(rt.engine, rt.clock, worker_id=worker_id)
    try:
        await worker.run_once()
    finally:
        await worker.http.aclose()
    async with rt.engine.connect() as conn:
        rows = await outbox.list_deliveries(conn, account_id=account.id, limit=50)
    return next(r for r in rows if wanted(r))


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


# ---- rules --------------------------------------------------------------------------------------------------------


def build_rule(kind: str, options: Mapping[str, Any]) -> rules.Rule:
    """A rule from a face's options (strings as typed: change "5%", window "24h"); Invalid naming the field."""
    params: dict[str, Any] = {}
    try:
        for key in ("metric", "direction", "granularity", "limit"):
            if options.get(key) is not None:
                params[key] = str(options[key])
        if options.get("change") is not None:
            params["amount"], params["percent"] = rules.parse_change(str(options["change"]))
        if options.get("share") is not None:
            params["share"] = rules.parse_share(str(options["share"]))
        if options.get("window") is not None:
            params["window"] = rules.parse_window(str(options["window"]))
        for key in ("value", "z", "multiple", "hours"):
            if options.get(key) is not None:
                params[key] = _number(key, options[key])
        if options.get("states") is not None:
            states = options["states"]
            params["states"] = [s.strip() for s in states.split(",")] if isinstance(states, str) else list(states)
        return rules.Rule.from_params(kind, params)
    except rules.RuleError as exc:
        raise Invalid(exc.field, str(exc)) from None


def _number(key: str, value: Any) -> float:
    try:
        number = float(str(value).replace(",", "").replace("_", ""))
    except ValueError:
        raise rules.RuleError(key, f"{key} must be a number, not {value!r}") from None
    if number != number or abs(number) > 1e12:
        raise rules.RuleError(key, f"{key} must be a finite number")
    return number


async def add_rule(
    rt: Runtime, account: Account, *, kind: str, tracker: str | None, tag: str | None, options: Mapping[str, Any]
) -> RuleView:
    """A rule on one tracker (alias or id), one tag (name or id) or, with neither, every tracker of the account."""
    if tracker and tag:
        raise Invalid("tracker", "A rule watches a tracker, a tag or all trackers: give a tracker or a tag, not both.")
    rule = build_rule(kind, options)
    if rule.kind == "budget":
        _budget_allowed(rt, account, tracker=tracker, tag=tag)
    async with transaction(rt.engine) as conn:
        if len(await store.list_rules(conn, account_id=account.id)) >= MAX_RULES:
            raise Invalid("kind", f"An account has at most {MAX_RULES} rules; remove one first.")
        tracker_id = await _tracker_id(conn, account, tracker) if tracker else None
        tag_id = await _tag_id(conn, account, tag) if tag else None
        row = await store.add_rule(
            conn, account_id=account.id, kind=rule.kind, tracker_id=tracker_id, tag_id=tag_id, params=rule.params(),
            now=rt.now(),
        )  # fmt: skip
    return (await _views(rt, account, [row]))[0]


def _budget_allowed(rt: Runtime, account: Account, *, tracker: str | None, tag: str | None) -> None:
    """Budget rules watch the installation's whole X bill, which only the operators (ROOST_OPERATORS) see."""
    from roost.services.usage import scope_for

    if tracker or tag:
        raise Invalid("tracker", "A budget rule watches the whole X bill: give no tracker or tag.")
    scope_for(rt, account, "all")  # Forbidden (403, field scope) for an account that is not an operator


async def _tracker_id(conn: Any, account: Account, ref: str) -> str:
    try:
        ref = normalize_alias(ref) if ref.count("-") != 4 else ref  # an alias, or a tracker's resourceId
    except AliasError:
        raise NotFound("tracker", message=f"No tracker {ref!r} in this account.") from None
    found = await store.find_tracker(conn, account_id=account.id, ref=ref)
    if found is None:
        raise NotFound("tracker", message=f"No active tracker {ref!r} in this account.")
    return found


async def _tag_id(conn: Any, account: Account, ref: str) -> str:
    for tag_id, name in (await store.tag_names(conn, account_id=account.id)).items():
        if ref in (tag_id, name):
            return tag_id
    raise NotFound("tag", message=f"No tag {ref!r} in this account.")


async def _views(rt: Runtime, account: Account, rows: list[store.RuleRow]) -> list[RuleView]:
    async with rt.engine.connect() as conn:
        aliases = await store.tracker_aliases(conn, account_id=account.id)
        tags = await store.tag_names(conn, account_id=account.id)
    out = []
    for r in rows:
        rule = rules.Rule.from_params(r.kind, r.params)
        out.append(RuleView(r.id, r.kind, rules.describe(rule), r.tracker_id, aliases.get(r.tracker_id or ""),
                            r.tag_id, tags.get(r.tag_id or ""), r.params, r.created_at))  # fmt: skip
    return out


async def list_rules(rt: Runtime, account: Account) -> list[RuleView]:
    async with rt.engine.connect() as conn:
        rows = await store.list_rules(conn, account_id=account.id)
    return await _views(rt, account, rows)


async def remove_rule(rt: Runtime, account: Account, rule_id: str) -> None:
    async with transaction(rt.engine) as conn:
        if not await store.delete_rule(conn, rule_id=rule_id, account_id=account.id):
            raise NotFound("rule")


# ---- what happened ----------------------------------------------------------------------------------------------


async def notifications(rt: Runtime, account: Account, *, unread: bool = False, limit: int = 100) -> list[store.Event]:
    """The events the account's dashboard channel received, newest first."""
    async with rt.engine.connect() as conn:
        return await store.list_events(conn, account_id=account.id, unread=unread, limit=limit, dashboard_only=True)


async def events(rt: Runtime, account: Account, *, limit: int = 100) -> list[store.Event]:
    """Every event of the account (whatever its channels), newest first."""
    async with rt.engine.connect() as conn:
        return await store.list_events(conn, account_id=account.id, limit=limit)


async def mark_read(rt: Runtime, account: Account, event_ids: list[str] | None) -> int:
    async with transaction(rt.engine) as conn:
        return await store.mark_read(conn, account_id=account.id, event_ids=event_ids, now=rt.now())


async def deliveries(rt: Runtime, account: Account, *, limit: int = 100) -> list[outbox.DeliveryRow]:
    async with rt.engine.connect() as conn:
        return await outbox.list_deliveries(conn, account_id=account.id, limit=limit)


@dataclass(frozen=True, slots=True)
class Overview:
    channels: list[store.Channel]
    rules: list[RuleView]
    notifications: list[store.Event]
    unread: int


async def overview(rt: Runtime, account: Account, *, limit: int = 50) -> Overview:
    """Everything the account has set up and its latest notifications (the API's GET /alerts, `alerts list`)."""
    async with rt.engine.connect() as conn:
        found = await store.list_events(conn, account_id=account.id, unread=True, limit=10_000, dashboard_only=True)
    return Overview(
        await list_channels(rt, account), await list_rules(rt, account),
        await notifications(rt, account, limit=limit), len(found),
    )  # fmt: skip


async def scope_choices(rt: Runtime, account: Account) -> tuple[list[str], list[str]]:
    """What a rule can watch besides everything: the account's active trackers (aliases) and its tags (names)."""
    from roost.store import trackers as tracker_store

    async with rt.engine.connect() as conn:
        aliases = sorted(await tracker_store.active_aliases(conn, account_id=account.id), key=str.lower)
        tags = sorted((await store.tag_names(conn, account_id=account.id)).values(), key=str.lower)
    return aliases, tags
