"""Wizard state in Redis (``[fsm] storage = "redis"``): aiogram's own RedisStorage, its writes
held until the update's transaction commits.

With the database storage a wizard step and its effects are one commit. Redis cannot join that
transaction, so the order is chosen to lose the least: a step's state is written to Redis only
after the update's database transaction has committed, and never when it rolls back (a refusal,
a failing handler, a failed commit leave the wizard where it was, as the database storage does).
A crash between the commit and the Redis write leaves the wizard one step behind its effects:
the person is asked that step again (the update itself is claimed and not handled twice).
Written before the commit instead, a rolled-back step would leave the wizard ahead of what was
stored — a draft lost or a step skipped on every refusal, not only on a crash.

Every state and data key expires ``ttl`` after the wizard's last step: a form left half-way
(a customer's contact in /refer) does not outlive its use, as the database storage's purge job
guarantees there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from bot.runtime.aftercommit import spawn_after_commit
from bot.runtime.context import update_session

if TYPE_CHECKING:  # redis is imported only when it stores the state (``redis_fsm``)
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

log = logging.getLogger(__name__)

_HELD = "fsm_held"  # the session's ``info`` key: drafts changed in its open transaction
_COMMITTED = "fsm_committed"  # drafts whose transaction committed, waiting for the Redis write
_PARTS = ("state", "data")  # never "lock": the /forget press's own update holds its chat's


@dataclass(slots=True)
class _Draft:
    state: str | None
    data: dict[str, Any] = field(default_factory=dict)


def redis_fsm(url: str, prefix: str, ttl: timedelta) -> tuple[HeldRedisStorage, RedisEventIsolation]:
    """The storage and the isolation for ``url``: one connection pool, one key builder (keys
    ``<prefix>:<bot>:<chat>:<user>:<destiny>:state|data|lock``)."""
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
    from redis.asyncio import Redis

    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_transaction_end", _dropped)
    redis = Redis.from_url(url)
    keys = DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)
    storage = RedisStorage(redis, key_builder=keys, state_ttl=ttl, data_ttl=ttl)
    return HeldRedisStorage(storage), RedisEventIsolation(redis, key_builder=keys)


class HeldRedisStorage(BaseStorage):
    """Outside an update (a batched press, a job) it writes at once; inside one, it holds the
    step's state and data (read back by the same update) until ``write_committed``."""

    def __init__(self, redis: RedisStorage) -> None:
        self.redis = redis

    @staticmethod
    def _held() -> dict[StorageKey, _Draft] | None:
        session = update_session.get()
        return None if session is None else session.sync_session.info.setdefault(_HELD, {})

    @staticmethod
    def _earlier(key: StorageKey) -> _Draft | None:
        """What this update wrote for ``key`` in a transaction already committed (a handler's
        message commits mid-update) but not yet written to Redis: newer than Redis."""
        session = update_session.get()
        if session is None:
            return None
        return session.sync_session.info.get(_COMMITTED, {}).get(key)

    async def _draft(self, held: dict[StorageKey, _Draft], key: StorageKey) -> _Draft:
        if key not in held:
            earlier = self._earlier(key)
            held[key] = (_Draft(earlier.state, dict(earlier.data)) if earlier is not None else
                         _Draft(await self.redis.get_state(key), await self.redis.get_data(key)))
        return held[key]

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        held = self._held()
        if held is None:
            await self.redis.set_state(key, value)
            return
        (await self._draft(held, key)).state = value

    async def get_state(self, key: StorageKey) -> str | None:
        held = self._held()
        if held and key in held:
            return held[key].state
        if (earlier := self._earlier(key)) is not None:
            return earlier.state
        return await self.redis.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        held = self._held()
        if held is None:
            await self.redis.set_data(key, data)
            return
        (await self._draft(held, key)).data = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = self._held()
        if held and key in held:
            return dict(held[key].data)
        if (earlier := self._earlier(key)) is not None:
            return dict(earlier.data)
        return await self.redis.get_data(key)

    async def write_committed(self, session: AsyncSession) -> None:
        """Write what the session's committed transactions changed (in the update's lock, so the
        wizard's next update reads it). A failure is logged: the wizard stays a step behind."""
        committed: dict[StorageKey, _Draft] = session.sync_session.info.pop(_COMMITTED, {})
        for key, draft in committed.items():
            try:
                await self.redis.set_state(key, draft.state)
                await self.redis.set_data(key, draft.data)
            except Exception as error:
                log.error("wizard state not written to Redis: %s", type(error).__name__,
                          exc_info=error)

    async def forget_person(self, person_id: int, scrub: Callable[[Any], Any]) -> None:
        """/forget: the person's own drafts (their id as the chat or the user) go; any other
        draft quoting them is rewritten by ``scrub``."""
        redis = self.redis.redis
        prefix = f"{self.redis.key_builder.prefix}:"  # type: ignore[attr-defined]
        async for raw in redis.scan_iter(match=f"{prefix}*", count=500):
            name = raw.decode() if isinstance(raw, bytes) else raw
            parts = name.removeprefix(prefix).split(":")
            if parts[-1] not in _PARTS:
                continue
            if str(person_id) in parts[1:-2]:  # <bot>:<chat>[:<thread>]:<user>:<destiny>:<part>
                await redis.delete(name)
            elif parts[-1] == "data":
                value = await redis.get(name)
                if value is None:
                    continue
                data = json.loads(value)
                cleaned = scrub(data)
                if cleaned != data:
                    await redis.set(name, json.dumps(cleaned), keepttl=True)

    async def ping(self) -> None:
        """At start: a Redis that does not answer stops the start with one line naming the
        key, instead of every update failing."""
        from redis.exceptions import RedisError

        try:
            await self.redis.redis.ping()
        except RedisError as error:
            raise ConnectionError(f"fsm.redis_url: Redis does not answer: {error}") from None

    async def close(self) -> None:
        await self.redis.close()


def forget_after_commit(session: AsyncSession, storage: BaseStorage, person_id: int,
                        scrub: Callable[[Any], Any]) -> None:
    """/forget's erasure of the drafts held in Redis, once the erasure in the database commits
    (in the database storage the drafts are rows, erased in the same transaction). A crash in
    between leaves them until they expire."""
    if isinstance(storage, HeldRedisStorage):
        spawn_after_commit(session, lambda: storage.forget_person(person_id, scrub))


def _committed(session: Session) -> None:
    held = session.info.pop(_HELD, None)
    if held:
        session.info.setdefault(_COMMITTED, {}).update(held)


def _dropped(session: Session, transaction: SessionTransaction) -> None:
    # After a commit nothing is left here; after a rollback the step's drafts go with it.
    if transaction.parent is None:
        session.info.pop(_HELD, None)
