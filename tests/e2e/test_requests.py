"""Shared resource requests end to end (PRODUCT.md §4): the /request wizard, the card in the
home group, *I can offer*, Accept (contacts exchanged, to those two sides only), Close, expiry on
the app's clock, /requests and /myrequests — in English and Traditional Chinese (one flow in
Simplified Chinese) — with the unhappy paths."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.emulator import SimUser
from bot.i18n import use_locale
from bot.views.requests import offer_declined
from tests.e2e.harness import Harness, press_forged
from tests.e2e.privacy import assert_private, seen_by
from tests.e2e.request_stories import (
    CHEN_CONTACT,
    LIN_CONTACT,
    WANG_CONTACT,
    Alliance,
    alliance,
    ask,
    card_of,
    local_date,
    offer,
    offers,
    open_wizard,
    requests,
    seed_requests,
)


def declined_notice(a: Alliance, request_id: int, title: str, *, answered: bool) -> str:
    """What an offerer whose offer was not taken reads, in the alliance's people's language."""
    with use_locale(a.locale):
        return offer_declined(request_id, title, answered=answered)


def told_count(a: Alliance, who: SimUser, text: str) -> int:
    return sum(m.text == text for m in a.harness.world.messages_to(who))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_from_ask_to_matched_on_postgresql(on_postgresql: Harness,
                                                 logs: pytest.LogCaptureFixture) -> None:
    await test_from_ask_to_matched_with_contacts_exchanged(on_postgresql, "zh_Hant", logs)


@pytest.mark.parametrize("locale", ["en", "zh_Hant", "zh_Hans"])
async def test_from_ask_to_matched_with_contacts_exchanged(harness: Harness, locale: str,
                                                           logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    card = await ask(a, a.lin)
    [request] = await requests(harness)
    assert request.status == "open" and request.kind == "equipment"
    assert (request.quantity, request.unit) == (1, "lift")
    assert "A car lift for Saturday" in card.text and "Lin Garage" in card.text
    assert card.button(a.t("📅 Book a shared item")).url.endswith(f"?start=book-{request.id}")
    told = world.last(a.lin)
    assert a.t("✅ Fulfilled") in told.buttons[0]
    await offer(a, a.chen, card, "Ours is free from 9:00")
    await offer(a, a.wang, card, None)
    card = card_of(a)
    assert "Chen Tyres" in card.text and "Wang Lifts" in card.text
    assert "Ours is free from 9:00" not in card.text
    notices = [m for m in world.messages_to(a.lin) if a.t("✅ Accept this offer") in str(m.buttons)]
    assert len(notices) == 2 and "Ours is free from 9:00" in notices[0].text
    await a.lin.press(notices[0], a.t("✅ Accept this offer"))
    [request] = await requests(harness)
    assert request.status == "matched"
    assert [o.status for o in await offers(harness)] == ["accepted", "declined"]
    assert CHEN_CONTACT in world.last(a.lin).text
    for person in (a.chen, a.chen2):
        assert LIN_CONTACT in world.last(person).text
    assert "Chen Tyres" in card_of(a).text
    assert a.t("🙋 I can offer") not in str(card_of(a).buttons)
    # Wang's offer was not accepted: no contact for them, and nobody else saw one.
    assert_private(harness, [LIN_CONTACT, CHEN_CONTACT, WANG_CONTACT],
                   allowed=[a.lin, a.chen, a.chen2], logs=logs.records)
    assert seen_by(harness, CHEN_CONTACT) == {a.lin.id}
    assert seen_by(harness, LIN_CONTACT) == {a.chen.id, a.chen2.id}
    # Closing it as fulfilled from the private message.
    await a.lin.press(told, a.t("✅ Fulfilled"))
    [request] = await requests(harness)
    assert request.status == "fulfilled" and card_of(a).buttons == []
    # Wang, whose offer was declined, is told once, in Wang's language; Chen is not.
    answered = declined_notice(a, request.id, request.title, answered=True)
    assert told_count(a, a.wang, answered) == 1
    assert told_count(a, a.chen, answered) == 0
    assert told_count(a, a.wang, declined_notice(a, request.id, request.title,
                                                 answered=False)) == 0


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_close_and_accept_by_the_wrong_person_and_forged_presses_change_nothing(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    card = await ask(a, a.lin, needed_by=None)
    [request] = await requests(harness)
    await offer(a, a.chen, card, "We have one")
    [made] = await offers(harness)
    not_yours = a.t("Only the member who asked (or a coordinator) can do that.")
    # Close on the card: Chen is refused, Lin gets the choices in private.
    answer = await a.chen.press(card_of(a), a.t("Close (requester)"))
    assert answer.text == not_yours
    answer = await a.lin.press(card_of(a), a.t("Close (requester)"))
    assert answer.text == a.t("I sent you the choices in our private chat.")
    choices = world.last(a.lin)
    assert a.t("✖ Cancel the request") in choices.buttons[0]
    # Forged: Wang accepting Chen's offer, Chen closing Lin's request, unknown actions and ids.
    forged = [
        (a.wang, world.last(a.wang) if world.messages_to(a.wang) else None,
         f"rq:acc:{made.id}", not_yours),
        (a.chen, world.last(a.chen), f"rq:can:{request.id}", not_yours),
        (a.chen, world.last(a.chen), "rq:acc:999999", a.t("That offer no longer exists.")),
        (a.lin, choices, "rq:zap:1", a.t("That request no longer exists.")),
        (a.lin, choices, "rq:ful:not-a-number", None),
        (a.lin, choices, "rqw:kind:boat", a.t("This step is over. Send /request to start again.")),
        (a.lin, choices, "rql:boat:0", a.t("That kind of request does not exist.")),
    ]
    for who, message, data, expected in forged:
        if message is None:
            await harness.say(who, who, "/start")
            message = world.last(who)
        answer = await press_forged(harness, who, message, data)
        if expected is not None:
            assert answer.text == expected, data
    [request] = await requests(harness)
    [made] = await offers(harness)
    assert (request.status, made.status) == ("open", "open")
    # Lin cancels: the card says so and loses its buttons; the offer is declined, and its
    # offerer's people told so, once.
    await a.lin.press(choices, a.t("✖ Cancel the request"))
    [request] = await requests(harness)
    assert request.status == "cancelled"
    closed = declined_notice(a, request.id, request.title, answered=False)
    assert told_count(a, a.chen, closed) == 1 and told_count(a, a.lin, closed) == 0
    assert a.t("called off") in card_of(a).text and card_of(a).buttons == []
    assert a.t("Request {request} is closed: {status}.").split("{")[0] in world.last(a.lin).text
    # An Accept pressed after the request closed changes nothing.
    notice = next(m for m in world.messages_to(a.lin) if a.t("✅ Accept this offer") in str(m.buttons))
    answer = await a.lin.press(notice, a.t("✅ Accept this offer"))
    assert answer.text == a.t("This offer is no longer open: the request was matched or closed.")
    assert (await requests(harness))[0].status == "cancelled"


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_expiry_at_the_needed_by_date_told_once_across_a_restart(
        harness: Harness, locale: str, logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    card = await ask(a, a.lin, needed_by=local_date(harness, 2))
    await offer(a, a.wang, card, None)
    expired_text = a.t("⌛ Your request {request} reached its date without a match, so it has "
                       "expired. Send /request to ask again.").split("{")[0]
    await harness.advance(timedelta(days=1))
    assert (await requests(harness))[0].status == "open"
    await harness.stop_bot()
    harness.clock.advance(timedelta(days=2))
    await harness.start_bot()
    await world.settle()
    [request] = await requests(harness)
    assert request.status == "expired"
    assert a.t("expired") in card_of(a).text and card_of(a).buttons == []
    await harness.advance(timedelta(days=3))
    await harness.restart()
    assert len([m for m in world.messages_to(a.lin) if expired_text in m.text]) == 1
    assert told_count(a, a.wang, declined_notice(a, request.id, request.title,
                                                 answered=False)) == 1


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_suspended_member_can_neither_ask_nor_offer(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    suspended = a.t("Your membership is suspended, so you cannot do that now. A coordinator can "
                    "reinstate it.")
    await harness.say(a.sue, a.group, "/request")
    assert world.last(a.group).text == suspended
    await harness.say(a.sue, a.sue, "/request")
    assert world.last(a.sue).text == suspended
    card = await ask(a, a.lin)
    url = card.button(a.t("🙋 I can offer")).url
    await a.sue.start(url.split("?start=")[1])
    await world.settle()
    assert world.last(a.sue).text == suspended
    # The requester cannot offer on their own request either.
    await a.lin.start(url.split("?start=")[1])
    await world.settle()
    assert world.last(a.lin).text == a.t("This is your own request: you cannot offer on it.")
    assert await offers(harness) == []


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_bad_input_at_every_step_is_explained_and_changes_nothing(harness: Harness,
                                                                        locale: str) -> None:
    a = await alliance(harness, locale)
    world, lin = harness.world, a.lin
    first = await open_wizard(a, lin)
    await harness.say(lin, lin, "a lift please")  # the kind is a button
    assert world.last(lin).text == a.t("Please use the buttons of the last question, or /cancel.")
    await lin.press(first, a.t("💡 Expertise"))
    for text, expected in [
        ("x" * 300, a.t("Please send a title of at most {limit} characters.").format(limit=200)),
        ("   ", a.t("Please send a title of at most {limit} characters.").format(limit=200)),
    ]:
        await harness.say(lin, lin, text)
        assert world.last(lin).text == expected
    await harness.say(lin, lin, "Help with an EV battery")
    await harness.say(lin, lin, "y" * 2100)
    assert world.last(lin).text == a.t(
        "The details are too long: at most {limit} characters.").format(limit=2000)
    await harness.restart()  # the wizard survives a restart
    await harness.say(lin, lin, "A 400 V pack, diagnosis only")
    bad_quantity = a.t("Please send a whole number from 1 to {most}, then the unit if any "
                       "(e.g. 2 lifts).").format(most="9,999,999")
    for text in ("many", "0 hours", "１２"):
        await harness.say(lin, lin, text)
        assert world.last(lin).text == bad_quantity, text
    await harness.say(lin, lin, "2 " + "h" * 40)
    assert world.last(lin).text == a.t(
        "The unit is too long: at most {limit} characters.").format(limit=32)
    await harness.say(lin, lin, "3 hours")
    for text, expected in [
        ("2020-01-01", "That date is already past. Please give one in the future."),
        ("someday", "I could not read that date. Try 2026-12-03, 12/3 18:00 or Fri."),
    ]:
        await harness.say(lin, lin, text)
        assert world.last(lin).text == a.t(expected), text
    await harness.say(lin, lin, local_date(harness, 500))
    assert world.last(lin).text == a.t(
        "That is too far ahead: at most {days} days from now.").format(days=366)
    # Back returns to the quantity; /cancel ends it all and nothing was stored.
    question = next(m for m in reversed(world.messages_to(lin)) if m.buttons)
    await lin.press(question, a.t("◀ Back"))
    assert question.text == a.t("Step {n} of {total}: how many, and of what? A number, then the "
                                "unit if any (e.g. 2 lifts, 3 days, 50 m²). Or skip.").format(
                                    n=4, total=6)
    await harness.say(lin, lin, "/cancel")
    assert world.last(lin).text == a.t("Cancelled. Nothing was saved.")
    assert await requests(harness) == []
    # The offer's note is checked too.
    card = await ask(a, lin)
    url = card.button(a.t("🙋 I can offer")).url
    await a.chen.start(url.split("?start=")[1])
    await world.settle()
    await harness.say(a.chen, a.chen, "z" * 600)
    assert world.last(a.chen).text == a.t(
        "The note is too long: at most {limit} characters.").format(limit=500)
    await harness.say(a.chen, a.chen, "/cancel")
    assert await offers(harness) == []


async def test_a_joint_purchase_hands_over_to_the_purchases_feature(harness: Harness) -> None:
    a = await alliance(harness, "en")
    world = harness.world
    first = await open_wizard(a, a.lin)
    await a.lin.press(first, "🛒 Joint purchase")
    handover = world.last(a.lin)
    [[button]] = handover.button_rows
    assert button.text == "🛒 Start a joint purchase"
    assert button.callback_data is not None and button.callback_data.startswith("jp:new:")
    assert await requests(harness) == []


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_requests_is_paged_and_filtered_and_myrequests_shows_mine(harness: Harness,
                                                                        locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await seed_requests(a, a.chen, [f"Tyre rack {n}" for n in range(1, 10)], "equipment")
    await seed_requests(a, a.wang, ["A paint booth for a day", "Storage for 40 tyres"], "space")
    card = await ask(a, a.lin, kind="💡 Expertise", title="Help with an EV battery")
    await offer(a, a.chen, card, "Our technician knows them")
    await harness.say(a.chen, a.group, "/requests")
    listing = world.last(a.group)
    assert "Page 1 of 2" in listing.text or "第 1 頁" in listing.text
    assert "Tyre rack 9" in listing.text and "Tyre rack 1 " not in listing.text
    await a.chen.press(listing, a.t("Next ›"))
    assert "Page 2 of 2" in listing.text or "第 2 頁" in listing.text
    assert "Tyre rack 1 " in listing.text
    await a.chen.press(listing, a.t("🏠 Space"))
    assert "A paint booth for a day" in listing.text and "Tyre rack" not in listing.text
    assert a.t("Next ›") not in str(listing.buttons)
    await harness.say(a.lin, a.lin, "/requests")
    assert "Help with an EV battery" in world.last(a.lin).text
    # /myrequests: Lin's ask, Chen's offer.
    await harness.say(a.lin, a.lin, "/myrequests")
    mine = world.last(a.lin).text
    assert "Help with an EV battery" in mine and a.t("You asked") in mine
    await harness.say(a.chen, a.chen, "/myrequests")
    mine = world.last(a.chen).text
    assert "Help with an EV battery" in mine and a.t("waiting for an answer") in mine
    assert "Tyre rack 1" in mine  # Chen's own asks
