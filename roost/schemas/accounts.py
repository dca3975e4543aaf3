"""Wire formats of accounts: login, sessions, the account itself and its balances."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from roost.schemas.base import Input, Wire
from roost.store.accounts import Account, SlotBalance


class LoginBody(Input):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class PasswordBody(Input):
    currentPassword: str = Field(min_length=1, max_length=1024)
    newPassword: str = Field(min_length=8, max_length=1024, description="At least 8 characters")


class SessionDocument(Wire):
    id: int = Field(alias="_id", description="The session's id (for DELETE /me/sessions/{sessionId})")
    createdAt: int = Field(description="When it was issued (the login)")
    expiresAt: int | None
    lastUsedAt: int | None = Field(description="Last use, to the minute, or null")
    current: bool = Field(description="Whether this request was made with it")


class LoginToken(Wire):
    authToken: str = Field(description="Bearer token for the Authorization header")
    expiresAt: int = Field(description="Unix seconds when the token stops working")


class Me(Wire):
    id: int = Field(alias="_id")
    email: str
    name: str
    createdAt: int

    @classmethod
    def of(cls, account: Account) -> Me:
        return cls(id=account.id, email=account.email, name=account.name, createdAt=account.created_at)


class BalanceItem(Wire):
    balance: int = Field(description="Tracker slots free")
    total: int = Field(description="Tracker slots in all")


class TagBalanceItem(Wire):
    balance: int | Literal["unlimited"] = Field(description="Tags that can still be made, or 'unlimited'")
    total: int | Literal["unlimited"] = Field(description="Tags allowed in all, or 'unlimited'")


TRACKER_BALANCE = "twitter:parallel:user-trackers"
TAG_BALANCE = "twitter:parallel:user-trackers-tags"


class Balances(Wire):
    """Tweet Binder's balances: an object keyed by balance name."""

    trackers: BalanceItem = Field(alias=TRACKER_BALANCE, description="Tracker slots")
    tags: TagBalanceItem = Field(alias=TAG_BALANCE, description="Tags ('unlimited' unless the operator set a limit)")

    @classmethod
    def of(cls, slots: SlotBalance, *, tag_limit: int | None, tags_used: int) -> Balances:
        tags = (
            TagBalanceItem(balance="unlimited", total="unlimited")
            if tag_limit is None
            else TagBalanceItem(balance=max(0, tag_limit - tags_used), total=tag_limit)
        )
        return cls(trackers=BalanceItem(balance=slots.free, total=slots.total), tags=tags)
