"""The dashboard's rooms: pages grouped by what they show, each module with its own router under /dashboard.
`router` gathers them for `roost.web.install`."""

from __future__ import annotations

from fastapi import APIRouter

from roost.web.rooms import compare, keys, sessions, tracker, trackers

router = APIRouter()
for room in (sessions, trackers, tracker, compare, keys):
    router.include_router(room.router)
