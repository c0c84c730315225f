"""Run something once the update's transaction has committed, never before and never on rollback.

Arming a job or refreshing a card from inside a handler would otherwise race the commit: the
job or the card would read the database before the change it is about is visible, act on the
old state, and (a job) be marked done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """``action`` runs (synchronously) right after the session's next commit, once."""

    def fire(_session: Any) -> None:
        action()

    event.listen(session.sync_session, "after_commit", fire, once=True)
