"""The README's first command and its examples, run as written in a fresh directory.

The project's files are copied into a temporary directory and `make run` starts there on a free port with no
ROOST_* settings, so it makes its SQLite file and the demo account from nothing. `.venv` is linked to this
checkout's (the one `make test` just installed), so `make run`'s install step finds it current instead of
downloading the same pinned packages again; the test checks that first (`make -q install`) and never lets
`make run` reinstall into the checkout's venv. Then every shell block of "Using the API" and "Command line" runs in
bash, with `curl` failing on any HTTP error, and the output is checked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()

# One `make run` for the module (it builds the demo's 30 days from nothing: minutes on a loaded machine), kept on
# one xdist worker. The tests run in file order, and each section's examples work after the ones before them: the
# API's stop osasuna, the migration's create and stop realmadrid, then the command line tracks both again.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("readme")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def section_blocks(title: str) -> list[str]:
    """The ```sh blocks of one `## title` section."""
    body = README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", body, flags=re.S)


def project_copy(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")


@pytest.fixture(scope="session")  # not "module": xdist may run other modules' tests between these, and a
# module fixture would then be torn down and `make run` started again (seen: twice 43 s)
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, str]]:
    home = tmp_path_factory.mktemp("fresh")
    project_copy(home)
    # The linked venv must already be current (`make test` installs first), or `make run` would reinstall the
    # package into it from this temporary copy, leaving the checkout's venv pointing at a deleted directory.
    current = subprocess.run(["make", "-q", "install", "run-deps"], cwd=home, capture_output=True)
    if current.returncode != 0:
        pytest.fail("the project's .venv is not current for these files: run `make install` first")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")} | {"ROOST_PORT": str(port)}
    log = home / "run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["make", "run"], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                # The demo's history is collected in the background: the examples read it, so wait for it.
                if health.status_code == 200 and health.json().get("demo") in (None, "ready"):
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"make run did not come up within 300 s:\n{log.read_text()}")
        yield home, port, log.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def run_blocks(home: Path, port: int, blocks: list[str]) -> str:
    script = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n' + "\n".join(blocks)
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    done = subprocess.run(["bash", "-c", script], cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_make_run_prints_the_demo_login(running: tuple[Path, int, str]) -> None:
    home, port, log = running
    assert "using the built-in X API emulator" in log
    assert f"Dashboard: http://127.0.0.1:{port}/dashboard   email: demo@roost.local   password: roost-demo" in log
    assert (home / "roost-data" / "roost.db").is_file()


def test_the_api_examples_work_as_written(running: tuple[Path, int, str]) -> None:
    home, port, _ = running
    out = run_blocks(home, port, section_blocks("Using the API"))
    assert '"email":"demo@roost.local"' in out
    assert '"twitter:parallel:user-trackers":{"balance"' in out
    assert '"alias":"osasuna"' in out and '"alias":"tole68"' in out
    assert "_id,tweets,followers,following,lists,followersFollowing,createdAt,updatedAt" in out  # stats as CSV
    assert '"rows":[' in out and '"projection30d"' in out  # growth
    assert "roost_snapshots_written_total" in out
    assert '"status":"ok"' in out  # healthz


def test_the_migration_examples_work_as_written(running: tuple[Path, int, str]) -> None:
    home, port, _ = running
    out = run_blocks(home, port, section_blocks("Migrating from Tweet Binder"))
    assert '"twitter:parallel:user-trackers-tags":{"balance":"unlimited","total":"unlimited"}' in out
    assert '"alias":"realmadrid"' in out and '"profile":{"id":"' in out and '"refreshInterval":3600' in out
    assert '"nextResults":2' in out  # the demo's four trackers and the new one, two a page
    assert '"tag":{"_id":"' in out and '"originals":' in out and '"globalScore":null' in out
    assert out.count("204\n") == 5  # add, add, remove, tag delete, tracker delete
    assert '"alias":"tole68"' in out and '"code":"already_stopped"' in out


def test_the_command_line_examples_work_as_written(running: tuple[Path, int, str]) -> None:
    home, port, _ = running
    out = run_blocks(home, port, section_blocks("Command line"))
    assert "tole68" in out and "GAB521" in out
    assert (home / "gab521.csv").read_text().count("\n") > 24 * 29  # 30 days of hourly snapshots
