"""Openings for the /forget stories: a person with a trace in every corner of the database (a
business with a contact, an application, a referral given, a ballot, a half-filled wizard,
queued notices), and a scan of every text column for what must be gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.emulator import SimUser
from bot.services.outgoing import Outgoing, enqueue
from storage.models import Application, Base, Equipment, EquipmentBooking, Member
from tests.e2e.decision_stories import join_silently
from tests.e2e.harness import Harness
from tests.e2e.referral_stories import PEOPLE_LANG, Alliance, refer
from tests.e2e.stories import seed_member

NAME = "Meiling"
USERNAME = "meiling_k"
CONTACT = "+886 933 444 555"
BUSINESS = "Harbour Paints"


async def scan(harness: Harness, secrets: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, secret) for every text, JSON or binary value of every table holding one."""
    assert harness.app is not None
    found: list[tuple[str, str, str]] = []
    async with harness.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    found += [(table.name, column, secret) for secret in secrets
                              if secret in _text(value)]
    return found


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value + json.dumps(value)  # JSON stored as text may escape non-ASCII
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="ignore")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False) + json.dumps(value)
    return ""


async def meiling(a: Alliance) -> SimUser:
    """Meiling, the only person of Harbour Paints (tyres), with a trace everywhere."""
    harness = a.harness
    mei = harness.world.user(NAME, lang=PEOPLE_LANG[a.locale], username=USERNAME)
    join_silently(a.group, mei)
    member_id = await seed_member(harness, a.group, mei, name=BUSINESS, category="paint",
                                  contact=CONTACT)
    a.ids["mei"] = member_id
    assert harness.app is not None
    now = datetime.now(UTC)
    async with harness.app.sessions() as session:
        member = await session.get(Member, member_id)
        assert member is not None
        member.owner_person_id = mei.id
        session.add(Application(
            alliance_id=member.alliance_id, person_id=mei.id, status="approved",
            answers={"name": BUSINESS, "contact": CONTACT, "region": "Keelung",
                     "note": f"{NAME} (@{USERNAME})"}, member_id=member_id, created_at=now,
            decided_at=now))
        # Queued notices: one to her, one to Lin quoting her (both due tomorrow).
        later = now + timedelta(days=1)
        await enqueue(session, Outgoing(chat_id=mei.id, text="Reminder for you"), now=now,
                      not_before=later)
        await enqueue(session, Outgoing(chat_id=a.lin.id, text=f"Call {NAME} (@{USERNAME}) "
                                        f"on {CONTACT}"), now=now, not_before=later)
        await session.commit()
    await refer(a, mei)  # a referral given to Chen Tyres
    return mei


async def half_filled_wizard(a: Alliance, mei: SimUser) -> None:
    """A /refer wizard left after the customer's name: her draft in fsm_states."""
    world = a.harness.world
    await a.harness.say(mei, mei, "/refer")
    await mei.press(world.last(mei), "tyres")
    await mei.press(world.last(mei), "Chen Tyres")
    await a.harness.say(mei, mei, f"friend of {NAME}")


async def lend(a: Alliance, borrower: SimUser, member_key: str) -> None:
    """``borrower`` holds a shared item, picked up and not returned."""
    assert a.harness.app is not None
    now = datetime.now(UTC)
    async with a.harness.app.sessions() as session:
        member = await session.get(Member, a.ids[member_key])
        assert member is not None
        item = Equipment(alliance_id=member.alliance_id, name="Tyre changer", holder_id=a.ids["lin"],
                         created_at=now, updated_at=now)
        session.add(item)
        await session.flush()
        session.add(EquipmentBooking(equipment_id=item.id, member_id=member.id,
                                     person_id=borrower.id, starts_at=now - timedelta(hours=2),
                                     ends_at=now + timedelta(days=1), status="picked_up",
                                     picked_up_at=now - timedelta(hours=1), created_at=now,
                                     updated_at=now))
        await session.commit()
