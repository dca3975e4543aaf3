"""What X costs: the calling account's trackers, or (for an operator) the whole bill, by day, kind, endpoint and
tracker, with the month's projection, the budget and what is paused (roost.services.usage)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from roost.api.deps import AccountDep, RuntimeDep
from roost.api.errors import responses
from roost.schemas.usage import UsageDocument
from roost.services import usage as usage_service

router = APIRouter(tags=["usage"])

MonthQ = Annotated[
    str | None,
    Query(description="The billing month, YYYY-MM (it starts on ROOST_X_BILLING_DAY); default the current one",
          max_length=7),
]  # fmt: skip
ScopeQ = Annotated[
    Literal["account", "all"],
    Query(description="account: what the caller's own trackers cost; all: the whole bill (ROOST_OPERATORS only)"),
]


@router.get(
    "/usage",
    summary="What the X API billed this billing month: by UTC day and kind, endpoint and tracker, with the "
    "projection to the month's end against the budget",
    response_model=UsageDocument,
    responses=responses(400, 401, 403),
)
async def usage(rt: RuntimeDep, account: AccountDep, month: MonthQ = None, scope: ScopeQ = "account") -> UsageDocument:
    report = await usage_service.report(rt, account=usage_service.scope_for(rt, account, scope), month=month)
    return usage_service.document(report)
