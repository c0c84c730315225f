"""aiogram FSM storage in our own database, so a wizard half-way done survives a restart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.context import update_session
from storage.models import FsmRecord


class SqlStorage(BaseStorage):
    """Inside an update, state changes join the update's own transaction.

    That makes a wizard step and its effects one commit, and avoids a second connection waiting
    on the write lock the update already holds (SQLite would stall until its busy timeout).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    def record_key(self, key: StorageKey) -> str:
        """The primary key of ``key``'s row in ``fsm_states``."""
        return self.keys.build(key)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        joined = update_session.get()
        if joined is not None:
            await self._write(joined, key, values)
            await joined.flush()
            return
        async with self.sessions() as session:
            await self._write(session, key, values)
            await session.commit()

    async def _write(self, session: AsyncSession, key: StorageKey, values: dict[str, Any]) -> None:
        record = await session.get(FsmRecord, self.keys.build(key))
        if record is None:
            record = FsmRecord(key=self.keys.build(key), state=None, data={})
            session.add(record)
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_at = datetime.now(UTC)
        if record.state is None and not record.data:
            if record in session.new:
                session.expunge(record)
            else:
                await session.delete(record)

    async def _read(self, key: StorageKey) -> FsmRecord | None:
        joined = update_session.get()
        if joined is not None:
            return await joined.get(FsmRecord, self.keys.build(key))
        async with self.sessions() as session:
            return await session.get(FsmRecord, self.keys.build(key))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._read(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(key)
        return dict(record.data) if record else {}

    async def clear_all(self) -> None:
        async with self.sessions() as session:
            await session.execute(delete(FsmRecord))
            await session.commit()

    async def close(self) -> None:
        return None


# -- forms left half-way -------------------------------------------------------------------------
# Some forms hold people's data (a customer's contact in /refer) and must not outlive their use.
# The form is named by its StatesGroup, never by a string, so renaming it cannot silently stop
# the purge.


async def forms_in_progress(session: AsyncSession, form: type[StatesGroup],
                            touched_before: datetime | None = None) -> list[tuple[str, datetime]]:
    """The storage keys of ``form`` under way (untouched since ``touched_before``, if given),
    and when each was last touched."""
    query = (select(FsmRecord.key, FsmRecord.updated_at)
             .where(FsmRecord.state.in_(form.__state_names__)))
    if touched_before is not None:
        query = query.where(FsmRecord.updated_at < touched_before)
    rows = await session.execute(query)
    return [(key, updated_at) for key, updated_at in rows]


async def drop_abandoned(session: AsyncSession, key: str, form: type[StatesGroup],
                         older_than: datetime) -> bool:
    """Forget ``key``'s form, data and all, if it is still ``form`` untouched since
    ``older_than`` (a step taken meanwhile keeps it)."""
    record = await session.get(FsmRecord, key)
    if record is None or record.state not in form.__state_names__:
        return False
    if record.updated_at > older_than:
        return False
    await session.delete(record)
    return True
