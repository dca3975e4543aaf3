"""Scheduled reports and budget rules through the API (in the OpenAPI; bad input is a 4xx in Tweet Binder's error
body naming the field), the dashboard (list, add, send now, remove; the linked files behind its login) and the CLI
(`roost alerts report ...`; one `Error:` line and exit 1 on bad input)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.api_helpers import Harness, harness
from tests.integration.test_alerts_faces import _prepare, error_of, fails_with, roost
from tests.integration.test_dashboard import csrf_of, login


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url, operators="ops@example.com") as built:
        yield built


async def test_reports_api_and_dashboard(h: Harness) -> None:
    token = await h.account("api@example.com")
    auth_ = {"Authorization": f"Bearer {token}"}
    post, get = h.client.post, h.client.get
    r = await post("/user-trackers/multi", json=[{"alias": "tole68"}, {"alias": "GAB521"}], headers=auth_)
    assert r.status_code == 200 and len(r.json()["ok"]) == 2, r.text
    board = (await post("/alerts/channels", json={"url": "dashboard"}, headers=auth_)).json()
    good = {"every": "week", "at": "09:00", "tz": "Europe/Madrid", "weekday": "mon", "trackers": ["tole68", "GAB521"],
            "channel": board["id"]}  # fmt: skip
    made = await post("/alerts/reports", json=good, headers=auth_)
    assert made.status_code == 201, made.text
    doc = made.json()
    assert doc["schedule"] == "every Mon at 09:00 (Europe/Madrid)" and doc["trackers"] == ["tole68", "GAB521"]
    bad = [({"tz": "Mars/Olympus"}, "tz"), ({"at": "25:61"}, "at"), ({"at": "nine"}, "at"),
           ({"trackers": ["nobody"]}, "trackers"), ({"channel": "nope"}, "channel"), ({"every": "fortnight"}, "every"),
           ({"weekday": "funday"}, "weekday"), ({"trackers": []}, "trackers"),
           ({"every": "month", "weekday": None, "day": 40}, "day")]  # fmt: skip
    for change, field in bad:
        error_of(await post("/alerts/reports", json={**good, **change}, headers=auth_), 400, field)
    listed = (await get("/alerts/reports", headers=auth_)).json()
    assert [x["id"] for x in listed] == [doc["id"]]
    sent = await post(f"/alerts/reports/{doc['id']}/send", headers=auth_)
    assert sent.status_code == 200 and sent.json()["status"] == "delivered", sent.text
    note = next(n for n in (await get("/alerts/notifications", headers=auth_)).json() if n["kind"] == "report")
    start = note["payload"]["data"]["report"]["period"]["start"]
    assert note["payload"]["data"]["links"][0].endswith(f"/dashboard/alerts/reports/{doc['id']}/{start}.csv")
    png = await get(f"/alerts/reports/{doc['id']}/{start}.png", headers=auth_)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and png.headers["content-type"] == "image/png"
    assert (await get(f"/alerts/reports/{doc['id']}/{start + 1}.csv", headers=auth_)).status_code == 404
    other = {"Authorization": f"Bearer {await h.account('other@example.com')}"}
    assert (await get(f"/alerts/reports/{doc['id']}/{start}.csv", headers=other)).status_code == 404
    assert (await h.client.delete(f"/alerts/reports/{doc['id']}", headers=other)).status_code == 404
    # Budget rules: operators only (the whole X bill), no tracker.
    error_of(await post("/alerts/rules", json={"kind": "budget", "share": "80%"}, headers=auth_), 403, "scope")
    ops = {"Authorization": f"Bearer {await h.account('ops@example.com')}"}
    rule = await post("/alerts/rules", json={"kind": "budget", "share": "80%"}, headers=ops)
    assert rule.status_code == 201 and rule.json()["description"] == "the X budget passes 80%", rule.text
    error_of(await post("/alerts/rules", json={"kind": "budget", "share": "0%"}, headers=ops), 400, "share")
    error_of(await post("/alerts/rules", json={"kind": "budget", "limit": "credits"}, headers=ops), 400, "limit")
    paths = (await get("/openapi.json")).json()["paths"]
    for path in ("/alerts/reports", "/alerts/reports/{reportId}", "/alerts/reports/{reportId}/send",
                 "/alerts/reports/{reportId}/{periodStart}.{ext}"):  # fmt: skip
        assert path in paths, sorted(paths)

    # The dashboard: the reports tab lists it, serves its files behind the login, adds and removes.
    c = h.client
    assert (await c.get(f"/dashboard/alerts/reports/{doc['id']}/{start}.csv")).status_code == 303  # log in first
    await login(c, "api@example.com")
    page = await c.get("/dashboard/alerts/reports")
    assert page.status_code == 200 and "every Mon at 09:00 (Europe/Madrid)" in page.text and "@GAB521" in page.text
    csv = await c.get(f"/dashboard/alerts/reports/{doc['id']}/{start}.csv")
    assert csv.status_code == 200 and "tracker,metric,start,end,change" in csv.content.decode("utf-8-sig")
    csrf = csrf_of(page.text)
    refused = await c.post("/dashboard/alerts/reports", data={"csrf": csrf, "action": "report-add", "every": "week",
                       "at": "09:00", "tz": "Nowhere/Town", "channel": board["id"], "trackers": "tole68"})  # fmt: skip
    assert refused.status_code == 303 and "time zone" in (await c.get("/dashboard/alerts/reports")).text
    added = await c.post("/dashboard/alerts/reports", data={"csrf": csrf, "action": "report-add", "every": "month",
                         "day": "31", "at": "18:30", "tz": "America/New_York", "channel": board["id"],
                         "trackers": ["tole68"]})  # fmt: skip
    assert added.status_code == 303
    page = await c.get("/dashboard/alerts/reports")
    assert "monthly on day 31 at 18:30 (America/New_York)" in page.text, page.text
    await c.post("/dashboard/alerts/reports", data={"csrf": csrf, "action": "report-remove", "report": doc["id"]})
    assert [x["every"] for x in (await get("/alerts/reports", headers=auth_)).json()] == ["month"]
    assert "Reports" in (await c.get("/dashboard/alerts/rules")).text


def test_reports_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    monkeypatch.setenv("ROOST_DATABASE_URL", url)
    asyncio.run(_prepare(url))
    acct = ["--account", "cli@example.com"]
    board = json.loads(roost("alerts", "channel", "add", *acct, "dashboard", "--json").stdout)
    added = roost("alerts", "report", "add", *acct, "--every", "week", "--at", "09:00", "--tz", "Europe/Madrid",
                  "--weekday", "mon", "--trackers", "tole68", "--channel", board["id"], "--json")  # fmt: skip
    assert added.exit_code == 0, added.output
    report = json.loads(added.stdout)
    assert report["schedule"] == "every Mon at 09:00 (Europe/Madrid)"
    fails_with(roost("alerts", "report", "add", *acct, "--every", "week", "--at", "9h", "--tz", "UTC",
                     "--trackers", "tole68", "--channel", board["id"]), "at must be")  # fmt: skip
    fails_with(roost("alerts", "report", "add", *acct, "--every", "week", "--at", "09:00", "--tz", "Moon/Base",
                     "--trackers", "tole68", "--channel", board["id"]), "tz must be")  # fmt: skip
    fails_with(roost("alerts", "report", "add", *acct, "--every", "week", "--at", "09:00", "--tz", "UTC",
                     "--trackers", "nobody", "--channel", board["id"]), "No active tracker")  # fmt: skip
    fails_with(roost("alerts", "report", "add", *acct, "--every", "month", "--day", "3", "--at", "09:00", "--tz",
                     "UTC", "--trackers", "tole68", "--channel", "nope"), "No channel")  # fmt: skip
    listed = roost("alerts", "report", "list", *acct, "--json")
    assert listed.exit_code == 0 and [r["id"] for r in json.loads(listed.stdout)] == [report["id"]]
    table = roost("alerts", "report", "list", *acct)
    assert table.exit_code == 0 and "every Mon at 09:00" in table.stdout
    sent = roost("alerts", "report", "send", *acct, report["id"])
    assert sent.exit_code == 0 and "Delivered the report through Dashboard" in sent.stdout, sent.output
    fails_with(roost("alerts", "report", "send", *acct, "nope"), "No such report")
    assert roost("alerts", "report", "remove", *acct, report["id"]).exit_code == 0
    assert json.loads(roost("alerts", "report", "list", *acct, "--json").stdout) == []
    fails_with(roost("alerts", "rule", "add", *acct, "--budget", "80%"), "operators")
