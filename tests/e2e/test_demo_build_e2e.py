"""Issue 21's first minute in headless Chromium, with a real demo build: a first run's empty database gets the demo
account (`create_demo`), and its history is collected day by day (`build_in_background`, what `roost serve` runs)
while the dashboard already answers. The build waits after each day until the browser has looked, so the banner's
progress is checked at each step, not raced; when the build is done the page reloads itself without the banner."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from roost.config import Settings
from roost.services import demo
from roost.store.db import create_engine
from tests.e2e.live import NOW, Live, live_server

CHROMIUM = os.environ.get("ROOST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DAYS = 2

playwright_sync = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} missing: run `make install` (apt-get install chromium)", allow_module_level=True)


class Gate:
    """The build's progress hook: after each day it waits until the test lets it go on."""

    def __init__(self) -> None:
        self.reached = threading.Semaphore(0)
        self.go_on = threading.Semaphore(0)

    def __call__(self, done: int, days: int) -> None:
        self.reached.release()
        if not self.go_on.acquire(timeout=120):
            raise TimeoutError("the test never let the demo build go on")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("e2e-demo"), start=NOW, account=False) as server:
        yield server


def build(live: Live, gate: Gate, failed: list[BaseException]) -> threading.Thread:
    """Create the demo in the live server's database and collect its history in a thread of its own."""

    async def run() -> None:
        engine = create_engine(live.database_url)
        try:
            settings = Settings(database_url=live.database_url, _env_file=None)  # type: ignore[call-arg]
            made = await demo.create_demo(settings, engine, now=NOW, days=DAYS)
            assert made is not None
            await demo.build_in_background(made, live.status, gate)
        finally:
            await engine.dispose()

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:
            failed.append(exc)
            gate.reached.release()

    thread = threading.Thread(target=target, name="roost-e2e-demo", daemon=True)
    thread.start()
    return thread


def test_the_build_banner_follows_a_real_demo_build(live: Live) -> None:
    gate, failed = Gate(), []
    thread = build(live, gate, failed)
    assert gate.reached.acquire(timeout=120) and not failed, failed  # day 1 of DAYS collected
    health = httpx.get(live.url + "/healthz").json()
    assert health["demo"].startswith(f"building 1/{DAYS} days (collected up to ")
    assert health["collector"]["heartbeatAge"] is None  # the history's worker beats in simulated time: not counted
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page: Any = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(live.url + "/dashboard/login")
            page.fill("input[name=email]", demo.DEMO_EMAIL)
            page.fill("input[name=password]", demo.DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard")
            assert page.is_visible("#build-banner") and page.is_visible("#simulated-banner")
            assert f"1/{DAYS} days" in page.inner_text("#build-progress")
            assert page.eval_on_selector("#build-bar", "e => [e.value, e.max]") == [1, DAYS]
            assert page.locator("#trackers-table tbody tr").count() == len(demo.DEMO_ACCOUNTS)
            # Nothing collected inside the last 24 hours yet: no figure (never a "+0"), said so.
            day = page.locator("#trackers-table td.delta[data-window='24h']").all_inner_texts()
            assert [t.strip() for t in day] == ["no data"] * len(demo.DEMO_ACCOUNTS)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "21-demo-building.png"), full_page=True)
            # The last day: the banner follows /healthz to the end, then the page reloads without it.
            gate.go_on.release()
            assert gate.reached.acquire(timeout=120) and not failed, failed
            page.wait_for_selector(f"#build-progress:has-text('{DAYS}/{DAYS} days')", timeout=20_000)
            gate.go_on.release()
            thread.join(timeout=120)
            assert not thread.is_alive() and not failed, failed
            assert live.status["demo"] == "ready"
            page.wait_for_selector("#build-banner", state="detached", timeout=20_000)
            assert page.locator("#trackers-table td.delta[data-window='24h']:not(.na)").count() == len(
                demo.DEMO_ACCOUNTS
            )  # a day of history is there: the last 24 hours' changes are figures now
            page.screenshot(path=str(ARTIFACTS / "21-demo-ready.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
