"""PRODUCT.md §6 through the emulator: the /meeting wizard, the availability card, the close with
announcement, pin and .ics, reminders to Yes / If need be only; series posted by the scheduler,
across restarts; /meetings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from bot.emulator import BotRights, ChatMessage, SimChat, SimUser
from bot.runtime.clock import FakeClock
from bot.views.meetings import AnswerCb, SeriesCb
from storage.models import Meeting
from tests.e2e.harness import Harness, press_forged
from tests.e2e.meeting_stories import TAIPEI, call_meeting, local_day, open_wizard
from tests.e2e.stories import seed_member, setup_group


async def roster(harness: Harness) -> tuple[SimUser, SimUser, SimUser, SimUser, SimChat]:
    lin, chen, group = await setup_group(harness)
    wu = harness.world.user("Wu", lang="zh-hant")
    ho = harness.world.user("Ho")
    await seed_member(harness, group, lin, name="Lin Garage", coordinator=True)
    await seed_member(harness, group, chen, name="Chen Tyres")
    await seed_member(harness, group, wu, name="Wu Paint")
    await seed_member(harness, group, ho, name="Ho Glass")
    for person in (wu, ho):  # members already (onboarded): no newcomer's nudge
        await harness.world.add_member(group, person, by=lin)
    return lin, chen, wu, ho, group


def prompt(harness: Harness, person: SimUser, label: str) -> ChatMessage:
    """The bot's latest message to ``person`` with a button labelled ``label``."""
    for message in reversed(harness.world.messages_to(person)):
        if any(label in text for row in message.buttons for text in row):
            return message
    raise AssertionError(f"no message to {person.name} has a button {label!r}")


def answers_of(card: ChatMessage) -> list[str]:
    return [line.strip() for line in card.text.splitlines() if line.strip().startswith("✅")]


async def test_one_off_poll_from_wizard_to_reminders(harness: Harness) -> None:
    world = harness.world
    lin, chen, wu, ho, group = await roster(harness)
    first = local_day(harness, 2).replace(hour=19)
    second = local_day(harness, 3).replace(hour=19)
    await open_wizard(harness, chen, group)
    assert "Step 1 of 5" in world.last(chen).text
    await harness.say(chen, chen, "Monthly <b>members</b> meeting")
    shown = await harness.say(chen, chen, f"{first:%Y-%m-%d} 19:00\nbanana\n{second:%m/%d} 7pm")
    assert shown is not None
    assert "Understood:" in shown.text
    assert f"{first:%a, %b} {first.day}, {first.year} 7:00\u202fPM" in shown.text  # with its weekday
    assert "I could not read “banana” as a date and time" in shown.text
    assert shown.buttons[0] == ["✔ These times: go on"]
    # A restart in the middle of the wizard loses nothing.
    await harness.restart()
    await chen.press(world.last(chen), "These times")
    assert "Step 3 of 5" in world.last(chen).text
    await harness.say(chen, chen, "forever")
    assert "between 5 minutes and 24 hours" in world.last(chen).text
    await harness.say(chen, chen, "1h30")
    await harness.say(chen, chen, "Room 3, https://meet.example.org/monthly")
    await harness.say(chen, chen, "2020-01-01 10:00")
    assert "already past" in world.last(chen).text
    question = prompt(harness, chen, "24 h")
    await chen.press(question, "24 h")
    assert question.text == \
        "Done: the poll “Monthly <b>members</b> meeting” is in the alliance's group."

    card = world.last(group)
    assert "Monthly <b>members</b> meeting" in card.text and "&lt;b&gt;" in card.html
    assert card.buttons == [["1 ✅", "1 🤔", "1 ❌"], ["2 ✅", "2 🤔", "2 ❌"]]
    assert "Length: 1 h 30 min" in card.text and "Answered: 0 of 4 members." in card.text

    alert = await chen.press(card, "1 ✅")
    assert alert.text.startswith("Saved for ") and alert.text.endswith(": Yes, I can come.")
    await chen.press(card, "2 🤔")
    zh_alert = await wu.press(card, "2 ✅")
    assert zh_alert.text.startswith("已記下：") and "週" in zh_alert.text
    assert zh_alert.text.endswith(" 可以參加。")
    await lin.press(card, "1 ❌")
    await lin.press(card, "2 ✅")
    stranger = world.user("Stranger")
    await world.add_member(group, stranger, by=lin)
    await world.settle()  # the newcomer's nudge from onboarding comes first
    refused = await stranger.press(card, "1 ✅")
    assert refused.show_alert and "Only active members" in refused.text
    card = [m for m in world.messages_in(group) if "Answered:" in m.text][-1]  # not the nudge
    assert answers_of(card) == ["✅ 1 · 🤔 0 · ❌ 1", "✅ 2 · 🤔 1 · ❌ 0"]
    assert "Answered: 3 of 4 members." in card.text
    messages_before = len(world.messages_in(group))

    await harness.advance(timedelta(hours=24, minutes=1))
    card = next(m for m in world.messages_in(group) if m.message_id == card.message_id)
    assert card.buttons == [] and "Closed. The meeting is on" in card.text
    result = world.last(group)
    assert len(world.messages_in(group)) == messages_before + 1
    assert result.pinned and result.document is not None
    assert result.document.file_name is not None and result.document.file_name.endswith(".ics")
    assert "The meeting is on" in (result.caption or "") and "Room 3" in (result.caption or "")
    event = next(iter(icalendar.Calendar.from_ical(result.document.data).walk("VEVENT")))
    assert event.decoded("dtstart").astimezone(ZoneInfo("UTC")) == second.astimezone(ZoneInfo("UTC"))
    assert event.decoded("duration") == timedelta(minutes=90)
    assert str(event["url"]) == "https://meet.example.org/monthly"

    # Reminders: 24 h and 1 h before, to Yes / If need be (Lin, Chen, Wu) and the group; not Ho.
    private_before = {p.name: len(world.messages_to(p)) for p in (lin, chen, wu, ho)}
    until_24h = second - timedelta(hours=24) - harness.clock.now() + timedelta(minutes=1)
    await harness.advance(until_24h)
    assert world.last(group).text.startswith("⏰ In 24 hours: Monthly <b>members</b> meeting")
    assert world.last(chen).text.startswith("⏰ In 24 hours")
    assert world.last(wu).text.startswith(
        "⏰ 會議提醒：「Monthly <b>members</b> meeting」將於 24 小時後開始")
    assert len(world.messages_to(ho)) == private_before["Ho"]
    await harness.advance(timedelta(hours=23))
    assert world.last(lin).text.startswith("⏰ In 1 hour")
    assert world.last(group).text.startswith("⏰ In 1 hour")
    assert len(world.messages_to(ho)) == private_before["Ho"]
    for person in (lin, chen, wu):
        assert len(world.messages_to(person)) == private_before[person.name] + 2
    # Restarting re-arms from the state: nothing is sent twice.
    await harness.restart()
    await harness.advance(timedelta(minutes=5))
    for person in (lin, chen, wu):
        assert len(world.messages_to(person)) == private_before[person.name] + 2


async def test_no_answers_tells_the_coordinators_and_schedules_nothing(harness: Harness) -> None:
    world = harness.world
    lin, chen, _wu, _ho, group = await roster(harness)
    first = local_day(harness, 2)
    card = await call_meeting(harness, chen, group, "Quiet meeting",
                              [f"{first:%Y-%m-%d} 10:00", f"{first:%Y-%m-%d} 15:00"])
    assert card.buttons
    pinned_before = [m for m in world.messages_in(group) if m.pinned]
    await harness.advance(timedelta(hours=25))
    assert "Nobody answered the meeting poll “Quiet meeting”" in world.last(lin).text
    assert "Nobody answered" not in world.last(chen).text  # Chen is not a coordinator
    assert [m for m in world.messages_in(group) if m.pinned] == pinned_before
    card = world.last(group)
    assert card.buttons == [] and "nothing was scheduled" in card.text
    assert harness.app is not None
    async with harness.app.sessions() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None and meeting.status == "nothing" and meeting.starts_at is None


async def test_only_members_call_meetings_and_cancel_works(harness: Harness) -> None:
    world = harness.world
    lin, chen, _wu, _ho, group = await roster(harness)
    outsider = world.user("Outsider")
    await world.add_member(group, outsider, by=lin)
    await world.settle()  # the newcomer's nudge from onboarding comes first
    await harness.say(outsider, group, "/meeting")
    assert "Only active members" in world.last(group).text
    await harness.say(outsider, outsider, "/meeting")
    assert "not in an alliance" in world.last(outsider).text
    await harness.say(chen, chen, "/meeting")
    assert "Step 1 of 5" in world.last(chen).text
    await harness.say(chen, chen, "/cancel")
    assert world.last(chen).text == "Cancelled. Nothing was saved."
    await harness.say(chen, chen, "Not a title any more")
    assert world.last(chen).text == "Cancelled. Nothing was saved."  # no wizard answers now


@pytest.mark.parametrize(("lang", "weekday_text", "understood", "shown"), [
    ("zh-hant", "週二 19:00\n週四 19:00", "我辨識出的時間", "週二"),
    ("zh-hans", "周二 19:00\n周四 19:00", "我识别出的时间", "周二"),
])
async def test_wizard_in_chinese_reads_weekdays(harness: Harness, lang: str, weekday_text: str,
                                               understood: str, shown: str) -> None:
    world = harness.world
    lin, _chen, group = await setup_group(harness)
    mei = world.user("Mei", lang=lang)
    await world.add_member(group, mei, by=lin)
    await world.settle()  # the newcomer's nudge from onboarding comes first
    await seed_member(harness, group, mei, name="Mei Studio")
    await harness.say(mei, mei, "/meeting")
    await harness.say(mei, mei, "月會")
    text = (await harness.say(mei, mei, weekday_text)).text  # type: ignore[union-attr]
    assert understood in text and shown in text
    await mei.press(world.last(mei), "◀")
    assert "第 1 步" in world.last(mei).text


@pytest.mark.no_autostart
@pytest.mark.parametrize(("lang", "slots", "understood", "day"), [
    ("zh-hant", "下週二 19:00\n下下週二 19:00\n本週三 19:00", "我辨識出的時間", "週二"),
    ("zh-hans", "下周二 19:00\n下下周二 19:00\n这周三 19:00", "我识别出的时间", "周二"),
])
async def test_next_weeks_tuesday_said_on_a_friday_is_four_days_ahead(
        harness: Harness, lang: str, slots: str, understood: str, day: str) -> None:
    """下週二 on Friday 27 November is 1 December (next calendar week), 下下週二 8 December; this
    week's Wednesday is past and refused with its reason."""
    harness.clock = FakeClock(datetime(2026, 11, 27, 10, 0, tzinfo=TAIPEI), ticking=True)
    await harness.start_bot()
    world = harness.world
    lin, _chen, group = await setup_group(harness)
    mei = world.user("Mei", lang=lang)
    await world.add_member(group, mei, by=lin)
    await world.settle()
    await seed_member(harness, group, mei, name="Mei Studio")
    await harness.say(mei, mei, "/meeting")
    await harness.say(mei, mei, "月會")
    text = (await harness.say(mei, mei, slots)).text  # type: ignore[union-attr]
    assert understood in text
    assert f"＋ 2026年12月1日{day}" in text and f"＋ 2026年12月8日{day}" in text, text
    assert "12月2日" not in text and "9日" not in text  # this week's Wednesday is past: refused
    assert slots.splitlines()[2] in text.split("⚠")[1]


# -- recurring series, posted by the scheduler -------------------------------------------------------

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=TAIPEI)


async def create_weekly_series(harness: Harness, lin: SimUser) -> ChatMessage:
    world = harness.world
    await harness.say(lin, lin, "/meetings")
    await lin.press(world.last(lin), "New recurring meeting")
    await harness.say(lin, lin, "Weekly coordination")
    await lin.press(world.last(lin), "Weekly")
    await lin.press(world.last(lin), "Thursday")
    await harness.say(lin, lin, "7pm")
    await lin.press(world.last(lin), "An hour earlier")
    await lin.press(world.last(lin), "3")
    await lin.press(world.last(lin), "48 h")
    await lin.press(world.last(lin), "skip")
    return world.last(lin)


def cards_in(harness: Harness, group: SimChat, title: str) -> list[ChatMessage]:
    return [m for m in harness.world.messages_in(group) if m.text.startswith(f"📅 {title}")]


async def until(harness: Harness, moment: datetime) -> None:
    await harness.advance(moment - harness.clock.now())


@pytest.mark.no_autostart
async def test_series_posts_polls_by_itself_across_restarts(harness: Harness) -> None:
    world = harness.world
    harness.clock = FakeClock(MONDAY_9AM, ticking=True)  # a fixed clock: Monday 30 November, 09:00
    await harness.start_bot()
    lin, chen, wu, ho, group = await roster(harness)
    saved = await create_weekly_series(harness, lin)
    assert saved.text == ("Saved: “Weekly coordination”, every Thursday at 19:00. I will post each "
                          "poll by myself.")
    # The poll for Thursday 3 December opens three days before, at 19:00 on Monday.
    await until(harness, MONDAY_9AM.replace(hour=18, minute=59))
    assert cards_in(harness, group, "Weekly coordination") == []
    await until(harness, MONDAY_9AM.replace(hour=19, minute=1))
    [card] = cards_in(harness, group, "Weekly coordination")
    assert "Thu, Dec 3, 2026 6:00\u202fPM" in card.text and "Thu, Dec 3, 2026 8:00\u202fPM" in card.text
    assert "The poll closes Dec 2, 2026 7:00\u202fPM." in card.text
    await chen.press(card, "3 ✅")
    await wu.press(card, "3 ✅")
    await lin.press(card, "2 ✅")
    await lin.press(card, "3 🤔")
    await ho.press(card, "1 ✅")
    await harness.restart()  # nothing is posted twice
    assert len(cards_in(harness, group, "Weekly coordination")) == 1
    # Wednesday 19:00: the poll closes; 20:00 on Thursday wins (2 yes + 1 if need be).
    await until(harness, datetime(2026, 12, 2, 19, 1, tzinfo=TAIPEI))
    result = world.last(group)
    assert result.pinned and result.document is not None
    assert "Thu, Dec 3, 2026 8:00\u202fPM" in (result.caption or "")
    # 24 h before (Wednesday 20:00): Lin, Chen, Wu and the group; Ho said yes to another slot.
    await until(harness, datetime(2026, 12, 2, 20, 1, tzinfo=TAIPEI))
    for person in (lin, chen, wu):
        assert world.last(person).text.startswith(("⏰ In 24 hours: Weekly coordination",
                                                   "⏰ 會議提醒：「Weekly coordination」將於 24 小時後開始"))
    assert not any(m.text.startswith("⏰") for m in world.messages_to(ho))
    group_before = len(world.messages_in(group))

    # Down from Thursday 18:30 (before the 1-hour reminder) to Thursday 10 December 09:00: the
    # reminder is for a meeting already past (dropped); next week's poll should have opened on
    # Monday and closed on Wednesday: it opens once now, and closes once.
    await until(harness, datetime(2026, 12, 3, 18, 30, tzinfo=TAIPEI))
    await harness.stop_bot()
    harness.clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=TAIPEI))
    await harness.start_bot()
    await world.settle()
    new_messages = world.messages_in(group)[group_before:]
    assert not any(m.text.startswith("⏰") for m in new_messages), "an old reminder was dropped"
    assert [m.text.splitlines()[0] for m in new_messages] == ["📅 Weekly coordination"]
    late = new_messages[0]
    assert "Thu, Dec 10, 2026 6:00\u202fPM" in late.text
    await harness.restart()
    assert len(cards_in(harness, group, "Weekly coordination")) == 2
    await chen.press(late, "1 ✅")
    # The shortened poll closes an hour before its first slot, once.
    await until(harness, datetime(2026, 12, 10, 17, 1, tzinfo=TAIPEI))
    result = world.last(group)
    assert result.pinned and "Thu, Dec 10, 2026 6:00\u202fPM" in (result.caption or "")
    await harness.restart()
    assert len([m for m in world.messages_in(group) if m.document is not None]) == 2


@pytest.mark.no_autostart
async def test_series_pause_resume_delete(harness: Harness) -> None:
    world = harness.world
    harness.clock = FakeClock(MONDAY_9AM, ticking=True)
    await harness.start_bot()
    lin, chen, _wu, _ho, group = await roster(harness)
    await create_weekly_series(harness, lin)
    await harness.say(chen, chen, "/meetings")
    assert "New recurring meeting" not in str(world.last(chen).buttons)
    await harness.say(lin, group, "/meetings")
    listing = world.last(group)
    assert "every Thursday at 19:00 (active)" in listing.text
    assert listing.button_rows[0][0].url is not None  # coordinators manage series in private
    await harness.say(lin, lin, "/meetings")
    toast = await lin.press(world.last(lin), "Pause")
    assert toast.text == "“Weekly coordination” is paused: no poll is posted until you resume it."
    assert "every Thursday at 19:00 (paused)" in world.last(lin).text
    await until(harness, MONDAY_9AM.replace(hour=19, minute=30))
    assert cards_in(harness, group, "Weekly coordination") == []
    await lin.press(world.last(lin), "Resume")
    # Resumed while the opening time is past but the slots are ahead: the poll opens now.
    await harness.advance(timedelta(minutes=1))
    assert len(cards_in(harness, group, "Weekly coordination")) == 1
    # Chen, not a coordinator, forging a pause is refused.
    await harness.say(chen, chen, "/meetings")
    pause = SeriesCb(action="pause", series_id=1).pack()
    forged = await press_forged(harness, chen, world.last(chen), pause)
    assert forged.show_alert and forged.text == "Only the alliance's coordinators can do that."
    await lin.press(prompt(harness, lin, "Delete"), "Delete")
    assert "(active)" not in world.last(lin).text
    await until(harness, datetime(2026, 12, 7, 19, 30, tzinfo=TAIPEI))
    assert len(cards_in(harness, group, "Weekly coordination")) == 1
    # Callback data is never trusted: a deleted series stays deleted.
    await harness.say(chen, chen, "/meetings")
    resume = SeriesCb(action="resume", series_id=1).pack()
    forged = await press_forged(harness, chen, world.last(chen), resume)
    assert forged.show_alert and forged.text == "That recurring meeting no longer exists."


# -- unhappy paths, Telegram errors, coalescing, /meetings ------------------------------------------

async def test_card_not_posted_when_telegram_refuses(harness: Harness) -> None:
    world = harness.world
    _lin, chen, _wu, _ho, group = await roster(harness)
    first = local_day(harness, 2)
    await call_meeting(harness, chen, group, "Doomed", [f"{first:%Y-%m-%d} 10:00",
                                                         f"{first:%Y-%m-%d} 11:00"],
                       before_posting=lambda: harness.emulator.faults.add(
                           "sendMessage", 403, chat_id=group.id,
                           description="bot was kicked from the supergroup chat"))
    assert "I could not post the poll in the alliance's group" in world.last(chen).text
    assert not any(m.text.startswith("📅 Doomed") for m in world.messages_in(group))
    assert harness.app is not None
    async with harness.app.sessions() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None and meeting.status == "cancelled"
    await harness.advance(timedelta(hours=25))  # its close job finds nothing to do
    assert not any("Doomed" in m.text for m in world.messages_to(_lin))


async def test_without_pin_rights_and_a_429_the_result_still_arrives(harness: Harness) -> None:
    world = harness.world
    lin, chen, group = await setup_group(harness, rights=BotRights(can_invite_users=True))
    await seed_member(harness, group, lin, name="Lin Garage", coordinator=True)
    await seed_member(harness, group, chen, name="Chen Tyres")
    first = local_day(harness, 2)
    card = await call_meeting(harness, chen, group, "Unpinned", [f"{first:%Y-%m-%d} 10:00",
                                                                 f"{first:%Y-%m-%d} 11:00"])
    await chen.press(card, "2 ✅")
    harness.emulator.faults.add("sendDocument", 429, retry_after=1, chat_id=group.id)
    await harness.advance(timedelta(hours=24, minutes=1))
    await harness.advance(timedelta(seconds=2))
    result = world.last(group)
    assert result.document is not None and not result.pinned
    assert "11:00" in (result.caption or "")


async def test_answers_after_the_deadline_are_refused(harness: Harness) -> None:
    world = harness.world
    _lin, chen, wu, _ho, group = await roster(harness)
    first = local_day(harness, 2)
    card = await call_meeting(harness, chen, group, "Late", [f"{first:%Y-%m-%d} 10:00",
                                                             f"{first:%Y-%m-%d} 11:00"])
    await chen.press(card, "1 ✅")
    await harness.advance(timedelta(hours=24, minutes=1))
    assert card.button_rows == []  # the closed card has no buttons; an old client may still press
    answer_data = AnswerCb(slot_id=1, choice="yes").pack()
    late = await press_forged(harness, wu, world.last(group), answer_data)
    assert late.show_alert and late.text == "這個投票已經結束。"
    for data in ("ma:999:yes", "ma:1:maybe-not", "ma:x:yes"):
        forged = await press_forged(harness, wu, world.last(group), data)
        assert forged.show_alert


@pytest.mark.no_autostart
async def test_card_edits_are_coalesced(harness: Harness) -> None:
    harness.card_interval = 3.0
    await harness.start_bot()
    world = harness.world
    lin, chen, wu, ho, group = await roster(harness)
    first = local_day(harness, 2)
    card = await call_meeting(harness, chen, group, "Busy", [f"{first:%Y-%m-%d} 10:00",
                                                             f"{first:%Y-%m-%d} 11:00"])
    assert harness.app is not None
    edits_before = harness.app.cards.edits
    for person, label in ((lin, "1 ✅"), (chen, "1 🤔"), (wu, "2 ✅"), (ho, "2 ❌"), (lin, "2 ✅"),
                          (chen, "2 ✅"), (wu, "1 ❌")):
        await person.press(card, label, wait=False)
    await world.settle()
    assert harness.app.cards.edits - edits_before <= 3
    card = world.last(group)
    assert answers_of(card) == ["✅ 1 · 🤔 1 · ❌ 1", "✅ 3 · 🤔 0 · ❌ 1"]


async def test_meetings_lists_upcoming_and_open_polls_in_the_readers_language(harness: Harness) -> None:
    world = harness.world
    _lin, chen, wu, _ho, group = await roster(harness)
    first = local_day(harness, 2)
    decided = await call_meeting(harness, chen, group, "Decided", [f"{first:%Y-%m-%d} 10:00",
                                                                   f"{first:%Y-%m-%d} 11:00"])
    await wu.press(decided, "1 ✅")
    await harness.advance(timedelta(hours=24, minutes=1))
    later = local_day(harness, 3)
    await call_meeting(harness, chen, group, "Still open", [f"{later:%Y-%m-%d} 15:00",
                                                            f"{later:%Y-%m-%d} 16:00"])
    await harness.say(wu, wu, "/meetings")
    listing = world.last(wu).text
    assert listing.startswith("會議\n\n即將舉行\n• ")
    assert "Decided" in listing and "進行中的投票\n• Still open：回覆截止" in listing
    assert listing.index("Decided") < listing.index("Still open")
    await harness.say(chen, group, "/meetings")
    assert "Upcoming\n• " in world.last(group).text and "Recurring" not in world.last(group).text
    await harness.advance(timedelta(days=3))
    await harness.say(wu, wu, "/meetings")
    assert "目前沒有已安排的會議。" in world.last(wu).text


@pytest.mark.no_autostart
async def test_weekly_series_in_berlin_keeps_19h_across_the_spring_change(harness: Harness) -> None:
    world = harness.world
    # Wednesday 18 March: the next Tuesday's poll opens on Saturday 21 March, 19:00.
    harness.clock = FakeClock(datetime(2026, 3, 18, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")), ticking=True)
    await harness.start_bot()
    lin, chen, _wu, _ho, group = await roster(harness)
    await harness.say(lin, group, "/timezone Europe/Berlin")
    await harness.say(lin, lin, "/meetings")
    await lin.press(world.last(lin), "New recurring meeting")
    await harness.say(lin, lin, "Tuesday round")
    await lin.press(world.last(lin), "Weekly")
    await lin.press(world.last(lin), "Tuesday")
    await harness.say(lin, lin, "19:00")
    await lin.press(world.last(lin), "An hour earlier")
    await lin.press(world.last(lin), "3")
    await lin.press(world.last(lin), "48 h")
    await lin.press(world.last(lin), "skip")
    berlin = ZoneInfo("Europe/Berlin")
    starts = []
    for saturday in (21, 28):  # polls for Tuesday 24 March (CET) and Tuesday 31 March (CEST)
        await until(harness, datetime(2026, 3, saturday, 19, 1, tzinfo=berlin))
        card = cards_in(harness, group, "Tuesday round")[-1]
        assert "7:00\u202fPM" in card.text and "Times in Europe/Berlin." in card.text
        await chen.press(card, "2 ✅")
        # 48 hours later on the wall clock (Monday 19:00, whether or not the clocks changed).
        await until(harness, datetime(2026, 3, saturday + 2, 19, 30, tzinfo=berlin))
        results = [m for m in world.messages_in(group) if m.document is not None]
        assert len(results) == len(starts) + 1
        result = results[-1]
        assert result.document is not None
        event = next(iter(icalendar.Calendar.from_ical(result.document.data).walk("VEVENT")))
        starts.append(event.decoded("dtstart"))
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [18, 17]
    assert [s.astimezone(ZoneInfo("Europe/Berlin")).hour for s in starts] == [19, 19]


async def test_demo_story_includes_a_meeting_poll_and_its_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.demo import play

    assert await play("en") == 0
    out = capsys.readouterr().out
    assert "Chen pressed [1 ✅]" not in out  # Chen answers for the second time only
    assert "Lin pressed [1 ✅]" in out and ".ics" in out
    assert "The meeting is on" in out and "⏰ In 24 hours: Members' monthly meeting" in out
    assert "0 refused by the spec check; 0 handler failures" in out


NASTY = ["<b>bold</b> & <script>alert(1)</script>", "🙂" * 300, "x" * 5000, "</i>unbalanced<i>",
         "&amp; &lt; &#x27;", "a\u0000b"]


async def test_nasty_text_through_the_wizard(harness: Harness) -> None:
    world = harness.world
    _lin, chen, _wu, _ho, group = await roster(harness)
    first = local_day(harness, 2)
    await open_wizard(harness, chen, group)
    await harness.say(chen, chen, "x" * 5000)
    assert "at most 200 characters" in world.last(chen).text
    await harness.say(chen, chen, NASTY[0])
    for text in NASTY:
        await harness.say(chen, chen, text)
        assert "I could not read" in world.last(chen).text or "already past" in world.last(chen).text
    await harness.say(chen, chen, f"{first:%Y-%m-%d} 10:00\n{first:%Y-%m-%d} 11:00")
    await chen.press(world.last(chen), "These times")
    await chen.press(world.last(chen), "✓ 1 h")
    await harness.say(chen, chen, NASTY[3])
    await chen.press(world.last(chen), "24 h")
    card = world.last(group)
    assert card.text.startswith("📅 <b>bold</b> & <script>alert(1)</script>")
    assert "Place: </i>unbalanced<i>" in card.text
    assert "&lt;script&gt;" in card.html


async def test_series_wizard_monthly_with_back_and_bad_answers(harness: Harness) -> None:
    world = harness.world
    lin, _chen, _wu, _ho, _group = await roster(harness)
    await harness.say(lin, lin, "/meetings")
    await lin.press(world.last(lin), "New recurring meeting")
    await harness.say(lin, lin, "Monthly members' meeting")
    await lin.press(world.last(lin), "day of the month")
    await harness.say(lin, lin, "32")
    assert world.last(lin).text == "Please send a day of the month from 1 to 31."
    question = prompt(harness, lin, "Back")
    await lin.press(question, "Back")
    assert question.text == "How often?"  # the question is asked again in place
    await lin.press(question, "on a weekday")
    await lin.press(question, "Tuesday")
    await lin.press(question, "first")
    await harness.say(lin, lin, "half past seven")
    assert "I could not read that time" in world.last(lin).text
    await harness.say(lin, lin, "晚上7点")
    await lin.press(world.last(lin), "The day before")
    await lin.press(world.last(lin), "3")
    await lin.press(world.last(lin), "72 h")  # longer than the 47 h before the day-before slot
    await lin.press(world.last(lin), "skip")
    assert "The poll would still be open when the first candidate time comes" in \
        world.messages_to(lin)[-2].text
    assert world.last(lin).text.startswith("How many days before the meeting")
    await lin.press(world.last(lin), "7")
    await lin.press(world.last(lin), "72 h")
    await harness.say(lin, lin, "Lin's Garage")
    assert world.last(lin).text == ("Saved: “Monthly members' meeting”, monthly, the first Tuesday "
                                    "at 19:00. I will post each poll by myself.")
