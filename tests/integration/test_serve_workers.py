"""`roost serve --workers 2` end to end, on SQLite and PostgreSQL: two API processes answer on one port, exactly
one collector runs (a process of its own, the only worker id that beats), and SIGTERM stops everything."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from roost.store.db import create_engine
from roost.store.schema import collector_heartbeats

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> dict[int, str]:
    """Every process under `pid` and its command line, from /proc."""
    parents: dict[int, int] = {}
    lines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        lines[int(entry.name)] = cmdline
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = lines[child]
                frontier.append(child)
    return found


async def _worker_ids(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(collector_heartbeats.c.worker_id))).scalars())
    finally:
        await engine.dispose()


async def test_two_workers_run_one_collector_and_stop_cleanly(database_url: str) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env |= {"ROOST_DATABASE_URL": database_url, "ROOST_DEMO": "false", "ROOST_TIMELINE": "false"}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "roost.cli", "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        health: dict[str, object] = {}
        deadline = time.monotonic() + 90
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while time.monotonic() < deadline:
                assert server.returncode is None, "roost serve exited"
                try:
                    health = (await client.get("/healthz")).json()
                except httpx.TransportError:
                    health = {}
                collector = health.get("collector")
                if isinstance(collector, dict) and collector.get("worker"):
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"no collector heartbeat: {health}")
            tree = _descendants(server.pid)
            collectors = {pid: line for pid, line in tree.items() if "roost.cli collect" in line}
            assert len(collectors) == 1, tree
            (collector_pid,) = collectors
            assert str(collector["worker"]).endswith(f":{collector_pid}")  # type: ignore[index]
            # Two API processes besides it (uvicorn's workers), both answering on the port.
            api_workers = [pid for pid, line in tree.items() if pid != collector_pid and "multiprocessing" in line]
            assert len(api_workers) >= 2, tree
            answered = [(await client.get("/healthz")).status_code for _ in range(10)]
            assert answered == [200] * 10
        assert await _worker_ids(database_url) == [str(collector["worker"])]  # type: ignore[index]
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(server.communicate(), timeout=60)
    assert server.returncode == 0, output.decode()[-3000:]
    for _ in range(75):  # up to 15 s for the children to go
        left = [pid for pid in tree if _running(pid)]
        if not left:
            break
        await asyncio.sleep(0.2)
    assert not left, {pid: tree[pid] for pid in left}


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child whose new parent has not reaped it yet is stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
