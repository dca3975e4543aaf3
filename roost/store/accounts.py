"""Accounts: who may log in, and how many tracker slots they have (the slot arithmetic is in `trackers`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.rows import from_row
from roost.store.schema import accounts
from roost.store.sql import dialect_insert


class EmailTaken(ValueError):
    """Another account already uses this email (emails compare case-insensitively)."""


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str
    name: str
    password_hash: str = field(repr=False)
    tracker_slots_total: int
    tracker_slots_used: int
    created_at: int
    updated_at: int

    @property
    def tracker_slots_free(self) -> int:
        return self.tracker_slots_total - self.tracker_slots_used


@dataclass(frozen=True, slots=True)
class SlotBalance:
    total: int
    used: int

    @property
    def free(self) -> int:
        return self.total - self.used


def normalize_email(email: str) -> str:
    """The form emails are stored and looked up in."""
    return email.strip().lower()


async def create_account(
    conn: AsyncConnection, *, email: str, name: str, password_hash: str, tracker_slots: int, now: int
) -> Account:
    """Create an account with `tracker_slots` parallel trackers. Raises EmailTaken (and writes nothing) on a
    duplicate email; ON CONFLICT keeps the transaction usable on PostgreSQL, unlike a caught IntegrityError."""
    if tracker_slots < 0:
        raise ValueError("tracker_slots cannot be negative")
    stmt = dialect_insert(conn, accounts).values(
        email=normalize_email(email),
        name=name,
        password_hash=password_hash,
        tracker_slots_total=tracker_slots,
        tracker_slots_used=0,
        created_at=now,
        updated_at=now,
    )
    row = (
        (await conn.execute(stmt.on_conflict_do_nothing(index_elements=[accounts.c.email]).returning(*accounts.c)))
        .mappings()
        .first()
    )
    if row is None:
        raise EmailTaken(f"an account with email {normalize_email(email)} already exists")
    return from_row(Account, row)


async def get_account(conn: AsyncConnection, *, account_id: int) -> Account | None:
    row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).mappings().first()
    return from_row(Account, row) if row else None


async def get_account_by_email(conn: AsyncConnection, *, email: str) -> Account | None:
    """Case-insensitive, surrounding spaces ignored."""
    query = select(accounts).where(accounts.c.email == normalize_email(email))
    row = (await conn.execute(query)).mappings().first()
    return from_row(Account, row) if row else None


async def list_accounts(conn: AsyncConnection) -> list[Account]:
    """Every account, oldest first (for operators; the API never lists accounts)."""
    rows = (await conn.execute(select(accounts).order_by(accounts.c.id))).mappings().all()
    return [from_row(Account, r) for r in rows]


async def count_accounts(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(accounts))).scalar_one())


async def get_balance(conn: AsyncConnection, *, account_id: int) -> SlotBalance | None:
    """The account's tracker slots right now (read fresh: another request may have just taken one)."""
    query = select(accounts.c.tracker_slots_total, accounts.c.tracker_slots_used).where(accounts.c.id == account_id)
    row = (await conn.execute(query)).first()
    return SlotBalance(total=row[0], used=row[1]) if row else None


async def set_password_hash(conn: AsyncConnection, *, account_id: int, password_hash: str, now: int) -> bool:
    """Replace the password hash (a reset, or a rehash with stronger parameters). False if no such account."""
    result = await conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash, updated_at=now)
    )
    return result.rowcount == 1
