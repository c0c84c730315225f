"""/forget (PRODUCT.md §2): a person's personal data erased everywhere the bot stored it, while
the history of the business they acted for stays.

What is erased, and why there:

- the ``persons`` row keeps only its id (the key the history points at), the chosen language
  (the confirmation is written in it) and ``forgotten_at``: first and last name, username and
  Telegram's language code are nulled, and ``people.touch`` never stores them again;
- the person's roles end: they no longer act for any member nor coordinate — a forgotten person
  is "a former member". A member left with nobody acting for it leaves (``left``, as with
  /leave: its referrals, ballots, pledges and the ledger stay) and loses its contact, which that
  person typed; its business name, category, region and services stay — they are the business's
  public card, not the person's, and the history needs a name. A member others still act for
  keeps its contact (the business's own) and passes its ownership to the next of its people;
- their applications keep their decision but lose the questionnaire's answers; one still
  waiting for a decision is withdrawn;
- their wizard drafts (``fsm_states`` keyed by their chat or user id) are deleted, and any
  other draft quoting them is scrubbed;
- outbox rows to them still queued are dropped and those already sent are emptied; a message to
  someone else that quotes them is emptied when sent, or has the words replaced by "—" while
  queued (the text is already rendered in its reader's language; views name a forgotten person
  "a former member" through ``bot.views.common.person_name``);
- ``received_updates`` rows from or about them are deleted (they hold Telegram's copy of their
  name).

Referrals keep ``referrer_person_id`` (an id, no personal data); the customer's name and contact
are the customer's, not the person's, and are purged by the referral retention anyway.

Refused, with the reason, while the person is the last coordinator of an alliance (nobody could
run it), has a referral in hand (accepted by them and not closed: the referrer and customer
wait on them) or has borrowed equipment not yet returned (the holder must know whom to ask).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, people
from bot.services.equipment import PICKED_UP
from bot.services.errors import DomainError
from bot.services.members import ACTIVE, LEFT, SUSPENDED
from bot.services.membership.joining import SUBMITTED
from bot.services.outgoing import PENDING, SENDING
from bot.services.referrals import IN_HAND
from storage.models import (
    Alliance,
    Application,
    EquipmentBooking,
    FsmRecord,
    Member,
    OutboxItem,
    Person,
    ReceivedUpdate,
    Referral,
    Role,
)

WITHDRAWN = "withdrawn"  # an application whose applicant asked to be forgotten
MARK = "—"  # what a forgotten person's words become in a message still queued for someone else
MIN_SECRET = 2  # a one-letter name would scrub every "a" in others' messages


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What the erasure did, for the confirmation: how many businesses left with the person."""

    members_left: list[str]
    words: list[str]  # their names and contacts as they may be quoted, for drafts held elsewhere

    def scrub(self, value: Any) -> Any:
        """``value`` (text or JSON) with every word of theirs replaced by the mark."""
        return _scrub(value, self.words)


async def check(session: AsyncSession, person_id: int) -> None:
    """Raise the reason /forget must wait, if any (asked before the confirmation and again on the
    press: things may have changed in between)."""
    person = await session.get(Person, person_id)
    if person is not None and person.forgotten_at is not None:
        raise DomainError("forget_already")
    for role in await _roles(session, person_id):
        if role.role == "coordinator":
            others = await session.scalar(select(func.count()).select_from(Role).where(
                Role.alliance_id == role.alliance_id, Role.role == "coordinator",
                Role.person_id != person_id))
            if not others:
                alliance = await session.get(Alliance, role.alliance_id)
                raise DomainError("forget_last_coordinator",
                                  alliance=alliance.name if alliance else "")
    in_hand = await session.scalar(select(Referral.id).where(
        Referral.accepted_by == person_id, Referral.status.in_(IN_HAND)).order_by(Referral.id)
        .limit(1))
    if in_hand is not None:
        raise DomainError("forget_referral_in_hand", id=in_hand)
    loan = await session.scalar(select(EquipmentBooking.id).where(
        EquipmentBooking.person_id == person_id, EquipmentBooking.status == PICKED_UP).limit(1))
    if loan is not None:
        raise DomainError("forget_loan_open")


async def forget(session: AsyncSession, person_id: int, now: datetime) -> Forgotten:
    """Erase the person's personal data everywhere (see the module's docstring)."""
    person = await session.get(Person, person_id)
    await check(session, person_id)
    if person is None:
        raise DomainError("unknown_person")
    secrets = _names(person)
    left: list[str] = []
    for role in await _roles(session, person_id):
        member = await session.get(Member, role.member_id) if role.member_id else None
        await session.delete(role)
        await session.flush()
        if member is not None and await _alone(session, member, person_id, now):
            secrets += [member.contact or ""]
            member.contact = member.contact_kind = None
            left.append(member.name)
        audit.record(session, alliance_id=role.alliance_id, actor_id=None, action="person.forgotten",
                     subject=str(member.id) if member else None, now=now)
    secrets += await _erase_applications(session, person_id)
    person.locale = people.locale_of(person)  # the language stays: it is no personal data
    person.first_name = person.last_name = person.username = person.language_code = None
    person.forgotten_at = person.updated_at = now
    words = _variants(secrets)
    await _erase_drafts(session, person_id, words)
    await _erase_outbox(session, person_id, words)
    await _erase_received(session, person_id, words)
    return Forgotten(members_left=left, words=words)


async def _roles(session: AsyncSession, person_id: int) -> list[Role]:
    return list(await session.scalars(select(Role).where(Role.person_id == person_id)
                                      .order_by(Role.id)))


async def _alone(session: AsyncSession, member: Member, person_id: int, now: datetime) -> bool:
    """With the person's role gone: does anybody still act for ``member``? If not, it leaves;
    if so and the person owned it, the next of its people owns it."""
    others = list(await session.scalars(select(Role.person_id).where(Role.member_id == member.id)
                                        .order_by(Role.id)))
    if others:
        if member.owner_person_id == person_id:
            member.owner_person_id = others[0]
        return False
    member.owner_person_id = None
    if member.status in (ACTIVE, SUSPENDED):
        member.status, member.status_changed_at, member.status_reason = LEFT, now, None
    member.updated_at = now
    return True


async def _erase_applications(session: AsyncSession, person_id: int) -> list[str]:
    """The questionnaire's answers go; the decision stays. Returns what they held (to scrub
    copies of it elsewhere)."""
    found: list[str] = []
    for application in await session.scalars(select(Application).where(
            Application.person_id == person_id)):
        found += [str(value) for value in (application.answers or {}).values() if value]
        application.answers = {}
        if application.status == SUBMITTED:
            application.status = WITHDRAWN
    return found


def _names(person: Person) -> list[str]:
    full = " ".join(part for part in (person.first_name, person.last_name) if part)
    handle = [person.username, f"@{person.username}"] if person.username else []
    return [full, person.first_name or "", person.last_name or "", *handle]


def _variants(secrets: Iterable[str]) -> list[str]:
    """Each secret as it may be stored: plain, HTML-escaped, JSON-escaped. Longest first, so a
    full name goes before its first name."""
    words: set[str] = set()
    for secret in secrets:
        secret = secret.strip()
        if len(secret) < MIN_SECRET:
            continue
        for form in (secret, html.escape(secret), html.escape(secret, quote=False)):
            words |= {form, json.dumps(form)[1:-1]}
    return sorted(words, key=len, reverse=True)


def _scrub(value: Any, words: list[str]) -> Any:
    """``value`` (text or JSON) with every word replaced by the mark."""
    if isinstance(value, str):
        for word in words:
            value = value.replace(word, MARK)
        return value
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, words) for key, item in value.items()}
    return value


def _mentions(column: Any, words: list[str]) -> Any:
    return or_(*(cast(column, String).contains(word) for word in words)) if words else false()


async def _erase_drafts(session: AsyncSession, person_id: int, words: list[str]) -> None:
    """Their own drafts go (keys ``fsm:<bot>:<chat>:<user>:<destiny>``); others' are scrubbed."""
    await session.execute(delete(FsmRecord).where(
        FsmRecord.key.contains(f":{person_id}:")).execution_options(synchronize_session=False))
    for record in await session.scalars(select(FsmRecord).where(_mentions(FsmRecord.data, words))):
        record.data = _scrub(record.data, words)


async def _erase_outbox(session: AsyncSession, person_id: int, words: list[str]) -> None:
    await session.execute(delete(OutboxItem).where(
        OutboxItem.chat_id == person_id, OutboxItem.status == PENDING)
        .execution_options(synchronize_session=False))
    rows = await session.scalars(select(OutboxItem).where(or_(
        OutboxItem.chat_id == person_id, _mentions(OutboxItem.text, words),
        _mentions(OutboxItem.payload, words), _mentions(OutboxItem.document_name, words))))
    for item in rows:
        if item.chat_id == person_id or item.status not in (PENDING, SENDING):
            # Sent (or given up): nothing reads its words again, only its message id.
            item.text, item.payload, item.document, item.document_name = "", {}, None, None
        else:
            item.text, item.payload = _scrub(item.text, words), _scrub(item.payload, words)
            item.document_name = _scrub(item.document_name, words)


async def _erase_received(session: AsyncSession, person_id: int, words: list[str]) -> None:
    """Telegram's copies of their updates (their name is in each ``from``)."""
    ids = [f'"id": {person_id},', f'"id":{person_id},', f'"id": {person_id}}}',
           f'"id":{person_id}}}']
    await session.execute(delete(ReceivedUpdate).where(
        or_(*(ReceivedUpdate.payload.contains(mark) for mark in ids),
            _mentions(ReceivedUpdate.payload, words)))
        .execution_options(synchronize_session=False))
