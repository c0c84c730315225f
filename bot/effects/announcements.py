"""The bot side of /announce: the posts and private copies queued in the outbox, and the
delivery report once the last of them is sent or given up.

Every item carries the purpose ``announce:<id>``; the outbox calls back after each sent and
each failed item, and the check (``announcements.finish_if_done``) reports only when nothing of
the announcement is pending any more — once, because it moves the announcement to done in one
conditional update and the report has its own dedup key. A crash between the last outcome and
its check is caught at start-up: the armer schedules a check of every announcement still being
delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import use_locale
from bot.runtime.notices import tell
from bot.runtime.scheduler import JobContext, JobSpec
from bot.services import announcements
from bot.services.announcements import Audience
from bot.services.outgoing import Outgoing, enqueue
from bot.views import announcements as views
from storage.models import Alliance, Announcement

if TYPE_CHECKING:
    from bot.runtime.app import AllianceApp

CHECK = "announce.check"


async def dispatch(session: AsyncSession, announcement: Announcement, alliance: Alliance,
                   where: Audience, now: datetime) -> None:
    """Queue the announcement for every chat (in the alliance's language) and every person (in
    theirs), in the transaction that moved it to sending."""
    key = announcements.purpose(announcement.id)
    with use_locale(alliance.locale):
        text = views.post(alliance.name, announcement.text)
    for chat in where.chats:
        await enqueue(session, Outgoing(chat_id=chat.tg_chat_id, text=text,
                                        thread_id=chat.thread_id if chat.role == "home" else None),
                      now=now, alliance_id=alliance.id, dedup_key=f"{key}:{chat.tg_chat_id}",
                      purpose=key)
    await tell(session, where.people, lambda: (views.post(alliance.name, announcement.text), None),
               now=now, alliance_id=alliance.id, key=key, purpose=key)
    await check(session, announcement.id, now)  # nowhere to send it: reported at once


async def check(session: AsyncSession, announcement_id: int, now: datetime) -> None:
    """If every item is sent or failed, the author's report (once)."""
    report = await announcements.finish_if_done(session, announcement_id, now)
    if report is None:
        return
    await tell(session, [report.announcement.author_id], lambda: (views.report(report), None),
               now=now, alliance_id=report.alliance.id, key=f"announce.report:{announcement_id}")


async def jobs(session: AsyncSession, now: datetime, _until: datetime) -> list[JobSpec]:
    """A check for every announcement still being delivered: after a crash its last outcome's
    check may never have run."""
    return [JobSpec(id=f"{CHECK}:{announcement.id}", at=now, kind=CHECK,
                    args={"announcement_id": announcement.id})
            for announcement in await announcements.unfinished(session)]


async def run_check(job: JobContext, announcement_id: int) -> None:
    await check(job.session, announcement_id, job.now)


def install(app: AllianceApp) -> None:
    """Plug announcements into the runtime: a check after every outcome, and at start-up."""
    async def outcome(session: AsyncSession, argument: str, _chat_id: int, _what: object) -> None:
        if argument.isdigit():
            await check(session, int(argument), app.clock.now())

    app.outbox.on_sent(announcements.PURPOSE, outcome)
    app.outbox.on_failed(announcements.PURPOSE, outcome)
    app.scheduler.add_armer(jobs)
    app.scheduler.add_runner(CHECK, run_check)
