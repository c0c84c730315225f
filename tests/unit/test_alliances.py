"""Setting up alliances, linking chats, the charter and chat migration (services, both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, audit, people
from bot.services.alliances import ChatFacts
from bot.services.errors import DomainError
from bot.services.people import Speaker
from storage.models import Alliance, AuditEntry, Chat, Role
from tests.conftest import NOW

HOME = ChatFacts(tg_chat_id=-1001, kind="supergroup", title="Repair <Alliance>")
OTHER = ChatFacts(tg_chat_id=-1002, kind="group", title="Suppliers")


async def person(session: AsyncSession, pid: int, lang: str = "en") -> int:
    await people.touch(session, Speaker(id=pid, first_name=f"P{pid}", language_code=lang), NOW)
    await session.commit()
    return pid


async def setup_home(session: AsyncSession, pid: int = 1) -> Alliance:
    await person(session, pid)
    alliance, created = await alliances.setup(session, chat=HOME, person_id=pid,
                                              sender_is_chat_admin=True, locale="zh_Hant",
                                              timezone="Asia/Taipei", now=NOW)
    assert created
    return alliance


async def test_setup_creates_alliance_with_first_coordinator(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    assert (alliance.name, alliance.locale, alliance.timezone) == ("Repair <Alliance>", "zh_Hant",
                                                                   "Asia/Taipei")
    role = await alliances.role_of(session, alliance.id, 1)
    assert role is not None and role.role == "coordinator"
    chat = await alliances.home_chat(session, alliance.id)
    assert chat is not None and chat.tg_chat_id == HOME.tg_chat_id
    entries = await audit.recent(session, alliance.id)
    assert [entry.action for entry in entries] == ["alliance.setup"]


async def test_setup_refuses_non_admin_and_private_and_changes_nothing(session: AsyncSession) -> None:
    await person(session, 2)
    with pytest.raises(DomainError) as caught:
        await alliances.setup(session, chat=HOME, person_id=2, sender_is_chat_admin=False,
                              locale="en", timezone="UTC", now=NOW)
    assert caught.value.code == "setup_needs_chat_admin"
    with pytest.raises(DomainError) as caught:
        await alliances.setup(session, chat=ChatFacts(5, "private"), person_id=2,
                              sender_is_chat_admin=True, locale="en", timezone="UTC", now=NOW)
    assert caught.value.code == "setup_in_group"
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(Alliance)) == 0


async def test_setup_again_by_coordinator_returns_it_and_refuses_others(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    again, created = await alliances.setup(session, chat=HOME, person_id=1,
                                           sender_is_chat_admin=False, locale="en",
                                           timezone="UTC", now=NOW)
    assert again.id == alliance.id and not created
    await person(session, 2)
    with pytest.raises(DomainError) as caught:
        await alliances.setup(session, chat=HOME, person_id=2, sender_is_chat_admin=True,
                              locale="en", timezone="UTC", now=NOW)
    assert caught.value.code == "coordinators_only"
    assert await session.scalar(select(func.count()).select_from(Alliance)) == 1


async def test_language_and_zone_only_by_coordinators(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    await person(session, 2)
    with pytest.raises(DomainError, match="coordinators_only"):
        await alliances.choose_language(session, alliance.id, 2, "en", NOW)
    with pytest.raises(DomainError, match="unknown_locale"):
        await alliances.choose_language(session, alliance.id, 1, "fr", NOW)
    with pytest.raises(DomainError, match="unknown_timezone"):
        await alliances.choose_timezone(session, alliance.id, 1, "Mars/Base", NOW)
    await alliances.choose_language(session, alliance.id, 1, "en", NOW)
    updated = await alliances.choose_timezone(session, alliance.id, 1, " Europe/Berlin ", NOW)
    assert (updated.locale, updated.timezone) == ("en", "Europe/Berlin")
    actions = [entry.action for entry in await audit.recent(session, alliance.id)]
    assert actions[:2] == ["alliance.timezone", "alliance.language"]


async def test_link_rules(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    await person(session, 2)
    with pytest.raises(DomainError, match="coordinators_only"):
        await alliances.link_chat(session, OTHER, alliance.id, 2, NOW)
    with pytest.raises(DomainError, match="already_home"):
        await alliances.link_chat(session, HOME, alliance.id, 1, NOW)
    await alliances.link_chat(session, OTHER, alliance.id, 1, NOW)
    assert [c.tg_chat_id for c in await alliances.linked_chats(session, alliance.id)] == [-1002]
    with pytest.raises(DomainError, match="already_linked"):
        await alliances.link_chat(session, OTHER, alliance.id, 1, NOW)
    # A second alliance cannot take the linked group, nor set it up as its home.
    second_home = ChatFacts(tg_chat_id=-1003, kind="supergroup", title="Designers")
    await person(session, 3)
    second, _ = await alliances.setup(session, chat=second_home, person_id=3,
                                      sender_is_chat_admin=True, locale="en", timezone="UTC", now=NOW)
    with pytest.raises(DomainError, match="linked_elsewhere"):
        await alliances.link_chat(session, OTHER, second.id, 3, NOW)
    with pytest.raises(DomainError, match="chat_is_linked"):
        await alliances.setup(session, chat=OTHER, person_id=3, sender_is_chat_admin=True,
                              locale="en", timezone="UTC", now=NOW)


async def test_charter(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    with pytest.raises(DomainError, match="charter_empty"):
        await alliances.set_charter(session, alliance.id, 1, "   ", NOW)
    with pytest.raises(DomainError) as caught:
        await alliances.set_charter(session, alliance.id, 1, "x" * 3501, NOW)
    assert caught.value.params == {"limit": 3500, "length": 3501}
    await person(session, 2)
    with pytest.raises(DomainError, match="coordinators_only"):
        await alliances.set_charter(session, alliance.id, 2, "We refer.", NOW)
    saved = await alliances.set_charter(session, alliance.id, 1, "  We refer <b>fairly</b>.  ", NOW)
    assert saved.charter == "We refer <b>fairly</b>."


async def test_migration_keeps_alliance_and_is_idempotent(session: AsyncSession) -> None:
    old = ChatFacts(tg_chat_id=-42, kind="group", title="Small group")
    await person(session, 1)
    alliance, _ = await alliances.setup(session, chat=old, person_id=1, sender_is_chat_admin=True,
                                        locale="en", timezone="UTC", now=NOW)
    # The new supergroup may be seen first (e.g. by its migrate_from message).
    await alliances.remember_chat(session, ChatFacts(-100042, "supergroup", "Small group"), NOW)
    await session.commit()
    await alliances.migrate_chat(session, -42, -100042, NOW + timedelta(seconds=1))
    await alliances.migrate_chat(session, -42, -100042, NOW + timedelta(seconds=2))
    place = await alliances.place_of(session, -100042)
    assert place is not None and place.alliance is not None and place.alliance.id == alliance.id
    assert place.chat.kind == "supergroup"
    assert await alliances.place_of(session, -42) is None
    assert await session.scalar(select(func.count()).select_from(Chat)) == 1


async def test_bot_removed_marks_chat_inactive(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    place = await alliances.set_chat_presence(session, HOME, False, NOW)
    assert place.alliance is not None and place.alliance.id == alliance.id
    assert not place.chat.active
    assert (await audit.recent(session, alliance.id))[0].action == "chat.bot_removed"
    place = await alliances.set_chat_presence(session, HOME, True, NOW)
    assert place.chat.active


def test_missing_rights() -> None:
    assert alliances.missing_rights({}, "creator") == []
    assert alliances.missing_rights({}, "member") == ["can_invite_users", "can_pin_messages"]
    assert alliances.missing_rights({"can_invite_users": True}, "administrator") == ["can_pin_messages"]


async def test_roles_are_unique_per_alliance(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    assert await alliances.coordinator_count(session, alliance.id) == 1
    assert await session.scalar(select(func.count()).select_from(Role)) == 1
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 1


async def test_alliance_in_context(session: AsyncSession) -> None:
    alliance = await setup_home(session)
    place = await alliances.place_of(session, HOME.tg_chat_id)
    assert (await alliances.alliance_in_context(session, place, 2, private=False,
                                                coordinating=False)).id == alliance.id
    assert (await alliances.alliance_in_context(session, None, 1, private=True,
                                                coordinating=True)).id == alliance.id
    await person(session, 2)
    with pytest.raises(DomainError, match="not_in_alliance"):
        await alliances.alliance_in_context(session, None, 2, private=True, coordinating=False)
    with pytest.raises(DomainError, match="coordinators_only"):
        await alliances.alliance_in_context(session, None, 2, private=True, coordinating=True)
    with pytest.raises(DomainError, match="not_home_chat"):
        await alliances.alliance_in_context(session, None, 1, private=False, coordinating=False)
