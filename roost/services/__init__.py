"""Every use case once, for the three faces (API, dashboard, CLI): accounts and sessions, trackers, reports
(stats, growth, compare, posts, activity), tags, exports, operations, the demo. Each takes a `Runtime` (engine,
clock, settings, X client) and the caller, owns its transactions, and returns typed objects or raises a
`ServiceError` every face knows how to render."""
