"""Alert delivery: a worker loop over the outbox (roost.store.outbox) and one sender per channel kind.

- `webhook`: an HTTP POST of the event's JSON, signed as the Standard Webhooks specification says, with the
  `standardwebhooks` library: `webhook-id` (the delivery's id, the same on every attempt: the idempotency key),
  `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 with the channel's `whsec_` secret). The timestamp is
  wall-clock time even under a virtual clock, since receivers check it against their own clock. A 2xx answer is
  a delivery; anything else, or no answer, is retried with backoff for a day.
- `apprise`: a notification URL (Slack, Discord, Telegram, ntfy, Teams, mailto/SMTP and the rest) sent through
  the `apprise` library; its title and text are the event's. A scheduled report's chart (PNG) and CSV are made
  from its document at each attempt and attached to e-mail (mailto://, mailtos://); chat gets their links.
- `dashboard`: nothing to send; the event is in the account's notifications list when it is written.

`roost serve` and `roost collect` run one `Deliverer` beside the collector; several processes share the outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apprise
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from roost.core import reportfiles
from roost.core.clock import Clock, sleep_unless_stopped
from roost.store import outbox
from roost.store.db import connect, transaction

log = logging.getLogger("roost.alerts")

SEND_TIMEOUT = 15.0  # seconds; well inside the lease, so a slow receiver never gets a second concurrent copy
LEASE_SECONDS = 120
BATCH = 20
POLL_SECONDS = 5.0
MIN_WAIT = 0.1  # seconds: a delivery due but not claimed (another worker is taking it) is looked at again
MAIL_SCHEMES = ("mailto:", "mailtos:")  # a report's chart and CSV are attached to e-mail; other channels get links


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def signed_headers(*, secret: str, msg_id: str, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one message."""
    now = datetime.fromtimestamp(time.time(), UTC)
    signature = Webhook(secret).sign(msg_id, now, body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


async def send_webhook(
    http: httpx.AsyncClient, *, url: str, secret: str, msg_id: str, body: str, give_up_after: float = SEND_TIMEOUT
) -> Outcome:
    headers = signed_headers(secret=secret, msg_id=msg_id, body=body)
    try:
        response = await http.post(url, content=body.encode(), headers=headers, timeout=give_up_after)
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    return Outcome(False, response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")


async def send_apprise(*, url: str, title: str, body: str, attach: list[str] | None = None) -> Outcome:
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Outcome(False, None, "apprise does not recognise this notification URL")
    # The body is plain text (a report's table is one line per tracker): apprise turns it into each service's
    # format, e.g. line breaks into <br> for HTML mail.
    result = await notifier.async_notify(
        body=body, title=title, attach=attach or None, body_format=apprise.NotifyFormat.TEXT
    )
    if result:
        return Outcome(True)
    messages = [str(getattr(entry, "message", entry)) for entry in result.logs()]
    return Outcome(False, None, ("; ".join(messages[-3:]) or "the notification was not sent")[:500])


def text_of(payload: dict[str, Any]) -> str:
    """The plain text a chat or mail channel shows: the summary, what it is about and links (a report's files)."""
    data = payload.get("data", {})
    lines = [str(data.get("summary") or data.get("title") or "")]
    if data.get("text"):
        lines.append(str(data["text"]))
    detail = data.get("detail") or {}
    if detail.get("url"):
        lines.append(str(detail["url"]))
    lines.extend(str(link) for link in data.get("links", []))
    return "\n".join(line for line in lines if line)


async def send(http: httpx.AsyncClient, due: outbox.Due, *, give_up_after: float = SEND_TIMEOUT) -> Outcome:
    """Send one delivery through its channel (a webhook gives up after `give_up_after` seconds)."""
    body = json.dumps(due.payload, separators=(",", ":"))
    if due.channel_kind == "webhook" and due.url and due.secret:
        return await send_webhook(
            http, url=due.url, secret=due.secret, msg_id=due.id, body=body, give_up_after=give_up_after
        )
    if due.channel_kind == "apprise" and due.url:
        report = due.payload.get("data", {}).get("report")
        if report is not None and due.url.lower().startswith(MAIL_SCHEMES):
            with tempfile.TemporaryDirectory(prefix="roost-report-") as folder:  # a report's files, attached
                attach = []
                for ext, content in (("png", reportfiles.png_bytes(report)), ("csv", reportfiles.csv_text(report))):
                    path = Path(folder) / reportfiles.file_name(report, ext)
                    path.write_bytes(content if isinstance(content, bytes) else content.encode())
                    attach.append(str(path))
                return await send_apprise(url=due.url, title=due.title, body=text_of(due.payload), attach=attach)
        return await send_apprise(url=due.url, title=due.title, body=text_of(due.payload))
    return Outcome(True)  # the dashboard channel: written is delivered


@dataclass
class Deliverer:
    engine: AsyncEngine
    clock: Clock
    worker_id: str
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(follow_redirects=False))
    lease_seconds: int = LEASE_SECONDS
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _nudged: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def nudge(self) -> None:
        """New events were committed (the collector's pass that wrote them ended): look now, not at the next poll."""
        self._nudged.set()

    async def run_once(self) -> int:
        """Claim what is due, send it, record each attempt; how many deliveries were attempted."""
        now = int(self.clock.now())
        async with transaction(self.engine) as conn:
            claimed = await outbox.claim(
                conn, now=now, owner=self.worker_id, lease_seconds=self.lease_seconds, limit=BATCH
            )
        if not claimed:
            return 0
        limit = min(SEND_TIMEOUT, self.lease_seconds / 2)  # answered or abandoned well before the lease ends
        outcomes = await asyncio.gather(*(send(self.http, due, give_up_after=limit) for due in claimed))
        async with transaction(self.engine) as conn:
            for due, outcome in zip(claimed, outcomes, strict=True):
                status = await outbox.record(
                    conn, due=due, owner=self.worker_id, now=int(self.clock.now()), ok=outcome.ok,
                    status_code=outcome.status_code, error=outcome.error,
                )  # fmt: skip
                if not outcome.ok:
                    log.warning("delivery %s attempt %d: %s (%s)", due.id, due.attempts + 1, outcome.error, status)
        return len(claimed)

    async def run(self) -> None:
        """Deliver until `stop` is set. With nothing due it waits for a nudge, for the moment the first pending
        delivery can be claimed (a retry's time, a dead worker's lease run out), or at most `POLL_SECONDS` (events
        written by other processes)."""
        try:
            while not self.stop.is_set():
                self._nudged.clear()  # a nudge from here on wakes the wait below
                try:
                    busy = await self.run_once()
                    wait = 0.0 if busy else await self._idle_seconds()
                except Exception:  # a database hiccup must not end delivery for the process's life
                    log.exception("alert delivery pass failed")
                    wait = POLL_SECONDS
                if wait:
                    await sleep_unless_stopped(self.clock, wait, self.stop, self._nudged)
        finally:
            await self.http.aclose()

    async def _idle_seconds(self) -> float:
        async with connect(self.engine) as conn:
            claimable = await outbox.next_claimable(conn)
        if claimable is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(MIN_WAIT, claimable - self.clock.now()))
