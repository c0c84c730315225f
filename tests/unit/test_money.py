"""Exact money: minor units, the largest-remainder split, and purchase quotes (pure)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services import money, purchases
from bot.services.errors import DomainError
from bot.services.purchases import SPLIT, UNIT, Tier

CURRENCIES = ["USD", "TWD", "JPY", "KWD", "EUR", "CNY", "CHF"]


def amounts(currency: str, most: int = 10**9) -> st.SearchStrategy[Decimal]:
    """Any amount in minor units, often a whole one (NT$89,900 rather than NT$89,900.37)."""
    return st.one_of(st.integers(0, most).map(lambda units: money.from_minor(units, currency)),
                     st.integers(0, most // 100).map(lambda units: money.from_minor(units * 100, currency)))


@settings(max_examples=500, deadline=None)
@given(data=st.data(), currency=st.sampled_from(CURRENCIES),
       weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=40).filter(any))
def test_a_split_sums_to_the_total_and_no_part_is_a_minor_unit_off(
        data: st.DataObject, currency: str, weights: list[int]) -> None:
    total = data.draw(amounts(currency))
    parts = money.split(total, weights, currency)
    cash = Decimal(1).scaleb(-money.cash_precision(currency))
    unit = cash if total == total.quantize(cash) else money.minor_unit(currency)
    assert sum(parts, Decimal(0)) == total
    for part, weight in zip(parts, weights, strict=True):
        assert money.fits(part, currency) and part == part.quantize(unit)
        exact = Fraction(total) * weight / sum(weights)
        assert abs(Fraction(part) - exact) < Fraction(unit)
        if weight == 0:
            assert part == 0


@settings(max_examples=300, deadline=None)
@given(total=st.integers(0, 10**7), n=st.integers(1, 50))
def test_an_even_split_differs_by_at_most_one_unit_and_is_deterministic(total: int, n: int) -> None:
    parts = money.split_units(total, [1] * n)
    assert sum(parts) == total and max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)  # ties: the earlier parts get the extra unit
    assert parts == money.split_units(total, [1] * n)


def test_split_in_the_cash_unit_people_pay_in() -> None:
    """NT$89,900 in three is 29,967 + 29,967 + 29,966 (no cents in Taiwan's cash), CNY keeps its
    分, a TWD total with cents is split in cents so the parts still add up."""
    assert money.split(Decimal("89900"), [1, 1, 1], "TWD") == [
        Decimal(29967), Decimal(29967), Decimal(29966)]
    assert money.split(Decimal("89900"), [1, 1, 1], "CNY") == [
        Decimal("29966.67"), Decimal("29966.67"), Decimal("29966.66")]
    assert money.split(Decimal("100.50"), [1, 1, 1], "TWD") == [
        Decimal("33.50"), Decimal("33.50"), Decimal("33.50")]
    assert money.split(Decimal("100.01"), [1, 1], "TWD") == [Decimal("50.01"), Decimal("50.00")]
    assert (money.cash_precision("TWD"), money.cash_precision("CNY"), money.cash_precision("USD"),
            money.cash_precision("JPY")) == (0, 2, 2, 0)


def test_split_examples() -> None:
    assert money.split(Decimal("100.00"), [1, 1, 1], "USD") == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert money.split(Decimal("10"), [0, 3, 1], "JPY") == [Decimal(0), Decimal(8), Decimal(2)]
    # larger remainder first, whatever the order: 7 × 2/7 = 2, 7 × 3/7 … exact; 1/3 vs 2/3
    assert money.split_units(2, [1, 2]) == [1, 1]
    assert money.split_units(1, [1, 2]) == [0, 1]
    with pytest.raises(ValueError):
        money.split(Decimal("1.001"), [1], "USD")  # finer than a cent: never rounded silently
    with pytest.raises(ValueError):
        money.split_units(5, [0, 0])


def test_minor_units_round_trip() -> None:
    assert money.to_minor(Decimal("12.34"), "USD") == 1234
    assert money.from_minor(1234, "USD") == Decimal("12.34")
    assert money.to_minor(Decimal("1.5"), "KWD") == 1500
    assert money.minor_unit("JPY") == Decimal(1)
    with pytest.raises(ValueError):
        money.to_minor(Decimal("1.5"), "JPY")


@pytest.mark.parametrize(("text", "expected"), [
    ("12000", (Decimal(12000), "TWD")), ("12,000.50 usd", (Decimal("12000.50"), "USD")),
    ("JPY 300", (Decimal(300), "JPY"))])
def test_parse(text: str, expected: tuple[Decimal, str]) -> None:
    assert money.parse(text, "TWD") == expected


@pytest.mark.parametrize(("text", "default", "expected"), [
    # what the bot shows, typed back
    ("NT$12,000", "TWD", (Decimal(12000), "TWD")), ("US$300", "TWD", (Decimal(300), "USD")),
    ("HK$1,200.50", "TWD", (Decimal("1200.50"), "HKD")), ("CN¥88", "TWD", (Decimal(88), "CNY")),
    ("¥12,000", "CNY", (Decimal(12000), "CNY")), ("￥12000", "CNY", (Decimal(12000), "CNY")),
    ("¥12000", "JPY", (Decimal(12000), "JPY")), ("$300", "TWD", (Decimal(300), "TWD")),
    ("$300", "CNY", (Decimal(300), "USD")), ("NTD 500", "CNY", (Decimal(500), "TWD")),
    ("RMB 500", "TWD", (Decimal(500), "CNY")),
    # what a Chinese shop owner types
    ("12000元", "TWD", (Decimal(12000), "TWD")), ("12000 元", "CNY", (Decimal(12000), "CNY")),
    ("12000塊", "TWD", (Decimal(12000), "TWD")), ("12000块", "CNY", (Decimal(12000), "CNY")),
    ("12，000", "TWD", (Decimal(12000), "TWD")), ("１２０００", "CNY", (Decimal(12000), "CNY")),
    ("１２，０００元", "TWD", (Decimal(12000), "TWD")),
    ("1.2萬", "TWD", (Decimal(12000), "TWD")), ("1.2万元", "CNY", (Decimal(12000), "CNY")),
    ("3万", "JPY", (Decimal(30000), "JPY")), ("NT$ 1.5萬", "CNY", (Decimal(15000), "TWD")),
])
def test_parse_accepts_symbols_and_chinese_units(text: str, default: str,
                                                 expected: tuple[Decimal, str]) -> None:
    assert money.parse(text, default) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("NT$", "money_bad_amount"), ("元", "money_bad_amount"), ("萬12", "money_bad_amount"),
    ("NT$12 USD", "money_bad_amount"), ("XY$12", "money_bad_currency"), ("1万2", "money_bad_amount"),
    ("12块钱钱", "money_bad_amount"), ("JP¥1.5", "money_too_precise")])
def test_parse_still_refuses_what_is_not_an_amount(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        money.parse(text, "TWD")
    assert caught.value.code == code


@pytest.mark.parametrize(("text", "code"), [
    ("", "money_bad_amount"), ("12 USD EUR", "money_bad_amount"), ("12 XYZ", "money_bad_currency"),
    ("1.5 JPY", "money_too_precise"), ("1" * 41, "money_bad_amount"),
    ("9999999999999", "money_bad_amount")])
def test_parse_refusals_carry_the_features_prefix(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        money.parse(text, "TWD")
    assert caught.value.code == code
    with pytest.raises(DomainError) as caught:
        money.parse(text, "TWD", prefix="purchase")
    assert caught.value.code == code.replace("money_", "purchase_")


@st.composite
def priced(draw: st.DrawFn) -> tuple[str, list[int], dict[str, object]]:
    currency = draw(st.sampled_from(CURRENCIES))
    quantities = draw(st.lists(st.integers(1, 10**5), min_size=1, max_size=30))
    if draw(st.booleans()):
        return currency, quantities, {"pricing": SPLIT, "total_price": draw(amounts(currency))}
    base = draw(amounts(currency, 10**8).filter(lambda a: a > 0))
    mins = sorted(draw(st.sets(st.integers(2, 10**6), max_size=purchases.MAX_TIERS)))
    tiers = tuple(Tier(q, draw(amounts(currency, 10**8).filter(lambda a: a > 0))) for q in mins)
    return currency, quantities, {"pricing": UNIT, "unit_price": base, "tiers": tiers}


@settings(max_examples=400, deadline=None)
@given(case=priced())
def test_any_quantities_tiers_and_prices_cost_exactly_the_total(
        case: tuple[str, list[int], dict[str, object]]) -> None:
    currency, quantities, terms = case
    pricing = terms.pop("pricing")
    quote = purchases.quote(str(pricing), currency, quantities, **terms)  # type: ignore[arg-type]
    assert sum(quote.costs, Decimal(0)) == quote.total
    unit = Fraction(money.minor_unit(currency))
    cash = Decimal(1).scaleb(-money.cash_precision(currency))
    if pricing == SPLIT and quote.total == quote.total.quantize(cash):
        unit = Fraction(cash)  # whole NT$ shares of a whole NT$ total
    pledged = sum(quantities)
    for quantity, cost in zip(quantities, quote.costs, strict=True):
        assert money.fits(cost, currency)
        if pricing == SPLIT:
            exact = Fraction(terms["total_price"]) * quantity / pledged  # type: ignore[arg-type]
            assert abs(Fraction(cost) - exact) < unit
        else:
            assert quote.unit_price is not None
            assert cost == quote.unit_price * quantity  # exact: no rounding at all
    if pricing == UNIT:
        reached = [t for t in terms["tiers"] if t.min_quantity <= pledged]  # type: ignore[attr-defined]
        assert quote.unit_price == (reached[-1].unit_price if reached else terms["unit_price"])


@pytest.mark.parametrize(("text", "tiers"), [
    ("100: 310, 200: 290", (Tier(100, Decimal(310)), Tier(200, Decimal(290)))),
    ("100=310\n200=290.5", (Tier(100, Decimal(310)), Tier(200, Decimal("290.5")))),
    ("  ", ())])
def test_tiers_parse(text: str, tiers: tuple[Tier, ...]) -> None:
    assert purchases.parse_tiers(text, "TWD") == tiers


@pytest.mark.parametrize("text", ["200: 290, 100: 310", "100 310", "1: 5", "100: 0", "100: 1.001",
                                  "a: 1", "1:1," * 60, "2:1 3:1 4:1 5:1 6:1 7:1"])
def test_bad_tiers_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        purchases.parse_tiers(text, "TWD")
    assert caught.value.code in ("purchase_bad_tiers", "purchase_bad_amount",
                                 "purchase_too_precise")
