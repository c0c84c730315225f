"""Openings for the chart stories: the referral alliance (Lin, Chen, Wang, suspended Sue) with a
known history seeded straight into the database — referrals in and out of the last 30 days (one
won in another currency, one cancelled), closed and open proposals with ballots, a meeting held
and one to come — and reading a PNG back."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from bot.emulator import ChatMessage
from storage.models import (
    Availability,
    Ballot,
    Meeting,
    MeetingSlot,
    Member,
    Proposal,
    Referral,
)
from tests.e2e.referral_stories import Alliance
from tests.e2e.report_stories import alliance_id


@dataclass(frozen=True)
class Seeded:
    now: datetime
    alliance_id: int


async def seed_history(a: Alliance, now: datetime) -> Seeded:
    harness = a.harness
    assert harness.app is not None
    aid, ids = await alliance_id(harness), a.ids
    day = timedelta(days=1)

    def referral(giver: str, taker: str, made: datetime, status: str, *,
                 answered: timedelta | None = None, won: tuple[str, str] | None = None,
                 closed: datetime | None = None) -> Referral:
        return Referral(alliance_id=aid, referrer_id=ids[giver], receiver_id=ids[taker],
                        customer_name="X", customer_contact="+886 900 000 000", need="n",
                        urgency="warm", status=status,
                        answered_at=made + answered if answered else None,
                        won_value=Decimal(won[0]) if won else None,
                        won_currency=won[1] if won else None, closed_at=closed,
                        created_at=made, updated_at=made)

    async with harness.app.sessions() as session:
        await session.execute(update(Member).where(Member.alliance_id == aid)
                              .values(joined_at=now - 100 * day))
        session.add(Member(alliance_id=aid, name="Mei Paint", category="paint", status="active",
                           joined_at=now - 10 * day, created_at=now - 10 * day,
                           updated_at=now - 10 * day))
        session.add_all([
            referral("lin", "chen", now - 2 * day, "won", answered=timedelta(hours=2),
                     won=("12000", "TWD"), closed=now - day),
            referral("chen", "lin", now - 3 * day, "accepted", answered=timedelta(hours=4)),
            referral("wang", "chen", now - 5 * day, "declined", answered=timedelta(hours=1)),
            referral("lin", "wang", now - 40 * day, "won", answered=timedelta(hours=3),
                     won=("5000", "TWD"), closed=now - 35 * day),
            referral("lin", "chen", now - day, "won", answered=timedelta(minutes=30),
                     won=("100", "USD"), closed=now - timedelta(hours=1)),
            referral("lin", "wang", now - day, "cancelled"),
        ])
        proposals = [Proposal(alliance_id=aid, title=title, kind="yesno",
                              options=["yes", "no", "abstain"], threshold="majority",
                              secret=True, status=status, opened_at=now - 60 * day,
                              closes_at=closed or now + day, closed_at=closed,
                              created_at=now - 60 * day, updated_at=now)
                     for title, status, closed in (("Van", "closed", now - 2 * day),
                                                   ("Logo", "closed", now - 50 * day),
                                                   ("Picnic", "open", None))]
        session.add_all(proposals)
        await session.flush()
        for proposal in proposals:
            session.add(Ballot(proposal_id=proposal.id, member_id=ids["chen"], choices="0",
                               cast_at=now - 60 * day))
        session.add(Ballot(proposal_id=proposals[0].id, member_id=ids["lin"], choices="1",
                           cast_at=now - 3 * day))
        for starts in (now - 3 * day, now + 5 * day):
            meeting = Meeting(alliance_id=aid, title="Monthly", deadline=starts - day,
                              status="scheduled", starts_at=starts, created_at=now - 20 * day)
            session.add(meeting)
            await session.flush()
            slot = MeetingSlot(meeting_id=meeting.id, starts_at=starts)
            other = MeetingSlot(meeting_id=meeting.id, starts_at=starts + day)
            session.add_all([slot, other])
            await session.flush()
            meeting.winner_slot_id = slot.id
            for member, answer, where in (("chen", "yes", slot), ("lin", "no", slot),
                                          ("wang", "yes", other)):
                session.add(Availability(meeting_id=meeting.id, slot_id=where.id,
                                         member_id=ids[member], answer=answer,
                                         updated_at=now - 20 * day))
        await session.commit()
    return Seeded(now, aid)


async def referrals(a: Alliance) -> list[Referral]:
    assert a.harness.app is not None
    async with a.harness.app.sessions() as session:
        return list(await session.scalars(select(Referral).order_by(Referral.id)))


def picture(message: ChatMessage) -> tuple[int, int]:
    """The photo's size in pixels, read back by Pillow (it must open as a PNG)."""
    from PIL import Image

    assert message.photo is not None, f"not a photo: {message.text!r}"
    with Image.open(io.BytesIO(message.photo.data)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def photos(messages: list[ChatMessage]) -> list[ChatMessage]:
    return [m for m in messages if m.photo is not None]
