"""The operator commands, run as `roost ...` on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from roost.cli import app
from roost.core import auth
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine
from roost.store.migrate import head_revision


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'roost.db'}"
    monkeypatch.setenv("ROOST_DATABASE_URL", url)
    return url


def roost(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def fails_with(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output  # one clear line


async def _account(url: str, email: str) -> account_store.Account | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await account_store.get_account_by_email(conn, email=email)
    finally:
        await engine.dispose()


async def _resolve(url: str, token: str) -> token_store.Resolved | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await token_store.resolve_token(conn, plaintext=token, now=2**40)
    finally:
        await engine.dispose()


def account(url: str, email: str) -> account_store.Account | None:
    return asyncio.run(_account(url, email))


def test_db_upgrade_creates_the_file_and_says_the_revision(db_url: str, tmp_path: Path) -> None:
    result = roost("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Database is at revision {head_revision()}."
    assert (tmp_path / "data" / "roost.db").exists()
    assert roost("db", "upgrade").exit_code == 0  # again: nothing to do


def test_accounts_create_and_list(db_url: str) -> None:
    result = roost("accounts", "create", "Ana@Example.com", "--trackers", "10", "--password", "correct horse")
    assert result.exit_code == 0, result.output
    assert "Created account 1 <ana@example.com> with 10 tracker slots." in result.stdout
    assert "Password" not in result.stdout  # it was given, so it is not printed
    ana = account(db_url, "ana@example.com")
    assert ana is not None and ana.name == "ana" and auth.verify_password(ana.password_hash, "correct horse")

    result = roost("accounts", "create", "bob@example.com", "--trackers", "3", "--name", "Bob B")
    assert result.exit_code == 0, result.output
    (generated,) = re.findall(r"Password \(shown once\): (\S+)", result.stdout)
    bob = account(db_url, "bob@example.com")
    assert bob is not None and bob.name == "Bob B" and auth.verify_password(bob.password_hash, generated)

    listing = roost("accounts", "list")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["ID", "EMAIL", "NAME", "TRACKERS", "CREATED"]
    assert "ana@example.com" in lines[1] and "0/10" in lines[1]
    assert "bob@example.com" in lines[2] and "Bob B" in lines[2] and "0/3" in lines[2]


def test_accounts_create_errors_are_one_line(db_url: str) -> None:
    assert roost("accounts", "list").stdout.startswith("No accounts yet")
    assert roost("accounts", "create", "ana@example.com", "--trackers", "1", "--password", "pw").exit_code == 0
    fails_with(roost("accounts", "create", "ANA@example.com", "--trackers", "2"), "already exists")
    fails_with(roost("accounts", "create", "not-an-email", "--trackers", "2"), "is not an email address")
    fails_with(roost("accounts", "create", "x@example.com", "--trackers", "1", "--password", ""), "cannot be empty")
    assert roost("accounts", "create", "x@example.com", "--trackers", "-1").exit_code != 0
    assert roost("accounts", "create", "x@example.com").exit_code != 0  # --trackers is required
    assert account(db_url, "x@example.com") is None


def test_keys_create_list_revoke(db_url: str) -> None:
    assert roost("accounts", "create", "ana@example.com", "--trackers", "1", "--password", "pw").exit_code == 0
    assert roost("keys", "list", "ana@example.com").stdout.strip() == "<ana@example.com> has no API keys."

    result = roost("keys", "create", "ANA@example.com", "--name", "ci", "--expires-days", "30")
    assert result.exit_code == 0, result.output
    (key,) = re.findall(r"Key \(shown once, keep it secret\): (rst_\S+)", result.stdout)
    assert "Created API key 1 ('ci') for <ana@example.com>, expires 20" in result.stdout
    resolved = asyncio.run(_resolve(db_url, key))
    assert resolved is None  # resolved far in the future: it expired after 30 days
    result = roost("keys", "create", "ana@example.com")
    assert result.exit_code == 0 and "expires -." in result.stdout
    (forever,) = re.findall(r"(rst_\S+)", result.stdout)
    resolved = asyncio.run(_resolve(db_url, forever))
    assert resolved is not None and resolved.account.email == "ana@example.com"

    listing = roost("keys", "list", "ana@example.com").stdout.splitlines()
    assert listing[0].split()[:3] == ["ID", "NAME", "STATUS"]
    assert listing[1].split()[:3] == ["1", "ci", "active"] and listing[2].split()[:4] == ["2", "api", "key", "active"]
    assert key not in "\n".join(listing)

    result = roost("keys", "revoke", "2")
    assert result.exit_code == 0 and result.stdout.strip() == "Revoked API key 2 ('api key')."
    assert asyncio.run(_resolve(db_url, forever)) is None
    assert "revoked" in roost("keys", "list", "ana@example.com").stdout.splitlines()[2]
    fails_with(roost("keys", "revoke", "2"), "API key 2 was already revoked")
    fails_with(roost("keys", "revoke", "99"), "no API key with id 99")
    fails_with(roost("keys", "create", "nobody@example.com"), "no account with email nobody@example.com")
    fails_with(roost("keys", "list", "nobody@example.com"), "no account with email")
    fails_with(roost("keys", "create", "ana@example.com", "--expires-days", "0"), "--expires-days must be at least 1")


def test_the_installed_roost_command(db_url: str) -> None:
    """The real entry point, as an operator runs it."""
    env = {**os.environ, "ROOST_DATABASE_URL": db_url}
    script = Path(sys.executable).with_name("roost")  # the console script `pip install` made
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "roost.cli"]
    command = [*entry, "accounts", "create", "cli@example.com", "--trackers", "2"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Password (shown once): " in done.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 1
    assert again.stderr == "Error: an account with email cli@example.com already exists\n"


async def _login(url: str, email: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            found = await account_store.get_account_by_email(conn, email=email)
            assert found is not None
            token, _ = await token_store.issue_login_token(conn, account_id=found.id, now=int(time.time()))
        return token
    finally:
        await engine.dispose()


def live(url: str, token: str) -> bool:
    async def resolve() -> bool:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await token_store.resolve_token(conn, plaintext=token, now=int(time.time())) is not None
        finally:
            await engine.dispose()

    return asyncio.run(resolve())


def test_sessions_are_listed_and_revoked_and_the_password_reset(db_url: str) -> None:
    assert (
        roost("accounts", "create", "ana@example.com", "--trackers", "1", "--password", "old password").exit_code == 0
    )
    assert "has no live login sessions" in roost("sessions", "list", "ana@example.com").output
    first, second = asyncio.run(_login(db_url, "ana@example.com")), asyncio.run(_login(db_url, "ana@example.com"))
    listed = roost("sessions", "list", "ana@example.com")
    assert listed.exit_code == 0, listed.output
    ids = [int(line.split()[0]) for line in listed.output.splitlines()[1:]]
    assert len(ids) == 2 and ids == sorted(ids, reverse=True)
    revoked = roost("sessions", "revoke", str(ids[0]))
    assert revoked.exit_code == 0 and f"Logged out session {ids[0]}" in revoked.output
    assert not live(db_url, second) and live(db_url, first)
    fails_with(roost("sessions", "revoke", str(ids[0])), f"no live login session with id {ids[0]}")
    assert roost("sessions", "revoke", str(2**63)).exit_code == 2  # out of range: a usage error, not a crash
    fails_with(roost("accounts", "password", "ana@example.com", "--password", "short"), "8 to 1024 characters")
    reset = roost("accounts", "password", "ana@example.com", "--password", "new password")
    assert reset.exit_code == 0 and "logged out 1 session(s)" in reset.output, reset.output
    assert not live(db_url, first)
    stored = account(db_url, "ana@example.com")
    assert stored is not None and auth.verify_password(stored.password_hash, "new password")
    generated = roost("accounts", "password", "ana@example.com")
    assert generated.exit_code == 0 and "Password (shown once): " in generated.output
