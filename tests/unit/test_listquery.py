"""Tweet Binder's list query grammar, parsed in one place (roost.core.listquery)."""

from __future__ import annotations

import pytest

from roost.core.listquery import FieldSpec, Filter, ListQuery, Order, QueryError, parse

FIELDS = {
    "status": FieldSpec("str", choices=("active", "stopped")),
    "alias": FieldSpec("str"),
    "createdAt": FieldSpec("int"),
    "secret": FieldSpec("str", orderable=False),
}


def q(*pairs: tuple[str, str]) -> ListQuery:
    return parse(pairs, FIELDS, ignore=("offset", "limit"))


def test_every_form_of_the_grammar() -> None:
    assert q() == ListQuery()
    assert q(("order", "createdAt|-1")) == ListQuery(order=Order("createdAt", True))
    assert q(("order", "alias|1"), ("offset", "5")).order == Order("alias", False)
    assert q(("order", "alias")).order == Order("alias", False)
    assert q(("status", "active"), ("createdAt", "lt|10"), ("createdAt", "gt|-3")).filters == (
        Filter("status", "eq", ("active",)),
        Filter("createdAt", "lt", (10,)),
        Filter("createdAt", "gt", (-3,)),
    )
    assert q(("alias", "in|a,b")).filters == (Filter("alias", "in", ("a", "b")),)
    assert q(("status", "nin|stopped")).filters == (Filter("status", "nin", ("stopped",)),)
    assert q(("alias", "exists|true")).filters == (Filter("alias", "exists", ("true",)),)


@pytest.mark.parametrize(
    ("pairs", "field"),
    [
        ((("colour", "x"),), "colour"),
        ((("status", "paused"),), "status"),
        ((("status", "eq|active"),), "status"),
        ((("alias", "lt|3"),), "alias"),
        ((("createdAt", "gt|soon"),), "createdAt"),
        ((("createdAt", "9" * 30),), "createdAt"),
        ((("alias", ""),), "alias"),
        ((("alias", "in|" + ",".join("a" * 101)),), "alias"),
        ((("alias", "exists|yes"),), "alias"),
        ((("order", "colour|1"),), "order"),
        ((("order", "secret|1"),), "order"),
        ((("order", "alias|0"),), "order"),
        ((("order", "alias|1"), ("order", "alias|-1")), "order"),
    ],
)
def test_bad_queries_name_the_parameter(pairs: tuple[tuple[str, str], ...], field: str) -> None:
    with pytest.raises(QueryError) as caught:
        q(*pairs)
    assert caught.value.field == field and caught.value.message
