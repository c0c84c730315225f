"""A proposal's close at its deadline and its one reminder, derived from the proposals table.

A deadline that passed while the bot was down closes once when it is back (the close is
idempotent on ``status='open'`` and the announcement is deduplicated in the outbox). A reminder
whose moment passed while the bot was down is still sent if the vote is still open — it was
meant to reach people before the close, and it still does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import scheduler
from bot.scheduler import JobContext, JobSpec
from bot.services import decisions
from storage.models import Proposal


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


@scheduler.armer
async def jobs(session: AsyncSession, now: datetime) -> list[JobSpec]:
    return [spec for proposal in await decisions.open_proposals(session)
            for spec in jobs_for(proposal)]


@scheduler.runner("proposal.close")
async def close(job: JobContext, proposal_id: int) -> None:
    from bot.decisions import finish

    closed = await decisions.close_at_deadline(job.session, proposal_id, job.now)
    if closed is None:
        return
    proposal, result = closed
    await finish(job.session, proposal, result, job.now, cards=job.cards,
                 scheduler=job.scheduler, bot=job.bot, outbox=job.outbox)


@scheduler.runner("proposal.remind")
async def remind(job: JobContext, proposal_id: int) -> None:
    from bot.decisions import send_reminders

    await send_reminders(job.session, proposal_id, job.now)
