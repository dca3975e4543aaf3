"""Every PostgreSQL advisory lock key Roost takes, in one place, so no two uses can share a key by accident.

All are transaction-level locks (`pg_advisory_xact_lock`): they end with the transaction that took them. SQLite
needs none: its write transaction (BEGIN IMMEDIATE, see `roost.store.db`) already serializes writers.
"""

from __future__ import annotations

# Migrators take turns (a server and a collector starting at once). The value is the one every earlier release
# used, so an old and a new migrator still exclude each other during an upgrade.
MIGRATIONS = 0x526F6F7374  # "Roost"
# Snapshot claims take turns, so each claim sees the leases committed before it (roost.store.queue).
SNAPSHOT_CLAIMS = 0x526F6F7353  # "RoosS"
# Timeline claims take turns among themselves; a key of their own, so the two passes never wait for each other.
TIMELINE_CLAIMS = 0x526F6F7354  # "RoosT"

# Maintenance steps (partitions made ahead, months compacted or thinned: roost.store.maintenance) take turns.
MAINTENANCE = 0x526F6F734D  # "RoosM"

ALL = {
    "MIGRATIONS": MIGRATIONS,
    "SNAPSHOT_CLAIMS": SNAPSHOT_CLAIMS,
    "TIMELINE_CLAIMS": TIMELINE_CLAIMS,
    "MAINTENANCE": MAINTENANCE,
}
assert len(set(ALL.values())) == len(ALL), "advisory lock keys must be distinct"
