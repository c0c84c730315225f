"""Any text, wherever a person can type: every command's argument and every wizard's answer.

Hypothesis draws the text — up to Telegram's 4,096 characters, with control and zero-width
characters, HTML-looking pieces (``<b>``, ``&``, ``</i>``), emoji and Chinese — and the real bot
takes it through the emulator. Whatever it is, no handler fails, no request is refused by the
Bot API's rules (the ``fast`` fixture checks both), and nothing is logged as a crash.

One bot serves all the examples of a test: the alliance is built once by a fixture, and each
example goes on from where the last one left the alliance, as real people would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.emulator import SimChat, SimUser, WorldError
from bot.emulator.calls import spec_refusals
from bot.views.commands import COMMANDS
from storage.models import JoinCode
from tests.e2e.harness import Harness, press_forged
from tests.e2e.stories import seed_member, setup_group
from tests.texts import ANSWER, LIMIT, TEXT


def fuzz(examples: int) -> settings:
    """Few examples, each a whole conversation. No shrinking: the examples share one bot, whose
    state a shrinking replay could not rewind; a failure is reported as it was found."""
    return settings(max_examples=examples, deadline=None, phases=[Phase.explicit, Phase.generate],
                    report_multiple_bugs=False, suppress_health_check=[
                        HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                        HealthCheck.data_too_large, HealthCheck.large_base_example])


@dataclass
class Alliance:
    """A set-up alliance: Lin coordinates it and acts for Lin Garage; Chen (who reads Traditional
    Chinese) acts for Chen Tyres; Wang Tyres is another member; Mei belongs to no alliance."""

    harness: Harness
    caplog: pytest.LogCaptureFixture
    group: SimChat
    lin: SimUser
    chen: SimUser
    wang: SimUser
    mei: SimUser
    join_code: str

    async def say(self, user: SimUser, chat: SimChat | SimUser, text: str) -> None:
        target = chat.private if isinstance(chat, SimUser) else chat
        await user.send(target, text[:LIMIT])
        await self.settle()

    async def settle(self) -> None:
        # The bot reports itself busy while it handles anything: a short quiet spell will do.
        await self.harness.emulator.settle(quiet=0.005)

    async def state(self, user: SimUser) -> str | None:
        """The step of the form ``user`` is filling in with the bot, if any."""
        app = self.harness.app
        assert app is not None
        return await app.dispatcher.fsm.storage.get_state(
            StorageKey(bot_id=app.bot.id, chat_id=user.id, user_id=user.id))

    async def press(self, user: SimUser, label: str) -> None:
        """Press ``label`` on the newest message in ``user``'s chat with the bot that has it."""
        for message in reversed(self.harness.world.messages_in(user)):
            try:
                await user.press(message, label, wait=False)
            except WorldError:
                continue
            await self.settle()
            return
        raise AssertionError(f"no message to {user.name} has a button {label!r}")


@pytest.fixture
async def alliance(fast: Harness, caplog: pytest.LogCaptureFixture) -> Alliance:
    caplog.set_level(logging.INFO)
    fast.card_interval = 0.01  # cards are edited at once: examples need not wait to settle
    await fast.restart()
    lin, _chen, group = await setup_group(fast)
    world = fast.world
    chen = world.user("Chen-Two", lang="zh-hant")
    wang = world.user("Wang", lang="en")
    mei = world.user("Mei", lang="en")
    for person in (chen, wang, mei):
        await world.add_member(group, person, by=lin)
    await seed_member(fast, group, lin, name="Lin Garage", category="repair", coordinator=True)
    await seed_member(fast, group, chen, name="Chen Tyres", category="tyres",
                      contact="+886 912 345 678")
    await seed_member(fast, group, wang, name="Wang Tyres", category="tyres")
    for person in (lin, chen, wang, mei):
        await fast.say(person, person, "/start")
    await fast.say(lin, group, "/joinlink")
    assert fast.app is not None
    async with fast.app.sessions() as session:
        code = await session.scalar(select(JoinCode.code).where(JoinCode.kind == "join"))
    assert code is not None
    return Alliance(fast, caplog, group, lin, chen, wang, mei, code)


class Clean:
    """Whatever an example did: no handler failed, nothing was refused, no crash was logged."""

    def __init__(self, alliance: Alliance) -> None:
        self.alliance = alliance

    def __enter__(self) -> Clean:
        harness = self.alliance.harness
        self.failures = list(harness.failures)
        self.calls = len(harness.emulator.calls)
        self.records = len(self.alliance.caplog.records)
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            return
        harness = self.alliance.harness
        assert harness.failures == self.failures, f"handlers failed: {harness.failures}"
        refused = spec_refusals(harness.emulator.calls[self.calls:])
        assert not refused, f"the bot sent requests the Bot API refuses: {refused}"
        crashes = [record.getMessage() for record in self.alliance.caplog.records[self.records:]
                   if record.levelno >= logging.ERROR and record.exc_info]
        assert not crashes, crashes


# -- every command, with anything after it -----------------------------------------------------


@pytest.mark.parametrize("where", ["private", "group"])
@fuzz(12)
@given(data=st.data())
async def test_every_command_takes_any_argument(alliance: Alliance, where: str,
                                                data: st.DataObject) -> None:
    a = alliance
    with Clean(a):
        for command in COMMANDS:
            speaker = data.draw(st.sampled_from((a.lin, a.chen, a.mei)), label="speaker")
            argument = data.draw(TEXT, label=f"/{command.name}")
            await a.say(speaker, speaker if where == "private" else a.group,
                        f"/{command.name} {argument}")
        for person in (a.lin, a.chen, a.mei):
            await a.say(person, person, "/cancel")


# -- every wizard, with anything as each answer -------------------------------------------------

Action = Callable[[Alliance, SimUser], Awaitable[None]]


def typed(*texts: str) -> Action:
    async def act(a: Alliance, user: SimUser) -> None:
        for text in texts:
            await a.say(user, user, text)
    return act


def pressed(*labels: str) -> Action:
    async def act(a: Alliance, user: SimUser) -> None:
        for label in labels:
            await a.press(user, label)
    return act


def typed_then_pressed(text: str, label: str) -> Action:
    async def act(a: Alliance, user: SimUser) -> None:
        await a.say(user, user, text)
        await a.press(user, label)
    return act


async def answer_every_step(a: Alliance, user: SimUser, data: st.DataObject,
                            good: dict[str, Action], *, most: int = 30) -> None:
    """Send any text at each step of the form ``user`` is in; where it is refused, take the step
    with a good answer, so that every step gets its share of nonsense."""
    for _ in range(most):
        step = await a.state(user)
        if step not in good:
            return
        await a.say(user, user, data.draw(ANSWER, label=step))
        if await a.state(user) == step:
            await good[step](a, user)
    raise AssertionError(f"{user.name} is stuck in the form at {await a.state(user)}")


QUESTIONNAIRE = {
    "Apply:name": typed("Good Garage"),
    "Apply:category": typed("repair"),
    "Apply:category_text": typed("repair"),
    "Apply:region": typed("Taipei"),
    "Apply:services": typed("Brakes"),
    "Apply:contact": typed("+886 912 345 678"),
    "Apply:sponsor": pressed("No sponsor"),
    "Apply:charter": pressed("I accept the charter"),
    "Apply:confirm": pressed("Submit"),
}


@fuzz(10)
@given(data=st.data())
async def test_membership_questionnaire_and_rejection_take_any_answer(
        alliance: Alliance, data: st.DataObject) -> None:
    a = alliance
    with Clean(a):
        await a.say(a.lin, a.group, "/categories repair, tyres, parts")  # Mei picks or types one
        await a.say(a.mei, a.mei, f"/start join-{a.join_code}")
        await answer_every_step(a, a.mei, data, QUESTIONNAIRE)
        if await a.state(a.mei) is not None:
            await a.say(a.mei, a.mei, "/cancel")
            return
        # Lin rejects the application and types the reason the applicant will read.
        await a.press(a.lin, "❌ Reject")
        await answer_every_step(a, a.lin, data, {"Edit:reject_reason": typed("Incomplete")})


@fuzz(10)
@given(data=st.data())
async def test_profile_edits_take_any_answer(alliance: Alliance, data: st.DataObject) -> None:
    a = alliance
    with Clean(a):
        for field in ("Business name", "Category", "Region / city", "Services", "Contact"):
            await a.say(a.wang, a.wang, "/profile")
            await a.press(a.wang, field)
            await answer_every_step(a, a.wang, data, {"Edit:profile_field": typed("/cancel")})


REFERRAL = {
    "Refer:receiver": typed_then_pressed("Wang", "Wang Tyres"),
    "Refer:customer_name": typed("Mrs Wu"),
    "Refer:contact": typed("+886 912 345 678"),
    "Refer:consent": pressed("✅ Yes, the customer agreed"),
    "Refer:need": typed("four winter tyres"),
    "Refer:urgency": pressed("🔥 Hot"),
    "Refer:value": typed("12000"),
    "Refer:confirm": pressed("📨 Send"),
}


@fuzz(8)  # each referral waits for the outbox's one message a second to a private chat
@given(data=st.data())
async def test_referrals_take_any_answer(alliance: Alliance, data: st.DataObject) -> None:
    a = alliance
    with Clean(a):
        await a.say(a.lin, a.lin, "/refer")
        await answer_every_step(a, a.lin, data, REFERRAL)
        if await a.state(a.lin) is not None:
            await a.say(a.lin, a.lin, "/cancel")
            return
        # Wang, who received it, declines with a reason of his own or takes it to the end.
        ending = data.draw(st.sampled_from(("decline", "won", "lost")), label="ending")
        if ending == "decline":
            await a.press(a.wang, "✖ Decline")
            await a.press(a.wang, "Other reason…")
            await answer_every_step(a, a.wang, data, {"Typing:decline_reason": typed("Too busy")})
            return
        await a.press(a.wang, "✅ Accept")
        if ending == "lost":
            await a.press(a.wang, "Lost")
            await answer_every_step(a, a.wang, data, {"Typing:lost_reason": typed("Price")})
            return
        await a.press(a.wang, "🏆 Won")
        await answer_every_step(a, a.wang, data, {"Typing:won_value": typed("1000")})
        await a.press(a.lin, "5⭐")
        await answer_every_step(a, a.lin, data, {"Typing:comment": typed("Thank you")})


@fuzz(10)
@given(data=st.data())
async def test_proposals_take_any_answer(alliance: Alliance, data: st.DataObject) -> None:
    a = alliance
    kind = data.draw(st.sampled_from(("Yes / No / Abstain", "Single choice", "Multiple choice",
                                      "Consensus")), label="kind")
    publish = data.draw(st.booleans(), label="publish")
    proposal = {
        "Proposing:title": typed("A sign for the street"),
        "Proposing:text": typed("We share the cost of a sign."),
        "Proposing:kind": pressed(kind),
        "Proposing:options": typed("Red\nBlue\nGreen"),
        "Proposing:max": pressed("2"),
        "Proposing:deadline": typed("36h"),
        "Proposing:review": pressed("✅ Publish") if publish else typed("/cancel"),
    }
    with Clean(a):
        await a.say(a.wang, a.wang, "/propose")
        await answer_every_step(a, a.wang, data, proposal)


MEETING = {
    "MeetingForm:title": typed("Monthly meeting"),
    "MeetingForm:slots": typed_then_pressed("next Tue 19:00\nnext Wed 19:00",
                                            "✔ These times: go on"),
    "MeetingForm:duration": typed("90"),
    "MeetingForm:place": typed("Room 1"),
    "MeetingForm:deadline": pressed("24 h"),
}


@fuzz(10)
@given(data=st.data())
async def test_meeting_polls_take_any_answer(alliance: Alliance, data: st.DataObject) -> None:
    a = alliance
    with Clean(a):
        await a.say(a.lin, a.lin, "/meeting")
        await answer_every_step(a, a.lin, data, MEETING)


@fuzz(10)
@given(data=st.data())
async def test_recurring_meetings_take_any_answer(alliance: Alliance, data: st.DataObject) -> None:
    a = alliance
    kind = data.draw(st.sampled_from(("Weekly", "Monthly, on a weekday",
                                      "Monthly, on a day of the month")), label="kind")
    series = {
        "SeriesForm:title": typed("Members' evening"),
        "SeriesForm:kind": pressed(kind),
        "SeriesForm:weekday": pressed("Tuesday"),
        "SeriesForm:nth": pressed("first"),
        "SeriesForm:day": typed("15"),
        "SeriesForm:time": typed("19:00"),
        "SeriesForm:offsets": pressed("An hour earlier, on time, an hour later"),
        "SeriesForm:open_days": pressed("7"),
        "SeriesForm:poll_hours": pressed("48 h"),
        "SeriesForm:place": typed("Room 1"),
    }
    with Clean(a):
        await a.say(a.lin, a.lin, "/meetings")
        await a.press(a.lin, "➕ New recurring meeting")
        await answer_every_step(a, a.lin, data, series)


# -- and buttons no client would send ----------------------------------------------------------

FORGED = {
    "MeetingForm:duration": ("mw:duration:99999999", "mw:duration:-5"),
    "MeetingForm:deadline": ("mw:deadline:99999999", "mw:deadline:1"),
    "Refer:receiver": ("rw:cat:²", "rw:cat:99", "rw:mem:99999999999", "rw:mem:²"),
    "Proposing:max": ("pw:max:²", "pw:max:99999"),
    "Proposing:deadline": ("pw:hours:²", "pw:hours:99999999", "pw:hours:0"),
}


async def test_forged_wizard_buttons_change_nothing(alliance: Alliance) -> None:
    a = alliance

    async def forge(user: SimUser, step: str) -> None:
        assert await a.state(user) == step
        for data in FORGED[step]:
            answer = await press_forged(a.harness, user, a.harness.world.last(user), data)
            assert answer.answered and await a.state(user) == step, data

    with Clean(a):
        await a.say(a.lin, a.lin, "/meeting")
        await MEETING["MeetingForm:title"](a, a.lin)
        await MEETING["MeetingForm:slots"](a, a.lin)
        await forge(a.lin, "MeetingForm:duration")
        await MEETING["MeetingForm:duration"](a, a.lin)
        await MEETING["MeetingForm:place"](a, a.lin)
        await forge(a.lin, "MeetingForm:deadline")
        await a.say(a.lin, a.lin, "/refer")
        await forge(a.lin, "Refer:receiver")
        await a.say(a.wang, a.wang, "/propose")
        for step, act in (("Proposing:title", typed("Paint")), ("Proposing:text", typed("Red?")),
                          ("Proposing:kind", pressed("Multiple choice")),
                          ("Proposing:options", typed("Red\nBlue\nGreen"))):
            assert await a.state(a.wang) == step
            await act(a, a.wang)
        await forge(a.wang, "Proposing:max")
        await a.press(a.wang, "2")
        await forge(a.wang, "Proposing:deadline")
        for person in (a.lin, a.wang):
            await a.say(person, person, "/cancel")
