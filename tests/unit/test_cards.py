"""Card edits shared by replicas: one edit of a card per slot, whichever replica makes it;
the slots' claims kept for an hour only."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.emulator import Emulator, FloodLimits, World
from bot.runtime.cards import CardEdit, CardEditor, Renderer
from bot.services import job_runs
from storage.models import JobRun
from tests.emulator.helpers import TOKEN, USERNAME, make_bot

INTERVAL = 1.0


async def test_two_replicas_edit_a_card_once_a_slot(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    emulator = Emulator(token=TOKEN, bot_username=USERNAME, flood=FloodLimits.off())
    await emulator.start()
    bot = make_bot(emulator)
    world = World(emulator)
    group = world.group("Alliance", members=[world.user("Lin")], bot=True)
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Yes", callback_data="v")]])
    sent = await bot.send_message(group.id, "0 votes", reply_markup=keyboard)
    renders: list[str] = []

    def renderer(replica: str) -> Renderer:
        async def render(_session: AsyncSession) -> CardEdit:
            renders.append(replica)
            return CardEdit(group.id, sent.message_id, "1 vote", keyboard)
        return render

    replicas = {name: CardEditor(bot, sessions, interval=INTERVAL, shared=True)
                for name in ("a", "b")}
    try:
        await asyncio.sleep(INTERVAL - time.time() % INTERVAL)  # at the start of a slot
        for name, editor in replicas.items():  # both handled a press on the card
            editor.touch_now("proposal:1", renderer(name))
        await asyncio.sleep(INTERVAL / 3)
        assert len(renders) == 1 and len(emulator.calls_to("editMessageText")) == 1
        await asyncio.gather(*(editor.close() for editor in replicas.values()))
        # The other renders in the next slot (it cannot know the first saw its change).
        assert sorted(renders) == ["a", "b"]
    finally:
        await bot.session.close()
        await emulator.stop()


async def test_slot_claims_go_within_the_hour_job_runs_stay(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    now = datetime.now(UTC)
    async with sessions() as session:
        for job_id, ago in (("slot:card:proposal:1", timedelta(hours=2)),
                            ("slot:card:proposal:1", timedelta(minutes=5)),
                            ("proposal.close:1", timedelta(hours=2))):
            assert await job_runs.claim(session, job_id, now - ago, now - ago)
        assert await job_runs.prune(session, now) == 1
        await session.commit()
        left = (await session.execute(select(JobRun.job_id, JobRun.ran_at)
                                      .order_by(JobRun.job_id))).all()
    assert [job_id for job_id, _ in left] == ["proposal.close:1", "slot:card:proposal:1"]
