"""Exact money: ``Decimal`` amounts in a currency's minor units, and splits that add up.

An amount is valid for a currency when it has no more decimals than the currency's minor unit
(Babel's ``get_currency_precision``: 2 for USD and TWD, 0 for JPY, 3 for KWD), so every
amount is a whole number of minor units and sums are exact. Splits go further, to the cash
unit people pay in (whole NT$ for TWD), when the total allows it.

A split divides a total pro rata by weights (quantities pledged; all 1 for an even split) with
the *largest-remainder* method: each part is first the exact share rounded down to a minor
unit, then the units left over go one each to the parts that lost the most by rounding down
(ties: the earlier part). The parts sum exactly to the total, and no part differs from its
exact share by one minor unit or more. Pure functions, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from babel.core import get_global
from babel.numbers import get_currency_precision

from bot.services.errors import DomainError
from bot.services.inputs import capped
from bot.services.settings import currencies

MAX_AMOUNT = Decimal("1000000000000")
MONEY_TEXT_LIMIT = 40  # "12,000,000.50 TWD" and the like

_MONEY = re.compile(
    r"\s*(?P<before>[A-Za-z]{1,3}\$|[A-Za-z]{2}¥|[A-Za-z]{3}|[$¥])?\s*"
    r"(?P<number>[0-9][0-9,\s]*(?:\.[0-9]+)?)\s*(?P<wan>[万萬])?\s*(?P<yuan>[元块塊圆圓])?\s*"
    r"(?P<after>[A-Za-z]{3})?\s*")
# What people write for a currency besides its ISO code: the symbols the bot itself shows
# (NT$12,000, US$300, CN¥, HK$) and the everyday abbreviations (NTD in Taiwan, RMB in China).
CURRENCY_ALIASES = {"NT$": "TWD", "NTD": "TWD", "US$": "USD", "HK$": "HKD", "S$": "SGD",
                    "CN¥": "CNY", "RMB": "CNY", "A$": "AUD", "C$": "CAD", "NZ$": "NZD",
                    "MOP$": "MOP", "JP¥": "JPY"}
# A bare ``$`` or ``¥`` means the alliance's currency when it is a dollar or a yuan/yen;
# otherwise the usual one (USD, CNY).
DOLLARS = frozenset({"TWD", "USD", "HKD", "SGD", "AUD", "CAD", "NZD", "MOP"})
WAN = 10_000  # 万 / 萬: 1.2万 is 12,000


def precision(currency: str) -> int:
    """Decimals of the currency's minor unit (2 for USD, 0 for JPY)."""
    return get_currency_precision(currency)


def cash_precision(currency: str) -> int:
    """Decimals of the smallest coin people actually pay with (CLDR's cash digits): 0 for TWD
    (no one hands over NT$0.67 since cents went out of use), 2 for CNY and USD, 0 for JPY."""
    fractions = get_global("currency_fractions")
    return int(fractions.get(currency, fractions["DEFAULT"])[2])


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: ``Decimal('0.01')`` for USD, ``Decimal('1')`` for JPY."""
    return Decimal(1).scaleb(-precision(currency))


def fits(amount: Decimal, currency: str) -> bool:
    """Is ``amount`` a whole number of the currency's minor units?"""
    return amount == amount.quantize(minor_unit(currency)) if amount.is_finite() else False


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal('12.34')`` USD → 1234. ``ValueError`` for an amount finer than the minor unit:
    rounding money silently is how cents go missing."""
    if not fits(amount, currency):
        raise ValueError(f"{amount} is not a whole number of {currency} minor units")
    return int(amount.scaleb(precision(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    """1234 USD minor units → ``Decimal('12.34')`` (always with the currency's decimals)."""
    digits = precision(currency)
    return Decimal(units).scaleb(-digits).quantize(minor_unit(currency))


def total(values: Sequence[Decimal | None], currency: str) -> Decimal:
    """Exact sum of amounts of one currency: whole minor units added as integers, never floats
    (amounts are stored as decimal text, so the database cannot sum them exactly). A value that
    is not a whole number of minor units (none passes ``check``) is left out."""
    units = sum(to_minor(value, currency) for value in values
                if value is not None and fits(value, currency))
    return from_minor(units, currency)


def split_units(total: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    """Largest-remainder split of ``total`` whole units in proportion to ``weights``.

    Weights are non-negative with a positive sum; a zero weight gets nothing. Deterministic:
    the leftover units go to the largest remainders, ties to the earlier weight.
    """
    if total < 0:
        raise ValueError("a split total cannot be negative")
    shares = [Fraction(w) for w in weights]
    whole = sum(shares, Fraction(0))
    if not shares or whole <= 0 or any(share < 0 for share in shares):
        raise ValueError("weights must be non-negative with a positive sum")
    exact = [total * share / whole for share in shares]
    parts = [int(value) for value in exact]  # floor: every value is non-negative
    left = total - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def split(total: Decimal, weights: Sequence[int | Decimal | Fraction], currency: str) -> list[Decimal]:
    """``total`` (a valid amount of ``currency``) split pro rata by ``weights``; the parts sum
    to ``total`` exactly. An even split is ``weights=[1] * n``.

    The parts are whole coins of the currency's cash unit when the total is (NT$89,900 in three:
    29,967 + 29,967 + 29,966, never NT$29,966.67 that no one can pay); a total with cents is
    split in the minor unit, so the parts still add up."""
    cash = Decimal(1).scaleb(-cash_precision(currency))
    if cash > minor_unit(currency) and total == total.quantize(cash):
        digits = precision(currency) - cash_precision(currency)
        units = split_units(int(total.scaleb(cash_precision(currency))), weights)
        return [from_minor(part * 10 ** digits, currency) for part in units]
    units = split_units(to_minor(total, currency), weights)
    return [from_minor(part, currency) for part in units]


def check(amount: Decimal, currency: str, *, prefix: str = "money") -> Decimal:
    """A non-negative amount below ``MAX_AMOUNT`` in whole minor units of a known currency, or
    ``DomainError`` ``<prefix>_bad_amount`` / ``_bad_currency`` / ``_too_precise``."""
    if currency not in currencies():
        raise DomainError(f"{prefix}_bad_currency", currency=currency)
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise DomainError(f"{prefix}_bad_amount")
    if not fits(amount, currency):
        digits = precision(currency)
        raise DomainError(f"{prefix}_too_precise", currency=currency, digits=digits)
    return amount


def parse(text: str | None, default_currency: str, *, prefix: str = "money") -> tuple[Decimal, str]:
    """``12000``, ``12,000.50 TWD``, ``usd 300``, ``NT$12,000``, ``¥12000``, ``12000元``,
    ``1.2萬``, full-width ``１２，０００`` → (Decimal, ISO 4217 code): what the bot shows must be
    accepted back, and what a Chinese shop owner types too (元 / 块 / 塊 mean the alliance's
    currency, 万 / 萬 ten thousand).

    Refusals are ``<prefix>_bad_amount``, ``<prefix>_bad_currency`` and ``<prefix>_too_precise``,
    so each feature keeps its own words for them (referrals say ``referral_…``).
    """
    raw = unicodedata.normalize("NFKC", capped(text, MONEY_TEXT_LIMIT, f"{prefix}_bad_amount"))
    match = _MONEY.fullmatch(raw)
    if match is None or (match["before"] and match["after"]):
        raise DomainError(f"{prefix}_bad_amount")
    code = _currency(match["before"] or match["after"], default_currency.upper())
    if code not in currencies():
        raise DomainError(f"{prefix}_bad_currency", currency=code)
    try:
        amount = Decimal(re.sub(r"[,\s]", "", match["number"]))
    except InvalidOperation:
        raise DomainError(f"{prefix}_bad_amount") from None
    if match["wan"]:
        amount *= WAN
        if amount == amount.to_integral_value():
            amount = amount.quantize(Decimal(1))
    if amount >= MAX_AMOUNT:
        raise DomainError(f"{prefix}_bad_amount")
    digits = precision(code)
    if -amount.as_tuple().exponent > digits:  # type: ignore[operator]
        raise DomainError(f"{prefix}_too_precise", currency=code, digits=digits)
    return amount, code


def _currency(written: str | None, default: str) -> str:
    """The ISO code for what was written next to the number (nothing: the alliance's)."""
    if not written:
        return default
    if written == "$":
        return default if default in DOLLARS else "USD"
    if written == "¥":
        return default if default in {"CNY", "JPY"} else "CNY"
    upper = written.upper()
    return CURRENCY_ALIASES.get(upper, upper)
