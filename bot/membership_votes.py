"""Membership votes (PRODUCT.md §2, §5): when an alliance's approval mode is ``vote``, an
application opens a yes/no proposal, and its outcome approves or rejects the application.

The membership feature owns applications; this module is the bridge. Importing it installs
the opener the membership service calls for an application in ``vote`` mode, and the outcome
hook, which decides the application inside the transaction that closed the proposal (the
decision and the close commit together) and then, once committed, carries the decision out on
Telegram exactly as a coordinator's press would.

The card and the jobs of a vote opened from the questionnaire are armed by the outbox's next
poll and the scheduler's next refresh (deadlines are at least an hour away).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import decisions as glue
from bot.aftercommit import spawn_after_commit
from bot.i18n import format_number, use_locale
from bot.i18n import gettext as _
from bot.membership_effects import carry_out
from bot.services import decisions, membership, tally
from bot.services.errors import DomainError
from storage.models import Alliance, Application, Proposal

log = logging.getLogger(__name__)
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
    proposal = await decisions.open_proposal(
        session, alliance_id=alliance_id, author_id=None, title=title[:decisions.TITLE_LIMIT],
        text=text[:decisions.TEXT_LIMIT], kind=tally.YES_NO, subject_kind=SUBJECT,
        subject_ref=str(application_id), now=now)
    await glue.opened(session, proposal, now, scheduler=None)
    return proposal


async def _open_for_application(session: AsyncSession, application: Application,
                                now: datetime) -> bool:
    answers = application.answers or {}
    summary_lines = [str(answers.get(field)) for field in ("category", "region", "services")
                     if answers.get(field)]
    await open_membership_vote(session, alliance_id=application.alliance_id,
                               application_id=application.id,
                               business=str(answers.get("name") or "")[:120],
                               summary="\n".join(summary_lines), now=now)
    return True


membership.membership_vote_opener = _open_for_application


@glue.on_outcome(SUBJECT)
async def decided(event: glue.OutcomeEvent) -> None:
    alliance = await event.session.get(Alliance, event.proposal.alliance_id)
    result = event.result
    with use_locale(alliance.locale if alliance else None):
        reason = _("The members' vote: Yes {yes}, No {no}, Abstain {abstain}; {outcome}.").format(
            yes=format_number(result.counts[tally.YES]), no=format_number(result.counts[tally.NO]),
            abstain=format_number(result.counts[tally.ABSTAIN]),
            outcome=_("approved") if result.passed else _("not approved"))
    try:
        decision = await membership.decide_application(
            event.session, int(event.proposal.subject_ref or 0), approve=result.passed,
            actor_id=None, reason=reason, now=event.now)
    except DomainError as error:  # a coordinator decided it meanwhile: their decision stands
        log.info("membership vote %s: application already %s", event.proposal.id,
                 error.params.get("status"))
        return
    bot = event.bot
    if bot is not None:
        spawn_after_commit(event.session, lambda: carry_out(bot, decision, event.now))
