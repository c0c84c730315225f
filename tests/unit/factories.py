"""Service-level openings the unit tests share: a roster on a fresh database, a proposal open."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances, decisions, people
from bot.services.alliances import ChatFacts
from bot.services.people import Speaker
from storage.models import Alliance, Member, Role
from tests.conftest import NOW

HOME = ChatFacts(tg_chat_id=-1001, kind="supergroup", title="Repair Alliance")


async def roster(session: AsyncSession, members: int, *, people_each: int = 1) -> list[list[int]]:
    """Person 1 coordinates; members 1..n each have ``people_each`` persons (ids 100·m + k)."""
    await people.touch(session, Speaker(id=1, first_name="Lin"), NOW)
    await alliances.setup(session, chat=HOME, person_id=1, sender_is_chat_admin=True,
                          locale="en", timezone="Asia/Taipei", now=NOW)
    persons = []
    for m in range(1, members + 1):
        member = Member(alliance_id=1, name=f"Shop {m}", status="active", created_at=NOW,
                        updated_at=NOW)
        session.add(member)
        await session.flush()
        ids = []
        for k in range(people_each):
            pid = 100 * m + k
            await people.touch(session, Speaker(id=pid, first_name=f"P{pid}"), NOW, private=True)
            session.add(Role(alliance_id=1, person_id=pid, role="member", member_id=member.id,
                             created_at=NOW))
            ids.append(pid)
        persons.append(ids)
    await session.commit()
    return persons


async def open_one(session: AsyncSession, **rules: object) -> int:
    alliance = await session.get(Alliance, 1)
    assert alliance is not None
    draft = decisions.draft_for(alliance, **{"title": "T", "text": "X", **rules})
    proposal = await decisions.open_proposal(session, draft, author_id=1, now=NOW)
    await session.commit()
    return proposal.id
