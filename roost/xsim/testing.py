"""Helpers for tests that drive the emulator: find accounts with a given fate, talk to the app in-process.

They only use the World's public interface, so they keep working as the world's internals change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette

from roost.config import XSIM_DEFAULT_TOKEN
from roost.core.clock import Clock, VirtualClock
from roost.xsim.app import create_app
from roost.xsim.config import XsimConfig
from roost.xsim.model import UserState
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

START = 1_795_000_000.0  # 2026-11-19T07:46:40Z, the instant the collector's and the API's tests use too
SCAN_LIMIT = 50_000


def accounts(
    world: World, t: float, *, start: int = 0, limit: int = SCAN_LIMIT
) -> Iterator[tuple[int, UserState | None]]:
    """(user id, state at t) for catalogue accounts from index `start` on."""
    for index in range(start, min(start + limit, world.CATALOGUE_SIZE)):
        user_id = world.catalogue_id(index)
        yield user_id, world.user(user_id, t)


def find_user(
    world: World,
    t: float,
    *,
    status: str = "active",
    min_posts: int = 0,
    max_posts: int | None = None,
    where: Callable[[UserState], bool] | None = None,
    start: int = 0,
) -> UserState:
    """The first catalogue account in `status` at t with a post count in [min_posts, max_posts]."""
    for _user_id, user in accounts(world, t, start=start):
        if user is None or user.status != status or user.tweet_count < min_posts:
            continue
        if max_posts is not None and user.tweet_count > max_posts:
            continue
        if where is None or where(user):
            return user
    raise LookupError(f"no {status} account with {min_posts}..{max_posts} posts in the first {SCAN_LIMIT}")


def find_missing_id(world: World, t: float, *, start: int = 0) -> int:
    """A catalogue id that does not resolve at t (never existed, or deleted)."""
    for user_id, user in accounts(world, t, start=start):
        if user is None:
            return user_id
    raise LookupError("every scanned account exists")


def find_missing_username(world: World, t: float, prefix: str = "nosuch") -> str:
    """A valid screen name that resolves to no account at t."""
    for i in range(100_000):
        name = f"{prefix}{i}"
        if world.user_by_username(name, t) is None:
            return name
    raise LookupError("every scanned name exists")


@dataclass
class Xsim:
    app: Starlette
    client: httpx.AsyncClient
    clock: Clock
    world: World
    config: XsimConfig

    async def get(self, path: str, params: dict[str, str | int] | None = None, **headers: str) -> httpx.Response:
        return await self.client.get(path, params=params, headers=headers or None)


@asynccontextmanager
async def xsim(
    config: XsimConfig | None = None,
    *,
    clock: Clock | None = None,
    world: World | None = None,
    token: str | None = XSIM_DEFAULT_TOKEN,
) -> AsyncIterator[Xsim]:
    """The emulator in-process behind an httpx client that sends `token` (None: no Authorization header)."""
    config = config or XsimConfig()
    clock = clock or VirtualClock(START)
    world = world or World(config.seed)
    app = create_app(config, clock=clock, world=world)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient(transport=XsimTransport(app), base_url="http://xsim.test", headers=headers) as client:
        yield Xsim(app, client, clock, world, config)
