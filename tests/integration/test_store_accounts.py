"""Accounts, bearer tokens and heartbeats in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core import auth
from roost.store import accounts as account_store
from roost.store import heartbeats
from roost.store import tokens as token_store
from roost.store.schema import accounts, api_tokens

T0 = 1_795_000_000
DAY = 86400


async def new_account(engine: AsyncEngine, email: str = "ana@example.com", slots: int = 5) -> account_store.Account:
    async with engine.begin() as conn:
        return await account_store.create_account(
            conn, email=email, name="Ana", password_hash="not-a-real-hash", tracker_slots=slots, now=T0
        )


async def test_create_and_find_accounts(migrated_engine: AsyncEngine) -> None:
    ana = await new_account(migrated_engine, email="  Ana@Example.COM ")
    assert ana.email == "ana@example.com"
    assert (ana.tracker_slots_total, ana.tracker_slots_used, ana.tracker_slots_free) == (5, 0, 5)
    assert (ana.created_at, ana.updated_at) == (T0, T0)
    assert "not-a-real-hash" not in repr(ana)  # hashes stay out of logs
    bob = await new_account(migrated_engine, email="bob@example.com", slots=2)
    async with migrated_engine.connect() as conn:
        assert await account_store.get_account_by_email(conn, email="ANA@example.com") == ana
        assert await account_store.get_account_by_email(conn, email="nobody@example.com") is None
        assert await account_store.get_account(conn, account_id=bob.id) == bob
        assert await account_store.get_account(conn, account_id=9999) is None
        assert [a.email for a in await account_store.list_accounts(conn)] == ["ana@example.com", "bob@example.com"]
        assert await account_store.count_accounts(conn) == 2
        balance = await account_store.get_balance(conn, account_id=bob.id)
        assert balance is not None and (balance.total, balance.used, balance.free) == (2, 0, 2)
        assert await account_store.get_balance(conn, account_id=9999) is None


async def test_duplicate_email_is_refused_and_the_transaction_stays_usable(migrated_engine: AsyncEngine) -> None:
    await new_account(migrated_engine)
    async with migrated_engine.begin() as conn:
        with pytest.raises(account_store.EmailTaken):
            await account_store.create_account(
                conn, email="ANA@example.com", name="x", password_hash="h", tracker_slots=1, now=T0
            )
        # ON CONFLICT, not a failed INSERT: PostgreSQL would refuse any further statement after an error.
        other = await account_store.create_account(
            conn, email="carla@example.com", name="Carla", password_hash="h", tracker_slots=1, now=T0
        )
    async with migrated_engine.connect() as conn:
        assert await account_store.get_account(conn, account_id=other.id) == other
        assert await account_store.count_accounts(conn) == 2
    with pytest.raises(ValueError):
        await new_account(migrated_engine, email="neg@example.com", slots=-1)


async def test_the_database_refuses_an_overspent_or_negative_balance(migrated_engine: AsyncEngine) -> None:
    ana = await new_account(migrated_engine, slots=1)
    for used in (2, -1):
        with pytest.raises(IntegrityError):
            async with migrated_engine.begin() as conn:
                await conn.execute(update(accounts).where(accounts.c.id == ana.id).values(tracker_slots_used=used))


async def test_set_password_hash(migrated_engine: AsyncEngine) -> None:
    ana = await new_account(migrated_engine)
    async with migrated_engine.begin() as conn:
        assert await account_store.set_password_hash(conn, account_id=ana.id, password_hash="new", now=T0 + 5)
        assert not await account_store.set_password_hash(conn, account_id=9999, password_hash="new", now=T0 + 5)
        fresh = await account_store.get_account(conn, account_id=ana.id)
    assert fresh is not None and (fresh.password_hash, fresh.updated_at) == ("new", T0 + 5)


async def test_login_tokens_resolve_until_they_expire(migrated_engine: AsyncEngine) -> None:
    ana = await new_account(migrated_engine)
    async with migrated_engine.begin() as conn:
        token, expires_at = await token_store.issue_login_token(conn, account_id=ana.id, now=T0)
        stored = (await conn.execute(select(api_tokens.c.token_hash, api_tokens.c.kind))).one()
    assert expires_at == T0 + auth.LOGIN_TTL == T0 + 30 * DAY
    assert token.startswith("rst_") and len(token) >= 4 + 43  # 32 random bytes, URL-safe
    assert tuple(stored) == (auth.token_digest(token), "login")  # only the hash is kept
    async with migrated_engine.connect() as conn:
        resolved = await token_store.resolve_token(conn, plaintext=token, now=expires_at - 1)
        assert resolved is not None and resolved.account == ana
        assert await token_store.resolve_token(conn, plaintext=token, now=expires_at) is None
        assert await token_store.resolve_token(conn, plaintext=token + "x", now=T0) is None
        assert await token_store.resolve_token(conn, plaintext="rst_" + "a" * 43, now=T0) is None
        assert await token_store.resolve_token(conn, plaintext="Bearer nonsense", now=T0) is None
    async with migrated_engine.begin() as conn:
        short, short_expiry = await token_store.issue_login_token(conn, account_id=ana.id, now=T0, ttl=60)
        assert short_expiry == T0 + 60 and short != token
        with pytest.raises(ValueError):
            await token_store.issue_login_token(conn, account_id=ana.id, now=T0, ttl=0)


async def test_last_used_is_recorded_at_most_once_a_minute(migrated_engine: AsyncEngine) -> None:
    ana = await new_account(migrated_engine)
    async with migrated_engine.begin() as conn:
        token, _ = await token_store.issue_login_token(conn, account_id=ana.id, now=T0)

    token_ids: set[int] = set()

    async def use(now: int) -> tuple[bool, bool]:
        async with migrated_engine.connect() as conn:
            resolved = await token_store.resolve_token(conn, plaintext=token, now=now)
        assert resolved is not None
        token_ids.add(resolved.token_id)
        async with migrated_engine.begin() as conn:
            wrote = await token_store.touch_token(conn, token_id=resolved.token_id, now=now)
        return resolved.needs_touch, wrote

    assert await use(T0 + 10) == (True, True)
    assert await use(T0 + 69) == (False, False)
    assert await use(T0 + 70) == (True, True)
    async with migrated_engine.begin() as conn:
        # A late, concurrent touch with an older time does not move last_used_at backwards.
        assert not await token_store.touch_token(conn, token_id=token_ids.pop(), now=T0 + 69)
        last = (await conn.execute(select(api_tokens.c.last_used_at))).scalar_one()
    assert last == T0 + 70


async def test_api_keys_expire_revoke_and_list(migrated_engine: AsyncEngine) -> None:
    ana = await new_account(migrated_engine)
    bob = await new_account(migrated_engine, email="bob@example.com")
    async with migrated_engine.begin() as conn:
        forever, forever_key = await token_store.create_api_key(conn, account_id=ana.id, name="ci", now=T0)
        weekly, weekly_key = await token_store.create_api_key(
            conn, account_id=ana.id, name="weekly", now=T0, expires_at=T0 + 7 * DAY
        )
        login, _ = await token_store.issue_login_token(conn, account_id=ana.id, now=T0)
        with pytest.raises(ValueError):
            await token_store.create_api_key(conn, account_id=ana.id, name="past", now=T0, expires_at=T0)
    assert forever_key.expires_at is None and weekly_key.expires_at == T0 + 7 * DAY
    async with migrated_engine.connect() as conn:
        assert await token_store.resolve_token(conn, plaintext=forever, now=T0 + 365 * DAY) is not None
        assert await token_store.resolve_token(conn, plaintext=weekly, now=T0 + 7 * DAY - 1) is not None
        assert await token_store.resolve_token(conn, plaintext=weekly, now=T0 + 7 * DAY) is None
        keys = await token_store.list_keys(conn, account_id=ana.id)
        assert [k.name for k in keys] == ["ci", "weekly"]  # login tokens are not keys
        assert await token_store.list_keys(conn, account_id=bob.id) == []
        assert await token_store.get_key(conn, token_id=forever_key.id) == forever_key
    async with migrated_engine.begin() as conn:
        assert not await token_store.revoke_token(conn, token_id=forever_key.id, now=T0 + 1, account_id=bob.id)
        assert await token_store.revoke_token(conn, token_id=forever_key.id, now=T0 + 1, account_id=ana.id)
        assert not await token_store.revoke_token(conn, token_id=forever_key.id, now=T0 + 2)  # once only
        assert not await token_store.revoke_token(conn, token_id=9999, now=T0 + 2)
        assert await token_store.revoke_plaintext(conn, plaintext=login, now=T0 + 3)
        assert not await token_store.revoke_plaintext(conn, plaintext=login, now=T0 + 3)
    async with migrated_engine.connect() as conn:
        assert await token_store.resolve_token(conn, plaintext=forever, now=T0 + 2) is None
        assert await token_store.resolve_token(conn, plaintext=login, now=T0 + 4) is None
        revoked = await token_store.get_key(conn, token_id=forever_key.id)
        assert revoked is not None and revoked.revoked_at == T0 + 1 and not revoked.is_usable(T0 + 2)
    async with migrated_engine.begin() as conn:
        await token_store.create_api_key(conn, account_id=ana.id, name="live", now=T0 + 5)
        # Dead tokens (revoked or expired before the cut-off) are deleted; live ones stay.
        assert await token_store.delete_dead_tokens(conn, before=T0 + 8 * DAY) == 3
        left = (await conn.execute(select(api_tokens.c.name))).scalars().all()
    assert left == ["live"]  # gone: forever and login (revoked), weekly (expired)


async def test_heartbeats_keep_the_latest_beat(migrated_engine: AsyncEngine) -> None:
    async with migrated_engine.connect() as conn:
        assert await heartbeats.latest_heartbeat(conn) is None
    async with migrated_engine.begin() as conn:
        await heartbeats.beat(conn, worker_id="w1", now=T0, info='{"bucket": 1}')
        await heartbeats.beat(conn, worker_id="w2", now=T0 + 5)
        await heartbeats.beat(conn, worker_id="w1", now=T0 + 9, info='{"bucket": 2}')
    async with migrated_engine.connect() as conn:
        assert await heartbeats.latest_heartbeat(conn) == heartbeats.Heartbeat("w1", T0 + 9, '{"bucket": 2}')
