"""Membership votes (PRODUCT.md §2, §5): when an alliance's approval mode is ``vote``, an
application opens a yes/no proposal, and its outcome approves or rejects the application.

The membership feature owns applications; this module is the bridge. Wiring (done at merge):

    from bot import membership_votes
    from bot.services import membership
    membership.membership_vote_opener = membership_votes.open_membership_vote

The outcome hook below calls ``membership.decide_application(session, application_id,
approve=..., actor_id=None, reason=..., now=...)`` inside the transaction that closed the
proposal, so the decision and the close commit together.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot import decisions as glue
from bot.i18n import format_number, use_locale
from bot.i18n import gettext as _
from bot.services import decisions, tally
from storage.models import Alliance, Proposal

if TYPE_CHECKING:
    from bot.outbox import OutboxWorker
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)
SUBJECT = "membership"


async def open_membership_vote(session: AsyncSession, *, alliance_id: int, application_id: int,
                               business: str, summary: str = "", now: datetime,
                               scheduler: Scheduler | None = None,
                               outbox: OutboxWorker | None = None) -> Proposal:
    """A yes/no proposal about one application, on the alliance's default rules; its card is
    queued for the home group and its jobs armed (or armed by the next refresh). The caller
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
    await glue.opened(session, proposal, now, scheduler=scheduler, outbox=outbox)
    return proposal


@glue.on_outcome(SUBJECT)
async def decided(event: glue.OutcomeEvent) -> None:
    from bot.services import membership  # the membership feature's service (its branch)

    alliance = await event.session.get(Alliance, event.proposal.alliance_id)
    result = event.result
    with use_locale(alliance.locale if alliance else None):
        reason = _("The members' vote: Yes {yes}, No {no}, Abstain {abstain}; {outcome}.").format(
            yes=format_number(result.counts[tally.YES]), no=format_number(result.counts[tally.NO]),
            abstain=format_number(result.counts[tally.ABSTAIN]),
            outcome=_("approved") if result.passed else _("not approved"))
    await membership.decide_application(
        event.session, int(event.proposal.subject_ref or 0), approve=result.passed,
        actor_id=None, reason=reason, now=event.now)
