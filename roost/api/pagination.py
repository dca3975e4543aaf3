"""Tweet Binder's list envelope: offset/limit in, {"pagination": {...}, "data": [...]} out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int

    def envelope(self, data: list[Any], total: int) -> dict[str, Any]:
        return {
            "pagination": {
                "offset": self.offset,
                "limit": self.limit,
                "total": total,
                "nextResults": self.offset + len(data) < total,
            },
            "data": data,
        }


async def page_params(
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 20,
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(page_params)]
