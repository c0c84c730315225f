"""Wizard state in the real Redis is written only once the update's transaction commits: a step
that rolls back leaves the wizard where it was, as the database storage does; the same update
reads back what it wrote meanwhile."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.context import update_session
from bot.runtime.redis_fsm import HeldRedisStorage, redis_fsm
from tests.conftest import REDIS_URL, needs_redis

pytestmark = needs_redis

KEY = StorageKey(bot_id=7000003, chat_id=42, user_id=42)


async def test_state_is_written_after_the_commit_and_never_on_a_rollback(
        sessions: async_sessionmaker[AsyncSession], redis_prefix: str) -> None:
    storage, isolation = redis_fsm(REDIS_URL, redis_prefix, timedelta(hours=1))
    try:
        async with sessions() as session:  # a step that is refused: rolled back
            token = update_session.set(session)
            try:
                await session.execute(text("SELECT 1"))
                await storage.set_state(KEY, "Propose:body")
                await storage.set_data(KEY, {"title": "Rota"})
                assert await storage.get_state(KEY) == "Propose:body"  # read back, held
                assert await storage.redis.get_state(KEY) is None  # not in Redis yet
                await session.rollback()
            finally:
                update_session.reset(token)
            await storage.write_committed(session)
        assert await storage.get_state(KEY) is None
        assert await storage.get_data(KEY) == {}

        async with sessions() as session:  # the same step, committed
            token = update_session.set(session)
            try:
                await session.execute(text("SELECT 1"))
                await storage.set_state(KEY, "Propose:body")
                await storage.update_data(KEY, {"title": "Rota"})
                await session.commit()
                assert await storage.redis.get_state(KEY) is None  # still in the update's lock
            finally:
                update_session.reset(token)
            await storage.write_committed(session)
        assert await storage.get_state(KEY) == "Propose:body"
        assert await storage.get_data(KEY) == {"title": "Rota"}
        async with isolation.lock(KEY):  # aiogram's Redis lock, on the same keys
            await storage.set_state(KEY, None)  # outside an update: written at once
            await storage.set_data(KEY, {})
        assert await storage.redis.get_state(KEY) is None
    finally:
        await storage.close()


async def test_a_second_replica_waits_for_the_first_and_reads_the_state_it_left(
        sessions: async_sessionmaker[AsyncSession], redis_prefix: str) -> None:
    """Two replicas (two storages and locks on one Redis), one wizard's two updates at once:
    the second waits for the first's lock, which the first holds until its state is written."""
    replicas = [redis_fsm(REDIS_URL, redis_prefix, timedelta(hours=1)) for _ in range(2)]
    (first, first_lock), (second, second_lock) = replicas
    await first.set_state(KEY, "Propose:title")
    first_holds = asyncio.Event()

    async def step(storage: HeldRedisStorage, lock: BaseEventIsolation, answer: str,
                   holds: asyncio.Event | None) -> str | None:
        async with lock.lock(KEY), sessions() as session:
            token = update_session.set(session)
            try:
                await session.execute(text("SELECT 1"))
                seen = await storage.get_state(KEY)
                if holds is not None:
                    holds.set()
                    await asyncio.sleep(0.5)  # the other replica's update arrives meanwhile
                await storage.set_state(KEY, answer)
                await session.commit()
            finally:
                update_session.reset(token)
            await storage.write_committed(session)
            return seen

    try:
        running = asyncio.create_task(step(first, first_lock, "Propose:body", first_holds))
        await first_holds.wait()
        assert await step(second, second_lock, "Propose:kind", None) == "Propose:body"
        assert await running == "Propose:title"
        assert await first.get_state(KEY) == "Propose:kind"
    finally:
        for storage, _lock in replicas:
            await storage.close()


async def test_a_step_that_sends_a_message_midway_keeps_what_it_wrote_before(
        sessions: async_sessionmaker[AsyncSession], redis_prefix: str) -> None:
    """A handler writes data, sends a message (which commits the update's transaction), then
    reads and moves the state: what it wrote before the message is read back and reaches Redis,
    not the state Redis held before the update (a join request resuming the questionnaire)."""
    storage, _isolation = redis_fsm(REDIS_URL, redis_prefix, timedelta(hours=1))
    try:
        await storage.set_state(KEY, "Apply:name")
        await storage.set_data(KEY, {"alliance_id": 7})
        async with sessions() as session:
            token = update_session.set(session)
            try:
                await session.execute(text("SELECT 1"))
                await storage.update_data(KEY, {"join_chat_id": -100})
                await session.commit()  # a message sent: committed before it goes
                assert await storage.get_data(KEY) == {"alliance_id": 7, "join_chat_id": -100}
                await session.execute(text("SELECT 1"))
                await storage.set_state(KEY, "Apply:region")
                await session.commit()
            finally:
                update_session.reset(token)
            await storage.write_committed(session)
        assert await storage.redis.get_state(KEY) == "Apply:region"
        assert await storage.redis.get_data(KEY) == {"alliance_id": 7, "join_chat_id": -100}
    finally:
        await storage.close()
