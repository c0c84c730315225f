"""Referral hand-offs end to end (PRODUCT.md §3): the wizard, the receiver's card, accept and
decline (also at once), won with a rating, pass-on, reminders and expiry on the app's clock,
/referrals, /ledger — in English and Traditional Chinese — and nobody sees a customer's contact
but the referrer and the accepting receiver."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.views.referrals import RefCb
from storage.models import ReferralEvent
from tests.e2e.harness import Harness, press_forged
from tests.e2e.privacy import assert_private, seen_by
from tests.e2e.referral_stories import (
    CONTACT,
    CUSTOMER,
    alliance,
    refer,
    stored,
    t,
)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize(("locale", "won_text"), [
    ("en", "NT$15,500"), ("zh_Hant", "１５，５００元"), ("zh_Hans", "1.55万")])
async def test_the_whole_path_to_won_with_a_rating(harness: Harness, locale: str, won_text: str,
                                                   logs: pytest.LogCaptureFixture) -> None:
    """The won amount is typed as people write it (NT$, full width with 元, 万), all 15,500 TWD."""
    a = await alliance(harness, locale)
    world = harness.world
    await refer(a, a.lin)
    [referral] = await stored(harness)
    assert referral.status == "sent" and referral.expected_value == 12000
    assert referral.expected_currency == "TWD"  # Asia/Taipei
    # Both of Chen Tyres' people get the card; no contact, no customer name on it yet.
    cards = [world.last(a.chen), world.last(a.chen2)]
    for card in cards:
        assert "four winter tyres" in card.text and "Lin Garage" in card.text
        assert CONTACT not in card.text and CUSTOMER not in card.text
        assert card.buttons == [[a.t("✅ Accept"), a.t("✖ Decline")]]
    assert a.t("Referral #{id} is on its way to “{name}”. I will tell you when they answer.").format(
        id=referral.id, name="Chen Tyres") in world.last(a.lin).text
    await a.chen2.press(cards[1], a.t("✅ Accept"))
    # Every card of Chen Tyres now shows the contact and the next steps.
    for card in cards:
        assert CONTACT in card.text and CUSTOMER in card.text
        assert a.t("📞 Contacted") in card.buttons[0][0]
    assert a.t("“{name}” accepted your referral #{id}.").format(
        name="Chen Tyres", id=referral.id) in world.last(a.lin).text
    await a.chen.press(cards[0], a.t("📞 Contacted"))
    assert a.t("“{name}” contacted the customer of referral #{id}.").format(
        name="Chen Tyres", id=referral.id) in world.last(a.lin).text
    await a.chen.press(cards[0], a.t("🏆 Won"))
    await harness.say(a.chen, a.chen, "not money")
    assert a.t("Please send an amount such as 12000, 12,000.50 or 300 USD.") in world.last(a.chen).text
    await harness.say(a.chen, a.chen, won_text)
    won = world.last(a.lin)
    assert "15,500" in won.text
    await a.lin.press(won, "5⭐")
    await harness.say(a.lin, a.lin, "Very happy with the service")
    [referral] = await stored(harness)
    assert (referral.status, referral.won_value, referral.won_currency) == ("won", 15500, "TWD")
    assert (referral.rating, referral.rating_comment) == (5, "Very happy with the service")
    # A thank-you card in the group, without customer data.
    thanks = world.last(a.group)
    assert "Lin Garage" in thanks.text and "Chen Tyres" in thanks.text
    assert CUSTOMER not in thanks.text and CONTACT not in thanks.text
    # The ledger, in the group.
    await harness.say(a.lin, a.group, "/ledger")
    ledger = world.last(a.group).text
    assert "Chen Tyres" in ledger and "15,500" in ledger
    lin_row = next(line for line in ledger.splitlines() if line.startswith("Lin Garage"))
    assert "· NT$0 ·" in lin_row  # won value none: a zero amount, not a bare 0 (a count)
    # The directory's card of the receiving member carries the figures (no rating yet: one).
    await harness.say(a.lin, a.lin, "/members Chen")
    await a.lin.press(world.last(a.lin), "Chen Tyres")
    card = world.last(a.lin).text
    assert a.t("Referrals: {given} given ({credited} of them won), {received} received, "
               "{won} won ({value})").split("{given}")[0] in card
    assert "15,500" in card and CONTACT not in card
    assert_private(harness, [CONTACT, CUSTOMER], allowed=[a.lin, a.chen, a.chen2],
                   logs=logs.records)
    assert seen_by(harness, CONTACT) == {a.lin.id, a.chen.id, a.chen2.id}
    assert not [r for r in logs.records if CONTACT in r.getMessage()]


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_decline_then_pass_on_skips_whoever_declined(harness: Harness, locale: str,
                                                           logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await refer(a, a.lin, value=None)
    card = world.last(a.chen)
    await a.chen.press(card, a.t("✖ Decline"))
    await a.chen.press(card, a.t("Other reason…"))
    await harness.say(a.chen, a.chen, "We are closed for the holidays")
    told = world.last(a.lin)
    assert "We are closed for the holidays" in told.text
    assert CONTACT not in world.last(a.chen).text
    assert a.t("Status: {status}").format(status=a.t("declined")) in card.text
    await a.lin.press(told, a.t("↪ Pass it on"))
    offer = world.last(a.lin)
    labels = [label for row in offer.buttons for label in row]
    assert any("Wang Tyres" in label for label in labels)
    assert not any("Chen Tyres" in label or "Sue Tyres" in label for label in labels)
    await a.lin.press(offer, "Wang Tyres")
    await a.lin.press(world.last(a.lin), a.t("📨 Send"))
    first, second = await stored(harness)
    assert (first.status, second.status, second.passed_from_id) == ("declined", "sent", first.id)
    assert second.receiver_id == a.ids["wang"]
    await a.wang.press(world.last(a.wang), a.t("✅ Accept"))
    assert CONTACT in world.last(a.wang).text
    # Chen declined: never saw the contact.
    assert_private(harness, [CONTACT, CUSTOMER], allowed=[a.lin, a.wang], logs=logs.records)


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_expiry_after_72_hours_with_a_reminder_first(harness: Harness, locale: str,
                                                           logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await refer(a, a.lin)
    before = len(world.messages_to(a.chen))
    await harness.advance(timedelta(hours=23))
    assert len(world.messages_to(a.chen)) == before
    await harness.advance(timedelta(hours=1, minutes=1))
    reminder = world.messages_to(a.chen)[-1]
    assert "⏰" in reminder.text and CONTACT not in reminder.text
    assert len(world.messages_to(a.chen2)) == before + 1  # both of Chen Tyres' people
    # A restart in the middle: the expiry is re-armed from the stored state.
    await harness.stop_bot()
    harness.clock.advance(timedelta(hours=50))
    await harness.start_bot()
    await world.settle()
    [referral] = await stored(harness)
    assert referral.status == "expired"
    assert a.t("↪ Pass it on") in world.last(a.lin).buttons[0][0]
    card = world.messages_to(a.chen)[-2]
    assert a.t("expired (no answer)") in card.text and card.buttons == []
    await harness.advance(timedelta(hours=5))
    assert len([m for m in world.messages_to(a.chen) if "⏰" in m.text]) == 1
    assert_private(harness, [CONTACT, CUSTOMER], allowed=[a.lin], logs=logs.records)


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_accept_and_decline_pressed_at_once_have_one_winner(harness: Harness,
                                                                  locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await refer(a, a.lin)
    card, card2 = world.last(a.chen), world.last(a.chen2)
    await a.chen2.press(card2, a.t("✖ Decline"))
    accept = await a.chen.press(card, a.t("✅ Accept"), wait=False)
    decline = await a.chen2.press(card2, a.t("Too busy right now"), wait=False)
    await world.settle()
    [referral] = await stored(harness)
    assert referral.status in ("accepted", "declined")
    loser = decline if referral.status == "accepted" else accept
    winner = accept if loser is decline else decline
    assert loser.show_alert
    assert loser.text == a.t("Too late: this referral is already {status}.").format(
        status=a.t(referral.status))
    assert not winner.show_alert
    assert harness.app is not None
    async with harness.app.sessions() as session:
        actions = list(await session.scalars(select(ReferralEvent.action)))
    assert actions == ["sent", referral.status]


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_suspended_member_can_neither_refer_nor_receive(harness: Harness,
                                                                locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await harness.say(a.sue, a.sue, "/refer")
    assert t(locale, "Your membership is suspended, so you cannot do that now. A coordinator can "
                     "reinstate it.") in world.last(a.sue).text
    await harness.say(a.lin, a.lin, "/refer")
    await a.lin.press(world.last(a.lin), "tyres")
    labels = [label for row in world.last(a.lin).buttons for label in row]
    assert not any("Sue Tyres" in label for label in labels)
    await harness.say(a.lin, a.lin, "Sue")
    assert t(locale, "No active member matches that name. Try part of it, or pick a category.") \
        in world.last(a.lin).text
    assert await stored(harness) == []


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_non_receiver_pressing_accept_is_refused(harness: Harness, locale: str,
                                                         logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await refer(a, a.lin)
    [referral] = await stored(harness)
    data = a.chen.world.last(a.chen).button(a.t("✅ Accept")).callback_data
    assert data is not None
    await harness.say(a.wang, a.wang, "/start")
    for intruder in (a.wang, a.lin):
        answer = await press_forged(harness, intruder, world.last(intruder), data)
        assert answer.show_alert
        assert answer.text == a.t("This referral is not addressed to you, so you cannot act on it.")
        # *Back* to the card, forged: the receiver's card (the customer's need) is not shown.
        shown = world.last(intruder).text
        answer = await press_forged(harness, intruder, world.last(intruder),
                                    RefCb(action="card", id=referral.id).pack())
        assert answer.show_alert and world.last(intruder).text == shown
    [referral] = await stored(harness)
    assert referral.status == "sent"
    assert_private(harness, [CONTACT, CUSTOMER], allowed=[a.lin], logs=logs.records)


async def test_referrals_lists_open_items_with_buttons_and_the_wizard_survives_a_restart(
        harness: Harness) -> None:
    a = await alliance(harness)
    world = harness.world
    await harness.say(a.lin, a.lin, "/refer")
    await a.lin.press(world.last(a.lin), "tyres")
    await a.lin.press(world.last(a.lin), "Chen Tyres")
    await harness.say(a.lin, a.lin, CUSTOMER)
    await harness.say(a.lin, a.lin, "no contact here")
    assert "does not look like a contact" in world.last(a.lin).text
    await harness.restart()
    await harness.say(a.lin, a.lin, CONTACT)
    await a.lin.press(world.last(a.lin), a.t("« Back"))
    assert "contact" in world.last(a.lin).text  # back at the contact step
    await harness.say(a.lin, a.lin, CONTACT)
    await a.lin.press(world.last(a.lin), "✅")
    await harness.say(a.lin, a.lin, "a spare wheel")
    await a.lin.press(world.last(a.lin), "❄️")
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    await a.lin.press(world.last(a.lin), "📨")
    await harness.say(a.chen, a.chen, "/referrals")
    mine = world.last(a.chen)
    assert "a spare wheel" in mine.text and CONTACT not in mine.text
    await a.chen.press(mine, "accept")
    await harness.say(a.chen, a.chen, "/referrals")
    mine = world.last(a.chen)
    assert CONTACT in mine.text
    await a.chen.press(mine, "lost")
    await harness.say(a.chen, a.chen, "They bought elsewhere")
    assert "They bought elsewhere" in world.last(a.lin).text
    await harness.say(a.lin, a.lin, "/referrals")
    assert world.last(a.lin).buttons == []
    await harness.say(a.lin, a.lin, "/ledger 30d")
    assert "Chen Tyres" in world.last(a.lin).text
    await harness.say(a.lin, a.lin, "/ledger someday")
    assert "Periods look like" in world.last(a.lin).text


async def test_a_telegram_error_delays_a_card_and_a_blocked_colleague_does_not_stop_it(
        harness: Harness) -> None:
    a = await alliance(harness, "zh_Hant")
    world = harness.world
    await a.chen2.block_bot()
    await world.settle()
    harness.emulator.faults.add("sendMessage", 502, chat_id=a.chen)
    await refer(a, a.lin)
    card = world.last(a.chen)  # delivered on the outbox's retry
    assert a.t("✅ Accept") in card.buttons[0][0]
    assert world.messages_to(a.chen2) == []
    await a.chen.press(card, a.t("✅ Accept"))
    [referral] = await stored(harness)
    assert referral.status == "accepted"
    assert CONTACT in card.text


async def test_nudge_after_a_quiet_week_and_purge_after_retention(harness: Harness,
                                                                  logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness)
    world = harness.world
    await refer(a, a.lin)
    card = world.last(a.chen)
    await a.chen.press(card, a.t("✅ Accept"))
    await harness.advance(timedelta(days=6))
    assert not [m for m in world.messages_to(a.chen) if "⏰" in m.text]
    await harness.advance(timedelta(days=1, minutes=1))
    nudges = [m for m in world.messages_to(a.chen) if "⏰" in m.text]
    assert len(nudges) == 1 and CONTACT not in nudges[0].text
    assert len([m for m in world.messages_to(a.chen2) if "⏰" in m.text]) == 1
    await harness.advance(timedelta(days=1))
    assert len([m for m in world.messages_to(a.chen) if "⏰" in m.text]) == 1
    await a.chen.press(card, a.t("Lost"))
    await harness.say(a.chen, a.chen, "Customer moved away")
    await harness.advance(timedelta(days=179))
    [referral] = await stored(harness)
    assert referral.customer_contact == CONTACT
    await harness.restart()  # the purge is re-armed from the stored closing time
    await harness.advance(timedelta(days=1, minutes=1))
    [referral] = await stored(harness)
    assert (referral.customer_contact, referral.customer_name, referral.status) == (None, None, "lost")
    assert CONTACT not in card.text and CUSTOMER not in card.text
    assert a.t("The customer's details were deleted after the retention period.") in card.text
    await harness.say(a.lin, a.lin, "/ledger")
    assert "Chen Tyres" in world.last(a.lin).text
    assert_private(harness, [CONTACT, CUSTOMER], allowed=[a.lin, a.chen, a.chen2],
                   logs=logs.records)


@pytest.mark.parametrize("nasty", ["<b>bold</b> & co", "' OR 1=1 --", "🙂" * 300, "   ",
                                   "/notacommand", "x" * 5000])
async def test_wizard_steps_take_any_text_without_breaking(harness: Harness, nasty: str) -> None:
    a = await alliance(harness)
    world = harness.world
    prompt = await harness.say(a.lin, a.lin, "/refer")
    assert prompt is not None
    await harness.say(a.lin, a.lin, nasty)  # a name search
    await a.lin.press(prompt, "tyres")
    await a.lin.press(prompt, "Chen Tyres")
    for _step in range(3):
        await harness.say(a.lin, a.lin, nasty)
    await harness.say(a.lin, a.lin, "/cancel")
    assert a.t("Cancelled. Nothing was sent.") in world.last(a.lin).text
    assert await stored(harness) == []
    await harness.say(a.lin, a.lin, "Lin again")
    assert world.last(a.lin).text.startswith(a.t("Cancelled. Nothing was sent."))


async def test_an_abandoned_wizard_forgets_the_contact_after_a_day(harness: Harness) -> None:
    from storage.models import FsmRecord

    a = await alliance(harness)
    world = harness.world
    prompt = await harness.say(a.lin, a.lin, "/refer")
    assert prompt is not None
    await a.lin.press(prompt, "tyres")
    await a.lin.press(prompt, "Chen Tyres")
    await harness.say(a.lin, a.lin, CUSTOMER)
    await harness.say(a.lin, a.lin, CONTACT)

    async def drafts() -> list[str]:
        assert harness.app is not None
        async with harness.app.sessions() as session:
            return [str(record.data) for record in await session.scalars(select(FsmRecord))]

    assert any(CONTACT in data for data in await drafts())
    await harness.advance(timedelta(hours=23))
    assert any(CONTACT in data for data in await drafts())
    await harness.restart()
    await harness.advance(timedelta(hours=1, minutes=1))
    assert not any(CONTACT in data for data in await drafts())
    answer = await a.lin.press(world.last(a.lin), a.t("✅ Yes, the customer agreed"))
    assert answer.show_alert and "/refer" in (answer.text or "")


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_the_referrer_withdraws_before_acceptance(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await refer(a, a.lin, value="300 usd")
    [referral] = await stored(harness)
    assert (referral.expected_value, referral.expected_currency) == (300, "USD")
    card = world.last(a.chen)
    await harness.say(a.lin, a.lin, "/referrals")
    mine = world.last(a.lin)
    assert CONTACT in mine.text  # the referrer's own view
    await a.lin.press(mine, a.t("#{id}: withdraw").format(id=referral.id))
    assert card.buttons == [] and a.t("cancelled") in card.text
    assert a.t("“{name}” withdrew referral #{id}.").format(name="Lin Garage", id=referral.id) \
        in world.last(a.chen).text
    # Chen's client still had the old Accept button data: too late now.
    answer = await press_forged(harness, a.chen, card, RefCb(action="acc", id=referral.id).pack())
    assert answer.show_alert and a.t("Too late: this referral is already {status}.").format(
        status=a.t("cancelled")) == answer.text
    await harness.say(a.lin, a.lin, "/refer")
    await harness.say(a.lin, a.group, "/refer")
    assert "/refer" in world.last(a.group).text


async def test_no_thank_you_card_when_the_alliance_turned_them_off(harness: Harness) -> None:
    from storage.models import Alliance as AllianceRow

    a = await alliance(harness)
    world = harness.world
    assert harness.app is not None
    async with harness.app.sessions() as session:
        row = await session.scalar(select(AllianceRow))
        assert row is not None
        row.settings = {**row.settings, "thank_you_cards": False, "currency": "EUR"}
        await session.commit()
    before = len(world.messages_in(a.group))
    await refer(a, a.lin, value=None)
    card = world.last(a.chen)
    await a.chen.press(card, a.t("✅ Accept"))
    await a.chen.press(card, a.t("🏆 Won"))
    await harness.say(a.chen, a.chen, "99.5")
    [referral] = await stored(harness)
    assert (referral.status, referral.won_value, referral.won_currency) == ("won", Decimal("99.5"),
                                                                           "EUR")
    assert len(world.messages_in(a.group)) == before
    await a.lin.press(world.last(a.lin), "3⭐")
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    [referral] = await stored(harness)
    assert (referral.rating, referral.rating_comment) == (3, None)
