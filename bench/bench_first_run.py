"""First-run benchmark (issue 14): a fresh `git clone` of this repository, then `make run`, timed until the dashboard
answers (GET /healthz and GET /dashboard/login both 200 in a loop polling every 0.2 s).

It records: the install (until `roost serve` starts printing), the first demo progress line, the demo login
banner, and the working dashboard. Pip's download cache is whatever this machine has (a truly cold cache adds the
download time of the wheels). Then it stops the server, starts `make run` again in the same clone and checks that
the restart reprints the dashboard URL and the demo login.

Run: .venv/bin/python -m bench.bench_first_run [--source .]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(clone: Path, port: int, lines: list[tuple[float, str]], t0: float) -> subprocess.Popen[str]:
    env = {**os.environ, "ROOST_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.Popen(
        ["make", "run"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.monotonic() - t0, line.rstrip()))

    threading.Thread(target=read, daemon=True).start()
    return proc


def wait_ready(port: int, t0: float, limit: float = 300) -> float:
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() - t0 < limit:
        try:
            if (
                httpx.get(base + "/healthz").status_code == 200
                and httpx.get(base + "/dashboard/login").status_code == 200
            ):
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a real server started by another process
    raise RuntimeError("the dashboard did not answer")


def wait_demo(port: int, t0: float, limit: float = 300) -> float:
    """Until /healthz says the demo's history is built (`"demo": "ready"`)."""
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() - t0 < limit:
        try:
            if httpx.get(base + "/healthz").json().get("demo") == "ready":
                return time.monotonic() - t0
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)  # polling a real server started by another process
    raise RuntimeError("the demo was not built in time")


def stop(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


def first(lines: list[tuple[float, str]], text: str) -> float | None:
    return next((t for t, line in lines if text in line), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--port", type=int, default=0, help="the port to serve on (default: a free one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "roost"
        t0 = time.monotonic()
        subprocess.run(["git", "clone", "-q", args.source, str(clone)], check=True)
        port = args.port or free_port()
        lines: list[tuple[float, str]] = []
        proc = start(clone, port, lines, t0)
        try:
            ready = wait_ready(port, t0)
            built = wait_demo(port, t0)
        finally:
            stop(proc)
        serve = first(lines, "roost serve") or first(lines, "Building")
        print(f"fresh clone -> working dashboard: {ready:.1f} s")
        print(f"  install done (roost serve starts): {serve if serve is None else round(serve, 1)} s")
        print(f"  first demo progress line: {first(lines, 'Building the demo')} s")
        print(f"  demo login printed: {first(lines, 'Dashboard: http')} s")
        print(f"fresh clone -> demo complete (/healthz demo ready): {built:.1f} s")
        lines2: list[tuple[float, str]] = []
        t1 = time.monotonic()
        proc = start(clone, port, lines2, t1)
        try:
            again = wait_ready(port, t1)
        finally:
            stop(proc)
        reprinted = first(lines2, "Dashboard: http") is not None and first(lines2, "roost-demo") is not None
        print(f"restart -> working dashboard: {again:.1f} s; URL and demo login reprinted: {reprinted}")


if __name__ == "__main__":
    main()
