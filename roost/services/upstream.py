"""The X API client a process talks to, built from the settings: the real API (or `ROOST_X_API_BASE`) with the
configured tokens, or, with no token, the emulator in-process on the same clock."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from roost.config import Settings
from roost.core.clock import Clock
from roost.xapi import XClient

log = logging.getLogger("roost")


def upstream_transport(settings: Settings, clock: Clock) -> httpx.AsyncBaseTransport | None:
    """The embedded emulator when no X token or base URL is configured; the network otherwise."""
    if not settings.uses_embedded_emulator:
        return None
    from roost.xsim.app import create_app as create_xsim
    from roost.xsim.config import XsimConfig
    from roost.xsim.transport import XsimTransport

    log.warning(
        "No ROOST_X_BEARER_TOKEN set: using the built-in X API emulator (roost xsim, seed %s) as upstream. "
        "Its accounts and posts are simulated.",
        settings.xsim_seed,
    )
    return XsimTransport(create_xsim(XsimConfig(seed=settings.xsim_seed), clock=clock))


def xclient_for(
    settings: Settings, clock: Clock, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
) -> XClient:
    """An XClient on the configured base URL and tokens; `transport` defaults to `upstream_transport`. `options`
    go to XClient (max_attempts, max_wait)."""
    if transport is None:
        transport = upstream_transport(settings, clock)
    return XClient(
        base_url=settings.x_base_url, tokens=settings.x_token_pool, clock=clock, transport=transport, **options
    )
