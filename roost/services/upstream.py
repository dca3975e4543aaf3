"""The X API clients, built here and nowhere else: from the settings, the real API (or `ROOST_X_API_BASE`) with the
configured tokens, or, with no token, the emulator in-process on the same clock; and emulators of their own (the
demo's past, `roost simulate`) over a world and a clock their caller keeps."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector.meter import USAGE_ENDPOINT, StoreMeter
from roost.collector.spending import prices_for
from roost.config import XSIM_DEFAULT_TOKEN, Settings
from roost.core.clock import Clock
from roost.core.metering import billing_month
from roost.services.errors import ServiceError, Unavailable
from roost.xapi import XApiError, XApiPaused, XApiRejected, XClient

if TYPE_CHECKING:  # the emulator is imported only when a process uses it
    from roost.xsim.config import XsimConfig
    from roost.xsim.world import World

EMULATOR_BASE = "http://xsim.local"

log = logging.getLogger("roost")


def upstream_transport(settings: Settings, clock: Clock) -> httpx.AsyncBaseTransport | None:
    """The embedded emulator when no X token or base URL is configured; the network otherwise."""
    if not settings.uses_embedded_emulator:
        return None
    log.warning(
        "No ROOST_X_BEARER_TOKEN set: using the built-in X API emulator (roost xsim, seed %s) as upstream. "
        "Its accounts and posts are simulated.",
        settings.xsim_seed,
    )
    from roost.xsim.config import XsimConfig

    return emulator(XsimConfig(seed=settings.xsim_seed), clock)


def emulator(config: XsimConfig, clock: Clock, world: World | None = None) -> httpx.AsyncBaseTransport:
    """An emulator in this process, as a transport (its world built from the config's seed unless given)."""
    from roost.xsim.app import create_app as create_xsim
    from roost.xsim.transport import XsimTransport

    return XsimTransport(create_xsim(config, clock=clock, world=world))


def emulator_xclient(world: World, clock: Clock) -> XClient:
    """An unmetered client of an emulator of its own over `world` on `clock` (the demo's past, in virtual time);
    the caller closes it."""
    from roost.xsim.config import XsimConfig

    transport = emulator(XsimConfig(seed=world.seed), clock, world)
    return XClient(base_url=EMULATOR_BASE, tokens=[XSIM_DEFAULT_TOKEN], clock=clock, transport=transport)


def xclient_for(
    settings: Settings,
    clock: Clock,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    engine: AsyncEngine | None = None,
    **options: Any,
) -> XClient:
    """An XClient on the configured base URL and tokens; `transport` defaults to `upstream_transport`. `options`
    go to XClient (max_attempts, max_wait). With `engine`, the client is metered into that database (every
    process's reads in one ledger, every process obeying the same pauses)."""
    if transport is None:
        transport = upstream_transport(settings, clock)
    meter = StoreMeter(engine, clock, prices=prices_for(settings)) if engine is not None else None
    client = XClient(
        base_url=settings.x_base_url,
        tokens=settings.x_token_pool,
        clock=clock,
        transport=transport,
        meter=meter,
        **options,
    )
    if meter is not None:
        meter.cap_reset = functools.partial(cap_reset, client, settings)
    return client


async def cap_reset(client: XClient, settings: Settings, now: float) -> float:
    """When a post cap reached at `now` lifts: X's `cap_reset_day` from `GET /2/usage/tweets` where it answers,
    else the start of the next billing month (`ROOST_X_BILLING_DAY`)."""
    day = settings.x_billing_day
    try:
        body = await client.get_json(USAGE_ENDPOINT, "/2/usage/tweets", {}, max_wait=0.0)
        reported = (body.get("data") or {}).get("cap_reset_day")
        if reported is not None and 1 <= int(reported) <= 31:
            day = int(reported)
    except (XApiError, ValueError, TypeError, AttributeError) as exc:
        log.info("GET /2/usage/tweets did not say when the cap resets (%s): using billing day %d", exc, day)
    return float(billing_month(now, day)[1])


def upstream_refusal(exc: XApiError, *, action: str) -> ServiceError:
    """What a request-serving use case answers when X could not give it what it needed: 503 with what happened
    upstream (unreachable, a reached cap, spent credits, a refusal), never a 500. `action`: what did not happen."""
    if isinstance(exc, XApiPaused):
        why = {
            "credits": "X API answered 402 Payment Required: the project's credits are spent",
            "cap": "X API answered 429 UsageCapExceeded: the project's monthly post cap is reached",
        }.get(exc.reason, f"X API requests are paused ({exc.reason})")
        return Unavailable(
            f"upstream_{exc.reason}",
            f"{why} ({exc.detail}); {action}. Roost retries by itself at most every 10 minutes; "
            "an operator can resume at once with `roost upstream resume`.",
            reason=str(exc),
        )
    if isinstance(exc, XApiRejected):
        return Unavailable(
            "upstream_rejected", f"X API refused the request ({exc.status}: {exc.detail}); {action}.", reason=str(exc)
        )
    return Unavailable("upstream_unavailable", f"X API could not be reached; {action}. Try again.", reason=str(exc))
