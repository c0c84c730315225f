"""/forget (PRODUCT.md §2): in private, a confirmation (erase / keep), then the erasure.

The prompt carries no state: the press is the confirmation, so a restart between the two
changes nothing, and everything is checked again on the press.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import use_locale
from bot.runtime.context import Ctx
from bot.runtime.redis_fsm import forget_after_commit
from bot.runtime.replies import plain
from bot.services import people, privacy
from bot.views import privacy as views
from bot.views.privacy import ForgetCb


async def forget(message: Message, ctx: Ctx) -> None:
    await privacy.check(ctx.session, ctx.person_id)
    text, keyboard = views.confirm()
    await message.answer(text, reply_markup=keyboard)


async def chosen(query: CallbackQuery, callback_data: ForgetCb, ctx: Ctx,
                 state: FSMContext) -> None:
    if query.message is None or query.message.chat.id != query.from_user.id:
        with use_locale(people.locale_of(ctx.person)):  # a group's press: the presser's words
            await query.answer(plain(views.private_only()), show_alert=True)
        return
    if callback_data.erase:
        result = await privacy.forget(ctx.session, ctx.person_id, ctx.now)
        forget_after_commit(ctx.session, state.storage, ctx.person_id, result.scrub)
        text = views.erased(result.members_left)
    else:
        text = views.kept()
    await query.answer()
    await query.message.edit_text(text)


def setup_router() -> Router:
    router = Router(name="privacy")
    router.message.register(forget, Command("forget"), F.chat.type == "private")
    router.callback_query.register(chosen, ForgetCb.filter())
    return router
