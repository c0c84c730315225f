"""Openings for the report stories: an alliance with a referral (through /refer) and rows in
every exported table (seeded straight into the database: an export reads what is stored, however
it got there), an audit log with known, odd and unknown entries, and reading a CSV back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.emulator import SimUser
from bot.services import audit
from storage.models import (
    Availability,
    Ballot,
    Equipment,
    EquipmentBooking,
    Meeting,
    MeetingSlot,
    Person,
    Pledge,
    Proposal,
    Purchase,
    ResourceOffer,
    ResourceRequest,
)
from tests.e2e.harness import Harness
from tests.e2e.referral_stories import Alliance, refer

T0 = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)  # 14:30 in Taipei


async def alliance_id(harness: Harness) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        from storage.models import Alliance as AllianceRow
        return int(await session.scalar(select(AllianceRow.id)) or 0)


async def seed_everything(a: Alliance) -> None:
    """A referral (customer and contact given), a secret vote closed and an open one, a meeting
    with answers, a request with an offer, a booking, a joint purchase with a pledge."""
    await refer(a, a.lin)
    harness = a.harness
    assert harness.app is not None
    aid, ids = await alliance_id(harness), a.ids
    async with harness.app.sessions() as session:
        secret = Proposal(alliance_id=aid, author_id=a.lin.id, title="Shared van", text="",
                          kind="yesno", options=["yes", "no", "abstain"], quorum_pct=50,
                          threshold="majority", secret=True, status="closed", opened_at=T0,
                          closes_at=T0 + timedelta(days=3), closed_at=T0 + timedelta(days=3),
                          close_reason="deadline",
                          result={"eligible": 3, "voted": 3, "counts": [2, 1, 0], "passed": True,
                                  "reason": "passed", "quorum_needed": 2, "counted": 3,
                                  "winners": [0]},
                          created_at=T0, updated_at=T0)
        hidden = Proposal(alliance_id=aid, author_id=a.lin.id, title="Logo", text="",
                          kind="single", options=["Red", "Blue"], threshold="majority",
                          secret=True, results_while_open=False, status="open", opened_at=T0,
                          closes_at=T0 + timedelta(days=30), created_at=T0, updated_at=T0)
        shown = Proposal(alliance_id=aid, author_id=a.lin.id, title="Picnic", text="",
                         kind="single", options=["Park", "Beach"], threshold="majority",
                         status="open", opened_at=T0, closes_at=T0 + timedelta(days=30),
                         created_at=T0, updated_at=T0)
        session.add_all([secret, hidden, shown])
        await session.flush()
        for member, choice in (("lin", "1"), ("chen", "1"), ("wang", "0")):
            session.add(Ballot(proposal_id=shown.id, member_id=ids[member], choices=choice,
                               cast_at=T0))
            session.add(Ballot(proposal_id=hidden.id, member_id=ids[member], choices="0",
                               cast_at=T0))
        meeting = Meeting(alliance_id=aid, title="March meeting", deadline=T0, status="decided",
                          starts_at=T0 + timedelta(days=7), created_at=T0)
        session.add(meeting)
        await session.flush()
        slot = MeetingSlot(meeting_id=meeting.id, starts_at=T0 + timedelta(days=7))
        session.add(slot)
        await session.flush()
        for member, answer in (("lin", "yes"), ("chen", "maybe")):
            session.add(Availability(meeting_id=meeting.id, slot_id=slot.id,
                                     member_id=ids[member], answer=answer, updated_at=T0))
        request = ResourceRequest(alliance_id=aid, requester_id=ids["chen"], kind="equipment",
                                  title="Tyre changer", details="", status="open",
                                  created_at=T0, updated_at=T0)
        session.add(request)
        await session.flush()
        session.add(ResourceOffer(request_id=request.id, member_id=ids["wang"], note="=SUM(A1)",
                                  status="open", created_at=T0, updated_at=T0))
        item = Equipment(alliance_id=aid, name="Balancer", holder_id=ids["lin"], created_at=T0,
                         updated_at=T0)
        session.add(item)
        await session.flush()
        session.add(EquipmentBooking(equipment_id=item.id, member_id=ids["chen"], starts_at=T0,
                                     ends_at=T0 + timedelta(days=1), created_at=T0,
                                     updated_at=T0))
        bulk = ResourceRequest(alliance_id=aid, requester_id=ids["lin"], kind="purchase",
                               title="Oil", details="", status="open", created_at=T0,
                               updated_at=T0)
        session.add(bulk)
        await session.flush()
        purchase = Purchase(alliance_id=aid, request_id=bulk.id, organiser_id=ids["lin"],
                            item="Engine oil", unit="litre", pricing="unit",
                            unit_price=Decimal("300"), currency="TWD", moq=10, deadline=T0,
                            created_at=T0, updated_at=T0)
        session.add(purchase)
        await session.flush()
        session.add(Pledge(purchase_id=purchase.id, member_id=ids["wang"], quantity=12,
                           cost=Decimal("3600.50"), created_at=T0, updated_at=T0))
        await session.commit()


async def seed_audit(a: Alliance, entries: int) -> None:
    """``entries`` log lines a minute apart, oldest first: a suspension, a promotion, one by a
    person who was since forgotten, an action this version does not know, then charter changes."""
    harness = a.harness
    assert harness.app is not None
    aid = await alliance_id(harness)
    forgotten = harness.world.user("Gone")
    async with harness.app.sessions() as session:
        session.add(Person(id=forgotten.id, first_name=None, forgotten_at=T0, created_at=T0,
                           updated_at=T0))
        lines = [
            ("member.suspended", a.lin.id, str(a.ids["sue"]), {"reason": "unpaid dues"}),
            ("coordinator.promoted", a.lin.id, str(a.chen.id), {}),
            ("charter.set", forgotten.id, None, {"length": 10}),
            ("future.thing", a.lin.id, "x", {"weird": [1, 2]}),
        ]
        lines += [("charter.set", a.lin.id, None, {"length": n}) for n in range(entries - 4)]
        for n, (action, actor, subject, details) in enumerate(lines[:entries]):
            audit.record(session, alliance_id=aid, actor_id=actor, action=action,
                         subject=subject, details=details, now=T0 + timedelta(minutes=n))
        await session.commit()


def documents(harness: Harness, user: SimUser) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, caption) of every file the bot sent ``user``, oldest first."""
    return [(m.document.file_name or "", m.document.data, m.caption or "")
            for m in harness.world.messages_to(user) if m.document is not None]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "no BOM: spreadsheets would misread the Chinese"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
