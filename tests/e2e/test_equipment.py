"""Shared equipment end to end (PRODUCT.md §4): /equipment, adding an item, booking it, the
hand-over, the return reminder and the overdue notices — through the emulator, on a fake clock."""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta

import pytest

from bot.emulator import SimUser, World
from bot.emulator.views import ChatMessage
from bot.i18n import use_locale
from bot.services.errors import DomainError
from bot.views.equipment import period
from bot.views.errors import error_text
from storage.models import ResourceRequest
from tests.e2e import request_stories
from tests.e2e.equipment_stories import (
    ITEM,
    add_item,
    alliance,
    book,
    bookings,
    borrow_request,
    day,
    items,
    loans_to,
    notices_to,
    open_booking,
    seed_item,
    typed,
    until,
)
from tests.e2e.harness import Harness, press_forged
from tests.e2e.referral_stories import Alliance


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_loan_from_booking_to_returned_with_reminder_and_overdue_notices(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await add_item(a, a.lin)  # a coordinator adds it, held by Wang Tyres
    listed = await items(harness)
    assert [(i.name, i.holder_id, i.deposit) for i in listed] == [(ITEM, a.ids["wang"], 5000)]
    assert ITEM in world.last(a.lin).text

    # In the group, /equipment lists it; *Book* is a deep link into the private chat.
    shown = await harness.say(a.chen, a.group, "/equipment")
    assert shown is not None and ITEM in shown.text and "Wang Tyres" in shown.text
    assert "Wang's workshop" in shown.text and "Clean it after use" in shown.text
    url = shown.button_rows[0][0].url
    assert url is not None and url.endswith(f"?start=equip-{listed[0].id}")
    await a.chen.start(url.split("?start=")[1])
    await world.settle()
    start, end = day(harness, 1, 9), day(harness, 3, 18)
    await harness.say(a.chen, a.chen, typed(start))
    await harness.say(a.chen, a.chen, typed(end))
    await a.chen.press(world.last(a.chen), a.t("✅ Book"))
    [booking] = await bookings(harness)
    assert (booking.status, booking.member_id) == ("booked", a.ids["chen"])
    assert booking.starts_at == start and booking.ends_at == end
    [mine] = loans_to(a, a.chen)
    [wangs] = loans_to(a, a.wang)
    assert a.t("📦 Picked up") in [b for row in wangs.buttons for b in row]

    await until(harness, start)
    await a.chen.press(mine, a.t("📦 Picked up"))
    assert (await bookings(harness))[0].status == "picked_up"
    assert a.t("Status: {status}").format(status=a.t("picked up, not returned yet")) in \
        world.last(a.wang).text

    await until(harness, end - timedelta(hours=23))  # the reminder, a day before the end
    assert len(notices_to(a, a.chen, "⏰")) == len(notices_to(a, a.chen2, "⏰")) == 1
    assert ITEM in notices_to(a, a.chen, "⏰")[0].text
    assert notices_to(a, a.wang, "⏰") == []
    await until(harness, end + timedelta(minutes=1))  # overdue: the borrower first
    assert len(notices_to(a, a.chen, "⚠")) == 1 and notices_to(a, a.wang, "⚠") == []
    await until(harness, end + timedelta(days=1, minutes=1))  # then the holder
    assert len(notices_to(a, a.wang, "⚠")) == 1
    assert len(notices_to(a, a.chen, "⚠")) == 1  # still once

    overdue = notices_to(a, a.wang, "⚠")[0]
    await a.wang.press(overdue, a.t("↩ Returned"))
    assert (await bookings(harness))[0].status == "returned"
    assert a.t("Status: {status}").format(status=a.t("returned")) in world.last(a.chen).text
    assert not world.last(a.wang).buttons  # the notice, pressed, now shows the loan returned
    told = {person: len(world.messages_to(person)) for person in (a.chen, a.chen2, a.wang)}
    await harness.advance(timedelta(days=5))  # nothing more is owed
    assert {person: len(world.messages_to(person)) for person in told} == told


def asked(world: World, who: SimUser) -> ChatMessage:
    """The question waiting for ``who`` (the last message with buttons; refusals have none)."""
    return next(m for m in reversed(world.messages_to(who)) if m.buttons)


def said(a: Alliance, code: str, **params: object) -> str:
    """A refusal as the person reads it (plain text), in their language."""
    with use_locale(a.locale):
        return html.unescape(error_text(DomainError(code, **params)))


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_two_members_booking_the_same_slot_at_once_one_wins_the_other_gets_the_next_slot(
        any_db: Harness, locale: str) -> None:
    harness = any_db
    a = await alliance(harness, locale)
    world = harness.world
    await seed_item(harness, a)
    start, end = day(harness, 2, 9), day(harness, 2, 17)
    await book(a, a.chen, start, end, press=False)
    await book(a, a.lin, start, end, press=False)
    asking = {a.chen: world.last(a.chen), a.lin: world.last(a.lin)}
    await asyncio.gather(*(who.press(message, a.t("✅ Book"), wait=False)
                           for who, message in asking.items()))
    await world.settle()
    [won] = await bookings(harness)
    assert (won.starts_at, won.ends_at) == (start, end)
    loser = a.lin if won.member_id == a.ids["chen"] else a.chen
    winner = a.chen if loser is a.lin else a.lin
    assert len(loans_to(a, winner)) == 1 and loans_to(a, loser) == []
    offer = world.last(loser)
    with use_locale(locale):
        slot = period(end, end + (end - start), "Asia/Taipei")
    assert slot in offer.text
    await loser.press(offer, a.t("✅ Book"))  # one press: the offered slot
    _first, second = await bookings(harness)
    assert (second.starts_at, second.ends_at) == (end, end + (end - start))
    assert len(loans_to(a, loser)) == 1


async def test_a_restart_across_the_return_date_sends_each_notice_once(harness: Harness) -> None:
    a = await alliance(harness, "zh_Hant")
    world = harness.world
    await seed_item(harness, a)
    start, end = day(harness, 1, 9), day(harness, 3, 18)
    await book(a, a.chen, start, end)
    await harness.stop_bot()  # down over the reminder's moment
    harness.clock.advance(end - timedelta(hours=2) - harness.clock.now())
    await harness.start_bot()
    await world.settle()
    assert len(notices_to(a, a.chen, "⏰")) == len(notices_to(a, a.chen2, "⏰")) == 1
    await harness.stop_bot()  # and down again over the return date and the holder's day
    harness.clock.advance(end + timedelta(days=1, hours=1) - harness.clock.now())
    await harness.start_bot()
    await world.settle()
    counts = {who: (len(notices_to(a, who, "⏰")), len(notices_to(a, who, "⚠")))
              for who in (a.chen, a.chen2, a.wang)}
    assert counts == {a.chen: (1, 1), a.chen2: (1, 1), a.wang: (0, 1)}
    await harness.restart()
    await harness.advance(timedelta(hours=3))
    assert {who: (len(notices_to(a, who, "⏰")), len(notices_to(a, who, "⚠")))
            for who in counts} == counts


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_suspended_member_cannot_book_or_add(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    item_id = await seed_item(harness, a)
    shown = await harness.say(a.sue, a.sue, "/equipment")
    assert shown is not None and ITEM in shown.text
    labels = [label for row in shown.buttons for label in row]
    assert a.t("➕ Add an item") not in labels  # a suspended member adds nothing
    answer = await a.sue.press(shown, a.t("Book {item}").format(item=ITEM[:30]))
    assert answer.text == said(a, "member_suspended")
    await a.sue.start(f"equip-{item_id}")
    await world.settle()
    assert world.last(a.sue).text == said(a, "member_suspended")
    assert await bookings(harness) == []


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_bad_input_at_every_step_is_refused_and_changes_nothing(harness: Harness,
                                                                      locale: str) -> None:
    a = await alliance(harness, locale)
    world, lin = harness.world, a.lin

    async def refused(text: str, code: str, **params: object) -> None:
        reply = await harness.say(lin if adding else a.chen, lin if adding else a.chen, text)
        assert reply is not None and reply.text == said(a, code, **params), text

    adding = True
    await harness.say(lin, lin, "/equipment")
    await lin.press(asked(world, lin), a.t("➕ Add an item"))
    await refused("x" * 5000, "equipment_bad_name", limit=200)
    await refused("   \n ", "equipment_bad_name", limit=200)
    await harness.say(lin, lin, ITEM)
    await refused("y" * 400, "equipment_bad_location", limit=300)
    await harness.say(lin, lin, "Wang's workshop")
    await refused("Wang Tyres", "equipment_use_buttons")  # the holder is chosen with a button
    await lin.press(asked(world, lin), "Wang Tyres")
    await refused("z" * 1500, "equipment_bad_conditions", limit=1000)
    await lin.press(asked(world, lin), a.t("Skip"))
    await refused("lots", "equipment_bad_amount")
    await refused("5000 USD", "equipment_other_currency", currency="TWD")
    await harness.say(lin, lin, "5000")
    await refused("-3", "equipment_bad_amount")
    await lin.press(asked(world, lin), a.t("Skip"))
    await refused("yes", "equipment_use_buttons")
    question = asked(world, lin)
    await lin.press(question, a.t("✖ Cancel"))
    assert question.text == a.t("Cancelled. Nothing was saved.")  # the question, edited
    assert await items(harness) == []

    adding = False
    await seed_item(harness, a)
    await open_booking(a, a.chen)
    await refused("whenever", "booking_bad_time")
    await refused("2020-01-01 09:00", "booking_in_past")
    start = day(harness, 2, 9)
    await harness.say(a.chen, a.chen, typed(start))
    await refused(typed(start - timedelta(hours=2)), "booking_ends_before_start")
    await refused(typed(start + timedelta(minutes=30)), "booking_too_short", minutes=60)
    await refused(typed(start + timedelta(days=100)), "booking_too_long", days=90)
    await harness.say(a.chen, a.chen, typed(start + timedelta(days=1)))
    await refused("book it", "equipment_use_buttons")
    question = asked(world, a.chen)
    await a.chen.press(question, a.t("◀ Back"))  # back to the end: asked again, in place
    assert a.t("Until when? Send the return date and time (a date alone: the end of that "
               "day).") in question.text
    await harness.say(a.chen, a.chen, "/cancel")
    assert world.last(a.chen).text == a.t("Cancelled. Nothing was saved.")
    assert await bookings(harness) == []


async def test_forged_callback_data_and_the_wrong_person_change_nothing(harness: Harness) -> None:
    a = await alliance(harness, "en")
    world = harness.world
    item_id = await seed_item(harness, a)
    await book(a, a.chen, day(harness, 1, 9), day(harness, 2, 18))
    [mine] = loans_to(a, a.chen)
    [booking] = await bookings(harness)
    bid = booking.id
    lins = await harness.say(a.lin, a.lin, "/help")
    assert lins is not None
    for who, message, data, code in (
        (a.chen, mine, "ln:zap:1", "booking_not_found"),
        (a.chen, mine, f"ln:ret:{bid + 1000}", "booking_not_found"),
        (a.chen, mine, f"eq:retire:{item_id}", "equipment_not_yours"),  # not the owner
        (a.chen, mine, "eq:retire:999999", "equipment_not_found"),
        (a.chen, mine, "ew:item:1", "equipment_wizard_gone"),  # no wizard under way
        (a.chen, mine, "eq:add:999999", "members_only"),  # another alliance
        (a.lin, lins, f"ln:pick:{bid}", "booking_not_yours"),  # not the borrower nor the holder
        (a.lin, lins, f"ln:ret:{bid}", "booking_not_yours"),
    ):
        answer = await press_forged(harness, who, message, data)
        assert answer.text == said(a, code), data
    await press_forged(harness, a.chen, mine, "ln:pick:not-a-number")
    [still] = await bookings(harness)
    assert still.status == "booked" and still.picked_up_at is None
    assert [i.retired_at for i in await items(harness)] == [None]

    # The wizard's own buttons: an item that is not the alliance's is refused, the step stays.
    await a.chen.start(f"book-{await borrow_request(harness, a, a.chen, 'A tyre changer')}")
    await world.settle()
    answer = await press_forged(harness, a.chen, world.last(a.chen), "ew:item:999999")
    assert answer.text == said(a, "equipment_not_found")
    await a.chen.press(world.last(a.chen), ITEM)  # the real one still works
    assert a.t("From when?").split("?")[0] in world.last(a.chen).text


async def test_retire_only_by_a_coordinator_or_the_owner_and_bookings_are_called_off(
        harness: Harness) -> None:
    a = await alliance(harness, "zh_Hant")
    world = harness.world
    await seed_item(harness, a)
    await book(a, a.chen, day(harness, 1, 9), day(harness, 2, 18))
    in_group = await harness.say(a.lin, a.group, "/equipment")  # seen by every member
    assert in_group is not None and a.t("Retire") not in str(in_group.buttons)
    theirs = await harness.say(a.chen, a.chen, "/equipment")  # Chen is neither
    assert theirs is not None and a.t("Retire") not in str(theirs.buttons)
    listing = await harness.say(a.lin, a.lin, "/equipment")  # a coordinator, in private
    assert listing is not None
    retire = next(button.callback_data for row in listing.button_rows for button in row
                  if button.text == a.t("Retire"))
    answer = await press_forged(harness, a.chen, theirs, retire)
    assert answer.text == said(a, "equipment_not_yours")
    assert [i.retired_at for i in await items(harness)] == [None]
    await a.lin.press(listing, a.t("Retire"))
    assert (await items(harness))[0].retired_at is not None
    assert [b.status for b in await bookings(harness)] == ["cancelled"]
    assert ITEM in world.last(a.chen).text and a.t("Nothing is listed yet.") in \
        world.last(a.lin).text


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_borrow_request_is_answered_by_a_booking(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await seed_item(harness, a)
    request_id = await borrow_request(harness, a, a.chen, "A tyre changer for Saturday")
    await a.wang.start(f"book-{request_id}")  # not Wang's request
    await world.settle()
    assert world.last(a.wang).text == said(a, "request_not_yours")
    await a.chen.start(f"book-{request_id}")
    await world.settle()
    await a.chen.press(world.last(a.chen), ITEM)
    await harness.say(a.chen, a.chen, typed(day(harness, 3, 9)))
    await harness.say(a.chen, a.chen, typed(day(harness, 3, 18)))
    await a.chen.press(world.last(a.chen), a.t("✅ Book"))
    assert world.last(a.chen).text.startswith(a.t(
        "Your borrow request is answered by this booking: it is now matched."))
    [booking] = await bookings(harness)
    assert booking.request_id == request_id
    assert harness.app is not None
    async with harness.app.sessions() as session:
        request = await session.get(ResourceRequest, request_id)
        assert request is not None and request.status == "matched"


async def test_a_holder_who_blocked_the_bot_does_not_stop_a_booking(harness: Harness) -> None:
    a = await alliance(harness, "en")
    await seed_item(harness, a)
    await a.wang.block_bot()
    await book(a, a.chen, day(harness, 1, 9), day(harness, 1, 18))
    assert [b.status for b in await bookings(harness)] == ["booked"]
    assert len(loans_to(a, a.chen)) == 1


async def test_the_request_card_shows_the_booking_that_answered_it(harness: Harness) -> None:
    """From the group card of a borrow request (made with /request) to a booking, and back: the
    card the group sees says the request is matched, and no longer offers to book or to offer."""
    a = await alliance(harness, "zh_Hant")
    world = harness.world
    await seed_item(harness, a)
    card = await request_stories.ask(a, a.chen, title="A tyre changer for Saturday")  # type: ignore[arg-type]
    link = card.button(a.t("📅 Book a shared item")).url
    assert link is not None
    await a.chen.start(link.split("?start=")[1])
    await world.settle()
    await a.chen.press(world.last(a.chen), ITEM)
    await harness.say(a.chen, a.chen, typed(day(harness, 3, 9)))
    await harness.say(a.chen, a.chen, typed(day(harness, 3, 18)))
    await a.chen.press(world.last(a.chen), a.t("✅ Book"))
    await world.settle()
    assert a.t("Status: {status}").format(status=a.t("matched")) in card.text
    labels = [text for row in card.buttons for text in row]
    assert a.t("📅 Book a shared item") not in labels and a.t("🙋 I can offer") not in labels
