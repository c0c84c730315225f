"""Referrals' scheduled work and the messages a referral's moves owe to people.

Jobs, all derived from the referral's stored timestamps (so a restart re-arms them):
- ``referral.remind``: unanswered after the alliance's SLA (default 24 h) → the receiver's people;
- ``referral.expire``: unanswered after the alliance's expiry (default 72 h) → expired, the
  referrer's people told;
- ``referral.nudge``: accepted and untouched for 7 days → the receiver's people;
- ``referral.purge``: the customer's name and contact forgotten a set time after closing.

Messages to people other than the one pressing go through the outbox (each in the recipient's
own language); the receiver's cards are edited in place through the card editor.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime.cards import CardEdit, CardEditor
from bot.runtime.fsm_storage import drop_abandoned, forms_in_progress
from bot.runtime.notices import Render, tell
from bot.runtime.scheduler import JobContext, JobSpec, Scheduler
from bot.services import alliances, people, settings
from bot.services import members as roster
from bot.services import referrals as refs
from bot.services.outgoing import Outgoing, enqueue
from bot.services.settings import AllianceSettings
from bot.views import referrals as views
from storage.models import Alliance, Person, Referral

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp



def jobs_for(referral: refs.Timed, chosen: AllianceSettings) -> list[JobSpec]:
    """The jobs a referral's state implies (a ``Referral``, or a row the armer read), timed by
    its alliance's settings."""
    rid = referral.id
    specs: list[JobSpec] = []
    if referral.status == refs.SENT:
        if referral.reminded_at is None:
            specs.append(JobSpec(f"referral.remind:{rid}", referral.created_at + chosen.referral_sla,
                                 "referral.remind", {"referral_id": rid}))
        specs.append(JobSpec(f"referral.expire:{rid}", referral.created_at + chosen.referral_expiry,
                             "referral.expire", {"referral_id": rid}))
    elif referral.status in refs.IN_HAND and referral.touched_at is not None:
        if referral.nudged_at is None or referral.nudged_at < referral.touched_at:
            specs.append(JobSpec(f"referral.nudge:{rid}", referral.touched_at + refs.NUDGE_AFTER,
                                 "referral.nudge", {"referral_id": rid}))
    elif referral.closed_at is not None and (referral.customer_contact is not None
                                             or referral.customer_name is not None):
        specs.append(JobSpec(f"referral.purge:{rid}", referral.closed_at + chosen.retention,
                             "referral.purge", {"referral_id": rid}))
    return specs


class Refer(StatesGroup):
    """The /refer wizard's steps (its data holds a customer's contact until it is sent or
    dropped a day after its last step — see ``draft_job``)."""

    receiver = State()
    customer_name = State()
    contact = State()
    consent = State()
    need = State()
    urgency = State()
    value = State()
    confirm = State()


def draft_job(key: str, updated_at: datetime) -> JobSpec:
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return JobSpec(f"referral.draft:{digest}", updated_at + refs.DRAFT_LIFETIME, "referral.draft",
                   {"key": key})


async def jobs(session: AsyncSession, now: datetime, until: datetime) -> list[JobSpec]:
    specs: list[JobSpec] = []
    for referral, chosen in await refs.scheduled(session, until):
        specs += jobs_for(referral, chosen)
    specs += [draft_job(key, updated_at) for key, updated_at
              in await forms_in_progress(session, Refer, until - refs.DRAFT_LIFETIME)]
    return [spec for spec in specs if spec.at < until]


# Settings whose change moves the jobs of referrals already open (their reminder, their expiry).
RETIMED_BY = frozenset({"referral_sla_hours", "referral_expiry_hours"})


def retime_after_commit(session: AsyncSession, plan: Scheduler) -> None:
    """The alliance's referral times changed: every open referral's jobs are derived again
    (``jobs`` reads the new times) once the change commits."""
    plan.refresh_after_commit(session)


async def arm(session: AsyncSession, plan: Scheduler, referral: Referral) -> None:
    """After a move in a handler: the jobs its new state implies, armed once it commits."""
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None
    specs = jobs_for(referral, settings.read(alliance))
    plan.arm(session, specs)
    stale = {f"referral.{kind}:{referral.id}" for kind in ("remind", "expire", "nudge", "purge")}
    plan.disarm(session, stale - {spec.id for spec in specs})


# -- messages -----------------------------------------------------------------------------------

async def names(session: AsyncSession, referral: Referral) -> tuple[str, str]:
    found = await roster.member_names(session, {referral.referrer_id, referral.receiver_id})
    return found.get(referral.referrer_id, "?"), found.get(referral.receiver_id, "?")


async def send_cards(session: AsyncSession, referral: Referral, now: datetime) -> None:
    """The receiver's card to every person acting for the receiving member; contact hidden."""
    referrer, receiver = await names(session, referral)
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None

    def render() -> tuple[str, InlineKeyboardMarkup | None]:
        text, keyboard = views.receiver_card(referral, referrer, receiver, alliance.timezone,
                                             show_contact=False)
        return f"{views.new_referral_notice(referrer)}\n\n{text}", keyboard

    await tell(session, await refs.people_of_receiver(session, referral), render, now=now,
               alliance_id=referral.alliance_id, key=f"referral:{referral.id}:card",
               purpose=f"referral_card:{referral.id}")


async def _card_sent(session: AsyncSession, argument: str, chat_id: int, message_id: int) -> None:
    await refs.remember_card(session, int(argument), chat_id, message_id, datetime.now(UTC))


def card_renderer(referral_id: int, chat_id: int, message_id: int):  # type: ignore[no-untyped-def]
    async def render(session: AsyncSession) -> CardEdit | None:
        referral = await session.get(Referral, referral_id)
        if referral is None:
            return None
        alliance = await session.get(Alliance, referral.alliance_id)
        person = await session.get(Person, chat_id)
        assert alliance is not None
        referrer, receiver = await names(session, referral)
        show = await refs.may_see_contact(session, referral, chat_id)
        with use_locale(people.locale_of(person)):
            text, keyboard = views.receiver_card(referral, referrer, receiver, alliance.timezone,
                                                 show_contact=show)
        return CardEdit(chat_id=chat_id, message_id=message_id, text=text, reply_markup=keyboard)

    return render


async def refresh_cards(session: AsyncSession, cards: CardEditor, referral_id: int) -> None:
    """Every stored card of this referral shows its state (and, if allowed, the contact)."""
    for card in await refs.cards_of(session, referral_id):
        render = card_renderer(referral_id, card.chat_id, card.message_id)
        cards.touch(session, f"referral:{referral_id}:{card.chat_id}", render)


async def after_move(session: AsyncSession, referral: Referral, *, now: datetime,
                     cards: CardEditor, plan: Scheduler) -> None:
    """What every move in a handler owes: ``announce`` it, then commit (which wakes the outbox
    for its notices)."""
    await announce(session, referral, now=now, cards=cards, plan=plan)
    await session.commit()


async def announce(session: AsyncSession, referral: Referral, *, now: datetime,
                   cards: CardEditor, plan: Scheduler) -> None:
    """What every move owes: the referrer (or receiver) told, cards edited, jobs re-armed."""
    referrer, receiver = await names(session, referral)
    key = f"referral:{referral.id}:{referral.status}"
    rid, aid = referral.id, referral.alliance_id
    notices: dict[str, Render] = {
        refs.ACCEPTED: lambda: (views.told_accepted(referral, receiver), None),
        refs.DECLINED: lambda: views.told_declined(referral, receiver),
        refs.EXPIRED: lambda: views.told_expired(referral, receiver),
        refs.CONTACTED: lambda: (views.told_contacted(referral, receiver), None),
        refs.WON: lambda: views.told_won(referral, receiver),
        refs.LOST: lambda: (views.told_lost(referral, receiver), None),
    }
    if referral.status in notices:
        await tell(session, await refs.people_of_referrer(session, referral),
                   notices[referral.status], now=now, alliance_id=aid, key=key)
    if referral.status == refs.CANCELLED:
        await tell(session, await refs.people_of_receiver(session, referral),
                   lambda: (views.told_cancelled(referral, referrer), None), now=now,
                   alliance_id=aid, key=key)
    if referral.status == refs.WON:
        await thank_you(session, referral, referrer, receiver, now)
    await refresh_cards(session, cards, rid)
    await arm(session, plan, referral)


async def thank_you(session: AsyncSession, referral: Referral, referrer: str, receiver: str,
                    now: datetime) -> None:
    """A short card in the home group: who thanked whom, never the customer."""
    alliance = await session.get(Alliance, referral.alliance_id)
    assert alliance is not None
    if not settings.read(alliance).thank_you_cards:
        return
    home = await alliances.home_chat(session, alliance.id)
    if home is None or not home.active:
        return
    with use_locale(alliance.locale):
        text = views.thank_you_card(referrer, receiver)
    await enqueue(session, Outgoing(chat_id=home.tg_chat_id, thread_id=home.thread_id, text=text,
                                    disable_notification=True),
                  now=now, alliance_id=alliance.id, dedup_key=f"referral:{referral.id}:thanks")


# -- runners ------------------------------------------------------------------------------------

async def remind(job: JobContext, referral_id: int) -> None:
    referral = await refs.due_for_reminder(job.session, referral_id, job.now)
    if referral is None:
        return
    referrer, _receiver = await names(job.session, referral)
    await tell(job.session, await refs.people_of_receiver(job.session, referral),
               lambda: (views.reminder(referral, referrer), None), now=job.now,
               alliance_id=referral.alliance_id, key=f"referral:{referral_id}:remind")


async def expire(job: JobContext, referral_id: int) -> None:
    referral = await refs.expire(job.session, referral_id, job.now)
    if referral is None:
        return
    await announce(job.session, referral, now=job.now, cards=job.cards, plan=job.scheduler)


async def nudge(job: JobContext, referral_id: int) -> None:
    referral = await refs.due_for_nudge(job.session, referral_id, job.now)
    if referral is None:
        return
    referrer, _receiver = await names(job.session, referral)
    await tell(job.session, await refs.people_of_receiver(job.session, referral),
               lambda: (views.nudge(referral, referrer), None), now=job.now,
               alliance_id=referral.alliance_id,
               key=f"referral:{referral_id}:nudge:{int(job.due_at.timestamp())}")


async def drop_draft(job: JobContext, key: str) -> None:
    await drop_abandoned(job.session, key, Refer, job.now - refs.DRAFT_LIFETIME)


async def purge(job: JobContext, referral_id: int) -> None:
    if await refs.purge(job.session, referral_id, job.now):
        await refresh_cards(job.session, job.cards, referral_id)


def install(app: AllianceApp) -> None:
    """Plug referrals into the runtime: the jobs its state implies and its cards' message ids."""
    app.scheduler.add_armer(jobs)
    app.outbox.on_sent("referral_card", _card_sent)
    app.scheduler.add_runner("referral.remind", remind)
    app.scheduler.add_runner("referral.expire", expire)
    app.scheduler.add_runner("referral.nudge", nudge)
    app.scheduler.add_runner("referral.draft", drop_draft)
    app.scheduler.add_runner("referral.purge", purge)
