"""The demo's history is built with one worker a pass (services/demo.py: its four users fit one claim, so more
workers only add empty claims). What it writes must be what the collector's default four workers write: the same
snapshots, the same archived posts with the same refreshed metrics, the same alerts."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from roost.collector.runner import Collector
from roost.config import Settings
from roost.services import demo
from roost.store.alert_schema import alert_events
from roost.store.db import create_engine
from roost.store.migrate import upgrade
from roost.store.schema import snapshots, tweets

NOW = 1_795_000_000.0


async def _built(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    engine = create_engine(database_url)
    try:
        assert await demo.ensure_demo(settings, engine, now=NOW, days=2) is not None
        async with engine.connect() as conn:
            snaps = (await conn.execute(select(snapshots).order_by(snapshots.c.x_user_id, snapshots.c.bucket))).all()
            posts = (await conn.execute(select(tweets).order_by(tweets.c.id))).all()
            events = (await conn.execute(select(alert_events).order_by(alert_events.c.at, alert_events.c.title))).all()
    finally:
        await engine.dispose()
    return {
        "snapshots": [tuple(r) for r in snaps],
        "posts": [
            (p.id, p.author_id, p.created_at, p.kind, p.text, p.metrics, p.metrics_at, p.deleted_at) for p in posts
        ],
        "alerts": [(r.kind, r.x_user_id, r.at, r.title) for r in events],
    }


async def test_one_worker_a_pass_writes_what_four_write(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = await _built(database_url)
    four_url = f"sqlite+aiosqlite:///{tmp_path / 'four.db'}"
    await upgrade(four_url)

    def four_workers(**kwargs: Any) -> Collector:
        return Collector(**{**kwargs, "concurrency": 4})

    monkeypatch.setattr(demo, "Collector", functools.partial(four_workers))
    four = await _built(four_url)
    assert len(shipped["snapshots"]) == 4 * 49 and len(shipped["posts"]) > 100 and shipped["alerts"]
    for key in shipped:
        assert shipped[key] == four[key], key
