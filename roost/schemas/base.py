"""The ground every wire format stands on: the model base (keys by alias), request bodies whose text must be
storable, Tweet Binder's error body and list envelope, the small shared answers and the CSV writer."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from roost.core.text import unstorable

T = TypeVar("T")


class Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    def dump(self) -> dict[str, Any]:
        """The JSON-ready document, keys as on the wire."""
        return self.model_dump(mode="json", by_alias=True)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class Input(Wire):
    """A request body. Every string in it must be storable (no NUL, no lone surrogate: core.text), so bad text is
    a 400 naming the field on both databases instead of a driver error."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        for text in _strings(value):
            problem = unstorable(text)
            if problem is not None:
                raise ValueError(problem)
        return value


def at_most(limit: int) -> Callable[[Any], Any]:
    """A before-validator refusing a list longer than `limit` before any item is validated (pydantic counts only
    after validating every item, so a huge list would cost its full validation)."""

    def check(value: Any) -> Any:
        if isinstance(value, list) and len(value) > limit:
            raise ValueError(f"List should have at most {limit} items, not {len(value)}")
        return value

    return check


Id = Annotated[str, StringConstraints(max_length=64)]  # a resourceId or tag id as clients send it


# --- errors ------------------------------------------------------------------------------------------------------


class ErrorBody(Wire):
    """Tweet Binder's error body."""

    statusCode: int = Field(description="The HTTP status again")
    error: str = Field(description="Its reason phrase, e.g. 'Bad Request'")
    message: str = Field(description="What went wrong, for people; names the field for bad input")
    extra: dict[str, Any] = Field(
        description="Roost's stable snake_case `code` and details, e.g. {'code': 'invalid_request', 'field': 'x'}"
    )


# --- lists -------------------------------------------------------------------------------------------------------


class Pagination(Wire):
    offset: int
    limit: int
    total: int
    nextResults: int | None = Field(description="The offset of the next page, or null when nothing remains")


class Page(Wire, Generic[T]):
    """Tweet Binder's list envelope."""

    pagination: Pagination
    data: list[T]

    @classmethod
    def of(cls, data: list[T], *, offset: int, limit: int, total: int) -> Page[T]:
        return cls(
            pagination=Pagination(
                offset=offset, limit=limit, total=total, nextResults=next_offset(offset, len(data), total)
            ),
            data=data,
        )


def page_document(data: list[Any], *, offset: int, limit: int, total: int) -> dict[str, Any]:
    """The JSON of `Page.of(data, ...)` for documents already in their JSON form."""
    pagination = {
        "offset": offset,
        "limit": limit,
        "total": total,
        "nextResults": next_offset(offset, len(data), total),
    }
    return {"pagination": pagination, "data": data}


def next_offset(offset: int, shown: int, total: int) -> int | None:
    """Tweet Binder's `nextResults`: the next page's offset, or None when this page is the last."""
    return offset + shown if offset + shown < total else None


# --- accounts ----------------------------------------------------------------------------------------------------


# --- small answers ---------------------------------------------------------------------------------------------


class ResourceId(Wire):
    resourceId: str


class Ok(Wire):
    ok: bool = True


class Health(Wire):
    status: Literal["ok", "degraded"]
    time: int
    database: str
    collector: dict[str, Any]
    upstream: dict[str, Any]
    demo: str | None = Field(default=None, description="The first run's demo: 'building N/30 days', then 'ready'")


# --- CSV ---------------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: `None` is empty, and a string that would start a formula (post text
    comes from third parties) gets a leading apostrophe, as OWASP advises. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 text: a header row, then one row per item."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()
