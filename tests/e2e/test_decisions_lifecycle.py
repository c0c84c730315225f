"""Decisions over time: deadlines across a restart, the one reminder, the log, secrecy, hooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.effects import decisions as effects
from bot.services import decisions
from storage.models import Alliance, AuditEntry, Proposal
from tests.e2e import stories
from tests.e2e.decision_stories import (
    alliance,
    announcements,
    ballots,
    card_in,
    now_showing,
    propose,
    text_in,
)
from tests.e2e.harness import Harness


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_a_deadline_passed_while_down_closes_once_and_is_announced_once(
        harness: Harness, lang: str) -> None:
    lin, people, group = await alliance(harness, lang, members=4)
    await propose(harness, lin, title="Longer opening hours", text="Open until 21:00.",
                  kind="yesno", deadline="2h")
    card = card_in(harness, group)
    await people[0].press(card, text_in(lang, "Yes"))
    await people[1].press(card, text_in(lang, "Yes"))
    await people[2].press(card, text_in(lang, "No"))
    await harness.stop_bot()
    harness.clock.advance(timedelta(hours=3))
    await harness.start_bot()
    await harness.world.settle()
    final = now_showing(harness, group, card)
    assert final.buttons == [] and text_in(lang, "Passed") in final.text
    assert len(announcements(harness, group, lang)) == 1
    await harness.restart()
    await harness.advance(timedelta(hours=1))
    assert len(announcements(harness, group, lang)) == 1
    async with harness.app.sessions() as session:  # type: ignore[union-attr]
        proposal = await session.get(Proposal, 1)
        assert proposal is not None and proposal.close_reason == "deadline"
        closes = list(await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "proposal.close")))
        assert len(closes) == 1


async def test_a_press_after_the_deadline_is_refused_and_the_job_closes_it(
        harness: Harness) -> None:
    lin, people, group = await alliance(harness, "en", members=2)
    await propose(harness, lin, title="Quick one", text="Yes or no?", kind="yesno", deadline="1h")
    card = card_in(harness, group)
    harness.clock.advance(timedelta(hours=1, minutes=1))  # the alarm has not rung yet
    answer = await people[0].press(card, "Yes")
    assert answer.show_alert and answer.text == "This vote is closed."
    assert await ballots(harness) == 0
    await harness.advance(timedelta(seconds=1))
    final = now_showing(harness, group, card)
    assert "Not decided: no quorum" in final.text and final.buttons == []


async def test_one_reminder_24h_before_the_close_to_those_who_have_not_voted(
        harness: Harness) -> None:
    lin, people, group = await alliance(harness, "en", members=3)
    mei_zh = harness.world.user("Mei", lang="zh-hant")
    await stories.seed_member(harness, group, mei_zh, name="Mei Tea")
    await propose(harness, lin, title="Annual fee", text="Raise it to 1200.", kind="yesno")
    card = card_in(harness, group)
    await people[0].press(card, "Yes")
    await harness.advance(timedelta(hours=47))
    assert not [m for p in people for m in harness.world.messages_to(p) if "⏰" in m.text]
    await harness.advance(timedelta(hours=1, minutes=1))
    reminded = {p.name for p in [lin, *people, mei_zh]
                if any("⏰" in m.text for m in harness.world.messages_to(p))}
    assert reminded == {lin.name, people[1].name, people[2].name, "Mei"}
    mei_text = next(m.text for m in harness.world.messages_to(mei_zh) if "⏰" in m.text)
    assert "尚未投票" in mei_text
    await harness.restart()
    await harness.advance(timedelta(hours=2))
    assert sum("⏰" in m.text for m in harness.world.messages_to(people[1])) == 1


async def test_secret_ballot_shows_tallies_only_and_results_after_the_close(
        harness: Harness) -> None:
    lin, people, group = await alliance(harness, "en", members=3)
    await propose(harness, lin, title="Rate the supplier", text="Keep Acme?", kind="yesno",
                  toggles=("Secret ballot", "Results"))
    card = card_in(harness, group)
    assert "secret ballot" in card.text and "Results are shown after the close." in card.text
    await people[0].press(card, "Yes")
    await people[1].press(card, "No")
    shown = now_showing(harness, group, card)
    assert "Yes 1" not in shown.text and "Turnout: 2 of 4 members" in shown.text
    details = await harness.say(lin, lin, "/proposal 1")
    assert details is not None
    assert "Not voted yet: Lin Garage, Shop 002 M2" in details.text
    assert "Shop 000" not in details.text and "Shop 001" not in details.text
    assert "Secret ballot: only tallies are ever shown." in details.text
    await harness.say(lin, group, "/close 1")
    final = now_showing(harness, group, card)
    assert "Yes 1 · No 1 · Abstain 0" in final.text
    after = await harness.say(people[2], group, "/proposal 1")
    assert after is not None and "Rejected" in after.text
    assert "Shop 000" not in after.text and "Shop 001" not in after.text
    async with harness.app.sessions() as session:  # type: ignore[union-attr]
        entries = list(await session.scalars(select(AuditEntry)))
    assert all("choice" not in str(e.details) and "counts" not in str(e.details)
               for e in entries)


async def test_open_ballot_details_and_the_paged_log(harness: Harness) -> None:
    lin, people, group = await alliance(harness, "en", members=2)
    await propose(harness, lin, title="First", text="One.", kind="yesno")
    card = card_in(harness, group)
    await people[0].press(card, "No")
    details = await harness.say(people[1], people[1], "/proposal 1")
    assert details is not None and "No: Shop 000 Chen" in details.text
    assert "Simple majority: more than half of the counted ballots" in details.text
    assert harness.app is not None
    async with harness.app.sessions() as session:
        for n in range(2, 13):
            draft = decisions.draft_for(await session.get(Alliance, 1), title=f"Proposal {n}",
                                        text="Text.")
            await decisions.open_proposal(session, draft, author_id=lin.id,
                                          now=harness.clock.now())
        await session.commit()
    log = await harness.say(people[0], group, "/decisions")
    assert log is not None and "page 1 of 2" in log.text and "#12 Proposal 12" in log.text
    await people[0].press(log, "▶")
    page2 = now_showing(harness, group, log)
    assert "page 2 of 2" in page2.text and "#1 First" in page2.text
    stranger = harness.world.user("Stranger")
    missing = await harness.say(stranger, stranger, "/proposal 1")
    assert missing is not None and "not in an alliance" not in missing.text
    assert "First" not in missing.text


async def test_suspended_and_ineligible_voters_get_an_alert(harness: Harness) -> None:
    lin, people, group = await alliance(harness, "zh-hans", members=2)
    suspended = harness.world.user("Su", lang="zh-hans")
    group.chat.member(suspended.user).status = "member"
    await stories.seed_member(harness, group, suspended, name="Su Shop", status="suspended")
    await propose(harness, lin, title="协调员投票", text="只有协调员投票。", kind="yesno",
                  toggles=(text_in("zh-hans", "Voters: all members"),))
    card = card_in(harness, group)
    answer = await suspended.press(card, text_in("zh-hans", "Yes"))
    assert answer.show_alert and answer.text == text_in(
        "zh-hans", "Your membership is suspended, so you cannot do that now. A coordinator can "
        "reinstate it.")
    answer = await people[0].press(card, text_in("zh-hans", "Yes"))
    assert answer.show_alert and answer.text == text_in(
        "zh-hans", "Only coordinators vote on this proposal.")
    await lin.press(card, text_in("zh-hans", "Yes"))  # the only eligible voter: closes
    assert len(announcements(harness, group, "zh-hans")) == 1


async def test_outcome_hook_of_a_subject_runs_in_the_closing_transaction(
        harness: Harness) -> None:
    seen: list[tuple[str | None, bool]] = []

    async def decided(event: effects.OutcomeEvent) -> None:
        seen.append((event.proposal.subject_ref, event.result.passed))

    effects.on_outcome("test_subject", decided)
    try:
        lin, people, group = await alliance(harness, "en", members=1)
        assert harness.app is not None
        async with harness.app.sessions() as session:
            draft = decisions.draft_for(await session.get(Alliance, 1),
                                        title="Admit Acme Tyres?", text="Application #7")
            proposal = await decisions.open_proposal(
                session, draft, author_id=None, now=harness.clock.now(),
                subject=decisions.Subject(kind="test_subject", ref="7"))
            await effects.opened(session, proposal, harness.clock.now(),
                                 scheduler=harness.app.scheduler)
            await session.commit()
        await harness.world.settle()
        card = card_in(harness, group)
        await people[0].press(card, "Yes")
        await lin.press(card, "Yes")
        assert seen == [("7", True)]
    finally:
        effects._hooks.pop("test_subject", None)


async def test_the_outcome_is_pinned_when_the_alliance_wants_it(harness: Harness) -> None:
    lin, people, group = await alliance(harness, "en", members=1)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        from storage.models import Alliance

        row = await session.get(Alliance, 1)
        assert row is not None
        row.settings = {**row.settings, "pin_decisions": True, "proposal_quorum_pct": 100}
        await session.commit()
    await propose(harness, lin, title="Pin me", text="Pinned outcome.", kind="yesno")
    card = card_in(harness, group)
    assert "quorum 100%" in card.text  # the alliance's default quorum
    await people[0].press(card, "Yes")
    await lin.press(card, "Yes")
    (announced,) = announcements(harness, group, "en")
    assert announced.pinned and not now_showing(harness, group, card).pinned


async def test_telegram_errors_delay_the_card_but_lose_nothing(harness: Harness) -> None:
    lin, people, group = await alliance(harness, "zh-hans", members=3)
    faults = harness.emulator.faults
    faults.add("sendMessage", 502, chat_id=group)  # the card's first post fails
    await propose(harness, lin, title="预算", text="明年的预算。", kind="yesno")
    await harness.world.settle(timeout=30)
    card = card_in(harness, group)  # the outbox retried it
    faults.add("editMessageText", 500, chat_id=group)  # the next card edit fails
    await people[0].press(card, text_in("zh-hans", "Yes"))
    await people[1].press(card, text_in("zh-hans", "No"))
    shown = now_showing(harness, group, card)
    assert "赞成 1 · 反对 1" in shown.text  # the following edit shows the last state
    blocked = people[2]
    await blocked.block_bot()
    await harness.advance(timedelta(hours=48, minutes=1))  # the reminder goes out
    reminded = [p for p in (lin, blocked) if any("⏰" in m.text
                                                  for m in harness.world.messages_to(p))]
    assert reminded == [lin]  # the one who blocked the bot is skipped, the rest still get it
    await harness.advance(timedelta(hours=24))
    assert len(announcements(harness, group, "zh-hans")) == 1
