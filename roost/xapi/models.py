"""What Roost keeps from X API v2 answers: users with their counts, and per-item lookup problems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from roost.core.domain import Snapshot

ProblemKind = Literal["not_found", "suspended", "protected", "other"]

USER_FIELDS = "created_at,description,location,protected,public_metrics,verified,profile_image_url"


@dataclass(frozen=True, slots=True)
class XUser:
    id: int
    username: str
    name: str
    protected: bool
    followers: int
    following: int
    tweets: int
    lists: int
    # The profile (Tweet Binder's tracker `profile`); None when X did not send the field.
    description: str | None = None
    profile_image_url: str | None = None
    location: str | None = None
    created_at: int | None = None  # account creation, unix seconds

    def snapshot(self, *, bucket: int, now: int) -> Snapshot:
        """These counts as the snapshot of `bucket`, collected at `now`."""
        return Snapshot(self.id, bucket, self.tweets, self.followers, self.following, self.lists, now, now)


def _unix(value: Any) -> int | None:
    """X's `created_at` (`2009-06-02T20:12:29.000Z`) as unix seconds; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class LookupProblem:
    """An id or name the upstream could not give us, and why."""

    value: str
    kind: ProblemKind
    detail: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    users: list[XUser]
    problems: list[LookupProblem]


def parse_user(item: dict[str, Any]) -> XUser:
    metrics = item.get("public_metrics") or {}
    return XUser(
        id=int(item["id"]),
        username=str(item["username"]),
        name=str(item.get("name", "")),
        protected=bool(item.get("protected", False)),
        followers=int(metrics.get("followers_count", 0)),
        following=int(metrics.get("following_count", 0)),
        # Post-era payloads may carry only post_count.
        tweets=int(metrics.get("tweet_count", metrics.get("post_count", 0))),
        lists=int(metrics.get("listed_count", 0)),
        description=_text(item.get("description")),
        profile_image_url=_text(item.get("profile_image_url")),
        location=_text(item.get("location")),
        created_at=_unix(item.get("created_at")),
    )


def parse_problem(item: dict[str, Any]) -> LookupProblem:
    """Classify an `errors` item. X says 'suspended' only in the detail text of a Forbidden problem."""
    detail = str(item.get("detail", ""))
    title = str(item.get("title", ""))
    value = str(item.get("value", item.get("resource_id", "")))
    kind: ProblemKind
    if "suspended" in detail.lower():
        kind = "suspended"
    elif title == "Not Found Error" or item.get("type", "").endswith("/resource-not-found"):
        kind = "not_found"
    elif title == "Authorization Error" or "not-authorized" in str(item.get("type", "")):
        kind = "protected"
    else:
        kind = "other"
    return LookupProblem(value=value, kind=kind, detail=detail or title)


def parse_lookup(body: dict[str, Any]) -> LookupResult:
    data = body.get("data") or []
    if isinstance(data, dict):  # single-user routes answer with an object
        data = [data]
    return LookupResult(
        users=[parse_user(item) for item in data],
        problems=[parse_problem(item) for item in body.get("errors") or []],
    )
