"""X Profiles (Tweet Binder's `/profiles/twitter/by-name` and `/by-id`): who X accounts are, from the store when
Roost already knows them, else from one batched upstream lookup. Unknown ones are left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roost.core import domain
from roost.services.errors import Invalid
from roost.services.runtime import Runtime
from roost.services.upstream import upstream_refusal
from roost.store import xusers as xuser_store
from roost.xapi import XApiError, XUser

MAX_PROFILES = 100
ID_DIGITS = 19


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    name: str
    username: str


def _split(field: str, raw: str) -> list[str]:
    items = [item.strip() for item in raw.split(",")]
    if not raw.strip() or any(not item for item in items) or len(items) > MAX_PROFILES:
        raise Invalid(field, f"{field} takes 1 to {MAX_PROFILES} comma-separated values.")
    return list(dict.fromkeys(items))


def parse_names(raw: str) -> list[str]:
    names = []
    for item in _split("profileNames", raw):
        try:
            names.append(domain.normalize_alias(item))
        except domain.AliasError as exc:
            raise Invalid("profileNames", f"profileNames: {exc}.") from None
    return list({n.lower(): n for n in names}.values())


def parse_ids(raw: str) -> list[int]:
    items = _split("profileIds", raw)
    bad = next((i for i in items if not (i.isdigit() and len(i) <= ID_DIGITS and int(i) < 2**63)), None)
    if bad is not None:
        raise Invalid("profileIds", f"profileIds: '{bad}' is not an X user id (1 to 19 digits).")
    return list(dict.fromkeys(int(i) for i in items))


async def _upstream(rt: Runtime, *, names: Sequence[str] = (), ids: Sequence[int] = ()) -> list[XUser]:
    try:
        if names:
            return (await rt.xclient.users_by_usernames(list(names))).users
        return (await rt.xclient.users_by_ids(list(ids))).users
    except XApiError as exc:
        raise upstream_refusal(exc, action="no profile was looked up") from exc


async def by_names(rt: Runtime, raw: str) -> list[Profile]:
    """The profiles of these screen names (case-insensitive), in the order asked."""
    names = parse_names(raw)
    keys = [n.lower() for n in names]
    async with rt.engine.connect() as conn:
        rows = await xuser_store.get_x_users_by_name(conn, usernames=keys)
    known = {key: Profile(row.id, row.name, row.username) for key, row in rows.items()}
    missing = [n for n in names if n.lower() not in known]
    if missing:
        for user in await _upstream(rt, names=missing):
            known[user.username.lower()] = Profile(user.id, user.name, user.username)
    return [known[k] for k in keys if k in known]


async def by_ids(rt: Runtime, raw: str) -> list[Profile]:
    """The profiles of these X user ids, in the order asked."""
    ids = parse_ids(raw)
    async with rt.engine.connect() as conn:
        rows = await xuser_store.get_x_users(conn, x_user_ids=ids)
    known = {uid: Profile(row.id, row.name, row.username) for uid, row in rows.items()}
    missing = [i for i in ids if i not in known]
    if missing:
        for user in await _upstream(rt, ids=missing):
            known[user.id] = Profile(user.id, user.name, user.username)
    return [known[i] for i in ids if i in known]
