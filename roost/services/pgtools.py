"""PostgreSQL's client programs for backups and restores: the connection string and password they get, the
version check (pg_dump refuses a server newer than itself, so say so before it starts), and waiting for one while
honouring a stop request."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL

from roost.services.errors import ServiceError


class BackupError(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("backup_failed", message)


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump / pg_restore, and the environment carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def client_major(program: str) -> int:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{program} is not installed: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client), at least the server's major version"
        )
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if found is None:
        raise BackupError(f"cannot tell the version of {program} from {out.strip()!r}")
    return int(found.group(1))


async def check_client(conn: Any, program: str) -> None:
    server = int((await conn.execute(text("SHOW server_version_num"))).scalar_one()) // 10000
    client = client_major(program)
    if client < server:
        raise BackupError(
            f"{program} is version {client} but the server is PostgreSQL {server}: install a client of version "
            f"{server} or newer (e.g. the postgresql-client-{server} package from apt.postgresql.org)"
        )


async def wait(proc: asyncio.subprocess.Process, stop: asyncio.Event, what: str) -> None:
    """Wait for a pg_dump / pg_restore; terminate it if asked to stop; its stderr's first line on failure."""
    done = asyncio.ensure_future(proc.communicate())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({done, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not done.done():
        proc.terminate()
        await done
        raise BackupError(f"{what} stopped before it finished")
    _, err = done.result()
    if proc.returncode != 0:
        lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
        raise BackupError(f"{what} failed: {lines[0] if lines else f'exit status {proc.returncode}'}")
