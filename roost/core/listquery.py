"""Pure: Tweet Binder's list query grammar, parsed in one place.

`order=<field>|-1` (newest / largest first) or `order=<field>|1`, and filters `field=value`, `field=lt|N`,
`field=gt|N`, `field=in|a,b`, `field=nin|a,b`, `field=exists|true` (or `false`) on the fields a list documents.
Anything else (an unknown field or operator, a value of the wrong type) is a `QueryError` naming the parameter.
The store turns a `ListQuery` into SQL; faces only hand over the query string's pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Op = Literal["eq", "lt", "gt", "in", "nin", "exists"]
Kind = Literal["int", "str"]
OPERATORS: tuple[Op, ...] = ("lt", "gt", "in", "nin", "exists")
MAX_VALUES = 100
MAX_INT = 2**62


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: Kind
    choices: tuple[str, ...] = ()  # the only values a str field can take (empty: any)
    orderable: bool = True


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: Op
    values: tuple[str | int, ...]  # one for eq/lt/gt; several for in/nin; ("true",) or ("false",) for exists


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool


@dataclass(frozen=True, slots=True)
class ListQuery:
    filters: tuple[Filter, ...] = ()
    order: Order | None = None


class QueryError(ValueError):
    """Bad list query; `field` is the query parameter to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _value(name: str, spec: FieldSpec, raw: str) -> str | int:
    if spec.kind == "int":
        text = raw.strip()
        if not text.lstrip("-").isdigit() or len(text) > 20 or abs(int(text)) > MAX_INT:
            raise QueryError(name, f"'{name}' compares integers (unix seconds); '{raw}' is not one.")
        return int(text)
    if spec.choices and raw not in spec.choices:
        raise QueryError(name, f"'{name}' is one of {', '.join(spec.choices)}; not '{raw}'.")
    if not raw or len(raw) > 64 or "\x00" in raw:
        raise QueryError(name, f"'{name}' needs a value of 1 to 64 characters.")
    return raw


def parse_filter(name: str, spec: FieldSpec, raw: str) -> Filter:
    op: Op = "eq"
    rest = raw
    head, sep, tail = raw.partition("|")
    if sep:
        if head not in OPERATORS:
            known = ", ".join(f"{o}|" for o in OPERATORS)
            raise QueryError(name, f"Unknown operator '{head}' in '{name}'; use a value or one of {known}.")
        op, rest = head, tail
    if op == "exists":
        if rest not in ("true", "false"):
            raise QueryError(name, f"'{name}=exists|' takes true or false, not '{rest}'.")
        return Filter(name, "exists", (rest,))
    if op in ("lt", "gt") and spec.kind != "int":
        raise QueryError(name, f"'{name}' cannot be compared with {op}|: it is not a number.")
    if op in ("in", "nin"):
        parts = rest.split(",")
        if not 1 <= len(parts) <= MAX_VALUES:
            raise QueryError(name, f"'{name}={op}|' takes 1 to {MAX_VALUES} comma-separated values.")
        return Filter(name, op, tuple(_value(name, spec, p) for p in parts))
    return Filter(name, op, (_value(name, spec, rest),))


def parse_order(raw: str, fields: Mapping[str, FieldSpec]) -> Order:
    name, sep, direction = raw.partition("|")
    if not sep:
        direction = "1"
    spec = fields.get(name)
    if spec is None or not spec.orderable:
        allowed = ", ".join(n for n, s in fields.items() if s.orderable)
        raise QueryError("order", f"Cannot order by '{name}'; use one of {allowed}.")
    if direction not in ("1", "-1"):
        raise QueryError("order", f"The order direction is 1 or -1, not '{direction}' (e.g. order={name}|-1).")
    return Order(name, direction == "-1")


def parse(pairs: Iterable[tuple[str, str]], fields: Mapping[str, FieldSpec], *, ignore: Iterable[str]) -> ListQuery:
    """The list query in these query-string pairs. `ignore`: parameters the list handles itself (paging)."""
    skip = set(ignore)
    filters: list[Filter] = []
    order: Order | None = None
    for name, raw in pairs:
        if name in skip:
            continue
        if name == "order":
            if order is not None:
                raise QueryError("order", "Give 'order' once.")
            order = parse_order(raw, fields)
            continue
        spec = fields.get(name)
        if spec is None:
            raise QueryError(name, f"Unknown query parameter '{name}'; filters: {', '.join(fields)}.")
        filters.append(parse_filter(name, spec, raw))
    return ListQuery(filters=tuple(filters), order=order)
