"""Running Roost: the API server, collector workers, the X API emulator, and backfills."""

from __future__ import annotations

import typer

from roost.cli import app


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default ROOST_HOST)"),
    port: int | None = typer.Option(None, help="Port to listen on (default ROOST_PORT)"),
    workers: int | None = typer.Option(None, min=1, max=64, help="API processes on the port (default ROOST_WORKERS)"),
    collector: bool | None = typer.Option(
        None, "--collector/--no-collector", help="Run one collector beside the API (default ROOST_COLLECTOR, on)"
    ),
) -> None:
    """Run the API server (migrating the database first) and, unless --no-collector, one collector.

    Without an X token it uses the built-in X API emulator as its upstream. With --workers N, N processes share
    the port and the collector runs as one process of its own beside them.
    """
    import asyncio
    import os
    import subprocess
    import sys

    import uvicorn

    from roost.cli import guard
    from roost.config import SERVED_SETTINGS, Settings, log_config
    from roost.services.demo import prepare

    settings = Settings()
    # The options win over the environment, so the demo banner shows where the server really listens.
    settings = settings.model_copy(
        update={
            "host": host or settings.host,
            "port": port or settings.port,
            "workers": workers or settings.workers,
            "collector": settings.collector if collector is None else collector,
        }
    )
    one = settings.workers == 1
    # Migrate once. One process builds the first run's demo history in the background while it serves (so the
    # dashboard answers at once); several workers get it built here first, once.
    asyncio.run(prepare(settings, demo=not one))
    in_process = settings.collector and one
    # The settings the app runs with (the collector in the server's process only with one of them, beside it
    # otherwise), handed to uvicorn's factory as one value: worker processes can only import it (the composition
    # root sits above the CLI, which does not import it).
    served = settings.model_copy(update={"collector": in_process, "demo": settings.demo and one})
    os.environ[SERVED_SETTINGS] = served.serialized()
    side: subprocess.Popen[bytes] | None = None
    if settings.collector and not in_process:
        side = subprocess.Popen([sys.executable, "-m", "roost.cli", "collect"])
    try:
        uvicorn.run(
            "roost.main:serve_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers if settings.workers > 1 else None,
            log_config=log_config(),
            access_log=settings.access_log,
            http=guard.protocol(settings),
            limit_concurrency=settings.max_connections,
        )
    finally:
        if side is not None:
            side.terminate()
            side.wait(timeout=30)


@app.command()
def collect() -> None:
    """Run a collector worker on its own (several can share one PostgreSQL database). Stops cleanly on SIGTERM."""
    import asyncio

    from roost.config import Settings
    from roost.services.collection import run_collector

    asyncio.run(run_collector(Settings()))


@app.command()
def xsim(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8080, help="Port to listen on"),
    seed: int = typer.Option(2024, help="Seed of the simulated world (same seed, same accounts and posts)"),
    speed: float = typer.Option(1.0, help="Run the world's clock this many times faster than real time"),
    virtual: bool = typer.Option(False, "--virtual", help="A clock that moves only via POST /xsim/admin/clock"),
    start: str | None = typer.Option(None, help="The world's time at start: unix seconds or RFC 3339 (default now)"),
    tokens: str = typer.Option("xsim-token", help="Accepted bearer tokens, comma-separated; '*' accepts any"),
    limit: list[str] = typer.Option(
        [], "--limit", help="ENDPOINT=N requests per window, e.g. timeline=1500 or 'GET /2/users=300' (repeatable)"
    ),
    window: float = typer.Option(900.0, help="Rate-limit window in seconds"),
    fault_503: float = typer.Option(0.0, "--fault-503", help="Share of requests answered 503"),
    fault_429: float = typer.Option(0.0, "--fault-429", help="Share answered 429 while the window has room"),
    fault_slow: float = typer.Option(0.0, "--fault-slow", help="Share of answers delayed by --fault-slow-seconds"),
    fault_slow_seconds: float = typer.Option(5.0, "--fault-slow-seconds", help="Delay of a slow answer"),
    fault_drop: float = typer.Option(0.0, "--fault-drop", help="Share of connections broken mid-response"),
    fault_seed: int = typer.Option(0, "--fault-seed", help="Seed of the fault sequence"),
    project: list[str] = typer.Option(
        [], "--project", help="TOKEN=NAME: bill this token to Project NAME (repeatable; default: one Project)"
    ),
    post_cap: int | None = typer.Option(None, "--post-cap", help="Monthly post reads per Project, then 429"),
    cap_reset_day: int = typer.Option(1, "--cap-reset-day", help="Day of the month the post cap resets (1-31)"),
    credits: str | None = typer.Option(None, "--credits", help="US dollars of credits; spent, billable -> 402"),
) -> None:
    """Run the offline X API v2 emulator (user lookups, user timeline, post lookup) for real clients.

    Example: `roost xsim --port 8080 --limit timeline=50 --fault-503 0.05`, then point a client at
    http://127.0.0.1:8080 with the bearer token `xsim-token`.
    """
    from roost.xsim import serve
    from roost.xsim.app import create_app

    try:
        clock = serve.build_clock(speed=speed, virtual=virtual, start=serve.parse_start(start))
        config = serve.build_config(
            seed=seed,
            tokens=tokens,
            limits=limit,
            window_seconds=window,
            fault_503=fault_503,
            fault_429=fault_429,
            fault_slow=fault_slow,
            fault_slow_seconds=fault_slow_seconds,
            fault_drop=fault_drop,
            fault_seed=fault_seed,
            projects=project,
            post_cap=post_cap,
            cap_reset_day=cap_reset_day,
            credits=credits,
        )
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    xsim_app = create_app(config, clock=clock)
    typer.echo(serve.describe(xsim_app, host, port))
    serve.run(xsim_app, host, port)


@app.command()
def backfill(
    alias: str = typer.Argument(..., help="Screen name of an account a tracker follows"),
    depth: int | None = typer.Option(None, min=1, max=3200, help="Posts to read back (default ROOST_BACKFILL_DEPTH)"),
) -> None:
    """Read a tracked account's posts back now (X serves the newest 3200), e.g. `roost backfill osasuna`.

    The collector backfills new trackers by itself; this re-reads at once, refreshing metrics and marking posts
    that vanished from the timeline as deleted.
    """
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from roost.cli.common import runtime
    from roost.collector.reading import TimelineRead
    from roost.config import Settings
    from roost.services.backfill import BackfillError, backfill_alias
    from roost.xapi import XApiError

    want = depth or Settings().backfill_depth
    columns = (TextColumn("[bold]@{task.fields[alias]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("posts", total=want, alias=alias.lstrip("@"))

        async def work() -> tuple[int, TimelineRead]:
            async with runtime() as rt:
                return await backfill_alias(rt, alias=alias, depth=want, on_page=lambda n: progress.advance(task, n))

        try:
            _, read = asyncio.run(work())
        except (BackfillError, XApiError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        progress.update(task, total=read.posts, completed=read.posts)
    typer.echo(f"Archived {read.posts} posts of @{alias.lstrip('@')} in {read.requests} requests.")
