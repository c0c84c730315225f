"""The armers that a refresh runs every 15 minutes over every alliance (issue 16): the referrals'
and the monthly report's. Each reads only what is due before the window's end, by SQL on both
engines; what it returns must be exactly what the whole stored state implies in that window,
whatever each alliance's own settings (delays of its own, an unset or garbled value, the report
turned off, another time zone), and a refresh must not build a ``Referral`` object per row
(on SQLite those reads run on the event loop)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import referrals as referral_effects
from bot.effects.referrals import jobs_for
from bot.services import referrals as refs
from bot.services import settings as alliance_settings
from bot.services import stats
from bot.services.stats import ReportDue, next_report, report_due, report_job_id
from storage.models import Alliance, Chat, JobRun, Member, Referral

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# (time zone, stored settings, created) per alliance; every one but the last has a home group
ALLIANCES: list[tuple[str, dict[str, Any], datetime]] = [
    ("Asia/Taipei", {}, NOW - timedelta(days=400)),
    ("Asia/Taipei", {"referral_sla_hours": 12}, NOW - timedelta(days=400)),
    ("Asia/Taipei", {"referral_expiry_hours": 48}, NOW - timedelta(days=400)),
    ("Asia/Taipei", {"retention_days": 30, "monthly_report": False}, NOW - timedelta(days=400)),
    ("Asia/Taipei", {"referral_sla_hours": "48", "monthly_report": None}, NOW - timedelta(days=400)),
    ("Asia/Taipei", {"referral_sla_hours": None, "currency": "EUR"}, NOW - timedelta(days=400)),
    ("Asia/Taipei", {"referral_sla_hours": 24, "retention_days": 365}, NOW - timedelta(days=9)),
    ("America/New_York", {"referral_expiry_hours": 2}, NOW - timedelta(days=400)),
    ("America/New_York", {"monthly_report": "yes"}, NOW - timedelta(days=400)),
    ("Europe/London", {}, NOW - timedelta(days=400)),
]
# moments a refresh may run at: mid-month, around 09:00 on the 1st in each zone, a month on
NOWS = [NOW, NOW + timedelta(hours=5), NOW + timedelta(days=3),
        datetime(2026, 12, 1, 0, 45, tzinfo=UTC), datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 8, 50, tzinfo=UTC), datetime(2026, 12, 1, 13, 50, tzinfo=UTC),
        datetime(2026, 12, 1, 14, 5, tzinfo=UTC), datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 25, 0, 0, tzinfo=UTC)]
WINDOWS = [timedelta(minutes=20), timedelta(days=2)]


def _referral(rng: random.Random, alliance_id: int, members: tuple[int, int]) -> dict[str, Any]:
    created = NOW - timedelta(hours=rng.uniform(-24 * 30, 24 * 400))
    row: dict[str, Any] = dict(
        alliance_id=alliance_id, referrer_id=members[0], receiver_id=members[1],
        customer_name="Mrs Wu", customer_contact="0912", need="brakes", urgency="normal",
        status="sent", created_at=created, updated_at=created, reminded_at=None, touched_at=None,
        nudged_at=None, closed_at=None, purged_at=None)
    kind = rng.choice(("sent", "reminded", "accepted", "nudged", "renudge", "closed", "purged"))
    if kind == "reminded":
        row["reminded_at"] = created + timedelta(hours=rng.uniform(1, 30))
    elif kind in ("accepted", "nudged", "renudge"):
        touched = created + timedelta(hours=rng.uniform(0, 400))
        row.update(status=rng.choice(("accepted", "contacted")), touched_at=touched)
        if kind != "accepted":
            row["nudged_at"] = touched + timedelta(days=7 if kind == "nudged" else -1)
    elif kind in ("closed", "purged"):
        closed = created + timedelta(hours=rng.uniform(0, 300))
        row.update(status=rng.choice(("won", "lost", "declined", "expired")), closed_at=closed,
                   touched_at=closed)
        if kind == "purged":
            row.update(customer_name=None, customer_contact=None,
                       purged_at=closed + timedelta(days=180))
        elif rng.random() < 0.3:
            row["customer_name"] = None  # the contact alone still held
    return row


async def _world(session: AsyncSession) -> None:
    """The alliances above, two members each, 600 referrals in every state over a year and a
    month ahead, and the November report run for some of them."""
    rng = random.Random(16)
    rows: list[dict[str, Any]] = []
    for index, (zone, stored, created) in enumerate(ALLIANCES):
        alliance = Alliance(name=f"A{index}", charter="", locale="en", timezone=zone,
                            settings=stored, created_at=created, updated_at=created)
        session.add(alliance)
        await session.flush()
        if index < len(ALLIANCES) - 1:
            session.add(Chat(kind="supergroup", role="home", tg_chat_id=-100_000 - index,
                             title=f"A{index}", alliance_id=alliance.id, created_at=NOW,
                             updated_at=NOW))
        members = []
        for name in ("Lin", "Chen"):
            member = Member(alliance_id=alliance.id, name=f"{name} {index}", category="repair",
                            status="active", created_at=NOW, updated_at=NOW)
            session.add(member)
            await session.flush()
            members.append(member.id)
        rows += [_referral(rng, alliance.id, (members[0], members[1])) for _ in range(60)]
        if index % 2 == 0:  # this month's report already posted
            due = report_due(NOW, zone)
            session.add(JobRun(job_id=report_job_id(alliance.id, due), due_at=due, ran_at=due))
    await session.execute(insert(Referral), rows)
    await session.commit()


async def _reports_owed(session: AsyncSession, now: datetime, until: datetime) -> list[ReportDue]:
    """What the report's rule says, read the slow way: every alliance, its settings in full."""
    homes = set(await session.scalars(select(Chat.alliance_id).where(Chat.role == "home")))
    ran = set(await session.scalars(select(JobRun.job_id)))
    owed = []
    for alliance in await session.scalars(select(Alliance)):
        if alliance.id not in homes or not alliance_settings.read_stored(
                alliance.settings, alliance.timezone).monthly_report:
            continue
        due, following = report_due(now, alliance.timezone), next_report(now, alliance.timezone)
        created = alliance.created_at.replace(tzinfo=alliance.created_at.tzinfo or UTC)
        if due > now or (created < due and report_job_id(alliance.id, due) not in ran):
            owed.append(ReportDue(alliance.id, due))
        owed.append(ReportDue(alliance.id, following))
    return sorted((item for item in owed if item.due < until),
                  key=lambda item: (item.alliance_id, item.due))


async def test_each_armer_returns_exactly_what_the_whole_state_implies_in_its_window(
        session: AsyncSession) -> None:
    await _world(session)
    everything = [(spec.id, spec.at) for referral, chosen in await refs.scheduled(session)
                  for spec in jobs_for(referral, chosen)]
    assert len(everything) > 100
    checked = 0
    for now in NOWS:
        for window in WINDOWS:
            until = now + window
            armed = await referral_effects.jobs(session, now, until)
            assert sorted((spec.id, spec.at) for spec in armed) == sorted(
                (job_id, at) for job_id, at in everything if at < until), (now, window)
            checked += len(armed)
            owed = await stats.reports_due(session, now, until)
            assert owed == await _reports_owed(session, now, until), (now, window)
    assert checked > 50  # the windows hold jobs, overdue ones and ones to come


async def test_a_refresh_builds_no_referral_object(session: AsyncSession) -> None:
    await _world(session)
    session.expunge_all()
    built: list[Referral] = []

    def loaded(target: Referral, context: object) -> None:
        built.append(target)

    event.listen(Referral, "load", loaded)
    try:
        armed = await referral_effects.jobs(session, NOW, NOW + timedelta(days=2))
    finally:
        event.remove(Referral, "load", loaded)
    assert armed and built == []
