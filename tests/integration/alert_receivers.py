"""Real receivers for alert tests: an HTTP server that checks Standard Webhooks signatures with the
`standardwebhooks` library, and an SMTP server (aiosmtpd). Both listen on 127.0.0.1 in this engineer's port range."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Receiver:
    """What the webhook receiver saw. `fail_first` answers 500 to that many requests; `hang_first` holds the
    first request open until `release` is set (a worker killed mid-send)."""

    secret: str = ""
    fail_first: int = 0
    hang_first: bool = False
    requests: list[str] = field(default_factory=list)  # webhook-id of every request, in order
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # webhook-id -> payload, verified, once each
    bad_signatures: int = 0
    got_first: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests.append(headers.get("webhook-id", ""))
            first = len(self.requests) == 1
            failing = len(self.requests) <= self.fail_first
        if first:
            self.got_first.set()
            if self.hang_first:
                self.release.wait(60)
                return 503
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.bad_signatures += 1
            return 401
        if failing:
            return 500
        with self.lock:
            self.accepted.setdefault(headers["webhook-id"], payload)  # the idempotency key: a repeat is a no-op
        return 204


@contextmanager
def webhook_receiver(port: int, secret: str = "", **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret, **options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            try:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender went away (killed)

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # a worker sends a batch at once

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{port}/hooks/roost"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@contextmanager
def smtp_server(port: int) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def payload_of(receiver: Receiver, event_id: str) -> dict[str, Any] | None:
    for payload in receiver.accepted.values():
        if payload.get("data", {}).get("eventId") == event_id:
            return payload
    return None


__all__ = ["Mailbox", "Receiver", "json", "payload_of", "smtp_server", "webhook_receiver"]
