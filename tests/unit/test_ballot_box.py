"""The ballot box on both engines: presses arriving together share one transaction, a
re-delivered update counts once, and a press the database cannot take fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.effects.decisions import after_count
from bot.runtime.ballot_box import BallotBox
from bot.runtime.cards import CardEditor
from bot.runtime.clock import FakeClock
from bot.runtime.scheduler import Scheduler
from bot.services import tally
from bot.services.ballots import Press
from storage.models import Ballot, ProcessedUpdate
from tests.conftest import NOW
from tests.unit.factories import open_one, roster

TOKEN = "7000009:UNIT-ballot-box-token"  # parsed for the bot's id; nothing is sent


@pytest.fixture
async def box(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[BallotBox]:
    bot = Bot(TOKEN)
    clock = FakeClock(NOW)
    cards = CardEditor(bot, sessions, interval=0.05)
    scheduler = Scheduler(sessions, clock, bot=bot, cards=cards)
    box = BallotBox(sessions, clock, bot=bot, default_locale="en")
    box.on_counted(after_count(cards=cards, scheduler=scheduler, bot=bot))
    yield box
    await cards.close()
    await bot.session.close()


async def test_presses_together_share_a_transaction_and_a_copy_counts_once(
        sessions: async_sessionmaker[AsyncSession], box: BallotBox) -> None:
    async with sessions() as session:
        persons = await roster(session, 8)
        proposal_id = await open_one(session)
    counted = await asyncio.gather(*[
        box.cast(1000 + index, Press(proposal_id, person, tally.YES if index % 2 else tally.NO))
        for index, [person] in enumerate(persons[:6])], box.cast(1003, Press(
            proposal_id, persons[3][0], tally.NO)))  # Telegram sent update 1003 twice
    assert box.batches == 1
    assert [c.choices if c else None for c in counted] == [
        {tally.NO}, {tally.YES}, {tally.NO}, {tally.YES}, {tally.NO}, {tally.YES}, None]
    again = await box.cast(1003, Press(proposal_id, persons[3][0], tally.NO))
    assert again is None and box.batches == 2
    async with sessions() as session:
        rows = dict((await session.execute(select(Ballot.member_id, Ballot.choices))).all())
        assert rows == {1: "1", 2: "0", 3: "1", 4: "0", 5: "1", 6: "0"}


async def test_a_press_the_database_cannot_take_fails_alone(
        sessions: async_sessionmaker[AsyncSession], box: BallotBox) -> None:
    async with sessions() as session:
        persons = await roster(session, 4)
        proposal_id = await open_one(session)
    too_big = 2**64  # no update id fits: the driver refuses the whole batch's claim
    results = await asyncio.gather(
        box.cast(1, Press(proposal_id, persons[0][0], tally.YES)),
        box.cast(too_big, Press(proposal_id, persons[1][0], tally.YES)),
        box.cast(2, Press(proposal_id, persons[2][0], tally.NO)), return_exceptions=True)
    assert isinstance(results[1], Exception)
    assert [r.choices for r in (results[0], results[2]) if not isinstance(r, BaseException)] == [
        {tally.YES}, {tally.NO}]
    async with sessions() as session:
        rows = dict((await session.execute(select(Ballot.member_id, Ballot.choices))).all())
        claims = set(await session.scalars(select(ProcessedUpdate.update_id)))
    assert rows == {1: "0", 3: "1"} and claims == {1, 2}
    assert box.is_idle()
