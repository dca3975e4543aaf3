"""Alerts through the API (documented in the OpenAPI; bad input is a 4xx in Tweet Binder's error body) and the CLI
(`roost alerts ...`; one `Error:` line and exit 1 on bad input)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from roost.cli import app
from roost.config import XSIM_DEFAULT_TOKEN
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.services import trackers as tracking
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from tests.e2e.live import free_port
from tests.integration.alert_receivers import webhook_receiver
from tests.integration.api_helpers import Harness, harness


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


def error_of(r: Any, status: int, field: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"statusCode", "error", "message", "extra"} and body["statusCode"] == status
    assert body["extra"]["field"] == field, body


async def test_alerts_api(h: Harness) -> None:
    token = await h.account("api@example.com")
    auth_ = {"Authorization": f"Bearer {token}"}
    r = await h.client.post("/user-trackers/multi", json=[{"alias": "tole68"}], headers=auth_)
    assert r.status_code == 200 and r.json()["ok"], r.text
    post, get = h.client.post, h.client.get

    board = await post("/alerts/channels", json={"url": "dashboard"}, headers=auth_)
    assert board.status_code == 201 and board.json()["kind"] == "dashboard"
    hook = await post("/alerts/channels", json={"url": "https://example.com/hooks/x", "name": "team"}, headers=auth_)
    assert hook.status_code == 201 and hook.json()["secret"].startswith("whsec_")
    error_of(await post("/alerts/channels", json={"url": "ftp://example.com"}, headers=auth_), 400, "url")
    error_of(await post("/alerts/channels", json={}, headers=auth_), 400, "url")

    rule = {"kind": "change", "tracker": "@tole68", "metric": "followers", "change": "5%", "window": "24h"}
    made = await post("/alerts/rules", json=rule, headers=auth_)
    assert made.status_code == 201, made.text
    assert made.json()["description"] == "followers +5% in 1 d" and made.json()["tracker"] == "tole68"
    assert (await post("/alerts/rules", json={"kind": "state"}, headers=auth_)).json()["tracker"] is None
    error_of(await post("/alerts/rules", json={**rule, "change": "five"}, headers=auth_), 400, "change")
    error_of(await post("/alerts/rules", json={**rule, "window": "3y"}, headers=auth_), 400, "window")
    error_of(await post("/alerts/rules", json={**rule, "kind": "explode"}, headers=auth_), 400, "kind")
    error_of(await post("/alerts/rules", json={"kind": "threshold"}, headers=auth_), 400, "threshold")
    missing = await post("/alerts/rules", json={**rule, "tracker": "nobody"}, headers=auth_)
    assert missing.status_code == 404 and missing.json()["extra"]["code"] == "not_found"

    overview = (await get("/alerts", headers=auth_)).json()
    assert len(overview["channels"]) == 2 and len(overview["rules"]) == 2 and overview["unread"] == 0
    tested = await post(f"/alerts/channels/{board.json()['id']}/test", headers=auth_)
    assert tested.status_code == 200 and tested.json()["status"] == "delivered"
    notes = (await get("/alerts/notifications", params={"unread": "true"}, headers=auth_)).json()
    assert len(notes) == 1 and not notes[0]["read"]
    assert (await post("/alerts/notifications/read", json={}, headers=auth_)).json() == {"ok": True}
    assert (await get("/alerts/notifications", params={"unread": "true"}, headers=auth_)).json() == []
    log = (await get("/alerts/deliveries", headers=auth_)).json()
    assert log[0]["status"] == "delivered" and log[0]["channelKind"] == "dashboard"
    # Another account sees none of it.
    other = {"Authorization": f"Bearer {await h.account('other@example.com')}"}
    assert (await h.client.delete(f"/alerts/rules/{made.json()['id']}", headers=other)).status_code == 404
    assert (await h.client.delete(f"/alerts/rules/{made.json()['id']}", headers=auth_)).status_code == 204
    assert (await get("/alerts", headers={})).status_code == 401
    paths = (await get("/openapi.json")).json()["paths"]
    for path in ("/alerts", "/alerts/channels", "/alerts/rules", "/alerts/notifications", "/alerts/deliveries",
                 "/alerts/channels/{channelId}/test"):  # fmt: skip
        assert path in paths


# ---- the CLI --------------------------------------------------------------------------------------------------------


def roost(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def fails_with(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


async def _prepare(url: str) -> None:
    await upgrade(url)
    clock = VirtualClock(1_795_000_000)
    engine = create_engine(url)
    xclient = XClient(base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=clock,
                      transport=XsimTransport(create_xsim(XsimConfig(seed=2024), clock=clock)))  # fmt: skip
    try:
        async with transaction(engine) as conn:
            account = await account_store.create_account(
                conn, email="cli@example.com", name="cli", password_hash=auth.hash_password("x"), tracker_slots=5,
                now=int(clock.now()),
            )  # fmt: skip
        made = await tracking.create_trackers(
            engine, xclient, account_id=account.id, aliases=["tole68"], now=clock.now(), interval=3600
        )
        assert made.ok
    finally:
        await xclient.aclose()
        await engine.dispose()


def test_alerts_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    monkeypatch.setenv("ROOST_DATABASE_URL", url)
    asyncio.run(_prepare(url))
    acct = ["--account", "cli@example.com"]
    with webhook_receiver(free_port()) as receiver:
        added = roost("alerts", "channel", "add", *acct, receiver.url, "--json")
        assert added.exit_code == 0, added.output
        import json

        channel = json.loads(added.stdout)
        receiver.secret = channel["secret"]
        tested = roost("alerts", "test", channel["id"], *acct)
        assert tested.exit_code == 0 and "Delivered the test alert" in tested.stdout, tested.output
        assert len(receiver.accepted) == 1
    # A channel whose receiver is down (a port nobody listens on): the test send says so.
    closed = roost("alerts", "channel", "add", *acct, f"http://127.0.0.1:{free_port()}/hook", "--json")
    assert closed.exit_code == 0, closed.output
    gone = roost("alerts", "test", json.loads(closed.stdout)["id"], *acct)
    fails_with(gone, "not delivered")
    ok = roost("alerts", "rule", "add", *acct, "--tracker", "tole68", "--metric", "followers", "--change", "5%",
               "--window", "24h")  # fmt: skip
    assert ok.exit_code == 0 and "followers +5% in 1 d (@tole68)" in ok.stdout, ok.output
    for flags in (["--above", "100000"], ["--unusual", "--z", "6"], ["--state", "any"], ["--stale", "6"],
                  ["--engagement-multiple", "3"]):  # fmt: skip
        assert roost("alerts", "rule", "add", *acct, *flags).exit_code == 0, flags
    fails_with(roost("alerts", "rule", "add", *acct, "--change", "lots"), "change must be")
    fails_with(roost("alerts", "rule", "add", *acct, "--change", "5%", "--above", "3"), "exactly one")
    fails_with(roost("alerts", "rule", "add", *acct, "--tracker", "nobody", "--stale", "3"), "No active tracker")
    fails_with(roost("alerts", "channel", "add", *acct, "gopher://x"), "Not a channel")
    listed = roost("alerts", "list", *acct, "--json")
    assert listed.exit_code == 0
    doc = json.loads(listed.stdout)
    assert len(doc["rules"]) == 6 and len(doc["channels"]) == 2 and doc["unread"] == 0
    assert [r["kind"] for r in doc["rules"]] == ["change", "threshold", "unusual", "state", "stale", "engagement"]
    table = roost("alerts", "deliveries", *acct)
    assert table.exit_code == 0 and "delivered" in table.stdout and "pending" in table.stdout
