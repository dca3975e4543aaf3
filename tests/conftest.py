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
from sqlalchemy.ext.asyncio import AsyncEngine

PG_ADMIN_URL = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), a test module without a group of its own runs on one worker as a
    unit, as a module marked `xdist_group` does. Spread test by test, a module's fixtures (a live server with the
    demo's history, a browser, a `make run`) were set up on both workers, and again each time another module's tests
    ran in between. Runs before xdist reads the marks."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
