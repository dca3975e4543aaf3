"""`roost plan`: what following N accounts costs on X, in requests, money and disk, before it is done.

Pure arithmetic from X's prices (`roost.core.billing`), X's rate limits and Roost's collection policy:
- Snapshots: every `snapshot_interval` one pass looks all accounts up, 100 ids a `GET /2/users` request. X charges
  a user once per UTC day, so hourly snapshots cost one user read a day per account.
- New posts: an account's timeline is read only in a pass that sees its `tweet_count` risen (`since_id`, one page
  of up to 100); each new post is charged on the day it is first read.
- Refreshes: a post's metrics are read again (`GET /2/tweets`, 100 ids a request) at each age of the refresh
  schedule. A read costs only if it falls on a UTC day the post was not read yet. With posting times spread over
  the day and reads made at the passes, a read `g` seconds after the previous one lands on a new day with
  probability min(1, g / 86400): refreshes at 1 h, 24 h and 7 d add 1/24 + 23/24 + 1 = 2 charged reads a post.
- Start-up (once per new tracker): the first user read, a backfill of `backfill` posts (100 a timeline page), and
  the pending refreshes of the backfilled posts younger than the schedule's last age.
A month is 30 days (as in issue 19's figures and `roost simulate`), a year 365.25. Storage uses bytes a row
measured by `bench/bench_rowsize.py` (BENCHMARKS.md): a snapshot row per account per pass, a post row per post
(refreshes update it in place).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from roost.core.billing import DEFAULT_PRICES, PAY_PER_USE_POST_CAP, PriceTable, Resource, parse_refresh_schedule

DAY = 86400
DAYS_PER_MONTH = Decimal(30)
DAYS_PER_YEAR = Decimal("365.25")

# X's app-auth limits per 15-minute window and token (spec/x-api.md; the emulator's roost.xsim.config).
WINDOW_SECONDS = 900
LOOKUP = "GET /2/users"
TIMELINE = "GET /2/users/:id/tweets"
TWEETS = "GET /2/tweets"
LIMITS: dict[str, int] = {LOOKUP: 300, TIMELINE: 1500, TWEETS: 300}
IDS_PER_REQUEST = 100  # GET /2/users and GET /2/tweets
POSTS_PER_PAGE = 100  # the timeline's max_results

# Roost's defaults as the planner assumes them when not told otherwise (the settings ROOST_BACKFILL_DEPTH and
# ROOST_REFRESH_SCHEDULE are the collector's).
DEFAULT_BACKFILL = 200
DEFAULT_REFRESH = "1h,24h"  # ROOST_REFRESH_SCHEDULE's default: two charged reads a post
DEFAULT_SNAPSHOT_INTERVAL = 3600

# Bytes a row including its share of the indexes, measured by bench/bench_rowsize.py (BENCHMARKS.md, "Row sizes").
SNAPSHOT_BYTES = {"sqlite": 50, "postgresql": 167}
POST_BYTES = {"sqlite": 1459, "postgresql": 1368}


@dataclass(frozen=True, slots=True)
class PlanInput:
    accounts: int
    posts_per_day: float
    backfill: int = DEFAULT_BACKFILL
    refresh: tuple[int, ...] = parse_refresh_schedule(DEFAULT_REFRESH)
    tokens: int = 1
    snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL
    post_cap: int | None = None

    def validate(self) -> None:
        """ValueError naming the option at fault (the CLI's flags)."""
        if self.accounts < 1:
            raise ValueError(f"--accounts must be at least 1, not {self.accounts}")
        if not (self.posts_per_day >= 0 and math.isfinite(self.posts_per_day)):
            raise ValueError(f"--posts-per-day must be a number >= 0, not {self.posts_per_day}")
        if not 0 <= self.backfill <= 3200:
            raise ValueError(f"--backfill must be between 0 and 3200 posts (X serves 3200), not {self.backfill}")
        if self.tokens < 1:
            raise ValueError(f"--tokens must be at least 1, not {self.tokens}")
        if not 60 <= self.snapshot_interval <= DAY:
            raise ValueError(f"the snapshot interval must be 60..86400 seconds, not {self.snapshot_interval}")
        if self.post_cap is not None and self.post_cap < 0:
            raise ValueError(f"--post-cap cannot be negative, not {self.post_cap}")


@dataclass(frozen=True, slots=True)
class EndpointLoad:
    endpoint: str
    requests_per_hour: float
    per_window: float  # requests in the busiest 15-minute window
    limit: int  # per window and token
    tokens_needed: int


@dataclass(frozen=True, slots=True)
class Money:
    """Charged reads a day and dollars a month of one kind of spending."""

    kind: str  # snapshots | new_posts | refreshes
    resource: Resource
    reads_per_day: Decimal
    usd_per_month: Decimal


@dataclass(frozen=True, slots=True)
class Plan:
    input: PlanInput
    endpoints: tuple[EndpointLoad, ...]
    tokens_needed: int
    fits_rate_limits: bool
    reads_per_post: Decimal  # charged reads of one post over its life (first read + refreshes on new days)
    users_per_day: Decimal
    posts_per_day: Decimal
    usd_per_day: Decimal
    monthly: tuple[Money, ...]
    usd_per_month: Decimal
    usd_per_account_month: Decimal
    startup_usd_per_account: Decimal
    startup_usd: Decimal
    startup_requests: int  # timeline pages of the backfills
    startup_hours: float  # at the timeline's limit with the given tokens
    post_reads_per_month: Decimal
    first_month_post_reads: Decimal  # with the backfills
    post_cap: int
    fits_post_cap: bool
    first_month_fits_post_cap: bool
    snapshot_rows_per_year: int
    post_rows_per_year: int
    storage_bytes_per_year: dict[str, int]  # by database: sqlite, postgresql


def _day_share(gap: int) -> Decimal:
    """The chance that a read `gap` seconds after the previous one falls on another UTC day."""
    return min(Decimal(1), Decimal(max(0, gap)) / DAY)


def reads_per_post(refresh: tuple[int, ...]) -> Decimal:
    """Charged reads of one post: its first read plus each refresh that lands on a day not read yet."""
    total = Decimal(1)
    previous = 0
    for age in refresh:
        total += _day_share(age - previous)
        previous = age
    return total


def _segment(length: float) -> float:
    """The integral over a segment of `length` seconds of min(1, u / DAY) du (u = time to the next refresh)."""
    if length <= DAY:
        return length * length / (2 * DAY)
    return DAY / 2 + (length - DAY)


def backfill_refresh_reads(refresh: tuple[int, ...], backfill: int, posts_per_day: float) -> Decimal:
    """Expected charged refresh reads of one account's backfilled posts that were younger than the last refresh
    age when read (their remaining refreshes still happen). Posts are assumed spread evenly in age."""
    if not refresh or posts_per_day <= 0 or backfill <= 0:
        return Decimal(0)
    reach = min(refresh[-1], backfill / posts_per_day * DAY)  # the backfill's oldest post's age
    integral = 0.0
    start = 0
    for index, age in enumerate(refresh):
        lo, hi = start, min(age, reach)
        if hi > lo:
            integral += _segment(age - lo) - _segment(age - hi)  # this refresh, from ages in [lo, hi)
            later = sum(min(1.0, (refresh[j] - refresh[j - 1]) / DAY) for j in range(index + 1, len(refresh)))
            integral += (hi - lo) * later
        start = age
    return Decimal(str(round(integral * posts_per_day / DAY, 9)))


def plan(given: PlanInput, prices: PriceTable = DEFAULT_PRICES) -> Plan:
    """The plan for `given` (validated first: ValueError names the option at fault)."""
    given.validate()
    n, rate = given.accounts, given.posts_per_day
    passes_per_hour = 3600 / given.snapshot_interval
    per_pass_posts = rate * given.snapshot_interval / DAY

    # Requests: a pass is a burst, so a window holds a whole pass when passes are 15 minutes or more apart.
    passes_per_window = max(1.0, WINDOW_SECONDS / given.snapshot_interval)
    lookups_per_pass = math.ceil(n / IDS_PER_REQUEST)
    active_share = 1 - math.exp(-per_pass_posts)  # accounts with a new post since the last pass (Poisson)
    timeline_per_pass = n * active_share * max(1, math.ceil(per_pass_posts / POSTS_PER_PAGE))
    due_per_pass = n * per_pass_posts * len(given.refresh)  # posts reaching a refresh age, 100 ids a request
    refresh_per_pass = math.ceil(due_per_pass / IDS_PER_REQUEST) if due_per_pass >= 1 else 1 - math.exp(-due_per_pass)
    loads = []
    for endpoint, per_pass in ((LOOKUP, lookups_per_pass), (TIMELINE, timeline_per_pass), (TWEETS, refresh_per_pass)):
        per_window = per_pass * passes_per_window
        limit = LIMITS[endpoint]
        loads.append(
            EndpointLoad(endpoint, per_pass * passes_per_hour, per_window, limit, math.ceil(per_window / limit))
        )
    tokens_needed = max(1, *(load.tokens_needed for load in loads))

    # Money.
    per_post = reads_per_post(given.refresh)
    posts_a_day = Decimal(repr(rate)) * n
    users_a_day = Decimal(n)
    new_posts = posts_a_day
    refresh_reads = posts_a_day * (per_post - 1)
    monthly = tuple(
        Money(kind, resource, reads, prices.cost(resource, 1) * reads * DAYS_PER_MONTH)
        for kind, resource, reads in (
            ("snapshots", Resource.USER, users_a_day),
            ("new_posts", Resource.POST, new_posts),
            ("refreshes", Resource.POST, refresh_reads),
        )
    )
    usd_day = sum((m.usd_per_month for m in monthly), Decimal(0)) / DAYS_PER_MONTH
    usd_month = sum((m.usd_per_month for m in monthly), Decimal(0))
    backfill_refreshes = backfill_refresh_reads(given.refresh, given.backfill, rate)
    startup_each = prices.price(Resource.USER) + prices.price(Resource.POST) * (given.backfill + backfill_refreshes)
    startup_requests = n * math.ceil(given.backfill / POSTS_PER_PAGE)
    startup_hours = startup_requests / (LIMITS[TIMELINE] * given.tokens) * WINDOW_SECONDS / 3600

    # Caps.
    post_reads_month = posts_a_day * per_post * DAYS_PER_MONTH
    first_month = post_reads_month + n * (given.backfill + backfill_refreshes)
    cap = PAY_PER_USE_POST_CAP if given.post_cap is None else given.post_cap

    # Storage.
    snapshot_rows = round(Decimal(n * DAY) / given.snapshot_interval * DAYS_PER_YEAR)
    post_rows = round(posts_a_day * DAYS_PER_YEAR)
    storage = {db: snapshot_rows * SNAPSHOT_BYTES[db] + post_rows * POST_BYTES[db] for db in SNAPSHOT_BYTES}

    return Plan(
        input=given,
        endpoints=tuple(loads),
        tokens_needed=tokens_needed,
        fits_rate_limits=tokens_needed <= given.tokens,
        reads_per_post=per_post,
        users_per_day=users_a_day,
        posts_per_day=posts_a_day * per_post,
        usd_per_day=usd_day,
        monthly=monthly,
        usd_per_month=usd_month,
        usd_per_account_month=usd_month / n,
        startup_usd_per_account=startup_each,
        startup_usd=startup_each * n,
        startup_requests=startup_requests,
        startup_hours=startup_hours,
        post_reads_per_month=post_reads_month,
        first_month_post_reads=first_month,
        post_cap=cap,
        fits_post_cap=post_reads_month <= cap,
        first_month_fits_post_cap=first_month <= cap,
        snapshot_rows_per_year=snapshot_rows,
        post_rows_per_year=post_rows,
        storage_bytes_per_year=storage,
    )
