"""The HTTP server's own limits (roost/cli/guard.py) on a real `roost serve` process: oversized heads are 431
and cost the server nothing, a half-sent head or body is answered 408 and closed at its deadline. The server's
limits do not depend on the database, so one SQLite file serves."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import pytest_asyncio

from roost.core import auth
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine
from tests.integration.test_serve_workers import ROOT, _free_port

pytestmark = pytest.mark.timeout(300)
HEAD_SECONDS = 1.0
BODY_SECONDS = 1.0


@dataclass
class Server:
    pid: int
    port: int
    token: str


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('limits') / 'roost.db'}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env |= {
        "ROOST_DATABASE_URL": url, "ROOST_DEMO": "false", "ROOST_TIMELINE": "false", "ROOST_COLLECTOR": "false",
        "ROOST_HEADER_TIMEOUT": str(HEAD_SECONDS), "ROOST_BODY_TIMEOUT": str(BODY_SECONDS),
    }  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "roost.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(450):
                assert proc.returncode is None, "roost serve exited"
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                account = await account_store.create_account(
                    conn, email="ana@example.com", name="ana", password_hash=auth.hash_password("correct horse"),
                    tracker_slots=1, now=int(time.time()),
                )  # fmt: skip
                token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=int(time.time()))
        finally:
            await engine.dispose()
        yield Server(proc.pid, port, token)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=60)


async def _raw(port: int, data: bytes, *, wait: float = 10) -> tuple[bytes, float]:
    """Send `data` on a fresh connection and read until the server closes it: (what it answered, seconds taken)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        with contextlib.suppress(ConnectionError):
            writer.write(data)
            await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=wait)
        return answer, time.monotonic() - started
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), orjson.loads(body)


@pytest.mark.asyncio(loop_scope="module")
async def test_oversized_heads_are_431_in_the_error_body(server: Server) -> None:
    big = b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"a" * 200_000 + b"\r\n\r\n"
    status, body = _status_and_body((await _raw(server.port, big))[0])
    assert status == 431 and body["extra"] == {"code": "headers_too_large"}, body
    assert "65536 bytes" in str(body["message"])
    many = b"GET /me HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n"
    status, body = _status_and_body((await _raw(server.port, many))[0])
    assert status == 431 and "more than 100 headers" in str(body["message"]), body
    # A head under the limits, with a body in the same read, is served as before.
    fine = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 30_000 + b"\r\nConnection: close\r\n\r\n"
    assert (await _raw(server.port, fine))[0].startswith(b"HTTP/1.1 200")


@pytest.mark.asyncio(loop_scope="module")
async def test_a_half_sent_head_or_body_is_408_and_closed_at_its_deadline(server: Server) -> None:
    answer, took = await _raw(server.port, b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bea")
    status, body = _status_and_body(answer)
    assert status == 408 and body["extra"] == {"code": "request_timeout"}, body
    assert HEAD_SECONDS * 0.9 <= took < HEAD_SECONDS + 5, took  # closed at the deadline, not before, not much after
    head = (
        b"POST /authorize/email/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
    )
    answer, took = await _raw(server.port, head + b"\r\n" + b'{"email": ')
    assert answer == b"" or _status_and_body(answer)[0] == 408, answer[:200]
    assert BODY_SECONDS * 0.9 <= took < BODY_SECONDS + 5, took
    # A connection that never sends anything is closed silently at the head's deadline.
    answer, took = await _raw(server.port, b"")
    assert answer == b"" and took < HEAD_SECONDS + 5


@pytest.mark.asyncio(loop_scope="module")
async def test_64_mb_of_headers_on_4_connections_leave_me_fast_and_memory_flat(server: Server) -> None:
    me = {"Authorization": f"Bearer {server.token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:

        async def latencies(n: int) -> list[float]:
            out = []
            for _ in range(n):
                started = time.perf_counter()
                assert (await client.get("/me", headers=me)).status_code == 200
                out.append(time.perf_counter() - started)
            return sorted(out)

        baseline = await latencies(200)
        idle = _rss(server.pid)
        stop = threading.Event()
        sent = [0]

        def attacker() -> None:
            """A thread of its own (the measuring client's loop stays free): each connection means to send a 64 MB
            Authorization header; the server refuses it after its head limit and the attacker connects again."""
            chunk = b"a" * (1 << 20)
            while not stop.is_set():
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port)) as sock:
                    sock.settimeout(5)
                    sock.sendall(b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
                    for _ in range(64):
                        sock.sendall(chunk)
                        sent[0] += len(chunk)

        attackers = [threading.Thread(target=attacker, daemon=True) for _ in range(4)]
        for thread in attackers:
            thread.start()
        try:
            await asyncio.sleep(0.5)
            during = await latencies(200)
            grown = _rss(server.pid) - idle
        finally:
            stop.set()
            for thread in attackers:
                thread.join(timeout=10)
    p99, base99 = during[int(len(during) * 0.99) - 1], baseline[int(len(baseline) * 0.99) - 1]
    figures = f"/me p99 {p99 * 1000:.1f} ms under attack ({base99 * 1000:.1f} ms before), RSS +{grown >> 20} MB"
    print(figures)
    assert sent[0] > 0, "the attack did not run"
    # 50 ms on a quiet machine; on a loaded shared one the bound is three times the same server's own p99 before.
    assert p99 < max(0.050, 3 * base99), figures
    assert grown < 50 << 20, figures


def test_the_openapi_documents_the_servers_own_refusals() -> None:
    from roost.main import create_app

    doc = create_app().openapi()
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    assert all({"408", "431"} <= set(op["responses"]) for op in operations)
    with_body = [op for op in operations if "requestBody" in op]
    assert with_body and all("413" in op["responses"] for op in with_body)
    ref = with_body[0]["responses"]["431"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ErrorBody"
