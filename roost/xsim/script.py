"""Scripted events: things an operator tells the emulator to make happen, for demos and tests of alerts.

The world is a pure function of (seed, account, time), so it cannot be edited; a script lies over it instead.
Each event names an account and a (virtual) instant and changes what lookups and timelines show from then on:

- `burst`: `followers` more followers (negative: a mass unfollow), gained evenly over `hours` from `at`, kept;
- `suspend` / `protect`: the account reads as suspended / protected from `at` until `until` (None: for good);
  a suspended account's timeline is refused, a protected one's is not authorized, as for the world's own fates;
- `rename`: from `at` the account answers to `new_name` and its old name no longer resolves; the new name takes
  precedence over whatever account the world had under it;
- `delete`: from `at` the account is gone (lookups answer "not found").

A script is in memory: it lasts as long as the emulator process, like the clock and the fault settings.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from roost.xsim import names
from roost.xsim.model import UserState

EventKind = Literal["burst", "suspend", "protect", "rename", "delete"]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)


@dataclass(frozen=True, slots=True)
class ScriptedEvent:
    id: int
    kind: EventKind
    user_id: int
    at: float
    until: float | None = None  # suspend / protect: the end (exclusive); None: never ends
    followers: int = 0  # burst: the change in followers (negative: a mass unfollow)
    hours: float = 1.0  # burst: spread evenly over this many hours
    new_name: str | None = None  # rename: the new screen name, lowercase

    def active(self, t: float) -> bool:
        return t >= self.at and (self.until is None or t < self.until)

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["user_id"] = str(self.user_id)
        return {k: v for k, v in out.items() if v is not None}


class ScriptError(ValueError):
    """An event that cannot be scripted; the message names the field at fault."""


class Script:
    """The scripted events, indexed by account and by new name."""

    def __init__(self) -> None:
        self._events: list[ScriptedEvent] = []
        self._by_user: dict[int, list[ScriptedEvent]] = {}
        self._renamed_to: dict[str, ScriptedEvent] = {}

    def events(self) -> list[ScriptedEvent]:
        return list(self._events)

    def clear(self) -> None:
        self._events.clear()
        self._by_user.clear()
        self._renamed_to.clear()

    def add(
        self,
        kind: str,
        *,
        user_id: int,
        at: float,
        until: float | None = None,
        followers: int = 0,
        hours: float = 1.0,
        new_name: str | None = None,
    ) -> ScriptedEvent:
        if kind not in EVENT_KINDS:
            raise ScriptError(f"kind must be one of {', '.join(EVENT_KINDS)}")
        if not math.isfinite(at):
            raise ScriptError("at must be a finite unix time")
        if until is not None and (kind not in ("suspend", "protect") or not until > at):
            raise ScriptError("until must be later than at, and only for suspend or protect")
        if kind == "burst" and (followers == 0 or not 0 < hours <= 24 * 30):
            raise ScriptError("a burst needs followers (non-zero) and hours in (0, 720]")
        if kind == "rename":
            if new_name is None or not names.valid(new_name):
                raise ScriptError("new_name must be a valid screen name (1-15 letters, digits or _)")
            new_name = new_name.lower()
            if new_name in self._renamed_to:
                raise ScriptError(f"another scripted account is already renamed to {new_name}")
        event = ScriptedEvent(len(self._events) + 1, kind, user_id, at, until, followers, hours, new_name)
        self._events.append(event)
        self._by_user.setdefault(user_id, []).append(event)
        if new_name is not None:
            self._renamed_to[new_name] = event
        return event

    def touches(self, user_id: int) -> bool:
        return user_id in self._by_user

    def deleted(self, user_id: int, t: float) -> bool:
        return any(e.kind == "delete" and t >= e.at for e in self._by_user.get(user_id, ()))

    def renamed_to(self, name: str, t: float) -> int | None:
        """The account a scripted rename gave this (lowercase) name to by t, or None."""
        event = self._renamed_to.get(name)
        return event.user_id if event is not None and t >= event.at else None

    def renamed_away(self, user_id: int, t: float) -> bool:
        """Whether the account's original name stopped resolving by t (a scripted rename)."""
        return any(e.kind == "rename" and t >= e.at for e in self._by_user.get(user_id, ()))

    def apply(self, state: UserState, t: float) -> UserState:
        """The account as the script makes it look at t."""
        events = self._by_user.get(state.id)
        if not events:
            return state
        followers = state.followers_count
        status = state.status
        username = state.username
        for e in events:
            if e.kind == "burst" and t > e.at:
                share = min(1.0, (t - e.at) / (e.hours * 3600.0))
                followers += int(e.followers * share)
            elif e.kind == "suspend" and e.active(t):
                status = "suspended"
            elif e.kind == "protect" and e.active(t) and status != "suspended":
                status = "protected"
            elif e.kind == "rename" and t >= e.at and e.new_name is not None:
                username = e.new_name
        return dataclasses.replace(state, followers_count=max(0, followers), status=status, username=username)


__all__ = ["EVENT_KINDS", "Script", "ScriptError", "ScriptedEvent"]
