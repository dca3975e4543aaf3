"""Shared fixtures. PostgreSQL tests read ROOST_TEST_DATABASE_URL and make their own database per test run;
without a server they skip, except under CI (CI=true) where an unreachable PostgreSQL is a failure."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from _pytest.nodeid import coerce_node_id
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core import auth

PG_ADMIN_URL = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# Passwords in tests: argon2id as in production, but with the smallest cost (one pass over 1 MiB, one lane) unless
# a test is marked `real_password_cost`. The production cost (3 passes over 64 MiB, 4 lanes) is 0.2 s of CPU a
# hash or check, and the suite makes about 600 of them in its own processes: a fifth of its CPU. Hashes carry their
# parameters, so either kind verifies anywhere; the servers and CLIs the tests start keep the production cost.
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _password_cost(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_password_cost") is None:
        monkeypatch.setattr(auth, "_hasher", CHEAP_PASSWORD_HASHER)


def pg_unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail under CI."""
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI but unreachable: {reason}")
    pytest.skip(f"PostgreSQL unreachable: {reason}")


async def _create_pg_database(template: str | None = None, prefix: str = "roost_test_") -> str:
    """Make a fresh database on the test server (a copy of `template` if given) and return its URL."""
    import secrets

    import asyncpg

    name = f"{prefix}{secrets.token_hex(6)}"
    admin = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(admin, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pg_unavailable(f"{type(exc).__name__}: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    base = admin.rsplit("/", 1)[0]
    return f"{base}/{name}"


async def _drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    admin = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class _MigratedTemplates:
    """One migrated database per backend and test session; each test gets a cheap copy of it (a file copy for
    SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL) instead of running the migrations again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sqlite: Path | None = None
        self.postgres: str | None = None  # the template's plain URL

    async def sqlite_copy(self, target: Path) -> str:
        from roost.store.migrate import upgrade

        if self.sqlite is None:
            path = self.directory / "template.db"
            await upgrade(f"sqlite+aiosqlite:///{path}")  # the engine is disposed: the WAL is checkpointed
            self.sqlite = path
        shutil.copyfile(self.sqlite, target)
        return f"sqlite+aiosqlite:///{target}"

    async def postgres_copy(self) -> str:
        from roost.store.migrate import upgrade

        if self.postgres is None:
            plain = await _create_pg_database(prefix="roost_template_")
            try:
                await upgrade(plain)
            except BaseException:
                await _drop_pg_database(plain)
                raise
            self.postgres = plain
        return await _create_pg_database(template=self.postgres.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def _migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_MigratedTemplates]:
    templates = _MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    if templates.postgres is not None:
        asyncio.run(_drop_pg_database(templates.postgres))


@asynccontextmanager
async def _fresh_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database for one test: a SQLite file in tmp_path, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
        return
    plain = await _create_pg_database()
    try:
        yield plain.replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        await _drop_pg_database(plain)


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all (for migration tests)."""
    async with _fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _migrated_templates: _MigratedTemplates
) -> AsyncIterator[str]:
    """An empty, migrated database: a SQLite file, or a PostgreSQL database made for this test."""
    if request.param == "sqlite":
        yield await _migrated_templates.sqlite_copy(tmp_path / "roost.db")
        return
    plain = await _migrated_templates.postgres_copy()
    try:
        yield plain.replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        await _drop_pg_database(plain)


@pytest.fixture
async def postgres_url(tmp_path: Path, _migrated_templates: _MigratedTemplates) -> AsyncIterator[str]:
    """A migrated PostgreSQL database for tests of what only PostgreSQL supports (several collector workers)."""
    plain = await _migrated_templates.postgres_copy()
    try:
        yield plain.replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        await _drop_pg_database(plain)


@pytest.fixture
async def migrated_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated test database (disposed afterwards)."""
    from roost.store.db import create_engine

    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist's `--dist loadgroup`, made to work under pytest 9.

    xdist 3.8 groups tests by appending `@group` to `item._nodeid`, which pytest 9 no longer reads (a node's id is
    `item._id`): its groups were silently ignored, so tests binding the same fixed port ran side by side on two
    workers, and a module's fixtures (a live server, a browser, a `make run`) were set up on both. Here, in each
    worker, every test gets its group's suffix on its id: its `xdist_group` mark's name, or else its module's path,
    so a module runs on one worker as a unit and its module fixtures are set up once."""
    if not getattr(config.option, "loadgroup", False):  # set in xdist's workers under --dist loadgroup
        return
    groups: dict[int, str] = {}
    for item in items:
        marks = [m.args[0] if m.args else m.kwargs.get("name", "default") for m in item.iter_markers("xdist_group")]
        group = "_".join(sorted({str(name) for name in marks})) or item.nodeid.split("::", 1)[0]
        groups[id(item)] = group
        if "@" not in item.nodeid.rsplit("]", 1)[-1]:
            item._id = coerce_node_id(f"{item.nodeid}@{group}")
    # The longest units first (a minute or more of one worker each, measured), so the two workers finish together
    # instead of one waiting out a long unit that was handed out last. Every worker sorts alike (xdist checks).
    first = {name: rank for rank, name in enumerate(LONGEST_UNITS)}
    items.sort(key=lambda item: first.get(groups[id(item)], len(first)))


LONGEST_UNITS = (
    "fixed-ports",
    "readme",
    "tests/integration/test_backup.py",
    "tests/integration/test_collector_buckets.py",
    "tests/integration/test_alerts_reports.py",
    "tests/integration/test_collector.py",
    "tests/integration/test_portable.py",
    "tests/integration/test_dbcopy.py",
)
