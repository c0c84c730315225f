"""/stats and /scorecard end to end (PRODUCT.md §8), in English and Traditional Chinese: a PNG
that opens at the expected size, figures that match the rows in the database, a clear refusal
for a bad period and for a plain member asking for someone else's card; and the monthly report
on the fake clock: posted once on the 1st at 09:00 alliance time, not before, not twice across a
restart, not when the setting is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.i18n import zone
from bot.services import stats
from bot.views.charts import SCORECARD_SIZE, STATS_SIZE
from storage.models import Alliance as AllianceRow
from storage.models import Member
from tests.e2e.harness import Harness, make_harness
from tests.e2e.referral_stories import alliance
from tests.e2e.stats_stories import photos, picture, referrals, seed_history


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_stats_chart_opens_and_its_figures_match_the_database(harness: Harness,
                                                                   locale: str) -> None:
    a = await alliance(harness, locale)
    seeded = await seed_history(a, harness.clock.now())
    world = harness.world
    # A plain member asks in the group: the chart comes back there.
    await harness.say(a.chen, a.group, "/stats")
    chart = world.last(a.group)
    assert picture(chart) == STATS_SIZE
    caption = chart.text
    assert a.t("Referrals made: {n}").format(n=4) in caption
    assert a.t("Decisions taken: {n}").format(n=1) in caption
    assert a.t("Meetings held: {n}").format(n=1) in caption
    assert a.t("New members: {n}").format(n=1) in caption

    # The service's figures, against the rows: made in the last 30 days, not cancelled.
    rows = await referrals(a)
    since = seeded.now - timedelta(days=30)
    live = [r for r in rows if r.status != "cancelled"
            and since <= r.created_at.replace(tzinfo=UTC) <= seeded.now]
    assert harness.app is not None
    async with harness.app.sessions() as session:
        row = await session.get(AllianceRow, seeded.alliance_id)
        assert row is not None
        figures = await stats.stats_for(session, row, None, seeded.now + timedelta(seconds=1))
    by_id = {m.member_id: m for m in figures.members}
    for name, member_id in a.ids.items():
        if name == "sue":
            continue
        assert by_id[member_id].given == sum(r.referrer_id == member_id for r in live), name
        assert by_id[member_id].received == sum(r.receiver_id == member_id for r in live), name
    assert figures.referrals == len(live) == 4
    assert (figures.won, figures.won_value, figures.won_elsewhere) == (2, Decimal("12000"), 1)
    assert by_id[a.ids["chen"]].won_value == Decimal("12000")
    assert (figures.decisions, figures.meetings, figures.new_members) == (1, 1, 1)
    taipei = zone("Asia/Taipei")
    first = datetime(figures.trend[0].month.year, figures.trend[0].month.month, 1, tzinfo=taipei)
    assert len(figures.trend) == stats.TREND_MONTHS
    assert figures.trend[-1].month == seeded.now.astimezone(taipei).date().replace(day=1)
    assert sum(m.referrals for m in figures.trend) == sum(
        1 for r in rows if r.status != "cancelled" and r.created_at.replace(tzinfo=UTC) >= first)

    # A named month, a quarter; a bad period is explained in the reader's language.
    await harness.say(a.lin, a.lin, "/stats quarter")
    assert picture(world.last(a.lin)) == STATS_SIZE
    reply = await harness.say(a.lin, a.lin, "/stats last week")
    assert reply is not None and reply.photo is None
    assert reply.text == a.t(
        "I did not understand that period. Send /stats alone (the last 30 days), or with month, "
        "quarter, year, a number of days like 90d, a month like 2026-10 or a year like 2026.")


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_scorecard_own_for_a_member_any_for_a_coordinator(harness: Harness,
                                                               locale: str) -> None:
    a = await alliance(harness, locale)
    seeded = await seed_history(a, harness.clock.now())
    world = harness.world
    await harness.say(a.chen, a.chen, "/start")
    card = await harness.say(a.chen, a.chen, "/scorecard")
    assert card is not None and picture(card) == SCORECARD_SIZE
    assert "Chen Tyres" in card.text

    assert harness.app is not None
    async with harness.app.sessions() as session:
        row = await session.get(AllianceRow, seeded.alliance_id)
        chen = await session.get(Member, a.ids["chen"])
        assert row is not None and chen is not None
        figures = await stats.scorecard(session, row, chen, seeded.now + timedelta(seconds=1))
    rows = [r for r in await referrals(a) if r.status != "cancelled"]
    mine = [r for r in rows if r.receiver_id == chen.id]
    assert figures.given == sum(r.referrer_id == chen.id for r in rows) == 1
    assert figures.received == len(mine) == 3
    assert figures.accepted == figures.won == 2
    assert (figures.won_value, figures.won_elsewhere) == (Decimal("12000"), 1)
    assert figures.average_answer == timedelta(hours=3.5) / 3
    assert (figures.meetings_attended, figures.meetings_held) == (1, 1)
    assert figures.votes_cast == 3

    # A plain member may not see another member's card, named any way.
    for other in ("/scorecard Wang Tyres", f"/scorecard #{a.ids['wang']}", "/scorecard Nobody"):
        before = len(photos(world.messages_to(a.chen)))
        reply = await harness.say(a.chen, a.chen, other)
        assert reply is not None and reply.photo is None
        assert reply.text == a.t("You can see your own business's scorecard: send /scorecard "
                                 "alone. Only coordinators can see other members' cards.")
        assert len(photos(world.messages_to(a.chen))) == before
    # Naming itself is fine.
    assert picture(await harness.say(a.chen, a.chen, "/scorecard Chen Tyres")) == SCORECARD_SIZE
    # A coordinator may see anyone's, by name or @username.
    await harness.say(a.lin, a.lin, "/start")
    other = await harness.say(a.lin, a.lin, "/scorecard Wang")
    assert other is not None and picture(other) == SCORECARD_SIZE and "Wang Tyres" in other.text
    mine_too = await harness.say(a.lin, a.lin, "/scorecard @lin")
    assert mine_too is not None and "Lin Garage" in mine_too.text
    # In the group: it works in private only, said so.
    reply = await harness.say(a.chen, a.group, "/scorecard")
    assert reply is not None and reply.photo is None


async def test_stats_of_an_empty_alliance_is_a_chart_that_says_so(harness: Harness) -> None:
    from tests.e2e.stories import setup_group

    lin, _chen, group = await setup_group(harness)
    chart = await harness.say(lin, group, "/stats")
    assert chart is not None and picture(chart) == STATS_SIZE
    assert "Referrals made: 0" in chart.text


# -- the monthly report ----------------------------------------------------------------------------

# 2026-11-01 07:00 in Taipei: two hours before the report is due.
START = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)


async def _reporting(tmp_path: Path, locale: str) -> tuple[Harness, object]:
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", start=START)
    await harness.start_bot()
    a = await alliance(harness, locale)
    await seed_history(a, datetime(2026, 10, 20, 4, 0, tzinfo=UTC))
    return harness, a


def _reports(harness: Harness, a: object) -> list[str]:
    return [m.text for m in photos(harness.world.messages_in(a.group))]  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_monthly_report_posted_once_on_the_first_at_nine(tmp_path: Path, locale: str) -> None:
    harness, a = await _reporting(tmp_path, locale)
    try:
        await harness.advance(timedelta(hours=1, minutes=58))  # 08:58 in Taipei
        assert _reports(harness, a) == []
        await harness.advance(timedelta(minutes=3))
        [report] = _reports(harness, a)
        assert picture(photos(harness.world.messages_in(a.group))[-1]) == STATS_SIZE  # type: ignore[attr-defined]
        month = {"en": "October 2026", "zh_Hant": "2026年10月"}[locale]
        assert month in report
        assert a.t("Referrals made: {n}").format(n=4) in report  # type: ignore[attr-defined]
        await harness.advance(timedelta(hours=2))
        await harness.restart()
        await harness.advance(timedelta(days=1))
        assert len(_reports(harness, a)) == 1
        # A month later, November's report: once.
        await harness.advance(timedelta(days=29, hours=1))
        texts = _reports(harness, a)
        assert len(texts) == 2 and {"en": "November 2026", "zh_Hant": "2026年11月"}[locale] in texts[1]
        assert not harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()


async def test_an_alliance_set_up_mid_month_gets_its_first_report_on_the_next_first(
        tmp_path: Path) -> None:
    """Set up on 20 November: no October report then or after a restart; November's on
    1 December at 09:00."""
    start = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Taipei
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", start=start)
    try:
        await harness.start_bot()
        a = await alliance(harness, "zh_Hans")
        await harness.advance(timedelta(hours=1))
        await harness.restart()
        await harness.advance(timedelta(hours=1))
        assert _reports(harness, a) == []
        await harness.advance(timedelta(days=10, hours=21))  # 1 December, 09:00 in Taipei
        [report] = _reports(harness, a)
        assert "2026年11月" in report
        assert not harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()


async def test_monthly_report_not_posted_when_turned_off(tmp_path: Path) -> None:
    harness, a = await _reporting(tmp_path, "en")
    try:
        assert harness.app is not None
        async with harness.app.sessions() as session:
            await session.execute(update(AllianceRow).values(settings={"monthly_report": False}))
            await session.commit()
        await harness.advance(timedelta(hours=3))
        await harness.restart()
        await harness.advance(timedelta(hours=1))
        assert _reports(harness, a) == []
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()
