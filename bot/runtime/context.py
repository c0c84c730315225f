"""What an update's handlers know about where and by whom they were called.

The update's database session also lives in a context variable so that the FSM storage and the
commit-before-send request middleware join the same transaction as the handler.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.alliances import Place
from bot.services.errors import DomainError
from storage.models import Person, Role

update_session: contextvars.ContextVar[AsyncSession | None] = contextvars.ContextVar(
    "update_session", default=None
)


@dataclass(slots=True)
class Ctx:
    session: AsyncSession
    now: datetime
    locale: str
    person: Person | None
    place: Place | None
    role: Role | None
    anonymous: bool = False
    default_timezone: str = "UTC"

    @property
    def person_id(self) -> int:
        """Who speaks, for an action that needs a person: an anonymous admin (speaking as the
        group) or a channel cannot act for a member, and is refused with ``anonymous``."""
        if self.anonymous or self.person is None:
            raise DomainError("anonymous")
        return self.person.id

    @property
    def speaker_id(self) -> int | None:
        """The id of the person speaking, if a person speaks (for reads that work for anyone)."""
        return self.person.id if self.person is not None else None

    @property
    def alliance_id(self) -> int | None:
        return self.place.alliance.id if self.place and self.place.alliance else None

    @property
    def is_coordinator(self) -> bool:
        return self.role is not None and self.role.role == "coordinator"
