"""The monthly report's scheduled work (PRODUCT.md §8): on the 1st at 09:00 alliance time, the
previous month's figures and chart posted to the home group through the outbox.

The job follows from stored state like every other: each alliance with the report on and a home
group is owed next month's report, and this month's if its run is not recorded (the bot was down
at 09:00: it posts when it is back, in the same month only). The run's claim (job id with the
month, due instant) is inserted in the run's transaction with the outbox item, so the report goes
once across restarts and replicas; the outbox item's dedup key is a second guard.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime.scheduler import JobContext, JobSpec
from bot.services import stats
from bot.services.outgoing import Outgoing, enqueue
from bot.views import charts
from bot.views import stats as views

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp


async def jobs(session: AsyncSession, now: datetime, until: datetime) -> list[JobSpec]:
    return [JobSpec(id=stats.report_job_id(owed.alliance_id, owed.due),
                    at=owed.due.astimezone(UTC), kind=stats.REPORT_JOB,
                    args={"alliance_id": owed.alliance_id})
            for owed in await stats.reports_due(session, now, until)]


async def post_report(job: JobContext, alliance_id: int) -> None:
    report = await stats.monthly_report(job.session, alliance_id, job.due_at, job.now)
    if report is None:
        return
    alliance = report.alliance
    with use_locale(alliance.locale):
        caption = views.report_caption(report.stats)
        png = await asyncio.to_thread(charts.stats_png, report.stats)
    month = f"{report.stats.period.start:%Y-%m}"
    await enqueue(job.session, Outgoing(chat_id=report.chat_id, thread_id=report.thread_id,
                                        text=caption, document=png,
                                        document_name=f"report-{month}.png", photo=True),
                  now=job.now, alliance_id=alliance.id,
                  dedup_key=f"monthly_report:{alliance.id}:{month}",
                  purpose=f"monthly_report:{alliance.id}")


def install(app: AllianceApp) -> None:
    """Plug the monthly report into the runtime: its jobs and their runner."""
    app.scheduler.add_armer(jobs)
    app.scheduler.add_runner(stats.REPORT_JOB, post_report)
