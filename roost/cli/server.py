"""Running Roost: the API server, collector workers, the X API emulator, and backfills."""

from __future__ import annotations

import typer

from roost.cli import app


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default ROOST_HOST)"),
    port: int | None = typer.Option(None, help="Port to listen on (default ROOST_PORT)"),
    collector: bool = typer.Option(True, "--collector/--no-collector", help="Run a collector in this process"),
) -> None:
    """Run the API server (migrating the database first) and, unless --no-collector, a collector.

    Without an X token it uses the built-in X API emulator as its upstream.
    """
    import uvicorn

    from roost.api.app import create_app
    from roost.config import Settings

    settings = Settings()
    uvicorn.run(
        create_app(settings, collector=collector),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def collect() -> None:
    """Run a collector worker on its own (several can share one PostgreSQL database). Stops cleanly on SIGTERM."""
    import asyncio

    from roost.collector.service import run_collector
    from roost.config import Settings

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

    from roost.collector.backfill import BackfillError, backfill_alias
    from roost.config import Settings
    from roost.xapi import XApiError

    settings = Settings()
    want = depth or settings.backfill_depth
    columns = (TextColumn("[bold]@{task.fields[alias]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("posts", total=want, alias=alias.lstrip("@"))
        try:
            _, read = asyncio.run(
                backfill_alias(settings, alias=alias, depth=want, on_page=lambda n: progress.advance(task, n))
            )
        except (BackfillError, XApiError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        progress.update(task, total=read.posts, completed=read.posts)
    typer.echo(f"Archived {read.posts} posts of @{alias.lstrip('@')} in {read.requests} requests.")
