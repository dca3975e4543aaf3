"""A tiny X API upstream on a real socket that answers the way X does when it says stop: a reached post cap
(429 `UsageCapExceeded` with quota left in the headers, user lookups still fine), spent credits (402 on
everything), down (503), or slow timelines that never end (a backfill in progress). It counts what it gets."""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

CAP_BODY = {
    "account_id": "1",
    "product_name": "standard-basic",
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
}


def _user(uid: int, name: str) -> dict[str, Any]:
    metrics = {"followers_count": 10, "following_count": 5, "tweet_count": 500, "listed_count": 1}
    return {"id": str(uid), "username": name, "name": name, "protected": False, "public_metrics": metrics}


class FailingUpstream:
    def __init__(self, port: int, mode: str = "ok") -> None:
        self.mode = mode
        self.requests: Counter[str] = Counter()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                upstream.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FailingUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlparse(req.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        posts = url.path.startswith("/2/tweets") or (url.path.startswith("/2/users/") and url.path.endswith("/tweets"))
        self.requests["posts" if posts else "users"] += 1
        headers = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "800",
                   "x-rate-limit-reset": str(int(time.time()) + 900)}  # fmt: skip
        if self.mode == "credits":
            return self._send(req, 402, {"title": "CreditsDepleted", "detail": "Your credits are spent."}, headers)
        if self.mode == "down":
            return self._send(req, 503, {"title": "Service Unavailable"}, headers)
        if posts and self.mode == "cap":
            return self._send(req, 429, CAP_BODY, headers)
        if posts:
            if self.mode == "slow":
                time.sleep(2)
            page = [{"id": str(10**15 + self.requests["posts"] * 100 + i), "author_id": "1", "text": "x",
                     "created_at": "2026-11-30T00:00:00.000Z"} for i in range(100)]  # fmt: skip
            return self._send(req, 200, {"data": page, "meta": {"next_token": f"t{self.requests['posts']}"}}, headers)
        if "usernames" in query:
            names = query["usernames"].split(",")
            users = [_user(zlib.crc32(n.lower().encode()) + 1000, n) for n in names]
        else:
            users = [_user(int(i), f"u{i}") for i in query.get("ids", "").split(",") if i]
        return self._send(req, 200, {"data": users}, headers)

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("content-type", "application/json")
        for name, value in headers.items():
            req.send_header(name, value)
        req.send_header("content-length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
