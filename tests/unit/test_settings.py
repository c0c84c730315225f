"""Alliance settings: one schema, lenient when read, strict when changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import settings
from bot.services.errors import DomainError
from storage.models import Alliance
from tests.conftest import NOW
from tests.texts import TEXT


def alliance(zone: str = "UTC", **stored: Any) -> Alliance:
    return Alliance(name="A", charter="", locale="en", timezone=zone, settings=dict(stored),
                    created_at=NOW, updated_at=NOW)


def test_defaults() -> None:
    read = settings.read(alliance())
    assert (read.proposal_deadline_hours, read.proposal_quorum_pct) == (72, 50)
    assert (read.proposal_threshold, read.who_may_propose) == ("majority", "members")
    assert read.pin_decisions is False and read.thank_you_cards is True
    assert read.referral_sla == timedelta(hours=24) and read.retention == timedelta(days=180)
    assert (read.approval_mode, read.categories, read.currency) == ("coordinators", [], "USD")
    assert read.referral_expiry == timedelta(hours=72)
    assert (read.quiet_hours, read.monthly_report) == ("22:00-08:00", True)
    assert settings.read(Alliance(timezone="UTC", settings=None)) == read


def test_stored_values_win() -> None:
    read = settings.read(alliance(
        proposal_deadline_hours=36.5, proposal_quorum_pct=100, proposal_threshold="unanimous",
        who_may_propose="coordinators", pin_decisions=True, referral_sla_hours=48,
        retention_days=30, thank_you_cards=False, currency="eur", approval_mode="vote",
        country="de", categories=["repair", "design"]))
    assert read.proposal_deadline_hours == 36.5 and read.proposal_quorum_pct == 100
    assert (read.proposal_threshold, read.who_may_propose) == ("unanimous", "coordinators")
    assert read.pin_decisions and not read.thank_you_cards
    assert (read.referral_sla_hours, read.retention_days) == (48, 30)
    assert (read.currency, read.approval_mode, read.country) == ("EUR", "vote", "DE")
    assert read.categories == ["repair", "design"]


def test_a_corrupt_stored_value_falls_back_alone() -> None:
    read = settings.read(alliance(
        proposal_deadline_hours="soon", proposal_quorum_pct=250, proposal_threshold="most",
        referral_sla_hours=-3, retention_days="x", currency="XYZ", approval_mode="nonsense",
        country="Germany", categories="x", pin_decisions=True))
    assert read.proposal_deadline_hours == 72 and read.proposal_quorum_pct == 50
    assert read.proposal_threshold == "majority"
    assert (read.referral_sla_hours, read.retention_days) == (24, 180)
    assert (read.currency, read.approval_mode, read.country) == ("USD", "coordinators", None)
    assert read.categories == [] and read.pin_decisions  # the good value next to them stays


def test_stored_values_read_as_they_always_were() -> None:
    # int() for counts, bool() for flags, non-blank strings of a list, the first twenty
    read = settings.read(alliance(referral_sla_hours="48", retention_days=7.9, thank_you_cards=0,
                                  categories=["a", " ", 3, *[f"c{i}" for i in range(30)]]))
    assert (read.referral_sla_hours, read.retention_days, read.thank_you_cards) == (48, 7, False)
    assert read.categories[:2] == ["a", "c0"] and len(read.categories) == settings.CATEGORIES_MAX


@pytest.mark.parametrize(("zone", "currency", "country"), [
    ("Asia/Taipei", "TWD", "TW"), ("Asia/Shanghai", "CNY", "CN"), ("Asia/Hong_Kong", "HKD", "HK"),
    ("Europe/Berlin", "USD", "DE"), ("UTC", "USD", None)])
def test_currency_and_country_follow_the_time_zone_when_unset(
        zone: str, currency: str, country: str | None) -> None:
    read = settings.read(alliance(zone, currency=None, country=None))
    assert (read.currency, read.country) == (currency, country)
    read = settings.read(alliance(zone, currency="jpy", country="sg"))
    assert (read.currency, read.country) == ("JPY", "SG")


def test_change_writes_a_new_dict_and_returns_the_stored_value() -> None:
    record = alliance("Asia/Taipei", pin_decisions=True)
    before = record.settings
    later = NOW + timedelta(hours=1)
    assert settings.change(record, "country", " sg ", later) == "SG"
    assert record.settings is not before and before == {"pin_decisions": True}
    assert record.settings == {"pin_decisions": True, "country": "SG"}
    assert record.updated_at == later
    assert settings.change(record, "currency", "", later) is None
    assert settings.read(record).currency == "TWD"
    assert settings.change(record, "proposal_deadline_hours", 24, later) == 24
    assert settings.read(record).proposal_deadline_hours == 24


@pytest.mark.parametrize(("name", "value", "code"), [
    ("approval_mode", "everyone", "unknown_approval_mode"),
    ("country", "XX", "unknown_country"),
    ("currency", "XYZ", "referral_bad_currency"),
    ("categories", [], "categories_empty"),
    ("categories", ["x" * 41], "category_too_long"),
    ("categories", [f"c{i}" for i in range(21)], "categories_too_many"),
    ("proposal_deadline_hours", 0.5, "proposal_deadline_range"),
    ("proposal_deadline_hours", 24 * 31, "proposal_deadline_range"),
    ("proposal_deadline_hours", "36h", "proposal_deadline_format"),
    ("proposal_quorum_pct", 101, "proposal_bad_rules"),
    ("proposal_threshold", "most", "proposal_bad_rules"),
    ("who_may_propose", "anyone", "proposal_bad_rules"),
])
def test_change_refuses_with_the_features_codes(name: str, value: Any, code: str) -> None:
    record = alliance(approval_mode="vote")
    with pytest.raises(DomainError) as caught:
        settings.change(record, name, value, NOW)
    assert caught.value.code == code
    assert record.settings == {"approval_mode": "vote"}


@pytest.mark.parametrize(("name", "value", "code"), [
    ("pin_decisions", "yes", "setting_bad_value"), ("thank_you_cards", 1, "setting_bad_value"),
    ("referral_sla_hours", 0, "setting_out_of_range"),
    ("referral_expiry_hours", 24 * 31, "setting_out_of_range"),
    ("retention_days", "30", "setting_not_a_number"),
    ("referral_sla_hours", True, "setting_not_a_number"),
    ("categories", ["a", 3], "setting_bad_value"), ("quiet_hours", "25:00-08:00", "quiet_hours_format"),
    ("quiet_hours", "22:00-22:00", "quiet_hours_format"), ("monthly_report", "on", "setting_bad_value"),
    ("colour", "blue", "setting_unknown")])
def test_change_refuses_every_bad_value_with_a_code(name: str, value: Any, code: str) -> None:
    record = alliance()
    with pytest.raises(DomainError) as caught:
        settings.change(record, name, value, NOW)
    assert caught.value.code == code
    assert record.settings == {}


@pytest.mark.parametrize(("name", "text", "value"), [
    ("proposal_quorum_pct", " 60% ", 60), ("referral_expiry_hours", "96h", 96),
    ("retention_days", "60 天", 60), ("currency", " jpy", "JPY"), ("country", "sg", "SG"),
    ("quiet_hours", "21:30 – 7:15", "21:30 – 7:15"), ("timezone", "Europe/Berlin", "Europe/Berlin")])
def test_typed_values_are_read(name: str, text: str, value: Any) -> None:
    assert settings.parse(name, text) == value


@pytest.mark.parametrize(("name", "text", "code"), [
    ("proposal_quorum_pct", "half", "setting_not_a_number"),
    ("proposal_quorum_pct", "150", "proposal_bad_rules"),
    ("retention_days", "0", "setting_out_of_range"), ("currency", "XYZ", "referral_bad_currency"),
    ("quiet_hours", "late", "quiet_hours_format"), ("timezone", "Mars/Base", "unknown_timezone"),
    ("pin_decisions", "yes", "settings_use_buttons"), ("currency", "x" * 500, "setting_bad_value")])
def test_typed_values_are_refused(name: str, text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        settings.parse(name, text)
    assert caught.value.code == code


def test_quiet_hours_are_normalized_and_read_as_times() -> None:
    record = alliance()
    assert settings.change(record, "quiet_hours", "21:30 – 7:15", NOW) == "21:30-07:15"
    start, end = settings.read(record).quiet
    assert (start.hour, start.minute, end.hour, end.minute) == (21, 30, 7, 15)


def test_entries_list_every_setting_with_its_value() -> None:
    found = {entry.name: entry for entry in settings.entries(alliance(
        "Asia/Taipei", retention_days=30, proposal_quorum_pct="junk", currency=None))}
    assert list(found) == list(settings.NAMES) and "categories" in found
    assert (found["retention_days"].value, found["retention_days"].default) == (30, False)
    assert (found["proposal_quorum_pct"].value, found["proposal_quorum_pct"].default) == (50, True)
    assert (found["currency"].value, found["currency"].default) == ("TWD", True)


async def test_a_change_survives_the_commit(sessions: async_sessionmaker[AsyncSession]) -> None:
    # JSON columns do not see in-place mutation: change() must reassign the dict.
    async with sessions() as session:
        record = alliance(currency="EUR")
        session.add(record)
        await session.commit()
        settings.change(record, "categories", ["repair"], NOW)
        settings.change(record, "thank_you_cards", False, NOW)
        await session.commit()
        alliance_id = record.id
    async with sessions() as session:
        stored = await session.get(Alliance, alliance_id)
        assert stored is not None
        read = settings.read(stored)
        assert (read.categories, read.thank_you_cards, read.currency) == (["repair"], False, "EUR")


@given(text=TEXT)
@hyp_settings(max_examples=60, deadline=None)
def test_any_typed_text_is_a_value_or_a_refusal_in_words(text: str) -> None:
    for name in (*settings.NUMBERS, "timezone", "currency", "country", "quiet_hours"):
        try:
            value = settings.parse(name, text)
        except DomainError as error:
            assert error.code  # the middleware words it; nothing else may escape
        else:
            assert value is not None


def test_quiet_end_in_the_alliance_zone() -> None:
    """22:00-08:00 Taipei is 14:00-00:00 UTC; a window may also end the same day."""
    from datetime import UTC, datetime

    taipei = alliance("Asia/Taipei")
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Taipei
    assert settings.quiet_end(taipei, at) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    early = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 06:30 the next morning in Taipei
    assert settings.quiet_end(taipei, early) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert settings.quiet_end(taipei, datetime(2026, 3, 2, 4, 0, tzinfo=UTC)) is None  # noon
    assert settings.quiet_end(taipei, datetime(2026, 3, 3, 0, 0, tzinfo=UTC)) is None  # 08:00
    lunch = alliance("Asia/Taipei", quiet_hours="12:00-13:30")
    assert settings.quiet_end(lunch, datetime(2026, 3, 2, 4, 10, tzinfo=UTC)) == datetime(
        2026, 3, 2, 5, 30, tzinfo=UTC)
    assert settings.quiet_end(alliance("Asia/Taipei", quiet_hours="off"), at) is None


@pytest.mark.parametrize("typed", ["off", " OFF ", "關", "关闭", "none"])
def test_quiet_hours_can_be_turned_off(typed: str) -> None:
    record = alliance()
    assert settings.parse("quiet_hours", typed) == typed.strip()
    assert settings.change(record, "quiet_hours", settings.parse("quiet_hours", typed), NOW) == "off"
    assert settings.read(record).quiet is None
