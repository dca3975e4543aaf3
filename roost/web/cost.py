"""The cost preview under the trackers page's add box: what one more tracked account costs a month and to start
at the settings' prices and policies (the page's cost.js multiplies by the names typed)."""

from __future__ import annotations

from decimal import Decimal

from roost.core.billing import parse_refresh_schedule
from roost.core.metering import DAY
from roost.services.runtime import Runtime

POSTS_PER_DAY = 5  # the preview's assumption, said on the page


def add_cost(rt: Runtime) -> dict[str, str]:
    """What one more tracked account costs at the settings, for the add box's preview (cost.js multiplies by the
    names typed): a month of hourly snapshots (one user read a UTC day), a month of its archive at 5 posts a day
    (each post read once new, then once per refresh stage that falls on a later UTC day than the post's first
    read; a stage under a day does so for that share of posts), and the backfill to start."""
    settings = rt.settings
    user, post = Decimal(str(settings.x_price_user)), Decimal(str(settings.x_price_post))
    try:
        stages = parse_refresh_schedule(settings.refresh_schedule)
    except ValueError:
        stages = ()
    reads = 1 + sum(min(Decimal(1), Decimal(age) / DAY) for age in stages)
    return {
        "snapshots": f"{user * 30:.4f}",
        "archive": f"{post * reads * POSTS_PER_DAY * 30:.4f}",
        "start": f"{post * settings.backfill_depth + user:.4f}",
    }
