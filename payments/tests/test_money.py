from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from payments.money import (
    PriceBreakdown,
    parse_cancellation_policy,
    price_breakdown,
    refund_amount,
    refund_percent,
    to_money,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("2.675", "2.68"),  # a float would say 2.67
        ("2.665", "2.67"),  # half-up, not banker's half-even (2.66)
        ("-0.005", "-0.01"),
        ("10", "10.00"),
        (7, "7.00"),
        ("166.665", "166.67"),
    ],
)
def test_to_money_rounds_half_up_to_cents(value, expected):
    assert to_money(value) == D(expected)
    assert str(to_money(value)) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", ""])
def test_to_money_refuses_what_is_not_money(value):
    with pytest.raises(ValueError):
        to_money(value)


def test_to_money_refuses_floats():
    with pytest.raises(TypeError):
        to_money(0.1)


def test_breakdown_adds_a_fee_per_seat_and_tax_on_the_fee():
    b = price_breakdown(
        line_prices=[D("350.00"), D("350.00")], currency="INR", fee_per_seat=D("30"), tax_rate=D("0.18")
    )
    assert (b.subtotal, b.fees, b.tax, b.total) == (D("700.00"), D("60.00"), D("10.80"), D("770.80"))
    assert b.currency == "INR"


def test_breakdown_rounds_tax_half_up_once():
    b = price_breakdown(line_prices=[D("199.99")], currency="INR", fee_per_seat=D("10.25"), tax_rate=D("0.18"))
    assert b.tax == D("1.85")  # 1.845
    assert b.total == D("199.99") + D("10.25") + D("1.85")


def test_breakdown_without_fee_or_seats():
    b = price_breakdown(line_prices=[D("250")], currency="INR", fee_per_seat=D("0"), tax_rate=D("0.18"))
    assert (b.fees, b.tax, b.total) == (D("0.00"), D("0.00"), D("250.00"))
    empty = price_breakdown(line_prices=[], currency="INR", fee_per_seat=D("30"), tax_rate=D("0.18"))
    assert empty.total == D("0.00")


def test_breakdown_refuses_negative_prices_and_inconsistent_totals():
    with pytest.raises(ValueError):
        price_breakdown(line_prices=[D("-1")], currency="INR", fee_per_seat=D("0"), tax_rate=D("0"))
    with pytest.raises(ValueError):
        PriceBreakdown(subtotal=D("1"), fees=D("1"), tax=D("1"), total=D("4"), currency="INR")


def test_policy_parses_into_tiers_longest_notice_first():
    tiers = parse_cancellation_policy(" 2h:50 , 24h:100, 30m:10, 2d:100")
    assert [(t.before, t.percent) for t in tiers] == [
        (timedelta(days=2), D(100)),
        (timedelta(hours=24), D(100)),
        (timedelta(hours=2), D(50)),
        (timedelta(minutes=30), D(10)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "24h",
        "24:100",
        "24h:",
        "h:100",
        "24x:100",
        "24h:101",
        "24h:-5",
        "24h:100,24h:50",
        "24h:50,2h:100",
        "24h:100;2h:50",
    ],
)
def test_policy_refuses_malformed_values(text):
    with pytest.raises(ValueError):
        parse_cancellation_policy(text)


SHOW = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
POLICY = parse_cancellation_policy("24h:100,2h:50")
BREAKDOWN = PriceBreakdown(subtotal=D("333.33"), fees=D("30.00"), tax=D("5.40"), total=D("368.73"), currency="INR")


@pytest.mark.parametrize(
    "before_show, percent",
    [
        (timedelta(days=3), 100),
        (timedelta(hours=24), 100),  # "until 24 h before" includes 24 h before
        (timedelta(hours=24) - timedelta(seconds=1), 50),
        (timedelta(hours=2), 50),
        (timedelta(hours=2) - timedelta(seconds=1), 0),
        (timedelta(0), 0),
        (-timedelta(hours=1), 0),  # after the start
    ],
)
def test_refund_percent_follows_the_tiers(before_show, percent):
    assert refund_percent(policy=POLICY, show_starts_at=SHOW, now=SHOW - before_show) == D(percent)


def test_refund_amount_keeps_the_fee_and_rounds_to_the_cent():
    def amount(before_show, by_staff=False):
        return refund_amount(
            breakdown=BREAKDOWN, show_starts_at=SHOW, now=SHOW - before_show, by_staff=by_staff, policy=POLICY
        )

    assert amount(timedelta(days=2)) == D("333.33")
    assert amount(timedelta(hours=5)) == D("166.67")  # 166.665
    assert amount(timedelta(hours=1)) == D("0.00")


def test_staff_cancellation_refunds_everything_fees_included_even_after_the_start():
    for now in (SHOW - timedelta(days=2), SHOW + timedelta(hours=1)):
        got = refund_amount(breakdown=BREAKDOWN, show_starts_at=SHOW, now=now, by_staff=True, policy=POLICY)
        assert got == D("368.73")


def test_a_policy_of_no_refunds():
    policy = parse_cancellation_policy("0h:0")
    assert refund_percent(policy=policy, show_starts_at=SHOW, now=SHOW - timedelta(days=9)) == 0
