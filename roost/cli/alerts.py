"""`roost alerts`: channels, rules, the test send, notifications and the delivery log of an account."""

from __future__ import annotations

from typing import Any

import typer

from roost.cli import app
from roost.cli.common import AccountOpt, JsonOpt, fail, print_json, run, stdout, when, workspace

alerts_app = typer.Typer(help="Alerts: where they go (channels), what fires them (rules), what happened.",
                         no_args_is_help=True)  # fmt: skip
channel_app = typer.Typer(help="Channels: webhooks, apprise URLs (chat, mail) and the dashboard.", no_args_is_help=True)
rule_app = typer.Typer(help="Rules on a tracker, a tag or all trackers.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
alerts_app.add_typer(channel_app, name="channel")
alerts_app.add_typer(rule_app, name="rule")


@channel_app.command("add")
def channel_add(
    url: str = typer.Argument(..., help="http(s) webhook URL, 'dashboard', or an apprise URL (slack://, mailto://...)"),
    name: str | None = typer.Option(None, "--name", help="A label (default: the URL's scheme and host)"),
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add a channel. A webhook's signing secret (whsec_...) is printed: give it to the receiver."""
    from roost.schemas.alerts import ChannelDocument
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            channel = await alerts.add_channel(rt, acct, url=url, name=name)
        if as_json:
            print_json(ChannelDocument.of(channel).dump())
            return
        typer.echo(f"Added {channel.kind} channel {channel.id} ({channel.name}).")
        if channel.secret:
            typer.echo(f"Signing secret (Standard Webhooks): {channel.secret}")

    run(task())


@channel_app.command("list")
def channel_list(account: str | None = AccountOpt, as_json: bool = JsonOpt) -> None:
    """The account's channels."""
    from roost.schemas.alerts import ChannelDocument
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            channels = await alerts.list_channels(rt, acct)
        if as_json:
            print_json([ChannelDocument.of(c).dump() for c in channels])
            return
        _table(["id", "kind", "name", "created"], [[c.id, c.kind, c.name, when(c.created_at)] for c in channels])

    run(task())


@channel_app.command("remove")
def channel_remove(
    channel: str = typer.Argument(..., help="The channel's id"), account: str | None = AccountOpt
) -> None:
    """Remove a channel (its pending deliveries go with it)."""
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            await alerts.remove_channel(rt, acct, channel)
        typer.echo(f"Removed channel {channel}.")

    run(task())


@alerts_app.command("test")
def test(channel: str = typer.Argument(..., help="The channel's id"), account: str | None = AccountOpt) -> None:
    """Send a test alert through one channel now and say how it went (exit 1 if it failed)."""
    from roost.services import alerts
    from roost.store.outbox import DeliveryRow

    async def task() -> DeliveryRow:
        async with workspace(account) as (rt, acct):
            return await alerts.test_channel(rt, acct, channel)

    result = run(task())
    last = result.log[-1] if result.log else None
    if result.status != "delivered":
        fail(f"the test alert was not delivered: {result.last_error or 'no answer'} (retried later)")
    code = f" (HTTP {last.status_code})" if last and last.status_code else ""
    typer.echo(f"Delivered the test alert through {result.channel_name}{code}; id {result.id}.")


@rule_app.command("add")
def rule_add(
    account: str | None = AccountOpt,
    tracker: str | None = typer.Option(None, "--tracker", help="Watch one tracker (alias or resourceId)"),
    tag: str | None = typer.Option(None, "--tag", help="Watch the trackers of a tag (name or id)"),
    metric: str | None = typer.Option(None, "--metric", help="followers, following, tweets or lists"),
    change: str | None = typer.Option(None, "--change", help="Change over --window: 5% or -1000"),
    window: str | None = typer.Option(None, "--window", help="The change's window: 24h, 7d (default 24h)"),
    above: float | None = typer.Option(None, "--above", help="Threshold: the count reaches this"),
    below: float | None = typer.Option(None, "--below", help="Threshold: the count falls under this"),
    unusual: bool = typer.Option(False, "--unusual", help="A change far outside the account's own history"),
    z: float | None = typer.Option(None, "--z", help="--unusual: robust z-score that counts as far (default 5)"),
    daily: bool = typer.Option(False, "--daily", help="--unusual: judge daily changes instead of hourly"),
    engagement: float | None = typer.Option(None, "--engagement", help="A post reaches this many engagements"),
    engagement_multiple: float | None = typer.Option(
        None, "--engagement-multiple", help="A post reaches this multiple of the account's median engagement"
    ),
    state: str | None = typer.Option(
        None, "--state", help="Account state changes: suspended,protected,not_found,renamed (or 'any')"
    ),
    stale: float | None = typer.Option(None, "--stale", help="No snapshot for this many hours"),
    budget: str | None = typer.Option(
        None, "--budget", help="Operators: the month's X spend passes this share of ROOST_X_MONTHLY_BUDGET, e.g. 80%"
    ),
    cap: str | None = typer.Option(
        None, "--cap", help="Operators: the month's post reads pass this share of ROOST_X_POST_CAP, e.g. 80%"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Add a rule; its kind follows from the flags (exactly one of --change, --above/--below, --unusual,
    --engagement/--engagement-multiple, --state, --stale, --budget/--cap). Without --tracker or --tag it watches
    every tracker; --budget and --cap watch the installation's whole X bill (operators only)."""
    from roost.schemas.alerts import RuleDocument
    from roost.services import alerts

    chosen = {
        "change": change is not None,
        "threshold": above is not None or below is not None,
        "unusual": unusual,
        "engagement": engagement is not None or engagement_multiple is not None,
        "state": state is not None,
        "stale": stale is not None,
        "budget": budget is not None or cap is not None,
    }
    kinds = [k for k, on in chosen.items() if on]
    if len(kinds) != 1:
        fail("give exactly one of --change, --above/--below, --unusual, --engagement(-multiple), --state, --stale, "
             "--budget/--cap")  # fmt: skip
    if budget is not None and cap is not None:
        fail("give --budget or --cap, not both")
    if above is not None and below is not None:
        fail("give --above or --below, not both")
    level = above if above is not None else below if below is not None else engagement
    options: dict[str, Any] = {
        "metric": metric, "change": change, "window": window or ("24h" if change else None), "z": z,
        "granularity": "day" if daily else None, "hours": stale, "value": level,
        "direction": "below" if below is not None else None, "multiple": engagement_multiple,
        "share": budget if budget is not None else cap, "limit": "cap" if cap is not None else None,
    }  # fmt: skip
    if state is not None and state != "any":
        options["states"] = state
    elif state is None and window is not None and change is None:
        fail("--window goes with --change")

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            view = await alerts.add_rule(rt, acct, kind=kinds[0], tracker=tracker, tag=tag, options=options)
        if as_json:
            print_json(RuleDocument.of(view).dump())
            return
        scope = f"@{view.tracker}" if view.tracker else f"tag {view.tag}" if view.tag else "all trackers"
        scope = "the whole X bill" if view.kind == "budget" else scope
        typer.echo(f"Added rule {view.id}: {view.description} ({scope}).")

    run(task())


@rule_app.command("list")
def rule_list(account: str | None = AccountOpt, as_json: bool = JsonOpt) -> None:
    """The account's rules."""
    from roost.schemas.alerts import RuleDocument
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            rules = await alerts.list_rules(rt, acct)
        if as_json:
            print_json([RuleDocument.of(r).dump() for r in rules])
            return
        rows = [[r.id, r.kind, r.description, f"@{r.tracker}" if r.tracker else r.tag or "all"] for r in rules]
        _table(["id", "kind", "rule", "watches"], rows)

    run(task())


@rule_app.command("remove")
def rule_remove(rule: str = typer.Argument(..., help="The rule's id"), account: str | None = AccountOpt) -> None:
    """Remove a rule."""
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            await alerts.remove_rule(rt, acct, rule)
        typer.echo(f"Removed rule {rule}.")

    run(task())


@alerts_app.command("list")
def alerts_list(
    account: str | None = AccountOpt,
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="Notifications to show, newest first"),
    as_json: bool = JsonOpt,
) -> None:
    """Channels, rules and the latest notifications (unread ones marked)."""
    from roost.schemas.alerts import AlertsOverview
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            found = await alerts.overview(rt, acct, limit=limit)
        if as_json:
            print_json(AlertsOverview.of(found).dump())
            return
        typer.echo(f"{len(found.channels)} channels, {len(found.rules)} rules, {found.unread} unread notifications.")
        rows = [["*" if e.read_at is None else "", when(e.at), e.kind, e.title] for e in found.notifications]
        _table(["new", "when", "kind", "alert"], rows)

    run(task())


@alerts_app.command("deliveries")
def deliveries(
    account: str | None = AccountOpt,
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="Deliveries to show, newest first"),
    as_json: bool = JsonOpt,
) -> None:
    """The delivery log: each delivery's status and attempts."""
    from roost.schemas.alerts import DeliveryDocument
    from roost.services import alerts

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            found = await alerts.deliveries(rt, acct, limit=limit)
        if as_json:
            print_json([DeliveryDocument.of(d).dump() for d in found])
            return
        rows = [[when(d.event_at), d.channel_name, d.status, str(d.attempts), d.last_error or "", d.event_title]
                for d in found]  # fmt: skip
        _table(["when", "channel", "status", "tries", "last error", "alert"], rows)

    run(task())


def _table(columns: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table(*columns, box=None)
    for row in rows:
        table.add_row(*row)
    stdout().print(table)
