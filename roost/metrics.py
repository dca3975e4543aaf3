"""Prometheus metrics, one registry for the process (the API serves it at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPSTREAM_REQUESTS = Counter(
    "roost_upstream_requests_total",
    "Requests sent to the X API, by endpoint and HTTP status (or 'error' for transport failures).",
    ["endpoint", "status"],
    registry=REGISTRY,
)
RATE_LIMIT_WAITS = Counter(
    "roost_rate_limit_wait_seconds_total",
    "Seconds spent waiting for an X API rate-limit window to reset, by endpoint.",
    ["endpoint"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "roost_http_requests_total",
    "Requests served by the Roost API, by method, route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "roost_http_request_duration_seconds",
    "Latency of the Roost API, by route.",
    ["route"],
    registry=REGISTRY,
)
SNAPSHOTS_WRITTEN = Counter(
    "roost_snapshots_written_total", "Snapshots written (inserted or refreshed).", registry=REGISTRY
)
COLLECTION_LAG = Gauge(
    "roost_collection_lag_seconds",
    "Seconds between the start of the current bucket and the end of its snapshot pass.",
    registry=REGISTRY,
)
BUCKET_GAPS = Counter(
    "roost_bucket_gaps_total", "Buckets that could not be collected in time, per X user.", registry=REGISTRY
)
TOKENS_REVOKED = Counter(
    "roost_tokens_revoked_total",
    "Login tokens and API keys revoked (logouts, password changes, operators).",
    registry=REGISTRY,
)
LOGINS_THROTTLED = Counter(
    "roost_logins_throttled_total", "Login attempts refused with 429 after too many failures.", registry=REGISTRY
)
BILLABLE_RESOURCES = Counter(
    "roost_x_billable_resources_total",
    "Billable X resources charged (first read of the UTC day in this process's writes), by resource and purpose.",
    ["resource", "purpose"],
    registry=REGISTRY,
)
UPSTREAM_PAUSES = Counter(
    "roost_x_pause_transitions_total",
    "Upstream pauses started and lifted by this process (a reached cap pauses posts, spent credits pause all).",
    ["kind", "transition"],
    registry=REGISTRY,
)
