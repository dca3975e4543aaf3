"""`roost serve` hands the app the settings it resolved as one serialized value (config.SERVED_SETTINGS), never
by rewriting the `ROOST_*` variables: the app factory uvicorn imports in each worker process reads that value
back exactly, whatever the environment says."""

from __future__ import annotations

import os
from typing import Any

import pytest
from typer.testing import CliRunner

from roost.cli import app
from roost.config import SERVED_SETTINGS, Settings


def test_served_settings_are_the_resolved_ones_whatever_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = Settings(_env_file=None, port=18301, collector=False, x_monthly_budget=12.5, operators="a@b.c")  # type: ignore[call-arg]
    monkeypatch.setenv("ROOST_PORT", "18302")
    monkeypatch.setenv("ROOST_COLLECTOR", "true")
    monkeypatch.setenv(SERVED_SETTINGS, resolved.serialized())
    assert Settings.served() == resolved
    monkeypatch.delenv(SERVED_SETTINGS)
    assert Settings.served().port == 18302  # without it, the environment's, as `uvicorn --factory` alone would


def test_serve_passes_its_options_in_one_value_and_rewrites_no_roost_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from roost.services import demo

    ran: dict[str, Any] = {}

    async def prepared(settings: Settings, *, demo: bool = True) -> None:
        ran["prepared"] = (settings.port, demo)

    def run(target: str, **options: Any) -> None:
        ran["target"], ran["options"] = target, options
        ran["served"] = os.environ[SERVED_SETTINGS]

    monkeypatch.setattr(demo, "prepare", prepared)
    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("ROOST_PORT", "18303")
    monkeypatch.setenv("ROOST_DATABASE_URL", "sqlite+aiosqlite:///unused.db")
    monkeypatch.setenv(SERVED_SETTINGS, "")  # undone after the test, whatever serve writes
    before = {k: v for k, v in os.environ.items() if k.startswith("ROOST_") and k != SERVED_SETTINGS}
    result = CliRunner().invoke(app, ["serve", "--port", "18304", "--host", "127.0.0.1", "--no-collector"])
    assert result.exit_code == 0, result.output
    assert {k: v for k, v in os.environ.items() if k.startswith("ROOST_") and k != SERVED_SETTINGS} == before
    assert ran["target"] == "roost.main:serve_app" and ran["options"]["factory"] is True
    assert ran["options"]["port"] == 18304 and ran["prepared"] == (18304, False)
    served = Settings.model_validate_json(ran["served"])
    assert (served.port, served.host, served.collector, served.demo) == (18304, "127.0.0.1", False, True)
    assert served.database_url == "sqlite+aiosqlite:///unused.db"
