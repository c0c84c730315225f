"""Membership services on both engines: validation, applications, the one-time decision, lifecycle."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.emulator.telegram_text import parse_html
from bot.i18n import LOCALES, use_locale
from bot.services import alliances, members, people, settings
from bot.services.alliances import ChatFacts
from bot.services.errors import DomainError
from bot.services.membership import directory, fields, joining, roles, roster
from bot.services.people import Speaker
from bot.views.errors import error_text
from bot.views.membership.fields import FIELD_LABELS
from bot.views.membership.joining import summary
from storage.models import Alliance, Application, AuditEntry, Member, Role
from tests.conftest import NOW

HOME = ChatFacts(tg_chat_id=-1001, kind="supergroup", title="Repair <Alliance>")
GOOD = {"name": "Mei <Garage>", "category": "repair", "region": "Taipei", "services": "Brakes",
        "contact": "0912 345 678", "charter": True}


async def person(session: AsyncSession, pid: int, lang: str = "en") -> int:
    await people.touch(session, Speaker(id=pid, first_name=f"P{pid}", language_code=lang), NOW,
                       private=True)
    await session.commit()
    return pid


async def home(session: AsyncSession, coordinator: int = 1) -> Alliance:
    await person(session, coordinator)
    alliance, _ = await alliances.setup(session, chat=HOME, person_id=coordinator,
                                        sender_is_chat_admin=True, locale="zh_Hant",
                                        timezone="Asia/Taipei", now=NOW)
    return alliance


async def submitted(session: AsyncSession, alliance: Alliance, pid: int) -> Application:
    await person(session, pid)
    done = await joining.submit_application(
        session, alliance_id=alliance.id, person_id=pid, answers=dict(GOOD), via="link",
        join_chat_id=None, join_user_chat_id=None, now=NOW)
    await session.commit()  # the caller owns the transaction, as the update middleware does
    return done.application


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "country", "expected"), [
    ("0912 345 678", "TW", ("phone", "+886912345678")),
    ("(02) 2345-6789", "TW", ("phone", "+886223456789")),
    ("+1 650-253-0000", None, ("phone", "+16502530000")),
    ("+86 138 0013 8000", "TW", ("phone", "+8613800138000")),
    ("mei@garage.example.com", "TW", ("email", "mei@garage.example.com")),
    ("garage.example.tw/about", "TW", ("website", "https://garage.example.tw/about")),
    ("http://garage.example.tw", None, ("website", "http://garage.example.tw")),
])
def test_contacts_are_normalised(text: str, country: str | None, expected: tuple[str, str]) -> None:
    assert fields.valid_contact(text, country) == expected


@pytest.mark.parametrize(("text", "country", "code"), [
    ("12345", "TW", "bad_phone"),
    ("0912 345", "TW", "bad_phone"),
    ("0912 345 678", None, "phone_needs_country"),
    ("mei@", "TW", "bad_email"),
    ("mei@garage", "TW", "bad_email"),
    ("call me maybe", "TW", "bad_contact"),
    ("   ", "TW", "answer_empty"),
    ("x" * 201, "TW", "answer_too_long"),
])
def test_bad_contacts_are_explained(text: str, country: str | None, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        fields.valid_contact(text, country)
    assert caught.value.code == code


def test_country_comes_from_settings_or_the_time_zone() -> None:
    alliance = Alliance(timezone="Asia/Taipei", settings={})
    assert settings.read(alliance).country == "TW"
    assert settings.read(Alliance(timezone="Asia/Hong_Kong", settings={})).country == "HK"
    assert settings.read(Alliance(timezone="Asia/Shanghai", settings={})).country == "CN"
    assert settings.read(Alliance(timezone="UTC", settings={})).country is None
    assert settings.read(Alliance(timezone="UTC", settings={"country": "de"})).country == "DE"


def test_settings_have_defaults() -> None:
    alliance = Alliance(timezone="UTC", settings={"approval_mode": "nonsense", "categories": "x"})
    assert settings.read(alliance).approval_mode == "coordinators"
    assert settings.read(alliance).categories == []


ANY_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300),
    st.sampled_from(["", "   ", "<b>bold</b> & <script>x</script>", "🙂" * 300, "x" * 5000,
                     "</i>unbalanced<i>", "&amp; &lt;", "a\u200bb\u202ec"]),
)
STEPS = {
    "name": lambda text: fields.valid_name(text),
    "category": lambda text: fields.valid_category(text),
    "region": lambda text: fields.valid_region(text),
    "services": lambda text: fields.valid_services(text),
    "contact": lambda text: fields.valid_contact(text, "TW")[1],
    "reason": lambda text: fields.valid_reason(text),
}


@hypothesis.settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, step=st.sampled_from(sorted(STEPS)), locale=st.sampled_from(LOCALES))
def test_any_answer_is_taken_or_explained_and_shown_escaped(text: str, step: str, locale: str) -> None:
    """Whatever is typed at a step: a clean value or a clear message, never broken HTML."""
    with use_locale(locale):
        try:
            value = STEPS[step](text)
        except DomainError as error:
            message = error_text(error)
            plain, _ = parse_html(message)
            assert plain and "That did not work" not in plain
            return
        assert value and value == value.strip() and len(value) <= 1000
        answers = {**GOOD, step if step in FIELD_LABELS else "services": value}
        card, _ = summary("Alliance <x>", answers)
        plain, _ = parse_html(card)
        assert len(card) <= 4096
        assert value in plain or value[:50] in plain


# -- applications and the decision ------------------------------------------------------------


async def test_submit_then_approve_makes_member_and_role(session: AsyncSession) -> None:
    alliance = await home(session)
    application = await submitted(session, alliance, 7)
    assert application.answers["contact"] == "+886912345678"
    with pytest.raises(DomainError) as caught:
        await submitted(session, alliance, 7)
    assert caught.value.code == "application_open"
    decision = await joining.decide_application(session, application.id, approve=True,
                                                   actor_id=1, reason=None, now=NOW)
    assert decision.approved and decision.decided_by_name == "P1" and decision.home_chat_id == -1001
    member = await members.require_active_member(session, alliance.id, 7)
    assert member.name == "Mei <Garage>" and member.owner_person_id == 7 and member.joined_at == NOW
    with pytest.raises(DomainError) as caught:
        await joining.may_apply(session, alliance.id, 7)
    assert caught.value.code == "already_member"


async def test_only_coordinators_decide_and_reject_needs_a_reason(session: AsyncSession) -> None:
    alliance = await home(session)
    application = await submitted(session, alliance, 7)
    await person(session, 8)
    for actor, approve, reason, code in [(8, True, None, "coordinators_only"),
                                         (1, False, "  ", "answer_empty")]:
        with pytest.raises(DomainError) as caught:
            await joining.decide_application(session, application.id, approve=approve,
                                                actor_id=actor, reason=reason, now=NOW)
        assert caught.value.code == code
    await session.refresh(application)
    assert application.status == "submitted"
    decision = await joining.decide_application(session, application.id, approve=False,
                                                   actor_id=None, reason="vote said no", now=NOW)
    assert not decision.approved and decision.decided_by_name is None
    assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_two_deciders_at_once_make_one_decision(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        alliance = await home(session)
        await person(session, 2)
        session.add(Role(alliance_id=alliance.id, person_id=2, role="coordinator", created_at=NOW))
        await session.commit()
        application = await submitted(session, alliance, 7)

    async def press(actor: int) -> str:
        async with sessions() as session:
            try:
                await joining.decide_application(session, application.id, approve=True,
                                                    actor_id=actor, reason=None, now=NOW)
                await session.commit()
                return "decided"
            except DomainError as error:
                return error.code

    results = await asyncio.gather(press(1), press(2), press(1))
    assert sorted(results) == ["application_decided", "application_decided", "decided"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 1
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "application.approved")) == 1


async def test_vote_mode_asks_the_caller_for_a_vote(session: AsyncSession) -> None:
    alliance = await home(session)
    done = await joining.submit_application(
        session, alliance_id=alliance.id, person_id=await person(session, 7), answers=dict(GOOD),
        via="link", join_chat_id=None, join_user_chat_id=None, now=NOW)
    assert not done.vote_wanted and done.application.approval_mode == "coordinators"
    await joining.set_approval_mode(session, alliance.id, 1, "vote", NOW)
    done = await joining.submit_application(
        session, alliance_id=alliance.id, person_id=await person(session, 8), answers=dict(GOOD),
        via="link", join_chat_id=None, join_user_chat_id=None, now=NOW)
    assert done.vote_wanted and done.application.approval_mode == "vote"


async def test_suspended_member_is_refused_and_last_coordinator_stays(session: AsyncSession) -> None:
    alliance = await home(session)
    application = await submitted(session, alliance, 7)
    decision = await joining.decide_application(session, application.id, approve=True,
                                                   actor_id=1, reason=None, now=NOW)
    assert decision.member_id is not None
    with pytest.raises(DomainError) as caught:
        await roster.suspend(session, alliance.id, 1, decision.member_id, "", NOW)
    assert caught.value.code == "reason_needed"
    await roster.suspend(session, alliance.id, 1, decision.member_id, "fees", NOW)
    with pytest.raises(DomainError) as caught:
        await members.require_active_member(session, alliance.id, 7)
    assert caught.value.code == "member_suspended"
    listed = await directory.directory(session, alliance.id, "")
    assert [(m.name, m.status) for m in listed] == [("Mei <Garage>", "suspended")]
    with pytest.raises(DomainError) as caught:
        await roles.demote(session, alliance.id, 1, 1, NOW)
    assert caught.value.code == "last_coordinator"
    await roles.promote(session, alliance.id, 1, 7, NOW)
    await roles.demote(session, alliance.id, 7, 1, NOW + timedelta(minutes=1))
    assert (await alliances.role_of(session, alliance.id, 1)).role == "member"


async def test_join_codes_rotate(session: AsyncSession) -> None:
    alliance = await home(session)
    first = await joining.join_code(session, alliance.id, NOW)
    assert await joining.join_code(session, alliance.id, NOW) == first
    assert (await joining.alliance_by_code(session, first)).id == alliance.id
    second = await joining.rotate_join_code(session, alliance.id, 1, NOW)
    assert second != first
    with pytest.raises(DomainError):
        await joining.alliance_by_code(session, first)
    await person(session, 9)
    with pytest.raises(DomainError) as caught:
        await joining.rotate_join_code(session, alliance.id, 9, NOW)
    assert caught.value.code == "coordinators_only"


CARD_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                    min_size=1, max_size=1200)


@hypothesis.settings(max_examples=150, deadline=None)
@given(name=CARD_TEXT, services=CARD_TEXT, reason=CARD_TEXT, charter=CARD_TEXT,
       locale=st.sampled_from(LOCALES))
def test_every_card_is_valid_html_within_limits(name: str, services: str, reason: str, charter: str,
                                                locale: str) -> None:
    from bot.services.membership.joining import Decision
    from bot.views.membership.directory import directory, member_card, profile
    from bot.views.membership.joining import (
        application_card,
        ask_charter,
        ask_reason,
        ask_sponsor,
        decided_card,
        intro,
        private_welcome,
        rejection,
        welcome_card,
    )
    from storage.models import Person

    answers = {**GOOD, "name": name, "services": services, "contact": "+886912345678",
               "sponsor_name": name}
    alliance = Alliance(id=1, name=name, charter=charter, locale=locale, timezone="Asia/Taipei",
                        settings={}, created_at=NOW, updated_at=NOW)
    application = Application(id=3, alliance_id=1, person_id=7, status="submitted", answers=answers,
                              via="request", approval_mode="vote", cards={}, created_at=NOW)
    applicant = Person(id=7, first_name=name, username="mei", started=True, created_at=NOW,
                       updated_at=NOW)
    member = Member(id=5, alliance_id=1, name=name, category=name, region=name, services=services,
                    contact="+886912345678", status="suspended", joined_at=NOW, created_at=NOW,
                    updated_at=NOW)
    with use_locale(locale):
        decisions = [Decision(application_id=3, alliance_id=1, alliance_name=name,
                              alliance_locale=locale, charter=charter, approved=approved,
                              person_id=7, person_name=name, person_locale=locale, member_id=5,
                              answers=answers, reason=reason, decided_by=1, decided_by_name=who,
                              join_chat_id=None, join_user_chat_id=None, home_chat_id=-1,
                              home_thread_id=None)
                     for approved in (True, False) for who in (name, None)]
        cards = [application_card(application, alliance, applicant)[0],
                 summary(name, answers)[0], welcome_card(answers),
                 ask_sponsor(None, tried=name)[0], ask_charter(charter)[0],
                 member_card(member, alliance, True, name),
                 directory(alliance, [member] * 40, 1, name, private=True)[0],
                 profile(member, alliance)[0], ask_reason(name),
                 intro(name, join_request=True),
                 *[decided_card(d) for d in decisions],
                 *[private_welcome(d, "https://t.me/+abc", False) for d in decisions],
                 *[rejection(d) for d in decisions]]
        for card in cards:
            plain, _ = parse_html(card)
            assert plain and len(card) <= 4096
        assert name[:20].strip() in parse_html(cards[0])[0] or not name[:20].strip()


async def test_team_colleagues_join_once_and_the_owner_removes_them(session: AsyncSession) -> None:
    alliance = await home(session)
    application = await submitted(session, alliance, 7)
    decision = await joining.decide_application(session, application.id, approve=True,
                                                   actor_id=1, reason=None, now=NOW)
    await person(session, 8)
    with pytest.raises(DomainError) as caught:
        await roles.team_code(session, alliance.id, 8, NOW)
    assert caught.value.code == "members_only"
    code = await roles.team_code(session, alliance.id, 7, NOW)
    member = await roles.join_team(session, code, 8, NOW)
    assert member.id == decision.member_id
    assert [m.id for m in [await members.require_active_member(session, alliance.id, 8)]] == [member.id]
    assert await members.people_of(session, member.id) == [7, 8]
    await person(session, 9)
    with pytest.raises(DomainError) as caught:
        await roles.join_team(session, code, 9, NOW)  # used once already
    assert caught.value.code == "bad_link"
    with pytest.raises(DomainError) as caught:
        await roles.team_code(session, alliance.id, 8, NOW)  # a colleague, not the owner
    assert caught.value.code == "owner_only"
    with pytest.raises(DomainError) as caught:
        await roles.remove_colleague(session, alliance.id, 7, 7, NOW)
    assert caught.value.code == "owner_stays"
    await roles.remove_colleague(session, alliance.id, 7, 8, NOW)
    assert await members.people_of(session, member.id) == [7]
    assert await alliances.role_of(session, alliance.id, 8) is None


async def test_country_setting_overrides_the_zone(session: AsyncSession) -> None:
    alliance = await home(session)
    assert settings.read(alliance).country == "TW"
    alliance = await joining.set_country(session, alliance.id, 1, "sg", NOW)
    assert settings.read(alliance).country == "SG"
    assert fields.valid_contact("6123 4567", settings.read(alliance).country) == ("phone", "+6561234567")
    with pytest.raises(DomainError) as caught:
        await joining.set_country(session, alliance.id, 1, "XX", NOW)
    assert caught.value.code == "unknown_country"
    with use_locale("zh_Hant"):
        assert error_text(caught.value).startswith("「XX」不是我認得的國家代碼")
    alliance = await joining.set_country(session, alliance.id, 1, None, NOW)
    assert settings.read(alliance).country == "TW"


@pytest.mark.parametrize("locale", ["en", "zh_Hant", "zh_Hans"])
def test_a_forgotten_person_reads_as_a_former_member_in_the_readers_language(locale: str) -> None:
    from bot.i18n import catalogs
    from bot.services.membership.lookups import display_name
    from bot.views.membership import roles as role_views
    from bot.views.membership.fields import applicant_label
    from storage.models import Person

    forgotten = Person(id=7, first_name=None, username=None, forgotten_at=NOW)
    known = Person(id=8, first_name="Mei", last_name="Lin", username="mei")
    assert display_name(forgotten) is None and display_name(None) is None
    assert display_name(known) == "Mei Lin"
    former = catalogs().get(locale).gettext("a former member")
    with use_locale(locale):
        for shown in (role_views.promoted(display_name(forgotten)),
                      role_views.demoted(display_name(forgotten)),
                      role_views.colleague_removed(display_name(forgotten)),
                      applicant_label(forgotten),
                      error_text(DomainError("already_coordinator", name=display_name(forgotten)))):
            assert former in shown and "—" not in shown, shown
        assert "Mei Lin" in role_views.promoted(display_name(known))
