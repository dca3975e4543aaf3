"""Wire formats of alerts (issue 22): channels, rules, notifications and the delivery log. The API's response
models, the CLI's --json and the dashboard all read them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from roost.schemas.base import Input, Wire
from roost.store.alerts import Channel, Event, RuleView
from roost.store.outbox import DeliveryRow

RuleKindWire = Literal["change", "threshold", "unusual", "engagement", "state", "stale", "budget"]


class ChannelBody(Input):
    url: str = Field(
        min_length=1, max_length=2000,
        description="An http(s) URL (a webhook signed per Standard Webhooks), 'dashboard' (the notifications list), "
        "or an apprise notification URL: slack://, discord://, tgram://, ntfy://, msteams://, mailto://...",
    )  # fmt: skip
    name: str | None = Field(default=None, max_length=100, description="A label (default: the URL's scheme and host)")


class ChannelDocument(Wire):
    id: str
    kind: Literal["webhook", "apprise", "dashboard"]
    name: str
    url: str | None = Field(description="The channel's URL (None for the dashboard channel)")
    secret: str | None = Field(description="Webhooks: the whsec_ signing secret a receiver verifies with")
    createdAt: int

    @classmethod
    def of(cls, c: Channel) -> ChannelDocument:
        return cls(id=c.id, kind=c.kind, name=c.name, url=c.url, secret=c.secret, createdAt=c.created_at)


class RuleBody(Input):
    """A rule. Scope: `tracker` (alias or resourceId), or `tag` (name or id), or neither for all trackers."""

    kind: RuleKindWire
    tracker: str | None = Field(default=None, max_length=64)
    tag: str | None = Field(default=None, max_length=64)
    metric: Literal["followers", "following", "tweets", "lists"] | None = None
    change: str | None = Field(default=None, max_length=20, description="change: '5%', '-1000'")
    window: str | None = Field(default=None, max_length=10, description="change: '24h', '7d'")
    value: float | None = Field(default=None, description="threshold / engagement: the level")
    direction: Literal["above", "below"] | None = None
    z: float | None = Field(default=None, description="unusual: robust z-score that counts as far (default 5)")
    granularity: Literal["hour", "day"] | None = None
    multiple: float | None = Field(default=None, description="engagement: x the median of recent posts")
    states: list[Literal["suspended", "protected", "not_found", "renamed"]] | None = None
    hours: float | None = Field(default=None, description="stale: hours without a snapshot")
    share: str | None = Field(default=None, max_length=8, description="budget: the share that fires, e.g. '80%'")
    limit: Literal["budget", "cap"] | None = Field(
        default=None, description="budget: the monthly dollar budget (default) or the post cap"
    )

    def options(self) -> dict[str, Any]:
        return self.model_dump(exclude={"kind", "tracker", "tag"}, exclude_none=True)


class RuleDocument(Wire):
    id: str
    kind: RuleKindWire
    description: str
    trackerId: str | None
    tracker: str | None
    tagId: str | None
    tag: str | None
    params: dict[str, Any]
    createdAt: int

    @classmethod
    def of(cls, r: RuleView) -> RuleDocument:
        return cls(
            id=r.id, kind=r.kind, description=r.description, trackerId=r.tracker_id, tracker=r.tracker,
            tagId=r.tag_id, tag=r.tag, params=r.params, createdAt=r.created_at,
        )  # fmt: skip


class NotificationDocument(Wire):
    id: str = Field(description="The event id (webhook deliveries add a channel suffix: their idempotency key)")
    kind: str
    title: str
    at: int
    read: bool
    trackerId: str | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, e: Event) -> NotificationDocument:
        return cls(id=e.id, kind=e.kind, title=e.title, at=e.at, read=e.read_at is not None, trackerId=e.tracker_id,
                   payload=e.payload)  # fmt: skip


class ReadBody(Input):
    ids: list[str] | None = Field(default=None, max_length=1000, description="Events to mark read (none: all)")


class AttemptDocument(Wire):
    at: int
    worker: str
    ok: bool
    statusCode: int | None
    error: str | None


class DeliveryDocument(Wire):
    id: str = Field(description="The idempotency key (webhook-id)")
    eventId: str
    title: str
    channelId: str
    channel: str
    channelKind: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    nextAt: int
    doneAt: int | None
    lastError: str | None
    log: list[AttemptDocument]

    @classmethod
    def of(cls, d: DeliveryRow) -> DeliveryDocument:
        return cls(
            id=d.id, eventId=d.event_id, title=d.event_title, channelId=d.channel_id, channel=d.channel_name,
            channelKind=d.channel_kind, status=d.status, attempts=d.attempts, nextAt=d.next_at,
            doneAt=d.done_at, lastError=d.last_error,
            log=[AttemptDocument(at=a.at, worker=a.worker, ok=a.ok, statusCode=a.status_code, error=a.error)
                 for a in d.log],
        )  # fmt: skip


class AlertsOverview(Wire):
    """`roost alerts list --json` and GET /alerts: everything an account has set up, and what happened lately."""

    channels: list[ChannelDocument]
    rules: list[RuleDocument]
    notifications: list[NotificationDocument]
    unread: int

    @classmethod
    def of(cls, o: Any) -> AlertsOverview:
        """From services.alerts.Overview (duck-typed: schemas sit below services)."""
        return cls(
            channels=[ChannelDocument.of(c) for c in o.channels],
            rules=[RuleDocument.of(r) for r in o.rules],
            notifications=[NotificationDocument.of(e) for e in o.notifications],
            unread=o.unread,
        )
