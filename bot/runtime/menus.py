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
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import normalize_locale, use_locale
from bot.runtime.context import Ctx
from bot.services import outgoing, people
from bot.views.commands import menu


def menu_languages(default_locale: str) -> dict[str | None, str]:
    """Telegram's language menus: English for everyone, Chinese in the configured script
    (``defaults.locale`` zh_Hant makes the shared "zh" menu Traditional)."""
    chinese = "zh_Hant" if normalize_locale(default_locale) == "zh_Hant" else "zh_Hans"
    return {None: "en", "zh": chinese}


@lru_cache(maxsize=16)
def _commands(locale: str, scope: str) -> tuple[tuple[str, str], ...]:
    with use_locale(locale):
        return tuple((c.command, c.description) for c in menu(scope))


def tag(locale: str) -> str:
    """Names a menu: its language and a digest of every scope's commands, so that a release
    that changes the commands re-sends the menus it had set."""
    digest = hashlib.sha1(repr([_commands(locale, s) for s in ("private", "group",
                                                                "group_admin")]).encode())
    return f"{locale}:{digest.hexdigest()[:12]}"


async def keep_current(session: AsyncSession, ctx: Ctx, *, private: bool,
                       languages: dict[str | None, str]) -> None:
    """Queue the chat's own menu when its language is not the one it sees (see the module)."""
    if private:
        await _person(session, ctx, languages)
    elif ctx.place is not None and ctx.place.alliance is not None and ctx.place.chat.active:
        chat, locale = ctx.place.chat, ctx.place.alliance.locale
        if chat.menu != tag(locale):
            chat.menu = tag(locale)
            for scope, commands in (("chat", "group"), ("chat_administrators", "group_admin")):
                await _queue(session, ctx, chat.tg_chat_id, scope, _commands(locale, commands))


async def _person(session: AsyncSession, ctx: Ctx, languages: dict[str | None, str]) -> None:
    person = ctx.person
    if person is None or not person.started or person.forgotten_at is not None:
        return
    wanted = people.locale_of(person)
    if person.menu == tag(wanted):
        return
    client = (person.language_code or "")[:2].lower()
    if person.menu is None and languages.get(client, languages[None]) == wanted:
        return  # the language menus already show the right one
    person.menu = tag(wanted)
    await _queue(session, ctx, person.id, "chat", _commands(wanted, "private"))


async def _queue(session: AsyncSession, ctx: Ctx, chat_id: int, scope: str,
                 commands: tuple[tuple[str, str], ...]) -> None:
    await outgoing.enqueue_menu(
        session, chat_id, scope, [{"command": name, "description": text[:256]}
                                  for name, text in commands], now=ctx.now,
        alliance_id=ctx.place.alliance.id if ctx.place and ctx.place.alliance else None)
