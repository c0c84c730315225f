"""/stats and /scorecard (PRODUCT.md §8): pictures of how the alliance and a member are doing.

``/stats [period]`` answers where it is asked (the group's alliance in a group, one's own in
private), like ``/ledger``, which shows the same figures as a table. ``/scorecard`` is private:
one's own business's card; a coordinator may add a member (``/scorecard Chen Tyres``,
``/scorecard @chen``, ``/scorecard #12``). The picture is drawn in a worker thread so other
updates are served meanwhile.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.runtime.context import Ctx
from bot.services import alliances, stats
from bot.views import charts
from bot.views import stats as views


async def _drawing(message: Message) -> None:
    """Show "sending a photo…" while the picture is drawn. Being a request to Telegram, it
    commits the update's transaction first (CommitBeforeSend): SQLite's write lock is not held
    for the second or so the drawing takes, so other updates go on meanwhile."""
    assert message.bot is not None
    topic = message.message_thread_id if message.is_topic_message else None
    await message.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO,
                                       message_thread_id=topic)


async def stats_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.speaker_id, private=message.chat.type == "private",
        coordinating=False)
    figures = await stats.stats_for(ctx.session, alliance, command.args, ctx.now)
    await _drawing(message)
    png = await asyncio.to_thread(charts.stats_png, figures)
    await message.answer_photo(BufferedInputFile(png, "stats.png"),
                               caption=views.stats_caption(figures))


async def scorecard_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=False)
    member = await stats.whose_card(ctx.session, alliance, ctx.person_id, command.args)
    card = await stats.scorecard(ctx.session, alliance, member, ctx.now)
    await _drawing(message)
    png = await asyncio.to_thread(charts.scorecard_png, card, ctx.now)
    await message.answer_photo(BufferedInputFile(png, "scorecard.png"),
                               caption=views.scorecard_caption(card))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="stats")
    router.message.register(stats_command, Command("stats"))
    router.message.register(scorecard_command, Command("scorecard"), F.chat.type == "private")
    return router
