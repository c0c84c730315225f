"""Membership on Telegram beyond the reply: a decision carried out, and membership votes.

A coordinator's press (``handlers.membership.joining``) and a membership vote closed by the
scheduler or a ballot must have the same effects: the coordinators' cards show the outcome,
the join request is approved or declined (or a one-person invite link is sent), the group gets a
welcome card and the applicant a private message. Each step stands on its own: one failing (a
user who blocked the bot, a request already gone) does not stop the others.

Membership votes (PRODUCT.md §2, §5): when an alliance's approval mode is ``vote``, a submitted
application opens a yes/no proposal (``open_vote``, in the submitting transaction), and its
outcome decides the application inside the transaction that closed the proposal (the decision
and the close commit together), then — once committed — carries the decision out on Telegram
exactly as a coordinator's press would. The card of such a vote goes when the submitting
transaction commits, its jobs are armed by the scheduler's next refresh (deadlines are at least
an hour away).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import decisions as decision_effects
from bot.i18n import format_number, use_locale
from bot.i18n import gettext as _
from bot.runtime.aftercommit import spawn_after_commit
from bot.services import alliances, decisions, tally
from bot.services.errors import DomainError
from bot.services.membership.joining import (
    Decision,
    application_for,
    decide_application,
    remember_cards,
)
from bot.services.membership.lookups import coordinators, member_readers, person
from bot.services.outgoing import Outgoing, enqueue
from bot.views.membership.joining import (
    application_card,
    decided_card,
    no_coordinator_reachable,
    nudge,
    private_welcome,
    rejection,
    welcome_card,
)
from bot.views.membership.roster import status_notice
from storage.models import Alliance, Application, Member, Proposal

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

log = logging.getLogger(__name__)

INVITE_LIFETIME = timedelta(hours=24)


async def carry_out(bot: Bot, decision: Decision, now: datetime) -> None:
    """Everything Telegram must see of a decision. Each step on its own: one failing (a user who
    blocked the bot, a request already gone) does not stop the others."""
    for chat_id, message_id, locale in decision.cards:
        with use_locale(locale):
            await quietly(bot.edit_message_text(text=decided_card(decision), chat_id=chat_id,
                                                 message_id=message_id))
    if not decision.approved:
        # The reason goes first: declining the request may close the way to write to them.
        with use_locale(decision.person_locale):
            await quietly(bot.send_message(decision.person_id, rejection(decision)))
        if decision.join_chat_id is not None:
            await quietly(bot.decline_chat_join_request(decision.join_chat_id, decision.person_id))
        return
    in_group = False
    if decision.join_chat_id is not None:
        in_group = await quietly(bot.approve_chat_join_request(decision.join_chat_id,
                                                                decision.person_id)) is not None
    link = None
    if not in_group and decision.home_chat_id is not None:
        member = await quietly(bot.get_chat_member(decision.home_chat_id, decision.person_id))
        in_group = member is not None and member.status in ("creator", "administrator", "member",
                                                            "restricted")
        if not in_group:
            created = await quietly(bot.create_chat_invite_link(
                decision.home_chat_id, name=decision.answers.get("name", "")[:32] or None,
                expire_date=now + INVITE_LIFETIME, member_limit=1))
            link = created.invite_link if created is not None else None
    with use_locale(decision.person_locale):
        await quietly(bot.send_message(decision.person_id,
                                        private_welcome(decision, link, in_group)))


async def queue_welcome(session: AsyncSession, decision: Decision, now: datetime) -> None:
    """The home group's welcome card, queued in the deciding transaction: it commits with the
    decision and the outbox delivers it under the group's limits, so a crash between the
    commit and the send cannot lose it."""
    if not decision.approved or decision.home_chat_id is None:
        return
    with use_locale(decision.alliance_locale):
        text = welcome_card(decision.answers)
    await enqueue(session, Outgoing(chat_id=decision.home_chat_id, thread_id=decision.home_thread_id,
                                    text=text),
                  now=now, alliance_id=decision.alliance_id,
                  dedup_key=f"membership.welcome:{decision.application_id}")


async def nudge_newcomer(session: AsyncSession, alliance: Alliance, chat_id: int, first_name: str,
                         user_id: int, join_url: str, now: datetime) -> None:
    """Someone joined the group without applying: the group is told how to apply, once per
    person, through the outbox (the dedup key makes a repeated join silent)."""
    home = await alliances.home_chat(session, alliance.id)
    with use_locale(alliance.locale):
        text = nudge(first_name, join_url)
    await enqueue(session, Outgoing(chat_id=chat_id, text=text,
                                    thread_id=home.thread_id if home else None),
                  now=now, alliance_id=alliance.id,
                  dedup_key=f"membership:nudge:{alliance.id}:{user_id}", purpose="membership.nudge")


async def send_application_cards(bot: Bot, session: AsyncSession, application_id: int, *,
                                 only: int | None = None) -> int:
    """The application's card to each coordinator (or one, for /applications), each in their own
    language. Sent at once rather than through the outbox: the card's message ids are stored with
    the application (the decision edits every copy), and when no coordinator can be reached the
    group is told right away."""
    application, alliance = await application_for(session, application_id)
    applicant = await person(session, application.person_id)
    readers = await coordinators(session, alliance.id)
    sent: list[tuple[int, int, str]] = []
    for reader in readers:
        if only is not None and reader.person_id != only:
            continue
        with use_locale(reader.locale):
            text, keyboard = application_card(application, alliance, applicant)
            try:
                card = await bot.send_message(reader.person_id, text, reply_markup=keyboard)
            except TelegramAPIError as error:
                log.info("application card not delivered: %s", type(error).__name__)
                continue
        sent.append((reader.person_id, card.message_id, reader.locale))
    await remember_cards(session, application_id, sent)
    if not sent and only is None:
        home = await alliances.home_chat(session, alliance.id)
        if home is not None and home.active:
            with use_locale(alliance.locale):
                try:
                    await bot.send_message(home.tg_chat_id, no_coordinator_reachable(),
                                           message_thread_id=home.thread_id)
                except TelegramAPIError as error:
                    log.info("notice not delivered: %s", type(error).__name__)
    return len(sent)


# What another feature does when a member is removed (its pledges, bookings, asks and offers),
# by feature: installed by that feature's ``install``, run in the removing transaction.
RemovedHook = Callable[[AsyncSession, Alliance, Member, datetime], Awaitable[None]]
_removed_hooks: dict[str, RemovedHook] = {}


def on_removed(feature: str, hook: RemovedHook) -> None:
    _removed_hooks[feature] = hook


async def member_removed(session: AsyncSession, alliance: Alliance, member: Member,
                         now: datetime) -> None:
    """A removal's effects beyond the roster: the member's people are told, and every feature
    that holds something of the member's withdraws it and tells whom it concerns."""
    await tell_people(session, alliance, member, now)
    for hook in _removed_hooks.values():
        await hook(session, alliance, member, now)


async def tell_people(session: AsyncSession, alliance: Alliance, member: Member,
                      now: datetime) -> None:
    """The member's people hear of a change in standing privately, through the outbox."""
    for reader in await member_readers(session, member.id):
        with use_locale(reader.locale):
            text = status_notice(member, alliance.name)
        await enqueue(session, Outgoing(chat_id=reader.person_id, text=text), now=now,
                      alliance_id=alliance.id, purpose="membership.status",
                      hold_in_quiet_hours=True)


async def quietly(call: Any) -> Any:
    try:
        return await call
    except TelegramAPIError as error:
        log.info("%s failed: %s", getattr(call, "__qualname__", "call"), type(error).__name__)
        return None


# -- membership votes ----------------------------------------------------------------------------

SUBJECT = "membership"


async def open_membership_vote(session: AsyncSession, *, alliance_id: int, application_id: int,
                               business: str, summary: str = "", now: datetime) -> Proposal:
    """A yes/no proposal about one application, on the alliance's default rules; its card is
    queued for the home group and its jobs armed by the scheduler's next refresh. The caller
    commits."""
    alliance = await session.get(Alliance, alliance_id)
    if alliance is None:
        raise ValueError(f"no alliance {alliance_id}")
    with use_locale(alliance.locale):
        title = _("Admit “{business}” as a member?").format(business=business)
        text = summary or _("An application to join the alliance.")
    draft = decisions.draft_for(alliance, title=title[:decisions.TITLE_LIMIT],
                                text=text[:decisions.TEXT_LIMIT], kind=tally.YES_NO)
    proposal = await decisions.open_proposal(
        session, draft, author_id=None, now=now,
        subject=decisions.Subject(kind=SUBJECT, ref=str(application_id)))
    await decision_effects.opened(session, proposal, now, scheduler=None)
    return proposal


async def open_vote(session: AsyncSession, application: Application, now: datetime) -> None:
    """The membership vote on a just-submitted application (the caller commits)."""
    answers = application.answers or {}
    summary_lines = [str(answers.get(field)) for field in ("category", "region", "services")
                     if answers.get(field)]
    await open_membership_vote(session, alliance_id=application.alliance_id,
                               application_id=application.id,
                               business=str(answers.get("name") or "")[:120],
                               summary="\n".join(summary_lines), now=now)


async def decided(event: decision_effects.OutcomeEvent) -> None:
    alliance = await event.session.get(Alliance, event.proposal.alliance_id)
    result = event.result
    with use_locale(alliance.locale if alliance else None):
        reason = _("The members' vote: Yes {yes}, No {no}, Abstain {abstain}; {outcome}.").format(
            yes=format_number(result.counts[tally.YES]), no=format_number(result.counts[tally.NO]),
            abstain=format_number(result.counts[tally.ABSTAIN]),
            outcome=_("approved") if result.passed else _("not approved"))
    try:
        decision = await decide_application(
            event.session, int(event.proposal.subject_ref or 0), approve=result.passed,
            actor_id=None, reason=reason, now=event.now)
    except DomainError as error:  # a coordinator decided it meanwhile: their decision stands
        log.info("membership vote %s: application already %s", event.proposal.id,
                 error.params.get("status"))
        return
    await queue_welcome(event.session, decision, event.now)
    bot = event.bot
    if bot is not None:
        spawn_after_commit(event.session, lambda: carry_out(bot, decision, event.now))


def install(app: AllianceApp) -> None:
    """Plug membership into the runtime: a membership vote's outcome decides its application."""
    decision_effects.on_outcome(SUBJECT, decided)
