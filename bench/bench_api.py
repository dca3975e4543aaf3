"""Tracker API throughput (issue 12), on SQLite and PostgreSQL, measured with wrk.

For each database: a year of hourly snapshots for `--trackers` trackers, built in SQL; then one server process
(uvicorn serving the app of `create_app`, as `roost serve` does, plus a bare `/bench/hello` route in the same app)
and one wrk run per route, each rotating over many paths (many trackers, dates, pages) with a small Lua script:

- reads: the bare route, the two-point stats (over 2,000 paths, then over 20 repeated ones: a team's dashboards
  polling the same trackers), a 7-day timeline (168 documents), a 1-year timeline (8,760), the
  tracker list, growth by day over 30 days; req/s, p50, p99, non-2xx, and the ratio to the bare route;
- the 1-year timeline over one connection (sequential latency) against the same query plus orjson in-process;
- the two stats routes again on a server keeping nothing in memory (ROOST_READ_CACHE_SECONDS=0): each wrk run
  rotates over 2,000 distinct paths, so with the default cache a path's first request in a run reads the database
  and its repeats within 5 s, with no commit between, are answered from memory;
- writes: tracker creation (`POST /user-trackers/multi`, a fresh emulator alias each time) and login
  (`POST /authorize/email/login`), alone and while a second wrk loads the two-point stats.

wrk runs on the same machine as the server (they share its cores); the bare route's rate shows how much load wrk
can drive, so it is checked to reach thousands of req/s. Setup installs wrk from Debian when it is missing.

Run: .venv/bin/python -m bench.bench_api [--seconds 10] [--connections 32] [--trackers 1000] [--skip-postgres]
     [--skip-sqlite] [--workers N] [--threads N] [--access-log] [--plain-http]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select, text

from roost.core import auth
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.store.schema import snapshots

HOUR = 3600
DAY = 86400
YEAR_HOURS = 8760
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z
PG = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
EMAIL, PASSWORD = "bench@example.com", "bench-password"
WRITE_CONNECTIONS = 4
XSIM_SEED = 2024  # Settings' default xsim_seed: the aliases created below exist in that world

# The server, written to a file and run by uvicorn: the app `roost serve` runs. Settings are the defaults (no
# X token, no base URL), so the upstream is the in-process emulator; the demo account and the collector are left
# out. The emulator's per-window limits are lifted so that tracker creation measures Roost, not the emulator's
# 300 lookups per 15 minutes.
SERVER = """
import os
import sys
from pathlib import Path

import roost

here = Path(roost.__file__).parent
from roost.config import Settings
from roost.main import create_app
from roost.xsim import config as xsim_config

for endpoint in xsim_config.DEFAULT_LIMITS:
    xsim_config.DEFAULT_LIMITS[endpoint] = 10**9
settings = Settings(database_url=os.environ["ROOST_BENCH_DATABASE_URL"], demo=False, _env_file=None)
app = create_app(settings, migrate=False)
from roost.cli import guard

http = guard.protocol(settings)  # the server's own limits, as `roost serve` runs them (uvicorn --http)
stray = [m.__file__ for n, m in list(sys.modules.items()) if (n == "roost" or n.startswith("roost."))
         and getattr(m, "__file__", None) and not Path(m.__file__).is_relative_to(here)]
assert not stray, f"modules from another checkout: {stray}"
print(f"server: roost.main.create_app from {here}", flush=True)


@app.get("/bench/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
"""

# One wrk script for every phase: `-- FILE` where each line of FILE is `METHOD<TAB>PATH[<TAB>BODY]`, requests
# cycle through the lines; `done` prints one JSON line with the counts and latency percentiles (microseconds);
# `response` counts answers whose body shows a created tracker (only when asked: it costs wrk time per request).
WRK_LUA = r"""
local lines, i, count_created = {}, 0, false
created = 0  -- a global, so that done() can read each thread's count with thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
    if body == "" then body = nil end
    table.insert(lines, wrk.format(method, path, nil, body))
  end
  count_created = args[2] == "count-created"
  if not count_created then response = nil end  -- wrk then skips collecting bodies
end

function request()
  i = i % #lines + 1
  return lines[i]
end

function response(status, headers, body)
  if count_created and status == 200 and body:find('"ok":%[{') then created = created + 1 end
end

function done(summary, latency, requests)
  local made = 0
  for _, t in ipairs(threads) do made = made + (t:get("created") or 0) end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d,"created":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, made))
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    requests: int
    created: int = 0


def ensure_wrk() -> str:
    """wrk from Debian, installed when missing (needs root); returns its version line."""
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", flush=True)
        if subprocess.run(["apt-get", "install", "-y", "wrk"]).returncode != 0:
            subprocess.run(["apt-get", "update"], check=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).splitlines()[0].strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def series(name: str, lo: int, hi: int) -> str:
    """Integers lo..hi as a one-column select, on both databases."""
    return (
        f"WITH RECURSIVE r({name}) AS (SELECT {lo} UNION ALL SELECT {name} + 1 FROM r WHERE {name} < {hi}) "
        f"SELECT {name} FROM r"
    )


async def build(url: str, trackers: int) -> tuple[str, list[str]]:
    """Migrate, then fill: an account, users, trackers and a year of hourly snapshots each, generated in SQL."""
    await upgrade(url)
    engine = create_engine(url)
    now = T0 + YEAR_HOURS * HOUR
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email=EMAIL, name="bench", password_hash=auth.hash_password(PASSWORD),
            tracker_slots=trackers + 1_000_000, now=T0,
        )  # fmt: skip
        token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=now - 60, ttl=10**9)
        await conn.execute(
            text(
                "INSERT INTO x_users (id, username, name, state, created_at, updated_at) "
                "SELECT 1000 + n, 'user' || n, 'User ' || n, 'ok', :t0, :t0 FROM ("
                + series("n", 1, trackers)
                + ") AS s"
            ),
            {"t0": T0},
        )
        await conn.execute(
            text(
                "INSERT INTO trackers (id, account_id, x_user_id, alias, status, created_at, updated_at) "
                "SELECT 'trk-' || n, :account, 1000 + n, 'user' || n, 'active', :t0, :t0 FROM ("
                + series("n", 1, trackers)
                + ") AS s"
            ),
            {"account": account.id, "t0": T0},
        )
        await conn.execute(
            text("UPDATE accounts SET tracker_slots_used = :n WHERE id = :account"),
            {"n": trackers, "account": account.id},
        )
    for first in range(1, trackers + 1, 100):
        async with transaction(engine) as conn:
            await conn.execute(
                text(
                    "INSERT INTO snapshots (x_user_id, bucket, tweets, followers, following, lists, created_at, "
                    "updated_at) SELECT 1000 + u.n, :t0 + h.n * 3600, 5000 + h.n / 7, 10000 + h.n * 3 + u.n, "
                    "500 + u.n % 50, 40, :t0 + h.n * 3600 + 30, :t0 + h.n * 3600 + 30 FROM ("
                    + series("n", first, min(first + 99, trackers))
                    + ") AS u CROSS JOIN ("
                    + series("n", 0, YEAR_HOURS - 1)
                    + ") AS h"
                ),
                {"t0": T0},
            )
    # As autovacuum leaves a table that stopped changing: statistics taken and, on PostgreSQL, the visibility map set
    # (without it every index-only probe of a tracker's first and last bucket also visits the table).
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM (ANALYZE) snapshots" if engine.dialect.name == "postgresql" else "ANALYZE"))
    await engine.dispose()
    return token, [f"trk-{n}" for n in range(1, trackers + 1)]


def emulator_aliases(count: int) -> list[str]:
    """Screen names of plain, existing accounts of the emulator's world (Settings' default seed)."""
    from roost.xsim import names, personas
    from roost.xsim.world import World

    world = World(XSIM_SEED)
    out: list[str] = []
    now = time.time()
    index = 0
    while len(out) < count:
        user_id = world.catalogue_id(index)
        if personas.is_plain(XSIM_SEED, user_id) and world.user(user_id, now) is not None:
            out.append(names.catalogue_name(XSIM_SEED, index))
        index += 1
    return out


def read_paths(ids: list[str], rng: random.Random, n: int = 2000) -> dict[str, list[str]]:
    """Paths for each read route, spread over trackers and dates (endDate inclusive)."""
    paths: dict[str, list[str]] = {"hello": ["/bench/hello"]}
    two, week, year, growth = [], [], [], []
    for _ in range(n):
        start = T0 + rng.randrange(0, YEAR_HOURS - 31 * 24) * HOUR
        two.append(f"/user-trackers/{rng.choice(ids)}/stats?startDate={start}&endDate={start + 30 * DAY}")
        week.append(
            f"/user-trackers/{rng.choice(ids)}/stats?startDate={start}&endDate={start + 167 * HOUR}&isTimeline=true"
        )
        day = start - start % DAY
        growth.append(
            f"/user-trackers/{rng.choice(ids)}/growth?startDate={day}&endDate={day + 30 * DAY - 1}&interval=day"
        )
    for tracker in ids[:n]:
        year.append(
            f"/user-trackers/{tracker}/stats?startDate={T0}&endDate={T0 + (YEAR_HOURS - 1) * HOUR}&isTimeline=true"
        )
    pages = max(1, len(ids) // 20)
    mine = [f"/user-trackers/me?offset={20 * rng.randrange(pages)}&limit=20" for _ in range(n)]
    paths.update(
        {"stats two-point": two, "stats two-point, 20 hot paths": two[:20],
         "timeline 7 days": week, "timeline 1 year": year, "tracker list": mine,
         "growth 30 days by day": growth}
    )  # fmt: skip
    return paths


def write_file(path: Path, method: str, paths: list[str], bodies: list[str] | None = None) -> Path:
    with path.open("w") as f:
        for k, p in enumerate(paths if bodies is None else [paths[0]] * len(bodies)):
            f.write(f"{method}\t{p}" + (f"\t{bodies[k]}" if bodies else "") + "\n")
    return path


def wrk_command(
    base: str, script: Path, lines: Path, token: str, seconds: float, conns: int, count: bool, threads: int = 1
) -> list[str]:
    return [
        "wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
        "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
        "-s", str(script), base, "--", str(lines), "count-created" if count else "-",
    ]  # fmt: skip


def parse_wrk(name: str, out: str) -> Result:
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary for {name}:\n{out}")
    d = json.loads(line[4:])
    return Result(
        name=name,
        rps=d["requests"] / (d["duration_us"] / 1e6),
        p50_ms=d["p50"] / 1000,
        p99_ms=d["p99"] / 1000,
        non2xx=d["non2xx"],
        socket_errors=d["connect"] + d["read"] + d["write"] + d["timeout"],
        requests=d["requests"],
        created=d["created"],
    )


def run_wrk(name: str, cmd: list[str]) -> Result:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return parse_wrk(name, out.stdout)


def run_pair(a: tuple[str, list[str]], b: tuple[str, list[str]]) -> tuple[Result, Result]:
    """Two wrk processes at once (a read load and a write load)."""
    pa = subprocess.Popen(a[1], stdout=subprocess.PIPE, text=True)
    pb = subprocess.Popen(b[1], stdout=subprocess.PIPE, text=True)
    out_a, _ = pa.communicate()
    out_b, _ = pb.communicate()
    return parse_wrk(a[0], out_a), parse_wrk(b[0], out_b)


async def raw_year(url: str, x_user_id: int, runs: int) -> float:
    """Median seconds for the year query plus JSON encoding, in-process, without the API around it."""
    engine = create_engine(url)
    times = []
    async with engine.connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            rows = await conn.execute(
                select(snapshots).where(snapshots.c.x_user_id == x_user_id).order_by(snapshots.c.bucket)
            )
            orjson.dumps([r._asdict() for r in rows], option=orjson.OPT_NON_STR_KEYS)
            times.append(time.perf_counter() - started)
    await engine.dispose()
    return statistics.median(times)


async def check_routes(base: str, token: str, paths: dict[str, list[str]], alias: str) -> None:
    """Each route once, so a wrong path or a failing route stops the bench instead of being measured."""
    expect = {"timeline 7 days": 168, "timeline 1 year": YEAR_HOURS, "stats two-point": 2}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        for name, group in paths.items():
            r = await c.get(group[0])
            assert r.status_code == 200, (name, r.status_code, r.text[:300])
            if name in expect:
                assert len(r.json()) == expect[name], (name, len(r.json()))
            if name == "growth 30 days by day":
                assert len(r.json()["rows"]) == 30, r.json()["rows"][:2]
        r = await c.post("/authorize/email/login", json={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text[:300]
        r = await c.post("/user-trackers/multi", json=[{"alias": alias}])
        assert r.status_code == 200 and r.json()["ok"], r.text[:300]


def start_server(
    url: str, port: int, workers: int, tmp: Path, access_log: bool = False, read_cache: bool = True, guard: bool = True
) -> subprocess.Popen[bytes]:
    (tmp / "roost_bench_server.py").write_text(SERVER)
    env = {**os.environ, "ROOST_BENCH_DATABASE_URL": url}
    env["ROOST_READ_CACHE_SECONDS"] = env.get("ROOST_READ_CACHE_SECONDS", "5") if read_cache else "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), env.get("PYTHONPATH", "")] if p)
    cmd = [
        sys.executable, "-m", "uvicorn", "roost_bench_server:app", "--app-dir", str(tmp),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    if workers > 1:
        cmd += ["--workers", str(workers)]
    if guard:
        cmd += ["--http", "roost_bench_server:http"]
    if not access_log:
        return subprocess.Popen([*cmd, "--log-level", "warning", "--no-access-log"], env=env)
    # As `roost serve` logs: level info, one access line per request (to a file here, not the terminal).
    log = (tmp / "server.log").open("ab")
    return subprocess.Popen([*cmd, "--log-level", "info"], env=env, stdout=log, stderr=log)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after a minute: on a loaded machine a server may still be working through requests
    whose clients wrk has already closed (uvicorn waits for them)."""
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(15)


async def wait_ready(base: str, server: subprocess.Popen[bytes], seconds: float = 300) -> None:
    """The server `start_server` started answers (a loaded machine can take a minute to import it)."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base) as c:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("server exited")
            try:
                if (await c.get("/bench/hello")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def bench_database(label: str, url: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    started = time.perf_counter()
    token, ids = await build(url, args.trackers)
    print(f"[{label}] built {args.trackers} trackers x {YEAR_HOURS} snapshots in {time.perf_counter() - started:.0f} s")
    rng = random.Random(7)
    paths = read_paths(ids, rng)
    script = tmp / "roost.lua"
    script.write_text(WRK_LUA)
    files = {name: write_file(tmp / f"{label}-{k}.txt", "GET", group) for k, (name, group) in enumerate(paths.items())}
    per_phase = int(args.seconds * 400) + 100  # more fresh aliases than a phase can create
    aliases = emulator_aliases(1 + 2 * per_phase)
    alias_sets = [aliases[1 + k * per_phase : 1 + (k + 1) * per_phase] for k in range(2)]
    create_files = [
        write_file(tmp / f"{label}-create-{k}.txt", "POST", ["/user-trackers/multi"],
                   [json.dumps([{"alias": a}]) for a in group])
        for k, group in enumerate(alias_sets)
    ]  # fmt: skip
    login_file = write_file(
        tmp / f"{label}-login.txt", "POST", ["/authorize/email/login"],
        [json.dumps({"email": EMAIL, "password": PASSWORD})],
    )  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, args.workers, tmp, args.access_log, guard=not args.plain_http)
    conns, secs = args.connections, args.seconds

    def cmd(lines: Path, connections: int = conns, count: bool = False) -> list[str]:
        return wrk_command(base, script, lines, token, secs, connections, count, args.threads)

    def warm_up(files: dict[str, Path]) -> None:
        # A fresh server opens its pool and prepares its statements during its first requests: the figures are the
        # steady state after two seconds of each stats shape.
        for name in ("hello", "stats two-point", "timeline 7 days"):
            run_wrk("warm-up", wrk_command(base, script, files[name], token, 2, conns, False, args.threads))

    results: list[Result] = []
    writes: list[tuple[str, Result, Result, Result]] = []
    try:
        await wait_ready(base, server)
        await check_routes(base, token, paths, aliases[0])
        warm_up(files)
        for name, lines in files.items():
            # A route's figures start after 2 s of its own load, discarded: when wrk stops, the server still works
            # off the requests it had in flight (32 one-year timelines take it most of a second), and the next
            # route's first requests queued behind them made its p99 (the tracker list: 796 ms, 2.2x p50 without).
            run_wrk("lead-in", wrk_command(base, script, lines, token, 2, conns, False, args.threads))
            r = run_wrk(name, cmd(lines))
            results.append(r)
            print(f"[{label}] {name:24s} {r.rps:8.0f} req/s  p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  "
                  f"non-2xx {r.non2xx}  socket errors {r.socket_errors}", flush=True)  # fmt: skip
        one = run_wrk("timeline 1 year, 1 connection", cmd(files["timeline 1 year"], connections=1))
        raw = await raw_year(url, 1001, 15)
        print(f"[{label}] 1-year timeline, 1 connection: p50 {one.p50_ms:.1f} ms; raw SQL + orjson in-process "
              f"{raw * 1000:.1f} ms; ratio {one.p50_ms / (raw * 1000):.2f}", flush=True)  # fmt: skip
        # Writes: alone, then with the two-point stats load from a second wrk.
        stats_file = files["stats two-point"]
        create_alone = run_wrk("create", cmd(create_files[0], WRITE_CONNECTIONS, True))
        login_alone = run_wrk("login", cmd(login_file, WRITE_CONNECTIONS))
        reads_c, create_busy = run_pair(
            ("stats two-point", cmd(stats_file)), ("create", cmd(create_files[1], WRITE_CONNECTIONS, True))
        )
        reads_l, login_busy = run_pair(
            ("stats two-point", cmd(stats_file)), ("login", cmd(login_file, WRITE_CONNECTIONS))
        )
        writes = [("tracker creation", create_alone, create_busy, reads_c), ("login", login_alone, login_busy, reads_l)]
        for name, alone, busy, reads in writes:
            extra = f" (created {alone.created} / {busy.created})" if name == "tracker creation" else ""
            print(f"[{label}] {name}: alone {alone.rps:.1f}/s p99 {alone.p99_ms:.0f} ms; with stats load "
                  f"{busy.rps:.1f}/s p99 {busy.p99_ms:.0f} ms, stats meanwhile {reads.rps:.0f} req/s p99 "
                  f"{reads.p99_ms:.0f} ms; non-2xx {alone.non2xx}/{busy.non2xx}/{reads.non2xx}{extra}",
                  flush=True)  # fmt: skip
    finally:
        stop_server(server)
    # The stats routes again with nothing kept in memory: what each request costs the database.
    server = start_server(url, port, args.workers, tmp, args.access_log, read_cache=False, guard=not args.plain_http)
    try:
        await wait_ready(base, server)
        warm_up(files)
        for name in ("stats two-point", "timeline 7 days"):
            r = run_wrk(f"{name}, no read cache", cmd(files[name]))
            results.append(r)
            print(f"[{label}] {r.name:36s} {r.rps:8.0f} req/s  p50 {r.p50_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  "
                  f"non-2xx {r.non2xx}", flush=True)  # fmt: skip
    finally:
        stop_server(server)
    hello = results[0].rps
    print(f"[{label}] load average after the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(other work on the machine skews every figure)")  # fmt: skip
    if hello >= 2000:
        print(f"[{label}] client check: wrk drove the bare route at {hello:,.0f} req/s, so the slower routes are "
              "limited by the server, not by the load client")  # fmt: skip
    else:
        print(f"[{label}] WARNING: the bare route reached only {hello:,.0f} req/s; the load client or a busy "
              "machine may be the limit, so ratios are not trustworthy")  # fmt: skip
    rows = [
        f"| {label} | {r.name} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.non2xx} | {r.rps / hello:.2f} |"
        for r in results
    ]
    rows.append(
        f"| {label} | timeline 1 year, 1 connection | {one.rps:,.1f} | {one.p50_ms:.1f} | {one.p99_ms:.1f} | "
        f"{one.non2xx} | raw SQL + orjson {raw * 1000:.1f} ms: x{one.p50_ms / (raw * 1000):.2f} |"
    )
    for name, alone, busy, reads in writes:
        rows.append(
            f"| {label} | {name}, alone ({WRITE_CONNECTIONS} conns) | {alone.rps:,.1f} | {alone.p50_ms:.1f} | "
            f"{alone.p99_ms:.1f} | {alone.non2xx} | |"
        )
        rows.append(
            f"| {label} | {name}, under stats load | {busy.rps:,.1f} | {busy.p50_ms:.1f} | {busy.p99_ms:.1f} | "
            f"{busy.non2xx} | stats meanwhile: {reads.rps:,.0f} req/s, p99 {reads.p99_ms:.0f} ms, "
            f"{reads.rps / results[1].rps:.2f} of stats alone |"
        )
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections for the read routes")
    parser.add_argument("--trackers", type=int, default=1000, help="trackers, each with a year of hourly data")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (-t)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (roost serve --workers)")
    parser.add_argument("--access-log", action="store_true", help="log each request, as `roost serve` does")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--plain-http", action="store_true", help="uvicorn's httptools protocol without the server's limits (cli/guard)"
    )
    args = parser.parse_args()
    print(ensure_wrk())
    logging = "access log to a file" if args.access_log else "no access log"
    protocol = "plain httptools" if args.plain_http else "httptools with the server's limits"
    print(f"{os.cpu_count()} cores; wrk -t{args.threads} -c{args.connections}, {args.seconds:g} s per route, "
          f"this machine; server: uvicorn ({protocol}), {args.workers} worker(s), {logging}, no collector")  # fmt: skip
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            rows += await bench_database("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args, Path(tmp))
    if not args.skip_postgres:
        import asyncpg

        name = f"roost_bench_{os.getpid()}"
        admin = await asyncpg.connect(PG)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        try:
            url = PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
            with tempfile.TemporaryDirectory() as tmp:
                rows += await bench_database("PostgreSQL", url, args, Path(tmp))
        finally:
            admin = await asyncpg.connect(PG)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    print("\n| database | route | req/s | p50 ms | p99 ms | non-2xx | vs bare route |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
