"""/start (with deep-link payloads), /help and /lang."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.i18n import set_locale, use_locale
from bot.runtime.context import Ctx
from bot.runtime.replies import plain, refuse
from bot.services import alliances, people
from bot.services.errors import DomainError
from bot.services.help import audience
from bot.views import common
from bot.views.callbacks import LangCb
from bot.views.commands import help_text


async def unknown_link(message: Message, ctx: Ctx) -> None:
    """A ``t.me/<bot>?start=<payload>`` no feature's router took (each routes its own kind with
    ``CommandStart(deep_link=True, magic=F.args.startswith("<kind>-"))``)."""
    await refuse(message, DomainError("bad_link"))
    await start(message, ctx)


async def start(message: Message, ctx: Ctx) -> None:
    memberships = await alliances.roles_of(ctx.session, ctx.person.id) if ctx.person else []
    await message.answer(common.start_text(message.from_user.first_name if message.from_user
                                           else None, bool(memberships)))


async def help_command(message: Message, ctx: Ctx) -> None:
    who = await audience(ctx.session, ctx.speaker_id, ctx.place,
                         private=message.chat.type == "private")
    await message.answer(help_text(who))


async def lang(message: Message, ctx: Ctx) -> None:
    current = people.locale_of(ctx.person)
    await message.reply(common.language_prompt(message.chat.type != "private"),
                        reply_markup=common.language_keyboard(current))


async def lang_chosen(query: CallbackQuery, callback_data: LangCb, ctx: Ctx) -> None:
    if ctx.person is None:
        await refuse(query, DomainError("unknown_person"))
        return
    person = await people.set_locale(ctx.session, ctx.person.id, callback_data.locale, ctx.now)
    if query.message is not None and query.message.chat.type == "private":
        set_locale(person.locale)
        await query.answer()
        await query.message.edit_text(common.language_chosen(callback_data.locale))
    else:
        # In a group the picker stays for others; the chooser alone sees the confirmation.
        with use_locale(person.locale):
            await query.answer(plain(common.language_chosen(callback_data.locale)))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="start")
    router.message.register(unknown_link, CommandStart(deep_link=True), F.chat.type == "private")
    router.message.register(start, CommandStart(), F.chat.type == "private")
    router.message.register(help_command, Command("help"))
    router.message.register(lang, Command("lang"))
    router.callback_query.register(lang_chosen, LangCb.filter())
    return router
