"""Every parser of typed text: whatever it is given, a value or a DomainError — never another
exception (``OSError`` from ``zoneinfo``, ``ValueError`` from ``int`` or ``datetime``,
``OverflowError`` from ``timedelta``), and never more work than a sensible answer needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services import alliances, decisions, ledger, meetings, slots
from bot.services import equipment as gear
from bot.services import purchases as buys
from bot.services import referrals as refs
from bot.services import requests as asks
from bot.services.errors import DomainError
from bot.services.inputs import capped, number, row_id
from bot.services.membership import fields
from tests.texts import SHARP, TEXT

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEST = ZoneInfo("America/New_York")  # where 9999-12-31 23:00 is already the year 10000 in UTC

PARSERS: dict[str, Callable[[str], object]] = {
    "time zone": alliances.valid_timezone,
    "business name": fields.valid_name,
    "category": fields.valid_category,
    "region": fields.valid_region,
    "services": fields.valid_services,
    "reason": fields.valid_reason,
    "member contact": lambda text: fields.valid_contact(text, "TW"),
    "candidate time": lambda text: slots.parse_slot(text, now=NOW, zone=WEST),
    "time of day": slots.parse_clock,
    "meeting title": meetings.clean_title,
    "meeting place": meetings.clean_place,
    "meeting length": meetings.parse_duration,
    "customer contact": refs.clean_contact,
    "customer name": lambda text: refs.clean_text(text, refs.NAME_LIMIT, "referral_bad_name"),
    "amount": lambda text: refs.parse_money(text, "TWD"),
    "ledger period": lambda text: ledger.parse_period(text, NOW, ZoneInfo("Asia/Taipei")),
    "proposal title": decisions.clean_title,
    "proposal text": decisions.clean_text,
    "proposal options": decisions.clean_options,
    "proposal deadline": lambda text: decisions.parse_deadline(text, NOW, "America/New_York"),
    "request title": asks.clean_title,
    "request details": asks.clean_details,
    "request unit": asks.clean_unit,
    "offer note": asks.clean_note,
    "request quantity": asks.parse_quantity,
    "needed by": lambda text: asks.parse_needed_by(text, now=NOW, zone=WEST),
    "booking start": lambda text: gear.parse_moment(text, now=NOW, zone=WEST),
    "booking end": lambda text: gear.parse_moment(text, now=NOW, zone=WEST, end=True),
    "item name": gear.clean_name,
    "item location": gear.clean_location,
    "item conditions": gear.clean_conditions,
    "deposit": lambda text: gear.parse_amount(text, "TWD"),
    "unit price": lambda text: buys.parse_price(text, "USD"),
    "price tiers": lambda text: buys.parse_tiers(text, "JPY"),
    "number": lambda text: number(text, digits=4),
    "id": row_id,
}


def parse(name: str, text: str) -> None:
    started = time.perf_counter()
    try:
        PARSERS[name](text)
    except DomainError:
        pass
    assert time.perf_counter() - started < 0.5, f"{name} took long over {text[:40]!r}"


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_parser_refuses_the_sharp_inputs_clearly(name: str) -> None:
    for text in SHARP:
        parse(name, text)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(PARSERS)), text=TEXT)
def test_every_parser_refuses_anything_clearly(name: str, text: str) -> None:
    parse(name, text)


@pytest.mark.parametrize("text", ["²", "١٢", "12a", "", " ", "-1", "+1", "1_000", "１２"])
def test_numbers_are_ascii_digits(text: str) -> None:
    assert number(text, digits=4) is None


def test_numbers_and_ids() -> None:
    assert number(" 42 ", digits=2) == 42
    assert number("123", digits=2) is None
    assert row_id("#12") == row_id("12") == 12
    assert row_id("0") is None and row_id("2147483648") is None and row_id("2147483647") == 2**31 - 1
    assert row_id("9" * 30) is None


def test_capped_refuses_before_parsing() -> None:
    assert capped(None, 3, "x") == "" and capped("abc", 3, "x") == "abc"
    with pytest.raises(DomainError) as refused:
        capped("abcd", 3, "too_long", limit=3)
    assert refused.value.code == "too_long" and refused.value.params == {"limit": 3}


@pytest.mark.parametrize("zone", ["🙂" * 4096, "Asia/" + "a" * 300, "\x00", "../../etc/passwd",
                                  "Asia/Taipei\x00", "亞洲/台北", ""])
def test_a_time_zone_is_an_iana_name(zone: str) -> None:
    with pytest.raises(DomainError) as refused:
        alliances.valid_timezone(zone)
    assert refused.value.code == "unknown_timezone"
    assert len(refused.value.params["zone"]) <= alliances.ZONE_LIMIT
    assert alliances.valid_timezone(" Asia/Taipei ") == "Asia/Taipei"


@pytest.mark.parametrize("period", ["9999", "9999-12", "1999", "0000d", "²", "30d" * 100])
def test_ledger_periods_outside_the_calendar_are_refused(period: str) -> None:
    with pytest.raises(DomainError):
        ledger.parse_period(period, NOW, ZoneInfo("Asia/Taipei"))
    assert ledger.parse_period("9998", NOW, ZoneInfo("Asia/Taipei"))[1] == datetime(
        9999, 1, 1, tzinfo=ZoneInfo("Asia/Taipei"))


@pytest.mark.parametrize("deadline", ["²h", "9" * 4000 + "h", "99999999999d", "0h", "9999-12-31 23:00"])
def test_proposal_deadlines_out_of_range_are_refused(deadline: str) -> None:
    with pytest.raises(DomainError):
        decisions.parse_deadline(deadline, NOW, "America/New_York")
    assert decisions.parse_deadline("36h", NOW, "UTC") == 36


def test_a_slot_past_the_calendar_is_a_bad_date() -> None:
    with pytest.raises(DomainError) as refused:
        slots.parse_slot("9999-12-31 23:00", now=NOW, zone=WEST)
    assert refused.value.code == "slot_bad_date"
