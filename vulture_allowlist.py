"""Names vulture cannot see used, each with the reason (`make test` runs vulture over roost/ and this file)."""

# ruff: noqa
_ = object()

# Found by name at run time, not by an import.
_.openapi  # roost.api: FastAPI calls app.openapi() for /openapi.json
serve_app  # roost.main: uvicorn imports "roost.main:serve_app" as its app factory
_.isolation_level  # roost.store.db: a DB-API attribute the driver reads
_connect  # roost.store.db: SQLAlchemy event listener
_begin  # roost.store.db: SQLAlchemy event listener
_reset  # roost.store.db: SQLAlchemy event listener (the pool's reset on return)
media_type  # roost.xsim.app: Starlette Response class attribute
_.redirect_slashes  # roost.xsim.app: Starlette router option
_.should_exit  # roost.xsim.serve: read by uvicorn's server loop
_.caught_up  # roost.store.changes.ChangeFeed: the tests' sync point with PostgreSQL's notifications

# Read by templates (Jinja2) or by serialization, not by Python code.
spark  # roost.web.data.TrackerRow, trackers.html
start_day  # roost.web.data.RangeChoice, _range.html
end_day  # roost.web.data.RangeChoice, _range.html
user_state  # roost.store.trackers.TrackerView, tracker.html
pagination  # roost.schemas.Page: a wire field
balances  # roost.schemas.Balances: a wire field
projection30d  # roost.schemas.TotalDocument: a wire field
posts_per_day  # roost.xsim.personas.AccountEvents: the labelled posting rate, read by the emulator's tests

# Pass reports: counts a collector pass returns to its caller (tests and `roost collect`'s log assert on them).
rate_limited
_.rate_limited
backfills
_.backfills
refresh_requests
_.refresh_requests
refreshed
_.refreshed
failed
_.failed

# The emulator's testing kit (roost.xsim.testing) and server helpers, a public surface for tests and benchmarks.
find_user
find_missing_id
find_missing_username
background_server
_.coarse_between
is_short_id

# Readers the store and client offer for inspection (tests, benches and operators' scripts use them).
get_account
head_revision
latest_snapshot
save_posts
get_x_users
set_timeline_cursor
_.user_timeline_page
parse_timeline
_.tracker_slots_free  # roost.store.accounts.Account: read by the store tests

# Read only by the dashboard's Jinja templates (tracker.html, _figures.html, _posts.html, _profile.html):
_.per_day  # roost.services.reports.Figure
_.best_hour  # roost.services.reports.PostReport
_.best_weekday  # roost.services.reports.PostReport
_.bio  # roost.web.data.Profile
# Wire fields of Tweet Binder's documents that pydantic fills by keyword or construct (roost/schemas/), and the list
# endpoints' documented filters that FastAPI reads into OpenAPI (the grammar parses the query string itself).
_.mentions
_.favorites
_.picture
id_
# The meter's priced sums (roost.services.spending): the usage API, `roost usage` and the dashboard page render them.
_.usage_by
_.dollars

# roost.core.billing: the billing primitives shared by the emulator's bill, Roost's meter and the planner.
POST
PAY_PER_USE_POST_CAP
dollars
utc_day
billing_period
parse_refresh_schedule
format_refresh_schedule

# Called by migrations (roost/store/migrations/ is outside vulture's paths).
rebuild  # roost.store.partitions: migration 0009 converts the history tables with it
is_partition  # roost.store.partitions: migrations/env.py leaves the month partitions out of the comparison
_.disconnected  # roost.cli.guard: uvicorn's RequestResponseCycle reads it
