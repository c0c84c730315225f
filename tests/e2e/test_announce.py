"""/announce end to end (PRODUCT.md §7): a coordinator's preview, *Send* to the home group and
every linked chat (and, if chosen, every active member privately, each in their language), and
the delivery report that names who did not get it and why — in English and Traditional Chinese.
A plain member, a stranger's press or a second press changes nothing."""

from __future__ import annotations

import pytest

from bot.i18n import gettext as _
from bot.i18n import use_locale
from bot.views.announcements import AnnounceCb
from bot.views.text import labelled, parenthesized
from tests.e2e.announce_stories import (
    announce_items,
    announcements,
    announcing,
    received,
    tn,
)
from tests.e2e.harness import Harness, press_forged

LOCALES = ["en", "zh_Hant"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_plain_member_is_refused_and_nothing_changes(harness: Harness,
                                                              locale: str) -> None:
    s = await announcing(harness, locale)
    a, world = s.a, harness.world
    refusal = a.t("Only the alliance's coordinators can do that.")
    await harness.say(a.chen, a.group, "/announce Free coffee for everyone")
    assert world.last(a.group).text == refusal
    await harness.say(a.chen, a.chen, "/announce Free coffee for everyone")
    assert world.last(a.chen).text == refusal
    assert await announcements(harness) == [] and await announce_items(harness) == []
    assert not any("Free coffee" in m.text for chat in (*s.linked, a.group)
                   for m in world.messages_in(chat))


@pytest.mark.parametrize("locale", LOCALES)
async def test_preview_a_stranger_cannot_press_and_cancel_sends_nothing(harness: Harness,
                                                                        locale: str) -> None:
    s = await announcing(harness, locale)
    a, world = s.a, harness.world
    await harness.say(a.lin, a.group, "/announce")
    assert world.last(a.group).text == a.t(
        "Send /announce followed by the text, or reply /announce to the message to announce.")
    await harness.say(a.lin, a.group, "/announce Meeting moved to <Friday> & dinner after")
    preview = world.last(a.group)
    assert a.t("Preview of your announcement:") in preview.text
    assert "Meeting moved to <Friday> & dinner after" in preview.text
    assert "&lt;Friday&gt; &amp; dinner" in preview.html
    assert tn(a.locale, "It goes to {n} chat: the home group and every linked group.",
              "It goes to {n} chats: the home group and every linked group.", 3) \
        in preview.text  # home + two linked
    await a.chen.press(preview, a.t("📨 Send"))
    [alert] = world.alerts_to(a.chen)
    assert alert.text == a.t(
        "Only the coordinator who wrote this announcement can send or cancel it.")
    await a.lin.press(world.last(a.group), a.t("✖ Cancel"))
    assert world.last(a.group).text == a.t("Announcement cancelled; nothing was sent.")
    [draft] = await announcements(harness)
    answer = await press_forged(harness, a.lin, world.last(a.group),
                                AnnounceCb(id=draft.id, op="send").pack())
    assert answer.text == a.t("This announcement was cancelled.")
    assert [x.state for x in await announcements(harness)] == ["cancelled"]
    assert await announce_items(harness) == []
    assert all(received(harness, chat, "Meeting moved") == 0 for chat in s.linked)


@pytest.mark.parametrize("locale", LOCALES)
async def test_send_everywhere_once_and_report_who_did_not_get_it(harness: Harness,
                                                                  locale: str) -> None:
    s = await announcing(harness, locale)
    a, world = s.a, harness.world
    await a.wang.block_bot()
    gone = s.linked[1]
    harness.emulator.faults.add("sendMessage", 403, chat_id=gone, times=5,
                                description="bot was kicked from the supergroup chat")
    note = await a.lin.send(a.group, "Dinner on <b>Friday</b>, 19:00 🍜")
    await harness.world.settle()
    await harness.say(a.lin, a.group, "/announce", reply_to=note)
    preview = world.last(a.group)
    assert "Dinner on <b>Friday</b>, 19:00 🍜" in preview.text
    await a.lin.press(preview, "☐ " + a.t("Also privately to every active member"))
    preview = world.last(a.group)
    # Lin, Chen and Chen's colleague, Wang; Sue is suspended
    assert tn(a.locale, "Also privately to {n} person at the active member businesses.",
              "Also privately to {n} people at the active member businesses.", 4) in preview.text
    send = a.t("📨 Send")
    await a.lin.press(preview, send, wait=False)
    await a.lin.press(preview, send, wait=False)  # a double press: sent once all the same
    await world.settle()
    [draft] = await announcements(harness)
    again = await press_forged(harness, a.lin, preview, AnnounceCb(id=draft.id, op="send").pack())
    assert again.text == a.t("This announcement is already sent.")
    await world.settle()

    words = "Dinner on <b>Friday</b>, 19:00 🍜"
    header = a.t("📣 Announcement from “{alliance}”").format(alliance=a.group.chat.title)
    assert received(harness, a.group, header) == 1
    assert received(harness, s.linked[0], words) == 1
    assert received(harness, gone, words) == 0
    for person in (a.lin, a.chen, a.chen2):
        assert received(harness, person, header) == 1, person.name
    assert received(harness, a.sue, words) == 0
    [done] = await announcements(harness)
    assert done.state == "done" and done.privately
    report = world.last(a.lin)
    delivered = a.t("Delivered to {chats} and {members}.").format(
        chats=tn(a.locale, "{n} chat", "{n} chats", 2),
        members=tn(a.locale, "{n} member", "{n} members", 3))
    assert delivered in report.text
    with use_locale(a.locale):  # the reader's punctuation: "Wang（Wang Tyres）：…" in Chinese
        blocked = labelled(parenthesized("Wang Tyres", after="Wang"), _("has blocked me"))
        removed = labelled(gone.chat.title, _("the group is gone, or I was removed from it"))
    assert blocked in report.text and removed in report.text
    assert str(a.wang.id) not in report.text and str(gone.id) not in report.text
    items = await announce_items(harness)
    assert sorted(item.status for item in items) == ["failed"] * 2 + ["sent"] * 5
    # the report is sent once, however often the check runs (a restart checks again)
    await harness.restart()
    await world.settle()
    failed = tn(a.locale, "Not delivered: {n}.", "Not delivered: {n}.", 2)
    assert sum(1 for m in world.messages_in(a.lin) if failed in m.text) == 1


async def test_a_coordinator_of_two_alliances_picks_one_in_private(harness: Harness) -> None:
    s = await announcing(harness, "en")
    a, world = s.a, harness.world
    other = world.group("Bakers", admins=[a.lin])
    await harness.world.add_bot(other, by=a.lin)
    await world.settle()
    await harness.say(a.lin, other, "/setup")
    await a.lin.press(world.last(other), "English")
    await a.lin.press(world.last(other), "Asia/Taipei")
    await harness.say(a.lin, a.lin, "/announce Stock-take on Monday")
    picker = world.last(a.lin)
    assert "Which one is this announcement for?" in picker.text
    await a.lin.press(picker, a.group.chat.title or "")
    assert "It goes to 3 chats" in world.last(a.lin).text
    await a.lin.press(world.last(a.lin), "📨 Send")
    assert received(harness, a.group, "Stock-take on Monday") == 1
    assert received(harness, other, "Stock-take on Monday") == 0
    assert "Delivered to 3 chats and 0 members." in world.last(a.lin).text
    assert "Nothing failed." in world.last(a.lin).text
