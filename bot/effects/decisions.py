"""The bot side of decisions: the card (posted through the outbox, edited coalesced), the
announcement of an outcome, and the hooks other features register for their proposals.

Handlers and scheduled jobs both close proposals; both call ``finish`` in the transaction that
closed it, so the announcement (outbox, deduplicated) and the subject's consequences (hooks)
commit with the close or not at all.

Scheduled work: a proposal's close at its deadline and its one reminder, derived from the
proposals table. A deadline that passed while the bot was down closes once when it is back (the
close is idempotent on ``status='open'`` and the announcement is deduplicated in the outbox). A
reminder whose moment passed while the bot was down is still sent if the vote is still open — it
was meant to reach people before the close, and it still does.

Outcome hooks: a feature that opens proposals about something of its own passes
``subject_kind``/``subject_ref`` to ``decisions.open_proposal`` and, in its ``install``, calls
``on_outcome("membership", decided)``. The hook runs inside the closing transaction (database
work only; messages through the outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime import me
from bot.runtime.cards import CardEdit, CardEditor, keyboard_json
from bot.runtime.scheduler import JobContext, JobSpec, Scheduler
from bot.services import decisions, settings
from bot.services.outgoing import Outgoing, enqueue
from bot.services.tally import Result
from bot.views import decisions as views
from bot.views.decisions import VoteCb
from storage.models import Alliance, Proposal

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.runtime.app import AllianceApp
    from bot.runtime.ballot_box import CountHook
    from bot.services.ballots import Tally

log = logging.getLogger(__name__)


@dataclass(slots=True)
class OutcomeEvent:
    session: AsyncSession
    now: datetime
    proposal: Proposal
    result: Result
    bot: Bot | None


OutcomeHook = Callable[[OutcomeEvent], Awaitable[None]]
_hooks: dict[str, OutcomeHook] = {}
# Buttons another feature adds to an outcome's announcement: (proposal, result, bot username)
# -> buttons, in the announcement's language (a passed proposal can start a joint purchase).
AnnouncementButtons = Callable[[Proposal, Result, str], list[InlineKeyboardButton]]
_announcement_buttons: dict[str, AnnouncementButtons] = {}


def on_outcome(kind: str, hook: OutcomeHook) -> None:
    """What happens when a proposal with ``subject_kind == kind`` closes (another feature's)."""
    _hooks[kind] = hook


def on_announcement(feature: str, buttons: AnnouncementButtons) -> None:
    """``buttons`` are added under every outcome's announcement (one row each)."""
    _announcement_buttons[feature] = buttons


async def _announcement_keyboard(proposal: Proposal, result: Result,
                                 bot: Bot | None) -> InlineKeyboardMarkup | None:
    if bot is None or not _announcement_buttons:
        return None
    username = await me.username(bot)
    buttons = [button for make in _announcement_buttons.values()
               for button in make(proposal, result, username)]
    return InlineKeyboardMarkup(inline_keyboard=[[button] for button in buttons]) if buttons else None


def install(app: AllianceApp) -> None:
    """Plug decisions into the runtime: presses batched, the card's message id, the jobs."""
    app.batched_callbacks.add(VoteCb.__prefix__)
    app.outbox.on_sent("proposal", _card_sent)
    app.scheduler.add_armer(jobs)
    app.scheduler.add_runner("proposal.close", close)
    app.scheduler.add_runner("proposal.remind", remind)
    app.ballot_box.on_counted(after_count(cards=app.cards, scheduler=app.scheduler, bot=app.bot))


def after_count(*, cards: CardEditor, scheduler: Scheduler, bot: Bot) -> CountHook:
    """What a batch of ballots does, in its transaction: the proposals it completes close and
    are announced; the other cards it changed are refreshed."""
    async def counted(session: AsyncSession, tally: Tally, now: datetime) -> None:
        closed = {proposal.id for proposal, _ in tally.closed}
        for proposal, result in tally.closed:
            await finish(session, proposal, result, now, cards=cards, scheduler=scheduler,
                         bot=bot)
        for proposal_id in tally.counted_on - closed:
            cards.touch(session, card_key(proposal_id), card_renderer(proposal_id))
    return counted


# -- the card ------------------------------------------------------------------------------------


async def render_card(session: AsyncSession, proposal_id: int) -> tuple[str, Any, Proposal] | None:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        return None
    alliance = await session.get(Alliance, proposal.alliance_id)
    assert alliance is not None
    with use_locale(alliance.locale):
        if proposal.status == decisions.OPEN:
            text, keyboard = views.card(proposal, alliance,
                                        await decisions.standing(session, proposal), None)
        else:
            text, keyboard = views.card(proposal, alliance, None,
                                        decisions.stored_result(proposal))
    return text, keyboard, proposal


def card_renderer(proposal_id: int) -> Callable[[AsyncSession], Awaitable[CardEdit | None]]:
    async def render(session: AsyncSession) -> CardEdit | None:
        rendered = await render_card(session, proposal_id)
        if rendered is None:
            return None
        text, keyboard, proposal = rendered
        if proposal.chat_id is None or proposal.message_id is None:
            return None  # not posted yet: the outbox posts the state of that moment
        return CardEdit(chat_id=proposal.chat_id, message_id=proposal.message_id, text=text,
                        reply_markup=keyboard)

    return render


def card_key(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


async def post_card(session: AsyncSession, proposal: Proposal, now: datetime) -> None:
    """Queue the card for the home group (committed with the proposal; sent by the outbox)."""
    if proposal.chat_id is None:
        log.warning("proposal %s: the alliance has no home group; no card", proposal.id)
        return
    rendered = await render_card(session, proposal.id)
    assert rendered is not None
    text, keyboard, _ = rendered
    await enqueue(session, Outgoing(chat_id=proposal.chat_id, thread_id=proposal.thread_id,
                                    text=text, reply_markup=keyboard_json(keyboard)),
                  now=now, alliance_id=proposal.alliance_id,
                  dedup_key=f"proposal.card:{proposal.id}", purpose=card_key(proposal.id))


async def _card_sent(session: AsyncSession, argument: str, chat_id: int, message_id: int) -> None:
    await decisions.set_card(session, int(argument), chat_id, message_id)


async def opened(session: AsyncSession, proposal: Proposal, now: datetime, *,
                 scheduler: Scheduler | None) -> None:
    """After ``open_proposal``: the card and the jobs. Without a scheduler at hand the next
    refresh (at most 15 minutes; deadlines are ≥ 1 h) arms the jobs."""
    await post_card(session, proposal, now)
    if scheduler is not None:
        scheduler.arm(session, jobs_for(proposal))


# -- the end -------------------------------------------------------------------------------------


async def finish(session: AsyncSession, proposal: Proposal, result: Result, now: datetime, *,
                 cards: CardEditor | None, scheduler: Scheduler | None,
                 bot: Bot | None = None) -> None:
    """A proposal just closed (in ``session``'s transaction): announce it once, run its
    subject's hook, show the final card, forget its alarms."""
    alliance = await session.get(Alliance, proposal.alliance_id)
    assert alliance is not None
    if proposal.chat_id is not None:
        with use_locale(alliance.locale):
            text = views.announcement(proposal, result)
            keyboard = await _announcement_keyboard(proposal, result, bot)
        pin = settings.read(alliance).pin_decisions
        await enqueue(session, Outgoing(chat_id=proposal.chat_id, thread_id=proposal.thread_id,
                                        text=text, pin=pin, reply_markup=keyboard_json(keyboard)),
                      now=now, alliance_id=alliance.id,
                      dedup_key=f"proposal.outcome:{proposal.id}",
                      purpose=f"proposal_outcome:{proposal.id}")
    hook = _hooks.get(proposal.subject_kind or "")
    if hook is not None:
        await hook(OutcomeEvent(session=session, now=now, proposal=proposal, result=result,
                                bot=bot))
    if cards is not None and proposal.message_id is not None:
        cards.touch(session, card_key(proposal.id), card_renderer(proposal.id))
    if scheduler is not None:
        scheduler.disarm(session, job_ids(proposal.id))


async def send_reminders(session: AsyncSession, proposal_id: int, now: datetime) -> int:
    """Once, privately, to the people of eligible members who have not voted, each in their
    own language."""
    from bot.services import people

    found = await decisions.reminder_targets(session, proposal_id, now)
    if found is None:
        return 0
    proposal, persons = found
    alliance = await session.get(Alliance, proposal.alliance_id)
    assert alliance is not None
    # A reminder held past the vote's close would be useless: then it goes in quiet hours too.
    quiet_end = settings.quiet_end(alliance, now)
    may_wait = quiet_end is None or quiet_end < proposal.closes_at
    for person in persons:
        with use_locale(people.locale_of(person)):
            text = views.reminder(proposal, alliance)
        await enqueue(session, Outgoing(chat_id=person.id, text=text), now=now,
                      alliance_id=alliance.id,
                      dedup_key=f"proposal.remind:{proposal.id}:{person.id}",
                      hold_in_quiet_hours=may_wait)
    return len(persons)


# -- scheduled work ------------------------------------------------------------------------------


def jobs_for(proposal: Proposal) -> list[JobSpec]:
    if proposal.status != decisions.OPEN:
        return []
    specs = [JobSpec(id=f"proposal.close:{proposal.id}", at=proposal.closes_at,
                     kind="proposal.close", args={"proposal_id": proposal.id})]
    remind_at = proposal.closes_at - decisions.REMIND_BEFORE
    if proposal.reminded_at is None and remind_at > proposal.opened_at:
        specs.append(JobSpec(id=f"proposal.remind:{proposal.id}", at=remind_at,
                             kind="proposal.remind", args={"proposal_id": proposal.id}))
    return specs


def job_ids(proposal_id: int) -> list[str]:
    return [f"proposal.close:{proposal_id}", f"proposal.remind:{proposal_id}"]


async def jobs(session: AsyncSession, now: datetime, until: datetime) -> list[JobSpec]:
    return [spec for proposal in await decisions.open_proposals(session, until)
            for spec in jobs_for(proposal) if spec.at < until]


async def close(job: JobContext, proposal_id: int) -> None:
    closed = await decisions.close_at_deadline(job.session, proposal_id, job.now)
    if closed is None:
        return
    proposal, result = closed
    await finish(job.session, proposal, result, job.now, cards=job.cards,
                 scheduler=job.scheduler, bot=job.bot)


async def remind(job: JobContext, proposal_id: int) -> None:
    await send_reminders(job.session, proposal_id, job.now)
