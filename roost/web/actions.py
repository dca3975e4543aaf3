"""The dashboard's form actions (add, stop, tag and untag trackers; create, rename and delete tags).

Each action answers with a redirect and a one-line flash message (POST-redirect-GET), so reloading a page never
submits a form twice. The work is the services'; this module only reads the form and words the outcome.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from roost.services import tags as tag_service
from roost.services import trackers as tracker_service
from roost.services.errors import NotFound, ServiceError
from roost.services.runtime import Runtime
from roost.web import data
from roost.web.session import Session, flash, flash_items


def back(request: Request, to: str, message: str) -> Response:
    response = RedirectResponse(to, 303)
    flash(response, request, message)
    return response


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


def _ids(form: FormData) -> list[str]:
    return [v[:64] for v in form.getlist("ids") if isinstance(v, str) and v][:1000]


async def dispatch(request: Request, rt: Runtime, session: Session, form: FormData) -> Response:
    action = _text(form, "action", 20)
    if action == "add":
        return await add_trackers(request, rt, session, _text(form, "aliases"), archive=form.get("archive") == "on")
    if action in ("archive_on", "archive_off"):
        return await archive_trackers(request, rt, session, _ids(form), action == "archive_on")
    if action == "stop":
        return await stop_trackers(request, rt, session, _ids(form))
    if action in ("tag", "untag"):
        return await retag(request, rt, session, _ids(form), _text(form, "tag", 64), add=action == "tag")
    if action == "create_tag":
        return await create_tag(request, rt, session, _text(form, "name", 200))
    if action == "rename_tag":
        return await rename_tag(request, rt, session, _text(form, "tag", 64), _text(form, "name", 200))
    if action == "delete_tag":
        return await delete_tag(request, rt, session, _text(form, "tag", 64))
    return back(request, "/dashboard", "Unknown action.")


def results(request: Request, to: str, items: list[data.AddResult], keep: str = "") -> Response:
    response = RedirectResponse(to, 303)
    flash_items(response, request, [{"ok": i.ok, "alias": i.alias, "message": i.message} for i in items], keep)
    return response


async def add_trackers(request: Request, rt: Runtime, session: Session, text: str, *, archive: bool = True) -> Response:
    """The add box adds what it can: names separated by commas or new lines (see `data.alias_tokens`). Each valid
    name succeeds or fails on its own, like the API's; an invalid one is held back with the reason (a space inside
    one item is pointed out), and the names not added come back in the box to fix. Without `archive`, posts are
    not read back (hourly snapshots only)."""
    aliases = data.alias_tokens(text)
    if not aliases:
        return back(request, "/dashboard", "Type one or more X screen names to track.")
    if len(aliases) > tracker_service.MAX_ALIASES:
        return back(request, "/dashboard", f"Add at most {tracker_service.MAX_ALIASES} trackers at a time.")
    bad = data.invalid_tokens(aliases)
    invalid = {b.alias for b in bad}
    good = [a for a in aliases if a not in invalid]
    done: list[data.AddResult] = []
    failed: list[data.AddResult] = []
    if good:
        try:
            unarchived = () if archive else good
            outcome = await tracker_service.create(
                rt, session.account, good, backfill_posts=True, unarchived=unarchived
            )
        except ServiceError:
            return back(request, "/dashboard", "X could not be reached; nothing was added. Try again in a minute.")
        note = "now tracking; posts are being read back" if archive else "now tracking (hourly snapshots, no archive)"
        done = [data.AddResult(str(i["alias"]), True, note) for i in outcome.ok]
        failed = [
            data.AddResult(
                str(e["alias"]).lstrip("@"),
                False,
                "is already tracked; not added again" if e["code"] == "already_tracking" else str(e["message"]),
            )
            for e in outcome.errors
        ]
    order = {tracker_service.alias_key(a): k for k, a in enumerate(aliases)}
    items = sorted(done + failed + bad, key=lambda r: order.get(tracker_service.alias_key(r.alias), len(order)))
    # Back in the box, in the order typed: the names to fix (not those already tracked: nothing to fix there).
    keep = [r.alias for r in items if not r.ok and not r.message.startswith("is already tracked")]
    return results(request, "/dashboard", items, keep=", ".join(keep))


async def stop_trackers(request: Request, rt: Runtime, session: Session, ids: list[str]) -> Response:
    if not ids:
        return back(request, "/dashboard", "Tick the trackers to stop first.")
    outcome = await tracker_service.stop(rt, session.account, ids)
    stopped, skipped = len(outcome.ok), len(outcome.errors)
    message = (
        "Stopped 1 tracker; its data stays readable."
        if stopped == 1
        else f"Stopped {stopped} trackers; their data stays readable."
    )
    if skipped:
        message += f" {skipped} {'was' if skipped == 1 else 'were'} already stopped or unknown."
    return back(request, "/dashboard", message)


async def archive_trackers(request: Request, rt: Runtime, session: Session, ids: list[str], on: bool) -> Response:
    if not ids:
        return back(request, "/dashboard", "Tick the trackers to switch first.")
    switched = 0
    for tracker_id in ids:
        try:
            await tracker_service.set_archive(rt, session.account, tracker_id, on)
        except ServiceError:  # unknown, foreign or stopped: counted below, nothing written for it
            continue
        switched += 1
    plural = "s" if switched != 1 else ""
    message = (
        f"Archiving the posts of {switched} tracker{plural}."
        if on
        else (f"Stopped archiving the posts of {switched} tracker{plural}; their hourly snapshots go on.")
    )
    if switched < len(ids):
        message += f" {len(ids) - switched} stopped or unknown were left as they were."
    return back(request, "/dashboard", message)


async def retag(request: Request, rt: Runtime, session: Session, ids: list[str], tag: str, *, add: bool) -> Response:
    """Put the ticked trackers in a tag (`add`), or take the picked one out of it."""
    if not ids or not tag:
        return back(
            request,
            "/dashboard",
            "Tick some trackers and pick a tag first." if add else "Pick a tracker and a tag first.",
        )
    try:  # assign() writes nothing when any id is unknown
        await tag_service.assign(
            rt, session.account, add=[tag] if add else [], remove=[] if add else [tag], tracker_ids=ids
        )
    except NotFound:
        return back(request, "/dashboard", f"Unknown tag or tracker{'s' if add else ''}; nothing was changed.")
    done = f"Tagged {len(ids)} tracker{'s' if len(ids) != 1 else ''}." if add else "Removed the tracker from the tag."
    return back(request, "/dashboard", done)


async def create_tag(request: Request, rt: Runtime, session: Session, name: str) -> Response:
    try:
        await tag_service.create(rt, session.account, name)
    except ServiceError as exc:
        return back(request, "/dashboard", exc.message)
    return back(request, "/dashboard", f"Created tag '{name.strip()}'.")


async def rename_tag(request: Request, rt: Runtime, session: Session, tag: str, name: str) -> Response:
    try:
        new = await tag_service.rename(rt, session.account, tag, name)
    except ServiceError as exc:
        return back(request, "/dashboard", exc.message)
    return back(request, "/dashboard", f"Renamed the tag to '{new}'.")


async def delete_tag(request: Request, rt: Runtime, session: Session, tag: str) -> Response:
    try:
        await tag_service.delete(rt, session.account, tag)
    except ServiceError as exc:
        return back(request, "/dashboard", exc.message)
    return back(request, "/dashboard", "Deleted the tag; its trackers were not touched.")
