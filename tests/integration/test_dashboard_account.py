"""The dashboard's account room over HTTP: sessions with their device and address, revoking one or all others,
and changing the password with the API's rules (CSRF, confirmation, wrong current password, throttling)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.integration.api_helpers import Harness, harness
from tests.integration.test_dashboard import PASSWORD, csrf_of, login

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-session="(\d+)"', html)


async def phone_login(h: Harness, email: str, password: str = PASSWORD) -> str:
    r = await h.client.post(
        "/authorize/email/login", json={"email": email, "password": password}, headers={"User-Agent": IPHONE}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["authToken"])


async def test_sessions_show_device_and_address_and_can_be_revoked(h: Harness) -> None:
    old = await h.account("me@example.com", password=PASSWORD)  # a session from before origins were recorded
    phone = await phone_login(h, "me@example.com")
    h.client.headers["User-Agent"] = FIREFOX
    csrf = await login(h.client, "me@example.com")
    page = await h.client.get("/dashboard/account")
    assert page.status_code == 200 and 'href="/dashboard/account"' in page.text
    assert len(rows(page.text)) == 3
    assert "Firefox on Linux" in page.text and "Safari on iPhone" in page.text and "Not recorded" in page.text
    assert "127.0.0.1" in page.text and page.text.count("this browser") == 1
    listed = await h.client.get("/me/sessions", headers={"Authorization": f"Bearer {phone}"})
    origins = {s["signedInFrom"] for s in listed.json()}
    assert origins == {"Firefox on Linux · 127.0.0.1", "Safari on iPhone · 127.0.0.1", "login"}

    # A forged form changes nothing; revoking the phone's session stops its token at once.
    phone_id = next(s["_id"] for s in listed.json() if "iPhone" in s["signedInFrom"])
    forged = await h.client.post("/dashboard/account", data={"action": "revoke", "session": str(phone_id)})
    assert forged.status_code == 303 and len(rows((await h.client.get("/dashboard/account")).text)) == 3
    r = await h.client.post("/dashboard/account", data={"action": "revoke", "session": str(phone_id), "csrf": csrf})
    assert r.status_code == 303
    after = (await h.client.get("/dashboard/account")).text
    assert "Logged out that session" in after and "iPhone" not in after and len(rows(after)) == 2
    assert (await h.client.get("/me", headers={"Authorization": f"Bearer {phone}"})).status_code == 401
    bad = await h.client.post("/dashboard/account", data={"action": "revoke", "session": "99999", "csrf": csrf})
    assert bad.status_code == 404 and 'id="account-error"' in bad.text

    # All others: the pre-origin session goes, this one stays.
    r = await h.client.post("/dashboard/account", data={"action": "revoke_others", "csrf": csrf})
    after = (await h.client.get("/dashboard/account")).text
    assert "Logged out 1 other session." in after and len(rows(after)) == 1
    assert (await h.client.get("/me", headers={"Authorization": f"Bearer {old}"})).status_code == 401

    # Revoking the current session signs this browser out.
    (mine,) = rows(after)
    r = await h.client.post("/dashboard/account", data={"action": "revoke", "session": mine, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    assert (await h.client.get("/dashboard/account")).headers["location"] == "/dashboard/login"


async def test_password_change_follows_the_api_rules(h: Harness) -> None:
    await h.account("pw@example.com", password=PASSWORD)
    phone = await phone_login(h, "pw@example.com")
    csrf = await login(h.client, "pw@example.com")

    async def change(current: str, new: str, confirm: str) -> tuple[int, str]:
        data = {"action": "password", "current": current, "new": new, "confirm": confirm, "csrf": csrf}
        r = await h.client.post("/dashboard/account", data=data)
        return r.status_code, r.text

    status, text = await change(PASSWORD, "new password 1", "new password 2")
    assert status == 400 and "confirmation differ" in text
    status, text = await change(PASSWORD, "short", "short")
    assert status == 400 and "8 to 1024 characters" in text
    status, text = await change("wrong one", "new password 1", "new password 1")
    assert status == 400 and "current password is wrong" in text
    status, text = await change(PASSWORD, "new password 1", "new password 1")
    assert status == 303
    assert "2 other sessions logged out" in (await h.client.get("/dashboard/account")).text
    assert (await h.client.get("/me", headers={"Authorization": f"Bearer {phone}"})).status_code == 401
    relog = await h.client.post(
        "/authorize/email/login", json={"email": "pw@example.com", "password": "new password 1"}
    )
    assert relog.status_code == 200

    # Wrong current passwords count as failed logins: after the email's limit (10) the form answers 429.
    codes = [(await change("wrong", "new password 2", "new password 2"))[0] for _ in range(11)]
    assert codes[:9] == [400] * 9 and codes[-1] == 429
    status, text = await change("new password 1", "new password 2", "new password 2")
    assert status == 429 and "Too many failed logins" in text


async def test_account_page_needs_a_session(h: Harness) -> None:
    r = await h.client.get("/dashboard/account")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    page = await h.client.get("/dashboard/login")
    assert csrf_of(page.text)
