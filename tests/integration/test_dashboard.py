"""The dashboard over HTTP (no browser): login, CSRF, pages, actions and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.api_helpers import Harness, harness
from tests.integration.test_api_trackers import names

PASSWORD = "correct horse"


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def login(client: httpx.AsyncClient, email: str) -> str:
    page = await client.get("/dashboard/login")
    assert page.status_code == 200
    r = await client.post("/dashboard/login", data={"email": email, "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard", r.text
    home = await client.get("/dashboard")
    assert home.status_code == 200
    return csrf_of(home.text)


async def test_login_pages_actions_and_errors(h: Harness) -> None:
    await h.account("dash@example.com", slots=3, password=PASSWORD)
    c = h.client
    assert (await c.get("/")).headers["location"] == "/dashboard"
    r = await c.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"

    # Wrong password and a missing CSRF token both send the user back to the form with a message.
    page = await c.get("/dashboard/login")
    wrong = await c.post(
        "/dashboard/login", data={"email": "dash@example.com", "password": "x", "csrf": csrf_of(page.text)}
    )
    assert wrong.headers["location"].endswith("error=wrong")
    assert "Wrong email or password" in (await c.get(wrong.headers["location"])).text
    stale = await c.post("/dashboard/login", data={"email": "dash@example.com", "password": PASSWORD})
    assert stale.headers["location"].endswith("error=expired")

    csrf = await login(c, "dash@example.com")
    cookie = c.cookies.get("roost_session")
    assert cookie and cookie.startswith("rst_")
    home = (await c.get("/dashboard")).text
    assert "Simulated data" in home and "3</strong> of 3" in home

    # A form without the right CSRF token changes nothing.
    alias = names(h.world, "ok", 2)
    forged = await c.post("/dashboard/trackers", data={"action": "add", "aliases": alias[0], "csrf": "nope"})
    assert forged.status_code == 303
    assert "expired" in (await c.get("/dashboard")).text and "@" + alias[0] not in (await c.get("/dashboard")).text

    # The add box adds what it can: invalid items are held back with the reason (a space inside one item is
    # pointed out, never split into @bad), the valid names are tracked, the names not added come back in the box.
    r = await c.post(
        "/dashboard/trackers",
        data={"action": "add", "aliases": f"{alias[0]}, bad name!, @{alias[1]}, bad!", "csrf": csrf},
    )
    assert r.status_code == 303
    home = (await c.get("/dashboard")).text
    assert '<li class="bad" data-alias="bad!">' in home and "not a valid X screen name" in home
    assert '<li class="bad" data-alias="bad name!">' in home and "has a space inside" in home
    assert home.count('<li class="ok"') == 2 and "now tracking" in home and "1</strong> of 3" in home
    assert "bad name!, bad!</textarea>" in home
    ids = re.findall(r'data-tracker="([0-9a-f-]{36})"', home)
    assert len(ids) == 2

    h.clock.advance(3600)
    page = await c.get(f"/dashboard/trackers/{ids[0]}", params={"range": "7d"})
    assert page.status_code == 200 and 'id="chart-followers"' in page.text
    for bad in ({"range": "decade"}, {"tz": "Mars/Base"}, {"range": "custom", "start": "2026-01-05"},
                {"start": "2026-02-01", "end": "2026-01-01"}, {"start": "soon", "end": "later"},
                {"interval": "fortnight"}):  # fmt: skip
        r = await c.get(f"/dashboard/trackers/{ids[0]}", params=bad)
        assert r.status_code == 400 and 'id="error-message"' in r.text, bad
    assert (await c.get("/dashboard/trackers/not-mine")).status_code == 404
    csv = await c.get(f"/dashboard/trackers/{ids[0]}/export.csv", params={"range": "7d"})
    assert csv.status_code == 200 and csv.text.startswith("\ufeffdate (UTC),_id,tweets,followers")
    assert csv.text.splitlines()[0].endswith(",updatedAt,glitched")
    activity = await c.get(f"/dashboard/trackers/{ids[0]}/activity.json", params={"range": "7d"})
    assert activity.status_code == 200, activity.text
    assert "data" in activity.json()

    await c.post("/dashboard/trackers", data={"action": "create_tag", "name": "rivals", "csrf": csrf})
    home = (await c.get("/dashboard")).text
    tag_id = re.search(r'<option value="([0-9a-f-]{36})">rivals', home)
    assert tag_id
    await c.post("/dashboard/trackers", data={"action": "tag", "tag": tag_id.group(1), "ids": ids, "csrf": csrf})
    compare = await c.get("/dashboard/compare", params={"tag": tag_id.group(1), "range": "7d"})
    assert compare.status_code == 200 and compare.text.count("data-tracker=") == 2
    assert (await c.get("/dashboard/compare", params={"tag": "nope"})).status_code == 404  # as the API answers
    assert (await c.get("/dashboard/compare", params={"tag": tag_id.group(1), "metric": "x"})).status_code == 400

    await c.post("/dashboard/trackers", data={"action": "stop", "ids": [ids[0]], "csrf": csrf})
    home = (await c.get("/dashboard")).text
    assert "Stopped 1 tracker" in home and "2</strong> of 3" in home

    await c.post("/dashboard/logout", data={"csrf": csrf})
    assert (await c.get("/dashboard")).status_code == 303
    r = await c.get("/me", headers={"Authorization": f"Bearer {cookie}"})
    assert r.status_code == 401  # logging out revoked the token
