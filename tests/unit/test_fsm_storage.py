"""Wizard state lives in the database: a new storage object (a restarted bot) sees it."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.context import update_session
from bot.runtime.fsm_storage import SqlStorage

KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)


async def test_state_and_data_survive_a_new_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    first = SqlStorage(sessions)
    await first.set_state(KEY, "Join:contact")
    await first.set_data(KEY, {"name": "Lin's Garage", "step": 4})
    second = SqlStorage(sessions)
    assert await second.get_state(KEY) == "Join:contact"
    assert await second.get_data(KEY) == {"name": "Lin's Garage", "step": 4}
    await second.set_state(KEY, None)
    await second.set_data(KEY, {})
    assert await first.get_state(KEY) is None
    assert await first.get_data(KEY) == {}


async def test_inside_an_update_it_joins_the_update_transaction(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    storage = SqlStorage(sessions)
    async with sessions() as session:
        token = update_session.set(session)
        try:
            await storage.set_state(KEY, "Refer:need")
            assert await storage.get_state(KEY) == "Refer:need"
            await session.rollback()  # the handler failed: its step must not stick
        finally:
            update_session.reset(token)
    assert await storage.get_state(KEY) is None
