"""The bot's own place in chats: added, removed, and groups that become supergroups."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message

from bot.i18n import set_locale
from bot.runtime.context import Ctx
from bot.services import alliances
from bot.views import setup as views
from handlers.setup import facts

GROUPS = F.chat.type.in_({"group", "supergroup"})


async def bot_added(event: ChatMemberUpdated, ctx: Ctx) -> None:
    place = await alliances.set_chat_presence(ctx.session, facts(event.chat), True, ctx.now)
    if place.alliance is None:
        await event.answer(views.bot_added_hello())
    else:
        set_locale(place.alliance.locale)


async def bot_removed(event: ChatMemberUpdated, ctx: Ctx) -> None:
    await alliances.set_chat_presence(ctx.session, facts(event.chat), False, ctx.now)


async def migrated_away(message: Message, ctx: Ctx) -> None:
    assert message.migrate_to_chat_id is not None
    await alliances.migrate_chat(ctx.session, message.chat.id, message.migrate_to_chat_id, ctx.now)


async def migrated_here(message: Message, ctx: Ctx) -> None:
    assert message.migrate_from_chat_id is not None
    await alliances.migrate_chat(ctx.session, message.migrate_from_chat_id, message.chat.id, ctx.now)


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="chats")
    router.my_chat_member.register(bot_added, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER), GROUPS)
    router.my_chat_member.register(bot_removed, ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER), GROUPS)
    router.message.register(migrated_away, F.migrate_to_chat_id)
    router.message.register(migrated_here, F.migrate_from_chat_id)
    return router
