"""Run something once the update's transaction has committed, never before and never on rollback.

Arming a job or refreshing a card from inside a handler would otherwise race the commit: the
job or the card would read the database before the change it is about is visible, act on the
old state, and (a job) be marked done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """``action`` runs (synchronously) right after the session's next commit, once."""

    def fire(_session: Any) -> None:
        action()

    event.listen(session.sync_session, "after_commit", fire, once=True)


_tasks: set[asyncio.Task[Any]] = set()


def spawn_after_commit(session: AsyncSession,
                       work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Start ``work`` once the session commits: Telegram calls that must follow a decision made
    inside a job or a hook, where talking to Telegram before the commit would announce what could
    still roll back. The task is tracked so a graceful stop (and a test) can wait for it."""

    def start() -> None:
        task = asyncio.get_running_loop().create_task(_logged(work()))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    after_commit(session, start)


async def _logged(work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception as error:
        log.error("after-commit work failed: %s", type(error).__name__, exc_info=error)


def busy() -> bool:
    return bool(_tasks)


async def drain() -> None:
    if _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)
