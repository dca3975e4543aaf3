"""The dashboard's errors come from its exception handlers alone (web/errors.py): a bad URL, a bad query, a
refused use case and a bad form each get the error page with the right status (and the signed-in navigation), the
JSON a page loads gets `{"available": false, "error": ...}`; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.integration.api_helpers import Harness, harness
from tests.integration.test_api_trackers import names
from tests.integration.test_dashboard import csrf_of, login

EMAIL = "errors@example.com"
NUL = "\x00"


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


def error_page(reply: object, status: int, text: str) -> None:
    """The error page, with its status, its sentence, and the navigation of the signed-in account."""
    assert reply.status_code == status, reply.text  # type: ignore[attr-defined]
    page = reply.text  # type: ignore[attr-defined]
    assert 'id="error-message"' in page and text in page, page[:2000]
    assert EMAIL in page  # the session reached the handler: the page keeps its navigation


async def test_bad_urls_and_queries_show_the_error_page_with_their_status(h: Harness) -> None:
    await h.account(EMAIL, slots=3)
    c = h.client
    csrf = await login(c, EMAIL)
    alias = names(h.world, "ok", 1)[0]
    added = await c.post("/dashboard/trackers", data={"action": "add", "aliases": alias, "csrf": csrf})
    assert added.status_code == 303
    [tid] = re.findall(r'data-tracker="([0-9a-f-]{36})"', (await c.get("/dashboard")).text)

    # An unknown (or another account's) tracker: 404, on the page, its report, its CSV and its JSON alike.
    for path in ("/dashboard/trackers/not-mine", "/dashboard/trackers/not-mine/report",
                 "/dashboard/trackers/not-mine/export.csv"):  # fmt: skip
        error_page(await c.get(path), 404, "No such tracker.")
    missing = await c.get("/dashboard/trackers/not-mine/activity.json")
    assert missing.status_code == 404 and missing.json() == {"available": False, "error": "No such tracker."}

    # A bad query: 400 with a way back to the page without it.
    bad = await c.get(f"/dashboard/trackers/{tid}", params={"range": "decade"})
    error_page(bad, 400, "Unknown range")
    assert f'href="/dashboard/trackers/{tid}" id="error-back"' in bad.text
    error_page(await c.get(f"/dashboard/trackers/{tid}/export.csv", params={"interval": "fortnight"}), 400, "Interval")
    hours = {"range": "custom", "start": "2023-12-01", "end": "2026-11-30", "interval": "hour", "kind": "growth"}
    error_page(await c.get(f"/dashboard/trackers/{tid}/export.csv", params=hours), 400, "use a longer interval")
    tz = await c.get(f"/dashboard/trackers/{tid}/activity.json", params={"tz": "Mars/Base"})
    assert tz.status_code == 400 and tz.json()["available"] is False and "Time zone" in tz.json()["error"]

    # A use case's refusal keeps its own status, as the API answers it.
    error_page(await c.get("/dashboard/compare", params={"tag": "nope"}), 404, "No such tag.")
    error_page(await c.get("/dashboard/compare", params={"trackers": tid, "metric": "x"}), 400, "Metric must be")
    error_page(await c.get("/dashboard/usage", params={"scope": "all"}), 403, "Only the operators")
    error_page(await c.get("/dashboard/usage", params={"scope": "galaxy"}), 400, "is not one of")


async def test_a_bad_form_shows_the_error_page_and_stores_nothing(h: Harness) -> None:
    token = await h.account(EMAIL, slots=3)
    c = h.client
    csrf = await login(c, EMAIL)
    posted = await c.post("/dashboard/trackers", data={"csrf": csrf, "action": "create_tag", "name": f"x{NUL}"})
    error_page(posted, 400, "cannot be stored")
    tags = await c.get("/user-trackers/tags", headers={"Authorization": f"Bearer {token}"})
    assert tags.status_code == 200 and tags.json()["data"] == []
    # The same form, fixed, goes through: nothing of the failed one lingers.
    fixed = await c.post("/dashboard/trackers", data={"csrf": csrf, "action": "create_tag", "name": "rivals"})
    assert fixed.status_code == 303
    assert "rivals" in (await c.get("/dashboard")).text
    assert csrf_of((await c.get("/dashboard")).text) == csrf
