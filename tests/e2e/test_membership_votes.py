"""Membership by vote (PRODUCT.md §2 and §5): an application in approval mode ``vote`` opens a
yes/no proposal in the home group; its outcome approves or rejects the application, with the
same Telegram effects as a coordinator's decision — also when the deadline passes while the bot
is down."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import Application, Ballot, Member, Proposal
from tests.e2e.decision_stories import text_in
from tests.e2e.harness import Harness
from tests.e2e.membership_stories import answer_all, db, payload_in
from tests.e2e.stories import seed_member, setup_group


async def vote_mode_alliance(harness: Harness, lang: str, button: str):
    lin, chen, group = await setup_group(harness, lang, language_button=button)
    world = harness.world
    await seed_member(harness, group, lin, name="Lin Garage", coordinator=True)
    await seed_member(harness, group, chen, name="Chen Tyres")
    await harness.say(lin, group, "/approval")
    await lin.press(world.last(group), text_in(lang, "a members' vote"))
    await harness.say(lin, group, "/joinlink")
    payload = payload_in(world.last(group).text)
    mei = world.user("Mei", lang="en")
    await mei.start(payload)
    await world.settle()
    await answer_all(harness, mei)
    assert "the members will vote" in world.last(mei).text
    card = [m for m in world.messages_in(group) if m.buttons][-1]
    return lin, chen, mei, group, card


async def test_the_members_vote_a_business_in(harness: Harness) -> None:
    lin, chen, mei, group, card = await vote_mode_alliance(harness, "zh-hans", "简体中文")
    world = harness.world
    assert "Mei's <b>Garage</b> & Co" in card.text  # the vote's card, in the group's language
    assert "&lt;b&gt;Garage" in card.html
    assert not [m for m in world.messages_to(lin) if m.buttons], "no Approve card in vote mode"
    await chen.press(card, text_in("zh-hans", "Yes"))
    await lin.press(card, text_in("zh-hans", "Yes"))  # all eligible voted: it closes
    await world.settle()
    member = await db(harness, select(Member).where(Member.name == "Mei's <b>Garage</b> & Co"))
    assert member is not None and member.status == "active"
    application = await db(harness, select(Application))
    assert application.status == "approved" and application.decided_by is None
    welcome = text_in("zh-hans", "👋 Please welcome our new member: {name}!").split("{name}")[0]
    assert sum(welcome in m.text for m in world.messages_in(group)) == 1
    assert any("is now a member" in m.text for m in world.messages_to(mei))


async def test_a_vote_without_quorum_rejects_once_across_a_restart(harness: Harness) -> None:
    _lin, _chen, mei, _group, _card = await vote_mode_alliance(harness, "en", "English")
    world = harness.world
    deadline = await db(harness, select(Proposal.closes_at))
    await harness.stop_bot()
    harness.clock.advance(deadline - harness.clock.now() + timedelta(minutes=5))
    await harness.start_bot()
    await world.settle()
    application = await db(harness, select(Application))
    assert application.status == "rejected"
    assert "The members' vote: Yes 0, No 0, Abstain 0; not approved." in application.reason
    rejections = [m for m in world.messages_to(mei) if "members' vote" in m.text]
    assert len(rejections) == 1
    await harness.restart()
    assert len([m for m in world.messages_to(mei) if "members' vote" in m.text]) == 1
    assert await db(harness, select(func.count()).select_from(Member)) == 2


async def test_a_vote_closing_on_an_application_decided_meanwhile_keeps_its_ballots(
        harness: Harness) -> None:
    lin, chen, _mei, group, card = await vote_mode_alliance(harness, "en", "English")
    world = harness.world
    assert harness.app is not None
    async with harness.app.sessions() as session:  # a coordinator decided it while it was open
        application = await session.scalar(select(Application))
        assert application is not None
        application.status, application.decided_by, application.reason = "rejected", lin.id, "x"
        await session.commit()
    await chen.press(card, "Yes")
    await lin.press(card, "Yes")  # all eligible voted: it closes; the hook finds it decided
    await world.settle()
    assert harness.failures == []
    assert await db(harness, select(func.count()).select_from(Ballot)) == 2
    assert await db(harness, select(Proposal.status)) == "closed"
    assert await db(harness, select(Application.status)) == "rejected"
    assert await db(harness, select(func.count()).select_from(Member)) == 2  # Lin's, Chen's
    final = next(m for m in world.messages_in(group) if m.message_id == card.message_id)
    assert final.buttons == []
