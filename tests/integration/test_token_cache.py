"""The in-process token cache (roost.services.tokencache) never serves a token past its stated bound: a token
revoked by another process is refused within `TTL` seconds of the Runtime's clock, a revocation through this
process's services at once, and an expired token at its expiry, cached or not. Virtual time throughout."""

from __future__ import annotations

import asyncio

import pytest

from roost.config import Settings
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.services import accounts as account_service
from roost.services import keys as key_service
from roost.services import tokencache
from roost.services.errors import Unauthorized
from roost.services.runtime import open_runtime
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine, transaction

T0 = 1_795_000_000


async def _account_with_tokens(url: str) -> tuple[int, str, str, int]:
    """An account, a login token, and an API key that expires 3 s after T0: (account id, login, key, key id)."""
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            account = await account_store.create_account(
                conn, email="ana@example.com", name="ana", password_hash="x", tracker_slots=1, now=T0
            )
            login, _ = await token_store.issue_login_token(conn, account_id=account.id, now=T0)
            key, made = await token_store.create_api_key(
                conn, account_id=account.id, name="short", now=T0, expires_at=T0 + 3
            )
    finally:
        await engine.dispose()
    return account.id, login, key, made.id


async def _revoke_elsewhere(url: str, token: str) -> None:
    """A revocation as another process makes it: straight in the database, nothing evicted here."""
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            assert await token_store.revoke_plaintext(conn, plaintext=token, now=T0)
    finally:
        await engine.dispose()


async def test_a_revocation_elsewhere_is_seen_within_the_ttl(database_url: str) -> None:
    account_id, login, _, _ = await _account_with_tokens(database_url)
    clock = VirtualClock(T0)
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    async with open_runtime(settings, clock=clock, migrate=False) as rt:
        assert (await account_service.authenticate(rt, login)).id == account_id
        await _revoke_elsewhere(database_url, login)
        clock.advance(tokencache.TTL - 0.5)
        assert (await account_service.authenticate(rt, login)).id == account_id  # within the stated bound
        clock.advance(0.5)  # TTL seconds after it was read from the database: asked again, refused
        with pytest.raises(Unauthorized):
            await account_service.authenticate(rt, login)
        with pytest.raises(Unauthorized):  # and stays refused (unknown tokens are never cached)
            await account_service.authenticate(rt, login)


async def test_revocations_in_this_process_and_expiry_are_immediate(database_url: str) -> None:
    _, login, key, key_id = await _account_with_tokens(database_url)
    clock = VirtualClock(T0)
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    async with open_runtime(settings, clock=clock, migrate=False) as rt:
        await account_service.authenticate(rt, login)
        await account_service.authenticate(rt, key)  # both cached now
        assert await account_service.log_out(rt, login)
        with pytest.raises(Unauthorized):
            await account_service.authenticate(rt, login)

        clock.advance(2.9)
        await account_service.authenticate(rt, key)  # cached at T0, still valid
        clock.advance(0.1)  # its expiry (T0 + 3) comes before the cache's TTL runs out
        with pytest.raises(Unauthorized):
            await account_service.authenticate(rt, key)

    # An operator's revocation (`roost keys revoke`) through the service evicts at once.
    engine = create_engine(database_url)
    try:
        async with transaction(engine) as conn:
            other, made = await token_store.create_api_key(conn, account_id=1, name="long", now=T0)
    finally:
        await engine.dispose()
    async with open_runtime(settings, clock=VirtualClock(T0 + 10), migrate=False) as rt:
        await account_service.authenticate(rt, other)
        await key_service.revoke_key(rt, key_id=made.id)
        with pytest.raises(Unauthorized):
            await account_service.authenticate(rt, other)
    assert key_id != made.id


def test_the_cache_bounds() -> None:
    cache = tokencache.TokenCache(ttl=5, max_entries=2)
    account = account_store.Account(1, "a@x", "a", "h", 1, 0, T0, T0)
    cache.put("db", auth.token_digest("t1"), account=account, expires_at=None, now=T0, generation=0)
    assert cache.get("db", auth.token_digest("t1"), T0 + 4.99) == account
    assert cache.get("other-db", auth.token_digest("t1"), T0) is None  # never across databases
    assert cache.get("db", auth.token_digest("t1"), T0 - 1) is None  # a clock set back does not extend it
    cache.put("db", "a", account=account, expires_at=None, now=T0, generation=0)
    cache.put("db", "b", account=account, expires_at=None, now=T0, generation=0)
    cache.put("db", "c", account=account, expires_at=None, now=T0, generation=0)  # full: emptied first
    assert cache.get("db", "a", T0) is None and cache.get("db", "c", T0) == account
    cache.forget()  # a lookup that began before a revocation is not kept
    cache.put("db", "d", account=account, expires_at=None, now=T0, generation=0)
    assert cache.get("db", "d", T0) is None


async def test_requests_missing_together_share_one_lookup(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, login, _, _ = await _account_with_tokens(database_url)
    real, lookups = token_store.resolve_token, []

    async def counted(*args: object, **kwargs: object) -> object:
        lookups.append(1)
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(token_store, "resolve_token", counted)
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    async with open_runtime(settings, clock=VirtualClock(T0), migrate=False) as rt:
        found = await asyncio.gather(*(account_service.authenticate(rt, login) for _ in range(20)))
        assert {a.id for a in found} == {account_id} and len(lookups) == 1
        with pytest.raises(Unauthorized):  # an unknown token is shared too, and never cached
            await asyncio.gather(*(account_service.authenticate(rt, "rst_" + "x" * 40) for _ in range(5)))
        assert len(lookups) == 2


async def test_a_revocation_during_a_lookup_is_not_undone_by_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account_id, login, _, _ = await _account_with_tokens(database_url)
    real = token_store.resolve_token

    async def revoked_meanwhile(*args: object, **kwargs: object) -> object:
        found = await real(*args, **kwargs)  # type: ignore[arg-type]
        await _revoke_elsewhere(database_url, login)  # committed after the read, before the answer is cached
        runtime.tokens.forget()  # as a revocation through this process's services does
        return found

    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    async with open_runtime(settings, clock=VirtualClock(T0), migrate=False) as rt:
        runtime = rt
        monkeypatch.setattr(token_store, "resolve_token", revoked_meanwhile)
        assert (await account_service.authenticate(rt, login)).id == account_id  # it began before the revocation
        monkeypatch.setattr(token_store, "resolve_token", real)
        with pytest.raises(Unauthorized):  # the next request asks the database again
            await account_service.authenticate(rt, login)
