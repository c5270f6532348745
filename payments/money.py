"""Money: the one rounding rule, the price breakdown and the cancellation
policy. Pure functions of their arguments (no settings, no database), so the
checkout page, the API, the payment, the email and the refund all get the
same figures from the same code. `payments.conf` feeds them the settings."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_money(value: Decimal | int | str) -> Decimal:
    """`value` rounded half-up to cents (2.675 → 2.68, -2.675 → -2.68).
    Floats are refused: they have already lost the cent."""
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a Decimal, an int or a string.")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount of money.") from exc
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money.")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceBreakdown:
    """What an order costs. `total = subtotal + fees + tax`, each in cents.

    Seat prices include their tax; the booking fee is charged per seat and the
    tax (`TAX_RATE`) is on the fee, as Indian cinemas charge GST on the
    convenience fee. Store the four figures with the order and rebuild this
    from them; never recompute an old order from today's settings."""

    subtotal: Decimal
    fees: Decimal
    tax: Decimal
    total: Decimal
    currency: str

    def __post_init__(self):
        if self.subtotal + self.fees + self.tax != self.total:
            raise ValueError("total must be subtotal + fees + tax")


def price_breakdown(
    *, line_prices: Iterable[Decimal], currency: str, fee_per_seat: Decimal, tax_rate: Decimal
) -> PriceBreakdown:
    """The breakdown of an order of seats at `line_prices` (one per seat)."""
    prices = [to_money(p) for p in line_prices]
    if any(p < 0 for p in prices):
        raise ValueError("A seat price cannot be negative.")
    subtotal = to_money(sum(prices, ZERO))
    fees = to_money(to_money(fee_per_seat) * len(prices))
    tax = to_money(fees * tax_rate)
    return PriceBreakdown(subtotal=subtotal, fees=fees, tax=tax, total=subtotal + fees + tax, currency=currency)


@dataclass(frozen=True)
class PolicyTier:
    """Cancel at least `before` ahead of the show → `percent` of the seats back."""

    before: timedelta
    percent: Decimal


_TIER = re.compile(r"^\s*(\d+)\s*([dhm])\s*:\s*(\d+(?:\.\d+)?)\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_cancellation_policy(text: str) -> tuple[PolicyTier, ...]:
    """Parse `24h:100,2h:50` (units d, h, m; percent 0–100) into tiers,
    longest notice first. Raises ValueError with the reason: empty, malformed,
    a percent over 100, a notice given twice, or a later tier refunding more
    than an earlier one."""
    if not text or not text.strip():
        raise ValueError("is empty; write e.g. 24h:100,2h:50 (or 0h:0 for no refunds)")
    tiers = []
    for part in text.split(","):
        match = _TIER.match(part)
        if not match:
            raise ValueError(f"has a malformed tier {part.strip()!r}; write <number><d|h|m>:<percent>")
        number, unit, percent = match.groups()
        percent = Decimal(percent)
        if percent > HUNDRED:
            raise ValueError(f"refunds more than 100 % in {part.strip()!r}")
        tiers.append(PolicyTier(before=timedelta(**{_UNITS[unit]: int(number)}), percent=percent))
    tiers.sort(key=lambda t: t.before, reverse=True)
    for longer, shorter in zip(tiers, tiers[1:], strict=False):
        if longer.before == shorter.before:
            raise ValueError(f"gives the notice {shorter.before} twice")
        if shorter.percent > longer.percent:
            raise ValueError("refunds more for a later cancellation than for an earlier one")
    return tuple(tiers)


def refund_percent(*, policy: tuple[PolicyTier, ...], show_starts_at: datetime, now: datetime) -> Decimal:
    """The percent of the seats' price the policy gives back when cancelling
    at `now`. A tier applies up to and including its moment ("until 24 h
    before" includes exactly 24 h before); none applies → 0."""
    notice = show_starts_at - now
    for tier in policy:
        if notice >= tier.before:
            return tier.percent
    return Decimal(0)


def refund_amount(
    *,
    breakdown: PriceBreakdown,
    show_starts_at: datetime,
    now: datetime,
    by_staff: bool,
    policy: tuple[PolicyTier, ...],
) -> Decimal:
    """What a cancellation gives back. Staff cancelling give back everything,
    fees and tax included. Otherwise the policy's percent of the seats'
    subtotal, rounded half-up to the cent; the booking fee and its tax are
    kept."""
    if by_staff:
        return breakdown.total
    percent = refund_percent(policy=policy, show_starts_at=show_starts_at, now=now)
    return to_money(breakdown.subtotal * percent / HUNDRED)
