"""Shared equipment on Telegram beyond the reply to the current update.

- A new booking: the holder's people get the loan's message (with *Picked up* / *Returned* /
  *Cancel*) through the outbox; the borrower has it as the wizard's reply.
- A hand-over move: the other party is told, with the buttons the new state allows.
- A retired item: the borrowers of the bookings it called off are told.
- ``equipment.notice`` jobs: for each booking that still owes a notice (the return reminder a
  day before the end; the overdue notice at the end to the borrower, a day later to the holder),
  armed from stored timestamps (``equipment.scheduled``). The runner takes every notice due
  (``equipment.due_notices`` marks each sent in the run's transaction, together with the
  outbox rows), so each notice goes once whatever restarts or double alarms happen.

A borrow request answered by a booking becomes matched in ``equipment.book`` itself; ``booked``
has the requests feature refresh its card.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import requests as request_effects
from bot.runtime.cards import CardEditor
from bot.runtime.notices import tell
from bot.runtime.scheduler import JobContext, JobSpec, Scheduler
from bot.services import equipment as gear
from bot.services import members as roster
from bot.services import requests as asks
from bot.views import equipment as views
from storage.models import Alliance, Equipment, EquipmentBooking

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

NOTICE = "equipment.notice"


# -- jobs ----------------------------------------------------------------------------------------


def notice_job(booking_id: int, at: datetime) -> JobSpec:
    return JobSpec(f"{NOTICE}:{booking_id}:{int(at.timestamp())}", at, NOTICE,
                   {"booking_id": booking_id})


async def jobs(session: AsyncSession, now: datetime, until: datetime) -> list[JobSpec]:
    """Every booking that still owes a notice before ``until``, at the moment of the next one."""
    return [notice_job(booking_id, at)
            for booking_id, at in await gear.scheduled(session, now, until) if at < until]


def arm(session: AsyncSession, plan: Scheduler, booking: EquipmentBooking, now: datetime) -> None:
    """After a booking is made (or moved): its next notice, armed once the change commits."""
    at = gear.next_notice_at(booking, now)
    if at is not None:
        plan.arm(session, [notice_job(booking.id, at)])


async def send_notices(job: JobContext, booking_id: int) -> None:
    """Every notice due now — ``booking_id``'s and any other's a restart left behind — once;
    then the next notice of each booking served is armed."""
    touched: dict[int, EquipmentBooking] = {}
    for due in await gear.due_notices(job.session, job.now):
        await _notice(job.session, due, job.now)
        touched[due.booking.id] = due.booking
    for later in touched.values():
        arm(job.session, job.scheduler, later, job.now)


async def _notice(session: AsyncSession, due: gear.Notice, now: datetime) -> None:
    booking, item = due.booking, due.item
    borrower, holder, timezone = await _parties(session, booking, item)
    await tell(session, due.people,
               lambda: views.notice(due.kind, booking, item, borrower, holder, timezone),
               now=now, alliance_id=item.alliance_id, key=f"equipment:{booking.id}:{due.kind}")


# -- messages ------------------------------------------------------------------------------------


async def _parties(session: AsyncSession, booking: EquipmentBooking, item: Equipment
                   ) -> tuple[str, str, str]:
    names = await roster.member_names(session, {booking.member_id, item.holder_id})
    alliance = await session.get(Alliance, item.alliance_id)
    assert alliance is not None
    return names.get(booking.member_id, "?"), names.get(item.holder_id, "?"), alliance.timezone


async def loan_view(session: AsyncSession, booking: EquipmentBooking
                    ) -> tuple[str, InlineKeyboardMarkup | None]:
    """The loan's message in the current locale (for the reply to the person acting)."""
    item = await gear.get_item(session, booking.equipment_id)
    borrower, holder, timezone = await _parties(session, booking, item)
    return views.loan(booking, item, borrower, holder, timezone)


async def booked(session: AsyncSession, booking: EquipmentBooking, *, now: datetime,
                 plan: Scheduler, cards: CardEditor, bot_username: str) -> None:
    """A new booking: the holder's people get the loan's message; its notices are armed; the
    borrow request it answers (if any) shows it is matched."""
    if booking.request_id is not None:
        request_effects.refresh_card(session, cards, booking.request_id, bot_username)
        await request_effects.declined(session, await asks.get(session, booking.request_id),
                                       now=now)
    item = await gear.get_item(session, booking.equipment_id)
    borrower, holder, timezone = await _parties(session, booking, item)
    if item.holder_id != booking.member_id:
        def render() -> tuple[str, InlineKeyboardMarkup | None]:
            text, keyboard = views.loan(booking, item, borrower, holder, timezone)
            return f"{views.new_booking_notice(borrower)}\n\n{text}", keyboard

        await tell(session, await roster.people_of(session, item.holder_id), render, now=now,
                   alliance_id=item.alliance_id, key=f"equipment:{booking.id}:booked")
    arm(session, plan, booking, now)


async def moved(session: AsyncSession, booking: EquipmentBooking, person_id: int, *,
                now: datetime) -> None:
    """Picked up, returned or cancelled: everyone else on either side is told."""
    item = await gear.get_item(session, booking.equipment_id)
    borrower, holder, timezone = await _parties(session, booking, item)
    member = await roster.member_of(session, item.alliance_id, person_id)
    by = member.name if member is not None else "?"
    others = [p for p in await roster.people_of(session, booking.member_id)
              + await roster.people_of(session, item.holder_id) if p != person_id]

    def render() -> tuple[str, InlineKeyboardMarkup | None]:
        text, keyboard = views.loan(booking, item, borrower, holder, timezone)
        return f"{views.moved_notice(booking.status, by)}\n\n{text}", keyboard

    await tell(session, others, render, now=now, alliance_id=item.alliance_id,
               key=f"equipment:{booking.id}:{booking.status}")


async def retired(session: AsyncSession, done: gear.Retired, *, now: datetime) -> None:
    """The borrowers of the bookings a retirement called off are told."""
    item = done.item
    alliance = await session.get(Alliance, item.alliance_id)
    assert alliance is not None
    for booking in done.cancelled:
        await tell(session, await roster.people_of(session, booking.member_id),
                   lambda booking=booking: (views.booking_called_off(item.name, booking,  # type: ignore[misc]
                                                                     alliance.timezone), None),
                   now=now, alliance_id=item.alliance_id, key=f"equipment:{booking.id}:retired")


def install(app: AllianceApp) -> None:
    """Plug shared equipment into the runtime: the notices its bookings owe."""
    app.scheduler.add_armer(jobs)
    app.scheduler.add_runner(NOTICE, send_notices)
