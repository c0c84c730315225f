"""/setup, /timezone, /here, /link and /charter (PRODUCT.md §1)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Chat, Message

from bot.i18n import set_locale
from bot.runtime.context import Ctx
from bot.services import alliances, setting_changes
from bot.services.alliances import ChatFacts
from bot.services.errors import DomainError
from bot.services.settings import TIMEZONE
from bot.views import setup as views
from bot.views.callbacks import LinkCb, SetupLangCb, SetupZoneCb

GROUP_TYPES = {"group", "supergroup"}
GROUPS = F.chat.type.in_(GROUP_TYPES)


def facts(chat: Chat) -> ChatFacts:
    return ChatFacts(tg_chat_id=chat.id, kind=chat.type, title=chat.title,
                     is_forum=bool(chat.is_forum))


async def _bot_rights(bot: Bot, chat_id: int) -> tuple[list[str], bool]:
    member = await bot.get_chat_member(chat_id, bot.id)
    rights = {name: bool(getattr(member, name, False)) for name in alliances.NEEDED_RIGHTS}
    return alliances.missing_rights(rights, member.status), member.status in ("administrator",
                                                                              "creator")


async def setup_in_private(message: Message) -> None:
    await message.answer(views.setup_in_private())


async def setup(message: Message, bot: Bot, ctx: Ctx) -> None:
    person_id = ctx.person_id
    sender = await bot.get_chat_member(message.chat.id, person_id)
    alliance, created = await alliances.setup(
        ctx.session, chat=facts(message.chat), person_id=person_id,
        sender_is_chat_admin=sender.status in ("creator", "administrator"),
        locale=ctx.locale, timezone=ctx.default_timezone, now=ctx.now)
    text, keyboard = views.setup_language_card(alliance, created)
    await message.answer(text, reply_markup=keyboard)


async def setup_language(query: CallbackQuery, callback_data: SetupLangCb, ctx: Ctx) -> None:
    alliance = await alliances.choose_language(ctx.session, callback_data.alliance_id,
                                               ctx.person_id, callback_data.locale, ctx.now)
    set_locale(alliance.locale)
    text, keyboard = views.setup_zone_card(alliance, ctx.default_timezone)
    await query.answer()
    if query.message is not None:
        await query.message.edit_text(text, reply_markup=keyboard)


async def setup_zone(query: CallbackQuery, callback_data: SetupZoneCb, bot: Bot, ctx: Ctx) -> None:
    alliance = await setting_changes.update(ctx.session, callback_data.alliance_id, ctx.person_id,
                                            TIMEZONE, callback_data.zone, ctx.now)
    await query.answer()
    if query.message is not None:
        missing, is_admin = await _bot_rights(bot, query.message.chat.id)
        await query.message.edit_text(views.setup_done_card(alliance, missing, is_admin))


async def timezone(message: Message, command: CommandObject, ctx: Ctx) -> None:
    if ctx.alliance_id is None or ctx.place is None or ctx.place.chat.role != "home":
        raise DomainError("not_home_chat")
    alliance = await setting_changes.update(ctx.session, ctx.alliance_id, ctx.person_id, TIMEZONE,
                                            command.args or "", ctx.now)
    await message.reply(views.timezone_saved(alliance))


async def here(message: Message, ctx: Ctx) -> None:
    thread = message.message_thread_id if message.is_topic_message else None
    await alliances.set_card_topic(ctx.session, message.chat.id, thread, ctx.person_id, ctx.now)
    await message.reply(views.topic_saved())


async def link(message: Message, ctx: Ctx) -> None:
    person_id = ctx.person_id
    mine = await alliances.coordinated_alliances(ctx.session, person_id)
    if not mine:
        raise DomainError("coordinators_only")
    if len(mine) == 1:
        alliance = await alliances.link_chat(ctx.session, facts(message.chat), mine[0].id,
                                             person_id, ctx.now)
        set_locale(alliance.locale)
        await message.reply(views.linked(alliance))
        return
    text, keyboard = views.link_choice(mine)
    await message.reply(text, reply_markup=keyboard)


async def link_chosen(query: CallbackQuery, callback_data: LinkCb, ctx: Ctx) -> None:
    assert query.message is not None
    alliance = await alliances.link_chat(ctx.session, facts(query.message.chat),
                                         callback_data.alliance_id, ctx.person_id, ctx.now)
    set_locale(alliance.locale)
    await query.answer()
    await query.message.edit_text(views.linked(alliance))


async def charter(message: Message, command: CommandObject, ctx: Ctx) -> None:
    text = command.args
    if not text and message.reply_to_message is not None:
        text = message.reply_to_message.text or message.reply_to_message.caption
    alliance = await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.speaker_id,
        private=message.chat.type == "private", coordinating=bool(text))
    if text:
        alliance = await alliances.set_charter(ctx.session, alliance.id, ctx.person_id, text,
                                               ctx.now)
        await message.reply(views.charter_saved(alliance))
        return
    await message.answer(views.charter_card(alliance))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="setup")
    router.message.register(setup_in_private, Command("setup"), F.chat.type == "private")
    router.message.register(setup, Command("setup"), GROUPS)
    router.callback_query.register(setup_language, SetupLangCb.filter())
    router.callback_query.register(setup_zone, SetupZoneCb.filter())
    router.message.register(timezone, Command("timezone"), GROUPS)
    router.message.register(here, Command("here"), GROUPS)
    router.message.register(link, Command("link"), GROUPS)
    router.callback_query.register(link_chosen, LinkCb.filter(), F.message.chat.type.in_(GROUP_TYPES))
    router.message.register(charter, Command("charter"))
    return router
