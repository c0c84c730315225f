"""Two updates of one wizard handled at once by two replicas (PostgreSQL): the second waits for
the first's commit and reads the state it left, instead of running the step from the same one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import updates
from storage.models import FsmRecord
from tests.conftest import NOW, needs_pg

BOT = 7000002
KEY = "fsm:7000002:42:42:default"


@needs_pg
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_second_update_of_a_wizard_reads_the_state_the_first_left(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        session.add(FsmRecord(key=KEY, state="Propose:title", data={}, updated_at=NOW))
        await session.commit()
    async with sessions() as first, sessions() as second:
        assert await updates.claim_reading_state(first, BOT, 1, NOW, KEY) == (True, "Propose:title")
        waiting = asyncio.create_task(updates.claim_reading_state(second, BOT, 2, NOW, KEY))
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the second update ran the step alongside the first"
        record = await first.get(FsmRecord, KEY)
        assert record is not None
        record.state = "Propose:body"
        await first.commit()
        assert await asyncio.wait_for(waiting, 10) == (True, "Propose:body")
        await second.commit()
    async with sessions() as session:  # a chat in no wizard takes no lock: nothing waits
        assert await updates.claim_reading_state(session, BOT, 3, NOW, "fsm:none") == (True, None)
