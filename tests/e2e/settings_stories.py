"""Openings for the /settings stories: an alliance with a coordinator (Lin) and a plain member
(Chen), the menu opened through the group's deep link, and what the database holds after."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.emulator import ChatMessage, SimChat, SimUser
from bot.i18n import catalogs, use_locale
from bot.services.errors import DomainError
from bot.views.errors import error_text
from storage.models import Alliance as AllianceRow
from storage.models import AuditEntry
from tests.e2e.harness import Harness
from tests.e2e.stories import seed_member, setup_group

PEOPLE_LANG = {"en": "en", "zh_Hant": "zh-hant", "zh_Hans": "zh-hans"}
GROUP_LANG = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}


def t(locale: str, message: str) -> str:
    """A label as a person speaking ``locale`` sees it."""
    return catalogs().get(locale).gettext(message)


def said(locale: str, code: str, **params: object) -> str:
    """A refusal as the person reads it (plain text), in their language."""
    with use_locale(locale):
        return html.unescape(error_text(DomainError(code, **params)))


@dataclass
class Alliance:
    harness: Harness
    locale: str
    group: SimChat
    lin: SimUser  # coordinator
    chen: SimUser  # a plain member
    id: int

    def t(self, message: str) -> str:
        return t(self.locale, message)

    def said(self, code: str, **params: object) -> str:
        return said(self.locale, code, **params)


async def alliance(harness: Harness, locale: str = "en") -> Alliance:
    lin, chen, group = await setup_group(harness, PEOPLE_LANG[locale],
                                         language_button=GROUP_LANG[locale])
    await seed_member(harness, group, lin, name="Lin Garage", coordinator=True)
    await seed_member(harness, group, chen, name="Chen Tyres")
    row = await stored(harness)
    return Alliance(harness, locale, group, lin, chen, row.id)


async def open_menu(a: Alliance) -> ChatMessage:
    """Lin sends /settings in the group and follows the deep link it answers with."""
    world = a.harness.world
    await a.harness.say(a.lin, a.group, "/settings")
    [[button]] = world.last(a.group).button_rows
    assert button.url is not None and button.url.endswith(f"?start=settings-{a.id}")
    await a.harness.say(a.lin, a.lin, f"/start settings-{a.id}")
    return world.last(a.lin)


async def choose(a: Alliance, setting: str, choice: str) -> ChatMessage:
    """From the menu (the last private message), a setting's page, then one of its choices."""
    world = a.harness.world
    await a.lin.press(world.last(a.lin), a.t(setting))
    await a.lin.press(world.last(a.lin), choice)
    return world.last(a.lin)


async def type_value(a: Alliance, setting: str, text: str) -> ChatMessage:
    """From the menu, a setting's page, "Type a value" and ``text``."""
    world = a.harness.world
    await a.lin.press(world.last(a.lin), a.t(setting))
    await a.lin.press(world.last(a.lin), a.t("✏ Type a value"))
    await a.harness.say(a.lin, a.lin, text)
    return world.last(a.lin)


async def back_to_menu(a: Alliance) -> ChatMessage:
    await a.lin.press(a.harness.world.last(a.lin), a.t("◀ All settings"))
    return a.harness.world.last(a.lin)


async def stored(harness: Harness, name: str | None = None) -> AllianceRow:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        query = select(AllianceRow).order_by(AllianceRow.id)
        if name is not None:
            query = query.where(AllianceRow.name == name)
        return (await session.scalars(query)).first()


async def audit_actions(harness: Harness) -> list[tuple[str, Any]]:
    """The audit log's settings entries, oldest first: (action, details)."""
    assert harness.app is not None
    async with harness.app.sessions() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.action, row.details) for row in rows
                if row.action.startswith(("settings.", "alliance.language", "alliance.timezone"))]
