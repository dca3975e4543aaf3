"""The OpenAPI description is the truth: a bounded schemathesis run (every operation, every check) against a real
server over HTTP finds nothing, and /docs renders from vendored assets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.live import EMAIL, NOW, PASSWORD, live_server, quiet_names

HOUR = 3600
ST = Path(sys.executable).with_name("st")

CONFIG = """
[checks.positive_data_acceptance]
# A schema-valid request may still break a rule the schema cannot state (startDate after endDate, another
# account's id, a taken tag name): those answers are documented 4xx, not failures.
# 429: creating a tracker with no free slot left ("invalid balance"), and wrong logins throttled after a few;
# 413: a body over the limit; 403: the whole X bill (GET /usage?scope=all) asked by an account that is no operator.
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "429"]

[parameters]
"path.resourceId" = "{tracker}"
# A spare login session to log out (never the run's own: its token must keep working).
"path.sessionId" = {spare}
"""


@pytest.mark.slow
def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    # Every check but use_after_free: DELETE /user-trackers/:id is Tweet Binder's "stop", after which the tracker
    # and its data stay readable (status "stopped"), so a later GET answering 200 is the contract.
    with live_server(tmp_path, start=NOW) as live:
        (tracker,) = live.track(quiet_names(live.world, 1, NOW))
        live.collect(NOW + 3 * HOUR, timeline=True)
        login = httpx.post(f"{live.url}/authorize/email/login", json={"email": EMAIL, "password": PASSWORD})
        token = login.json()["authToken"]
        httpx.post(f"{live.url}/authorize/email/login", json={"email": EMAIL, "password": PASSWORD})
        sessions = httpx.get(f"{live.url}/me/sessions", headers={"Authorization": f"Bearer {token}"}).json()
        spare = next(s["_id"] for s in sessions if not s["current"])
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.format(tracker=tracker, spare=spare))
        result = subprocess.run(
            [
                str(ST), "--config-file", str(config), "run", f"{live.url}/openapi.json",
                "-H", f"Authorization: Bearer {token}", "--checks", "all", "--exclude-checks", "use_after_free",
                "--max-examples", "8",
                "--seed", "2024", "--workers", "1", "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested:" in result.stdout and "Failures:" not in result.stdout, result.stdout[-2000:]
