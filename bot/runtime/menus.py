"""Command menus in each chat's own language.

``setMyCommands`` takes a two-letter language code, so every Chinese client shares one "zh"
menu: Simplified by default, although a Taiwanese shop owner reads Traditional. Telegram also
offers per-chat scopes, which win over the language menus. So a person whose language is not
what their client's default menu shows (a zh_Hant reader, or anyone who chose another language
with /lang) gets a menu for their private chat, and each alliance group gets one in the
alliance's language (for everyone, and for its administrators), as the bot's replies there
are. Each is queued through the outbox, so Telegram's limits hold, once per language and set
of commands: the row remembers which menu it last asked for.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import normalize_locale, use_locale
from bot.runtime.context import Ctx
from bot.services import outgoing, people
from bot.views.commands import menu
from storage.models import Alliance, Chat, Person


def menu_languages(default_locale: str) -> dict[str | None, str]:
    """Telegram's language menus: English for everyone, Chinese in the configured script
    (``defaults.locale`` zh_Hant makes the shared "zh" menu Traditional)."""
    chinese = "zh_Hant" if normalize_locale(default_locale) == "zh_Hant" else "zh_Hans"
    return {None: "en", "zh": chinese}


@lru_cache(maxsize=16)
def _commands(locale: str, scope: str) -> tuple[tuple[str, str], ...]:
    with use_locale(locale):
        return tuple((c.command, c.description) for c in menu(scope))


@lru_cache(maxsize=16)
def tag(locale: str) -> str:
    """Names a menu: its language and a digest of every scope's commands, so that a release
    that changes the commands re-sends the menus it had set."""
    digest = hashlib.sha1(repr([_commands(locale, s) for s in ("private", "group",
                                                                "group_admin")]).encode())
    return f"{locale}:{digest.hexdigest()[:12]}"


def stale(ctx: Ctx, *, private: bool, languages: dict[str | None, str]) -> bool:
    """Whether this chat's own menu is missing or out of date (in memory, no query)."""
    if private:
        return _person_menu(ctx.person, languages) is not None
    place = ctx.place
    return (place is not None and place.alliance is not None and place.chat.active
            and place.chat.menu != tag(place.alliance.locale))


def _person_menu(person: Person | None, languages: dict[str | None, str]) -> str | None:
    """The locale of the menu a person's private chat needs, or None if it has the right one."""
    if (person is None or not person.started or person.forgotten_at is not None
            or person.blocked_at is not None):
        return None
    wanted = people.locale_of(person)
    if person.menu == tag(wanted):
        return None
    client = (person.language_code or "")[:2].lower()
    if person.menu is None and languages.get(client, languages[None]) == wanted:
        return None  # the language menus already show the right one
    return wanted


async def refresh(session: AsyncSession, now: datetime, *, person_id: int | None = None,
                  chat_id: int | None = None, languages: dict[str | None, str]) -> None:
    """Queue the chat's own menu in a transaction of its own, begun in the update's session
    once the update's transaction has committed: a menu that cannot be queued now is queued on
    a later update, and what the person did is never undone for it. The person is usually still
    in the session's identity map, so this costs no read; the commit wakes the outbox."""
    if person_id is not None:
        person = await session.get(Person, person_id)
        locale = _person_menu(person, languages)
        if person is None or locale is None:
            return
        person.menu = tag(locale)
        await _queue(session, now, person.id, None, "chat", _commands(locale, "private"))
    elif chat_id is not None:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == chat_id))
        alliance = await session.get(Alliance, chat.alliance_id) if chat and chat.alliance_id else None
        if chat is None or alliance is None or chat.menu == tag(alliance.locale):
            return
        chat.menu = tag(alliance.locale)
        for scope, commands in (("chat", "group"), ("chat_administrators", "group_admin")):
            await _queue(session, now, chat_id, alliance.id, scope,
                         _commands(alliance.locale, commands))
    else:
        return
    await session.commit()


async def _queue(session: AsyncSession, now: datetime, chat_id: int, alliance_id: int | None,
                 scope: str, commands: tuple[tuple[str, str], ...]) -> None:
    await outgoing.enqueue_menu(
        session, chat_id, scope, [{"command": name, "description": text[:256]}
                                  for name, text in commands], now=now, alliance_id=alliance_id)
