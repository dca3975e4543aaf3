"""The store: SQLAlchemy Core over SQLite (a WAL file) or PostgreSQL (asyncpg), one module per resource.

Every function takes an `AsyncConnection` first and keyword arguments after it, and returns small frozen
dataclasses, never driver rows. Functions never commit: the caller decides the transaction, so a flow that
calls several of them (take slots, insert users, trackers and the first snapshot) is atomic. Use
`db.transaction(engine)` for anything that writes and `engine.connect()` for reads; on SQLite the first takes
the write lock up front (see `db`). `queue` is the only writer of the collector's columns of `x_users` (leases,
cursors, `collect`, `last_bucket`); `locks` names every PostgreSQL advisory lock key.
"""
