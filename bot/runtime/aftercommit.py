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
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "after_commit"  # the session's ``info`` key: actions waiting for its commit
_LAST = "before_commit"  # the session's ``info`` key: statements to add to its transaction


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """``action`` runs (synchronously) right after the session's transaction commits; if it
    rolls back or the session closes without committing, ``action`` is dropped."""
    session.sync_session.info.setdefault(_PENDING, []).append(action)


def before_commit(session: AsyncSession, action: Callable[[Session], None]) -> None:
    """``action`` runs inside the transaction, just before it commits, with the sync session
    (it may execute statements there): what it does stands or falls with the transaction —
    a PostgreSQL ``NOTIFY`` is delivered on the commit and never on a rollback."""
    session.sync_session.info.setdefault(_LAST, []).append(action)


@event.listens_for(Session, "before_commit")
def _run_last(session: Session) -> None:
    for action in session.info.pop(_LAST, ()):
        action(session)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    for action in session.info.pop(_PENDING, ()):
        action()


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # Runs after ``after_commit`` (nothing left then); after a rollback or a close, it drops
    # what the transaction had queued, so a later commit of the same session cannot run it.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_LAST, None)


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
