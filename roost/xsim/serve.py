"""Running the emulator over HTTP: `roost xsim`, and a background server for tests and benchmarks.

The CLI stays thin: it parses options and calls `build_config`, `build_clock` and `run` here.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import uvicorn
from starlette.applications import Starlette

from roost.config import XSIM_DEFAULT_TOKEN, log_config
from roost.core.clock import Clock, ScaledClock, SystemClock, VirtualClock
from roost.xsim.billing import BillingSettings, parse_dollars
from roost.xsim.config import Faults, XsimConfig, parse_limit
from roost.xsim.faults import DroppedConnection
from roost.xsim.params import parse_time


class _QuietDrops(logging.Filter):
    """uvicorn logs every exception an app raises; a deliberate drop is not worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def quiet_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


def parse_start(text: str | None) -> float | None:
    """Unix seconds or an RFC 3339 time (`2026-01-01T00:00:00Z`)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    seconds = parse_time(text)
    if seconds is None:
        raise ValueError(f"--start wants unix seconds or YYYY-MM-DDTHH:MM:SSZ, got {text!r}")
    return float(seconds)


def build_clock(*, speed: float = 1.0, virtual: bool = False, start: float | None = None) -> Clock:
    """--virtual: a clock that only the admin API moves; --speed: real time sped up; else the system clock."""
    if virtual:
        return VirtualClock(time.time() if start is None else start, autojump=True)
    if speed != 1.0 or start is not None:
        return ScaledClock(speed, start)
    return SystemClock()


def build_config(
    *,
    seed: int = 2024,
    tokens: str = "",
    limits: list[str] | None = None,
    window_seconds: float = 900.0,
    fault_503: float = 0.0,
    fault_429: float = 0.0,
    fault_slow: float = 0.0,
    fault_slow_seconds: float = 5.0,
    fault_drop: float = 0.0,
    fault_seed: int = 0,
    projects: list[str] | None = None,
    post_cap: int | None = None,
    cap_reset_day: int = 1,
    credits: str | None = None,
) -> XsimConfig:
    """`tokens` is comma-separated; `*` accepts any bearer token; `projects` are TOKEN=NAME. Raises ValueError
    on bad values."""
    names = {t.strip() for t in tokens.split(",") if t.strip()}
    accepted = frozenset(names - {"*"}) or frozenset({XSIM_DEFAULT_TOKEN})
    return XsimConfig(
        seed=seed,
        tokens=accepted,
        accept_any_token="*" in names,
        limits=dict(parse_limit(spec) for spec in limits or []),
        window_seconds=window_seconds,
        faults=Faults(
            error_rate=fault_503,
            hidden_429_rate=fault_429,
            slow_rate=fault_slow,
            slow_seconds=fault_slow_seconds,
            drop_rate=fault_drop,
            seed=fault_seed,
        ),
        billing=BillingSettings(
            projects=dict(parse_project(spec) for spec in projects or []),
            post_cap=post_cap,
            cap_reset_day=cap_reset_day,
            credits=None if credits is None else parse_dollars(credits),
        ),
    )


def parse_project(spec: str) -> tuple[str, str]:
    """`--project TOKEN=NAME`: the token's requests bill to Project NAME (others to the default Project)."""
    token, sep, name = spec.partition("=")
    if not sep or not token.strip() or not name.strip():
        raise ValueError(f"--project wants TOKEN=NAME, got {spec!r}")
    return token.strip(), name.strip()


def example_curl(app: Starlette, base_url: str) -> str:
    """A request that works against this world right now (the first catalogue account that is active)."""
    emulator = app.state.emulator
    world, clock, config = emulator.world, emulator.clock, emulator.config
    token = next(iter(sorted(config.tokens)), "any-token") if not config.accept_any_token else "any-token"
    username = "mora1"
    for index in range(50):
        user = world.user(world.catalogue_id(index), clock.now())
        if user is not None and user.status == "active" and user.tweet_count:
            username = user.username
            break
    return (
        f'curl -H "Authorization: Bearer {token}" '
        f'"{base_url}/2/users/by/username/{username}?user.fields=public_metrics,created_at"'
    )


def describe(app: Starlette, host: str, port: int) -> str:
    emulator = app.state.emulator
    now = datetime.fromtimestamp(emulator.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kind = type(emulator.clock).__name__
    base = f"http://{host}:{port}"
    return "\n".join(
        [
            f"xsim: X API v2 emulator on {base} (seed {emulator.config.seed}, {kind} at {now})",
            f"  try: {example_curl(app, base)}",
            f"  admin: {base}/xsim/admin/stats  (also /clock, /faults, /limits, /reset-limits, /billing, /bill)",
        ]
    )


def run(app: Starlette, host: str, port: int) -> None:
    quiet_drops()
    uvicorn.run(app, host=host, port=port, log_config=log_config())


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class BackgroundServer:
    """uvicorn on 127.0.0.1 and a free port, in a thread: for tests with real HTTP clients."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def start(self) -> None:
        quiet_drops()
        self._thread.start()
        if not self._server.ready.wait(timeout=10) or not self._server.started:
            raise RuntimeError("the xsim test server did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


@contextlib.contextmanager
def background_server(app: Starlette) -> Iterator[BackgroundServer]:
    server = BackgroundServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
