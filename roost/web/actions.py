"""The dashboard's form actions (add, stop, tag trackers; create tags) and small helpers the pages share.

Each action answers with a redirect and a one-line flash message (POST-redirect-GET), so reloading a page never
submits a form twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from roost import tracking
from roost.api.app import Services
from roost.store import tags as tag_store
from roost.store import trackers as tracker_store
from roost.store.db import write_transaction
from roost.store.trackers import Tracker
from roost.web.data import InputError
from roost.web.session import Session, flash
from roost.xapi import XApiRateLimited, XApiUnavailable

MAX_COMPARE = 20


def back(request: Request, to: str, message: str) -> Response:
    response = RedirectResponse(to, 303)
    flash(response, request, message)
    return response


def has_route(app: FastAPI, path: str) -> bool:
    """Whether the app serves `path` (a route template), e.g. the activity API another module may add.

    Asked of the OpenAPI document (built once and cached by FastAPI): included routers are not plain `Route`s."""
    return path in app.openapi().get("paths", {})


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


def _ids(form: FormData) -> list[str]:
    return [v[:64] for v in form.getlist("ids") if isinstance(v, str) and v][:1000]


async def dispatch(request: Request, services: Services, session: Session, form: FormData) -> Response:
    action = _text(form, "action", 20)
    if action == "add":
        return await add_trackers(request, services, session, _text(form, "aliases"))
    if action == "stop":
        return await stop_trackers(request, services, session, _ids(form))
    if action == "tag":
        return await tag_trackers(request, services, session, _ids(form), _text(form, "tag", 64))
    if action == "create_tag":
        return await create_tag(request, services, session, _text(form, "name", 200))
    return back(request, "/dashboard", "Unknown action.")


async def add_trackers(request: Request, services: Services, session: Session, text: str) -> Response:
    aliases = [a for a in text.replace(",", " ").split() if a]
    if not aliases:
        return back(request, "/dashboard", "Type one or more X screen names to track.")
    if len(aliases) > tracking.MAX_ALIASES:
        return back(request, "/dashboard", f"Add at most {tracking.MAX_ALIASES} trackers at a time.")
    try:
        outcome = await tracking.create_trackers(
            services.engine,
            services.xclient,
            account_id=session.account.id,
            aliases=aliases,
            now=services.clock.now(),
            interval=services.settings.snapshot_interval,
        )
    except (XApiUnavailable, XApiRateLimited):
        return back(request, "/dashboard", "X could not be reached; nothing was added. Try again in a minute.")
    parts = []
    if outcome.ok:
        parts.append("Now tracking " + ", ".join("@" + item["alias"] for item in outcome.ok) + ".")
    parts.extend(f"@{e['alias']}: {e['message']}" for e in outcome.errors)
    return back(request, "/dashboard", " ".join(parts))


async def stop_trackers(request: Request, services: Services, session: Session, ids: list[str]) -> Response:
    if not ids:
        return back(request, "/dashboard", "Tick the trackers to stop first.")
    async with write_transaction(services.engine) as conn:
        outcomes = await tracker_store.stop_trackers(
            conn, account_id=session.account.id, ids=ids, now=int(services.clock.now())
        )
    stopped = sum(1 for _, result in outcomes if result == "ok")
    skipped = len(outcomes) - stopped
    message = f"Stopped {stopped} tracker{'s' if stopped != 1 else ''}; their data stays readable."
    if skipped:
        message += f" {skipped} {'was' if skipped == 1 else 'were'} already stopped or unknown."
    return back(request, "/dashboard", message)


async def tag_trackers(request: Request, services: Services, session: Session, ids: list[str], tag: str) -> Response:
    if not ids or not tag:
        return back(request, "/dashboard", "Tick some trackers and pick a tag first.")
    async with write_transaction(services.engine) as conn:
        missing = await tag_store.assign(
            conn, account_id=session.account.id, add=[tag], remove=[], tracker_ids=ids, now=int(services.clock.now())
        )
    if missing:  # assign() writes nothing when any id is unknown
        return back(request, "/dashboard", "Unknown tag or trackers; nothing was changed.")
    return back(request, "/dashboard", f"Tagged {len(ids)} tracker{'s' if len(ids) != 1 else ''}.")


async def create_tag(request: Request, services: Services, session: Session, name: str) -> Response:
    if not name or len(name) > 64:
        return back(request, "/dashboard", "A tag name needs 1 to 64 characters.")
    async with write_transaction(services.engine) as conn:
        tag_id = await tag_store.create_tag(
            conn, account_id=session.account.id, name=name, now=int(services.clock.now())
        )
    if tag_id is None:
        return back(request, "/dashboard", f"A tag called '{name}' already exists.")
    return back(request, "/dashboard", f"Created tag '{name}'.")


async def compare_trackers(services: Services, session: Session, request: Request, tags: list[Any]) -> list[Tracker]:
    """The trackers a compare page asks for: `tag=` (one of the account's tags) or `trackers=a,b` (owned ids)."""
    q = request.query_params
    tag, listed = q.get("tag", ""), q.get("trackers", "")
    if tag:
        found = next((t for t in tags if t.id == tag), None)
        if found is None:
            raise InputError("tag", "No such tag.")
        ids = list(found.tracker_ids)
    else:
        ids = list(dict.fromkeys(i.strip() for i in listed.split(",") if i.strip()))
    if len(ids) > MAX_COMPARE:
        raise InputError("trackers", f"Compare at most {MAX_COMPARE} trackers at a time.")
    async with services.engine.connect() as conn:
        owned = await tracker_store.get_owned_trackers(conn, account_id=session.account.id, ids=ids)
    if not tag and len(owned) < len(ids):
        raise InputError("trackers", "Some of those trackers do not exist.")
    return sorted(owned, key=lambda t: (t.alias.lower(), t.id))
