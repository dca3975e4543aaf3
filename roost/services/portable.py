"""An account's data, portable: `roost export --account EMAIL DEST.zip` and `roost import archive SRC --account EMAIL`.

The archive is a zip of one file per kind, JSON Lines (`--format jsonl`, the default) or CSV with a header row
(`--format csv`; an empty cell is an empty string, `\\N` is null, as PostgreSQL's COPY writes them):
`trackers`, `x_users` (the profiles of the X accounts they follow), `snapshots` (those accounts' snapshots inside the
trackers' lives), `posts` (their archived posts up to the end of it), `tags`, `tracker_tags`, and `manifest.json`
(format, account, time, row counts). Columns are the database's, named once below, so a new column travels by
adding its name. Rules (alerts) are not part of Roost yet; they will be one more file.

The import is one transaction, all or nothing: X users Roost does not know yet, the trackers (keeping their ids where
free; an earlier import of the same archive is matched, not repeated), snapshots marked imported where Roost has
none for that bucket, posts Roost has not archived, tags by name. Importing the same archive twice adds nothing.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Boolean, Integer, Table, and_, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core.domain import bucket_of
from roost.services.errors import Invalid, ServiceError
from roost.services.runtime import Runtime
from roost.store import imports
from roost.store import trackers as tracker_store
from roost.store.accounts import Account
from roost.store.db import transaction
from roost.store.schema import snapshots, tags, tracker_tags, trackers, tweets, x_users
from roost.store.sql import dialect_insert
from roost.store.trackers import Tracker

Format = Literal["jsonl", "csv"]
FORMAT = "roost-account/1"
NULL = "\\N"
# file -> (table, columns carried)
KINDS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "x_users": (x_users, ("id", "username", "name", "state", "description", "profile_image_url", "location",
                          "account_created_at", "created_at", "updated_at")),
    "trackers": (trackers, ("id", "x_user_id", "alias", "status", "created_at", "updated_at", "stopped_at")),
    "snapshots": (snapshots, tuple(str(c.name) for c in snapshots.columns)),
    "posts": (tweets, tuple(str(c.name) for c in tweets.columns)),
    "tags": (tags, ("id", "name", "created_at", "updated_at")),
    "tracker_tags": (tracker_tags, ("tracker_id", "tag_id")),
}  # fmt: skip


class ArchiveError(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("invalid_archive", message)


@dataclass(frozen=True)
class Moved:
    counts: dict[str, int]  # rows per file written, or added by an import


# --- export ----------------------------------------------------------------------------------------------------------


def _spans(owned: list[Any], interval: int) -> dict[int, tuple[int, int | None]]:
    """Per X user, the buckets some tracker of the account was alive in (open-ended while one is active)."""
    spans: dict[int, tuple[int, int | None]] = {}
    for t in owned:
        lo, hi = bucket_of(t.created_at, interval), t.stopped_at
        if t.x_user_id in spans:
            old_lo, old_hi = spans[t.x_user_id]
            lo, hi = min(lo, old_lo), None if hi is None or old_hi is None else max(hi, old_hi)
        spans[t.x_user_id] = (lo, hi)
    return spans


def _within(column: Any, key: Any, spans: dict[int, tuple[int, int | None]]) -> Any:
    parts = [
        and_(key == uid, column >= lo, *([column <= hi] if hi is not None else [])) for uid, (lo, hi) in spans.items()
    ]
    return or_(*parts) if parts else key.is_(None)


def _rows(conn: Connection, account_id: int, interval: int) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    owned = list(conn.execute(select(trackers).where(trackers.c.account_id == account_id).order_by(trackers.c.id)))
    spans = _spans(owned, interval)
    ids = sorted(spans)
    queries = {
        "x_users": select(x_users).where(x_users.c.id.in_(ids)).order_by(x_users.c.id),
        "trackers": select(trackers).where(trackers.c.account_id == account_id).order_by(trackers.c.id),
        "snapshots": select(snapshots).where(_within(snapshots.c.bucket, snapshots.c.x_user_id, spans))
        .order_by(snapshots.c.x_user_id, snapshots.c.bucket),
        "posts": select(tweets)  # the backfill's older posts too: all read while a tracker was alive
        .where(_within(tweets.c.created_at, tweets.c.author_id, {u: (0, hi) for u, (_, hi) in spans.items()}))
        .order_by(tweets.c.id),
        "tags": select(tags).where(tags.c.account_id == account_id).order_by(tags.c.id),
        "tracker_tags": select(tracker_tags).join(tags, tags.c.id == tracker_tags.c.tag_id)
        .where(tags.c.account_id == account_id).order_by(tracker_tags.c.tracker_id, tracker_tags.c.tag_id),
    }  # fmt: skip
    for kind, query in queries.items():
        columns = KINDS[kind][1]
        result = conn.execute(query.execution_options(yield_per=2000)).mappings()
        yield kind, (tuple(row[c] for c in columns) for row in result)


def _cell(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(conn: Connection, *, account: Account, dest: Path, fmt: Format, now: int, interval: int) -> Moved:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for kind, rows in _rows(conn, account.id, interval):
            columns = KINDS[kind][1]
            n = 0
            with archive.open(f"{kind}.{fmt}", "w") as raw:
                if fmt == "csv":
                    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    out = csv.writer(text)
                    out.writerow(columns)
                    for row in rows:
                        out.writerow([_cell(v) for v in row])
                        n += 1
                    text.flush()
                    text.detach()
                else:
                    for row in rows:
                        raw.write(orjson.dumps(dict(zip(columns, row, strict=True))) + b"\n")
                        n += 1
            counts[kind] = n
        manifest = {"format": FORMAT, "files": fmt, "account": account.email, "exportedAt": now, "rows": counts}
        archive.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return Moved(counts)


def _check_dest(dest: Path) -> Path:
    if dest.exists():
        raise Invalid("DEST", f"{dest} already exists; choose a new file name")
    if not dest.parent.is_dir():
        raise Invalid("DEST", f"{dest.parent} is not a directory")
    return dest.with_name(f".{dest.name}.partial")


async def export_account(rt: Runtime, account: Account, dest: Path, *, fmt: Format = "jsonl") -> Moved:
    """Write the account's archive to `dest` (read in one transaction: one moment, while the collector writes)."""
    if fmt not in ("jsonl", "csv"):
        raise Invalid("format", "--format must be jsonl or csv for an account archive")
    partial = _check_dest(dest)
    try:
        async with rt.engine.connect() as conn:
            await _snapshot_reads(conn)
            moved = await conn.run_sync(
                lambda c: _write(c, account=account, dest=partial, fmt=fmt, now=rt.now(), interval=rt.interval)
            )
        partial.rename(dest)
        return moved
    finally:
        partial.unlink(missing_ok=True)


async def _snapshot_reads(conn: AsyncConnection) -> None:
    """Make the connection's reads one snapshot (SQLite reads open no transaction by default: store/db.py)."""
    if conn.dialect.name == "postgresql":
        await conn.execution_options(isolation_level="REPEATABLE READ")
    else:
        await conn.exec_driver_sql("BEGIN")


# --- import ----------------------------------------------------------------------------------------------------------


def _parse(table: Table, column: str, cell: str) -> Any:
    if cell == NULL:
        return None
    kind = table.c[column].type
    if isinstance(kind, Boolean):
        return cell == "true"
    if isinstance(kind, Integer):
        return int(cell)
    return cell


def read_archive(src: Path) -> dict[str, list[dict[str, Any]]]:
    """Every file of the archive as rows keyed by column, checked against the format."""
    try:
        with zipfile.ZipFile(src) as archive:
            manifest = orjson.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT or manifest.get("files") not in ("jsonl", "csv"):
                raise ArchiveError(f"{src} is not a Roost account archive ({FORMAT})")
            fmt = manifest["files"]
            found: dict[str, list[dict[str, Any]]] = {}
            for kind, (table, columns) in KINDS.items():
                data = archive.read(f"{kind}.{fmt}")
                if fmt == "jsonl":
                    rows = [orjson.loads(line) for line in data.splitlines() if line.strip()]
                else:
                    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
                    header = next(reader)
                    rows = [{c: _parse(table, c, v) for c, v in zip(header, r, strict=True)} for r in reader]
                if any(set(r) != set(columns) for r in rows):
                    raise ArchiveError(f"{kind}.{fmt}: the columns are not {', '.join(columns)}")
                found[kind] = rows
            return found
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        if isinstance(exc, ArchiveError):
            raise
        raise ArchiveError(f"cannot read the archive {src}: {exc}") from None


async def _place_tracker(conn: AsyncConnection, account: Account, row: dict[str, Any]) -> tuple[str, bool]:
    """The tracker id the archive's tracker maps to here, and whether it was made now."""
    same = await imports.tracker_by_id(conn, tracker_id=row["id"])
    if same is not None and same.account_id == account.id:
        return same.id, False
    match = await imports.matching_tracker(
        conn, account_id=account.id, x_user_id=row["x_user_id"], active=row["status"] == "active",
        created_at=row["created_at"],
    )  # fmt: skip
    if match is not None:
        return match.id, False
    if row["status"] == "active" and not await tracker_store.take_slots(conn, account_id=account.id, n=1):
        raise ServiceError(
            "no_balance", f"no free tracker slot for the active tracker @{row['alias']}: nothing imported"
        )
    tracker = Tracker(**{**row, "id": row["id"] if same is None else str(uuid.uuid4()), "account_id": account.id})
    await imports.insert_tracker(conn, tracker)
    return tracker.id, True


async def import_archive(rt: Runtime, account: Account, src: Path) -> Moved:
    """Load an account archive into `account`, all or nothing; returns the rows added per file."""
    found = read_archive(src)
    now = rt.now()
    added = dict.fromkeys(KINDS, 0)
    async with transaction(rt.engine) as conn:
        for row in found["x_users"]:
            known = await conn.execute(select(x_users.c.id).where(x_users.c.id == row["id"]))
            if known.first() is None:
                await imports.ensure_x_user(conn, user=row, now=now)
                added["x_users"] += 1
        ids: dict[str, str] = {}
        for row in found["trackers"]:
            ids[row["id"]], made = await _place_tracker(conn, account, row)
            added["trackers"] += made
            await imports.reach_back(conn, tracker_id=ids[row["id"]], created_at=row["created_at"])
        marked = [{**r, "imported_at": r["imported_at"] or now} for r in found["snapshots"]]
        for start in range(0, len(marked), 2000):
            added["snapshots"] += await imports.insert_snapshots(conn, rows=marked[start : start + 2000])
        post_insert = dialect_insert(conn, tweets).on_conflict_do_nothing(index_elements=["id"])
        for start in range(0, len(found["posts"]), 2000):
            result = await conn.execute(post_insert.returning(tweets.c.id), found["posts"][start : start + 2000])
            added["posts"] += len(result.all())
        tag_ids: dict[str, str] = {}
        for row in found["tags"]:
            mine = await conn.execute(
                select(tags.c.id).where(tags.c.account_id == account.id, tags.c.name == row["name"])
            )
            existing = mine.scalar()
            if existing is None:
                taken = (await conn.execute(select(tags.c.id).where(tags.c.id == row["id"]))).first()
                existing = row["id"] if taken is None else str(uuid.uuid4())
                await conn.execute(tags.insert().values({**row, "id": existing, "account_id": account.id}))
                added["tags"] += 1
            tag_ids[row["id"]] = str(existing)
        links = [{"tracker_id": ids[r["tracker_id"]], "tag_id": tag_ids[r["tag_id"]]} for r in found["tracker_tags"]]
        if links:
            link_insert = dialect_insert(conn, tracker_tags).on_conflict_do_nothing()
            result = await conn.execute(link_insert.returning(tracker_tags.c.tag_id), links)
            added["tracker_tags"] = len(result.all())
    return Moved(added)
