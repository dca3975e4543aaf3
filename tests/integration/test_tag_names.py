"""Tag names people cannot tell apart are refused through every face that makes or renames tags: the API's 400
in Tweet Binder's error body, the dashboard's message; nothing is written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.api_helpers import Harness, harness
from tests.integration.test_dashboard import PASSWORD, login


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


async def test_api_refuses_invisible_mixed_and_look_alike_tag_names(h: Harness) -> None:
    auth = {"Authorization": f"Bearer {await h.account('tags@example.com')}"}
    assert (await h.client.post("/user-trackers/tags", json={"name": "clubs"}, headers=auth)).status_code == 200
    for name, words in [
        ("clubs\u202e", "invisible formatting character (U+202E)"),
        ("clu\u200bbs", "invisible formatting character (U+200B)"),
        ("\u0441lubs", "mixes Cyrillic and Latin letters"),
        ("Clubs", "looks like the existing tag 'clubs'"),
        ("c1ubs", "looks like the existing tag 'clubs'"),
        ("\uff43\uff4c\uff55\uff42\uff53", "looks like the existing tag 'clubs'"),
    ]:
        r = await h.client.post("/user-trackers/tags", json={"name": name}, headers=auth)
        assert r.status_code == 400, (name, r.text)
        body = r.json()
        assert body["statusCode"] == 400 and body["extra"] == {"code": "invalid_request", "field": "name"}, body
        assert words in body["message"], body
    listed = (await h.client.get("/user-trackers/tags", headers=auth)).json()["data"]
    assert [t["name"] for t in listed] == ["clubs"]
    # NFC: a decomposed name is stored composed, and the composed one is then the same name.
    made = await h.client.post("/user-trackers/tags", json={"name": "Cafe\u0301"}, headers=auth)
    assert made.status_code == 200
    dup = await h.client.post("/user-trackers/tags", json={"name": "Caf\u00e9"}, headers=auth)
    assert dup.status_code == 400 and dup.json()["extra"]["code"] == "DUP_TAG_NAME"
    names = sorted(t["name"] for t in (await h.client.get("/user-trackers/tags", headers=auth)).json()["data"])
    assert names == ["Caf\u00e9", "clubs"]


async def test_dashboard_rename_refuses_a_look_alike(h: Harness) -> None:
    token = await h.account("dash@example.com", password=PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}
    for name in ("clubs", "rivals"):
        assert (await h.client.post("/user-trackers/tags", json={"name": name}, headers=auth)).status_code == 200
    tags = {t["name"]: t["_id"] for t in (await h.client.get("/user-trackers/tags", headers=auth)).json()["data"]}
    csrf = await login(h.client, "dash@example.com")
    data = {"action": "rename_tag", "tag": tags["rivals"], "name": "\u0441lubs", "csrf": csrf}
    r = await h.client.post("/dashboard/trackers", data=data)
    assert r.status_code == 303
    assert "mixes Cyrillic and Latin letters" in (await h.client.get("/dashboard")).text
    data["name"] = "CLUBS"
    await h.client.post("/dashboard/trackers", data=data)
    assert "looks like the existing tag" in (await h.client.get("/dashboard")).text
    data["name"] = "Rivals"  # its own old name is no clash
    await h.client.post("/dashboard/trackers", data=data)
    names = sorted(t["name"] for t in (await h.client.get("/user-trackers/tags", headers=auth)).json()["data"])
    assert names == ["Rivals", "clubs"]
