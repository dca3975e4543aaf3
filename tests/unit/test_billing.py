"""The billing primitives: prices, UTC days, billing months and refresh schedules, against hand-worked values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from roost.core.billing import (
    DEFAULT_PRICES,
    PAY_PER_USE_POST_CAP,
    PriceTable,
    Resource,
    billing_period,
    dollars,
    format_refresh_schedule,
    parse_refresh_schedule,
    utc_day,
)


def test_default_prices_are_xs_pay_per_use_rates() -> None:
    assert DEFAULT_PRICES.price(Resource.USER) == Decimal("0.010")
    assert DEFAULT_PRICES.price("post") == Decimal("0.005")
    assert PAY_PER_USE_POST_CAP == 2_000_000


def test_dollars_from_counts_are_exact() -> None:
    # A backfill of 200 posts plus the user read: 200 * 0.005 + 0.010.
    assert dollars({Resource.POST: 200, Resource.USER: 1}) == Decimal("1.010")
    assert dollars({"user": 3}) == Decimal("0.030")
    assert dollars({}) == 0
    # 0.1 + 0.2 style float drift must not exist: a million posts is exactly 5000.
    assert dollars({Resource.POST: 1_000_000}) == Decimal("5000.000")


def test_a_custom_price_table() -> None:
    table = PriceTable(user=Decimal("0.02"), post=Decimal("0.001"))
    assert dollars({Resource.USER: 2, Resource.POST: 10}, table) == Decimal("0.05")
    assert table.cost(Resource.POST, 0) == 0


@pytest.mark.parametrize("bad", [Decimal("-0.01"), Decimal("NaN"), Decimal("Infinity")])
def test_a_price_must_be_finite_and_not_negative(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="post price"):
        PriceTable(post=bad)


def test_a_price_must_be_decimal() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        PriceTable(user=0.01)  # type: ignore[arg-type]


def test_unknown_kind_and_negative_count_are_refused() -> None:
    with pytest.raises(ValueError):
        dollars({"follower": 1})
    with pytest.raises(ValueError, match="negative"):
        DEFAULT_PRICES.cost(Resource.USER, -1)


def test_utc_day_ignores_the_local_zone() -> None:
    midnight = datetime(2026, 12, 3, tzinfo=UTC).timestamp()
    assert utc_day(midnight) == date(2026, 12, 3)
    assert utc_day(midnight - 0.001) == date(2026, 12, 2)
    assert utc_day(midnight + 86399.999) == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("day", "reset", "start", "end"),
    [
        (date(2026, 12, 3), 10, date(2026, 11, 10), date(2026, 12, 10)),
        (date(2026, 12, 10), 10, date(2026, 12, 10), date(2027, 1, 10)),
        (date(2026, 12, 9), 10, date(2026, 11, 10), date(2026, 12, 10)),
        (date(2026, 1, 1), 1, date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 12, 31), 1, date(2026, 12, 1), date(2027, 1, 1)),
        # A reset day past the month's end falls on its last day.
        (date(2027, 2, 27), 31, date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 2, 28), 31, date(2027, 2, 28), date(2027, 3, 31)),
        (date(2028, 2, 29), 30, date(2028, 2, 29), date(2028, 3, 30)),
        (date(2028, 2, 28), 30, date(2028, 1, 30), date(2028, 2, 29)),
        (date(2027, 1, 5), 15, date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_billing_period(day: date, reset: int, start: date, end: date) -> None:
    assert billing_period(day, reset) == (start, end)
    assert start <= day < end


@pytest.mark.parametrize("reset", [0, 32, -1])
def test_billing_period_refuses_a_day_that_is_no_day_of_a_month(reset: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.31"):
        billing_period(date(2026, 1, 1), reset)


def test_every_day_of_two_years_lies_in_exactly_one_contiguous_period() -> None:
    for reset in (1, 10, 28, 29, 30, 31):
        day = date(2027, 1, 1)
        previous = billing_period(day, reset)
        while day < date(2029, 1, 1):
            period = billing_period(day, reset)
            assert period[0] <= day < period[1]
            assert period == previous or period[0] == previous[1]
            previous = period
            day = date.fromordinal(day.toordinal() + 1)


def test_parse_refresh_schedule() -> None:
    assert parse_refresh_schedule("1h,24h,7d") == (3600, 86400, 604800)
    assert parse_refresh_schedule(" 30m , 2w ") == (1800, 1209600)
    assert parse_refresh_schedule("NONE") == ()
    assert parse_refresh_schedule("90s") == (90,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("1h,,7d", "not a post age"),
        ("1x", "not a post age"),
        ("1.5h", "not a post age"),
        ("-1h", "not a post age"),
        ("0h", "zero"),
        ("24h,1h", "increasing"),
        ("1d,24h", "increasing"),
    ],
)
def test_parse_refresh_schedule_names_the_fault(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_refresh_schedule(text)


def test_format_refresh_schedule_round_trips() -> None:
    assert format_refresh_schedule((3600, 86400, 604800)) == "1h,1d,1w"
    for text in ("1h,24h,7d", "90s,45m", "none", "1w,3w"):
        ages = parse_refresh_schedule(text)
        assert parse_refresh_schedule(format_refresh_schedule(ages)) == ages
