"""A reader of Tweet Binder's User Trackers API, either generation (roost.services.tbimport uses it).

The generation is detected: the current one lists trackers at `GET /user-trackers?order=createdAt|1`, the
documented one at `GET /user-trackers/me`; an API that answers the first with 404 or 405 is the documented one.
Both page with `offset`/`limit` and `pagination.nextResults`, and both serve `GET /user-trackers/{id}/stats`.

Every request is retried on what waiting can cure (a timeout, a dropped connection, 429, 5xx) with exponential
backoff on the injected clock (`Retry-After` when the upstream sends one), a bounded number of times; anything
else (401, 404, a body that is not the documented shape) fails at once with the upstream's message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roost.core.clock import Clock
from roost.services.errors import ServiceError

Generation = Literal["current", "documented"]
PAGE = 100


class UpstreamError(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("upstream_failed", message)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class RemoteProfile(_Doc):
    id: int | str
    name: str | None = None
    picture: str | None = None
    bio: str | None = None
    location: str | None = None
    age: int | None = None


class RemoteTracker(_Doc):
    """The recorded tracker document (Roost's additions `username` and `stoppedAt` are optional)."""

    id: str = Field(alias="_id")
    alias: str
    status: Literal["active", "stopped"]
    createdAt: int
    updatedAt: int
    firstStats: int | None = None
    profile: RemoteProfile
    username: str | None = None
    stoppedAt: int | None = None


class RemoteSnapshot(_Doc):
    """A timeline stats document: the seed's eight fields and the recorded activity fields."""

    bucket: int = Field(alias="_id")
    tweets: int
    followers: int
    following: int
    lists: int
    createdAt: int
    updatedAt: int
    originals: int | None = None
    retweetStatuses: int | None = None
    deleted: int | None = None
    retweets: int | None = None
    favorites: int | None = None


class TweetBinder:
    """One upstream API and token. `transport` is injected in tests (an in-process app); `timeout` bounds each
    attempt, so a slow answer counts as a failed attempt and is retried."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 6,
        timeout: float = 30.0,
        max_wait: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.attempts = attempts
        self.timeout = timeout
        self.max_wait = max_wait
        self.retries = 0  # attempts that failed and were tried again (shown in the summary)
        self.generation: Generation | None = None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, transport=transport, timeout=None)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, Any], *, probe: bool = False) -> Any:
        """GET with retries; with `probe`, a 404/405 is returned as None (the generation detection)."""
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                self.retries += 1
            wait = min(self.max_wait, 2.0**attempt)
            try:
                async with asyncio.timeout(self.timeout):
                    answer = await self._http.get(path, params=params)
            except (TimeoutError, httpx.TransportError) as exc:
                problem = f"{type(exc).__name__} after {self.timeout:g}s" if isinstance(exc, TimeoutError) else str(exc)
            else:
                if answer.status_code < 300:
                    try:
                        return answer.json()
                    except ValueError:
                        raise UpstreamError(f"GET {path}: the answer is not JSON") from None
                if probe and answer.status_code in (404, 405):
                    return None
                problem = f"{answer.status_code} {_message(answer)}"
                if answer.status_code != 429 and answer.status_code < 500:
                    raise UpstreamError(f"GET {path} was refused: {problem}")
                wait = min(self.max_wait, max(wait, _retry_after(answer)))
            if attempt + 1 < self.attempts:
                await self.clock.sleep(wait)
        raise UpstreamError(f"GET {path} failed {self.attempts} times (last: {problem}); run again to resume")

    async def _pages(self, path: str, params: dict[str, Any], first: Any) -> AsyncIterator[dict[str, Any]]:
        page = first
        while True:
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise UpstreamError(f"GET {path}: not a list envelope ({{pagination, data}})")
            for item in page["data"]:
                yield item
            following = (page.get("pagination") or {}).get("nextResults")
            if following is None or not page["data"]:
                return
            page = await self._get(path, {**params, "offset": int(following)})

    async def trackers(self) -> list[RemoteTracker]:
        """Every tracker of the token's account, oldest first, detecting the generation on the way."""
        params: dict[str, Any] = {"offset": 0, "limit": PAGE}
        current = await self._get("/user-trackers", {**params, "order": "createdAt|1"}, probe=True)
        if current is not None:
            self.generation, path, params, first = (
                "current",
                "/user-trackers",
                {**params, "order": "createdAt|1"},
                current,
            )
        else:
            path = "/user-trackers/me"
            self.generation, first = "documented", await self._get(path, params)
        found = []
        async for item in self._pages(path, params, first):
            try:
                found.append(RemoteTracker.model_validate(item))
            except (ValidationError, TypeError) as exc:
                raise UpstreamError(f"GET {path}: a tracker document is not the recorded shape: {exc}") from None
        return sorted(found, key=lambda t: (t.createdAt, t.id))

    async def timeline(self, tracker_id: str, *, start: int, end: int) -> list[RemoteSnapshot]:
        """Every snapshot of a tracker with start <= _id <= end (`isTimeline=true`), oldest first."""
        path = f"/user-trackers/{tracker_id}/stats"
        body = await self._get(path, {"startDate": start, "endDate": end, "isTimeline": "true"})
        if not isinstance(body, list):
            raise UpstreamError(f"GET {path}: not an array of stats documents")
        try:
            return sorted((RemoteSnapshot.model_validate(doc) for doc in body), key=lambda s: s.bucket)
        except (ValidationError, TypeError) as exc:
            raise UpstreamError(f"GET {path}: a stats document is not the recorded shape: {exc}") from None


def _message(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.reason_phrase
    return str(body.get("message") or answer.reason_phrase) if isinstance(body, dict) else answer.reason_phrase


def _retry_after(answer: httpx.Response) -> float:
    try:
        return float(answer.headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0
