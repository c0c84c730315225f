"""Joint purchases end to end (PRODUCT.md §4, issue 13): the /purchase wizard, the card with its
progress bar and exact costs, pledges changed and withdrawn (also at the same moment), the
settlement at the deadline on the app's clock and across a restart, the organiser's list and
CSV, cancellation, fulfilment, a passed proposal that starts one — in English, Traditional and
Simplified Chinese — and every refusal: suspended, bad input, forged buttons."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.views.purchases import NewPurchaseCb, PurchaseCb, PurchaseWizCb
from tests.e2e import decision_stories
from tests.e2e.harness import Harness, make_harness, press_forged
from tests.e2e.purchase_stories import (
    open_purchase,
    outbox_keys,
    pledge,
    pledge_payload,
    stored,
)
from tests.e2e.referral_stories import alliance, t


def said(harness: Harness, user, needle: str) -> int:  # type: ignore[no-untyped-def]
    return sum(needle in m.text for m in harness.world.messages_to(user))


def now_showing(harness: Harness, card):  # type: ignore[no-untyped-def]
    """The card as it looks now (edited in place)."""
    return next(m for m in harness.world.messages_in(_group_of(harness, card))
                if m.message_id == card.message_id)


def _group_of(harness: Harness, card):  # type: ignore[no-untyped-def]
    from bot.emulator import SimChat

    return SimChat(harness.world, card.record.chat)


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_reaches_its_minimum_exactly_and_settles_once_across_a_restart(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    card = await open_purchase(a, a.lin)
    assert a.t("Joint purchase #{id}: {item}").format(id=1, item="Engine oil 5W-30") in card.text
    assert a.t("No pledges yet.") in card.text
    assert "░" * 10 in card.text
    await pledge(a, a.chen, card, "60")
    reply = await pledge(a, a.wang, card, "40")
    assert a.t("✏ Change") in reply.buttons[0][0]
    card = now_showing(harness, card)
    # 100 of 100: the first tier (300 each) is reached; costs are exact.
    assert "▓" * 10 in card.text and "Chen Tyres" in card.text and "Wang Tyres" in card.text
    assert "NT$18,000\n" in card.text and "NT$12,000\n" in card.text and "NT$30,000\n" in card.text
    # The bot stops before the deadline and comes back after it: settled once, when it is back.
    await harness.stop_bot()
    harness.clock.advance(timedelta(days=3, minutes=1))
    await harness.start_bot()
    [purchase], pledges = await stored(harness)
    assert purchase.status == "go" and purchase.settled_total == 100
    assert purchase.settled_price == Decimal("300")
    assert [(p.status, p.cost) for p in pledges] == [("confirmed", Decimal("18000.00")),
                                                     ("confirmed", Decimal("12000.00"))]
    share = a.t("Your share: {quantity}, to pay exactly {cost}.").split("{quantity}")[0]
    for person in (a.chen, a.chen2, a.wang):
        assert said(harness, person, share) == 1
    assert said(harness, a.lin, "Chen Tyres") == 1  # the organiser's list
    csv = next(m for m in world.messages_to(a.lin) if m.document is not None).document
    assert csv is not None and csv.file_name == "purchase-1.csv"
    assert csv.data.startswith(b"\xef\xbb\xbf") and b"Chen Tyres,60,litre,18000.00,TWD" in csv.data
    card = now_showing(harness, card)
    assert a.t("Status: {status}").format(status=a.t("going ahead")) in card.text
    assert card.buttons == [[a.t("📦 Fulfilled")]]
    # Another restart: nobody is told twice.
    await harness.restart()
    await harness.advance(timedelta(hours=1))
    for person in (a.chen, a.chen2, a.wang):
        assert said(harness, person, share) == 1
    assert len(await outbox_keys(harness, "purchase:1:go")) == 3
    # Only the organiser (or a coordinator) marks it fulfilled.
    await a.chen.press(card, a.t("📦 Fulfilled"))
    assert (await stored(harness))[0][0].status == "go"
    await a.lin.press(card, a.t("📦 Fulfilled"))
    [purchase], _ = await stored(harness)
    assert purchase.status == "fulfilled"
    card = now_showing(harness, card)
    fulfilled = a.pt("joint purchase status: goods handed out", "fulfilled")
    assert a.t("Status: {status}").format(status=fulfilled) in card.text
    assert not card.buttons


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_below_the_minimum_it_fails_and_everyone_is_told(harness: Harness,
                                                               locale: str) -> None:
    a = await alliance(harness, locale)
    card = await open_purchase(a, a.lin, tiers=None)
    await pledge(a, a.chen, card, "30")
    await pledge(a, a.wang, card, "69")
    await harness.advance(timedelta(days=3, minutes=1))
    [purchase], pledges = await stored(harness)
    assert purchase.status == "failed" and all(p.cost is None for p in pledges)
    failed = a.t("Joint purchase #{id} ({item}) did not reach its minimum of {moq} by the "
                 "deadline ({pledged} pledged), so it does not go ahead. Nobody pays.").format(
                     id=1, item="Engine oil 5W-30", moq="100 litre", pledged="99 litre")
    for person in (a.chen, a.chen2, a.wang, a.lin):
        assert said(harness, person, failed) == 1
    card = now_showing(harness, card)
    assert a.t("Status: {status}").format(status=a.t("did not go ahead")) in card.text
    assert not card.buttons
    # Too late to pledge now.
    await a.chen.start(f"pledge-{purchase.id}")
    await harness.world.settle()
    assert a.t("Too late: this joint purchase did not go ahead.") in harness.world.last(a.chen).text


async def test_a_pledge_changed_and_one_withdrawn_in_simplified_chinese(harness: Harness) -> None:
    a = await alliance(harness, "en")
    for person in (a.chen, a.chen2, a.wang, a.lin):
        await harness.say(person, person, "/lang")
        await person.press(harness.world.last(person), "简体中文")
    a.locale = "zh_Hans"
    card = await open_purchase(a, a.lin, item="轮胎 205/55R16", unit="条", price="2,800",
                               tiers="8: 2600", moq="8")
    await pledge(a, a.chen, card, "4")
    reply = await pledge(a, a.wang, card, "2")
    assert "NT$5,600" in reply.text and "5,600.00" not in reply.text  # whole TWD: no cents
    await a.wang.press(reply, a.t("↩ Withdraw"))
    assert a.t("Your pledge for “{item}” is withdrawn.").format(item="轮胎 205/55R16") in \
        harness.world.last(a.wang).text
    # Chen changes 4 → 8: the tier of 8 is reached, 2,600 each.
    await a.chen.start(pledge_payload(card))
    await harness.world.settle()
    assert a.t("Your pledge now: {quantity}. Send a new quantity to change it.").format(
        quantity="4 条") in harness.world.last(a.chen).text
    await harness.say(a.chen, a.chen, "8")
    _, pledges = await stored(harness)
    assert [(p.quantity, p.status) for p in pledges] == [(8, "pledged"), (2, "withdrawn")]
    card = now_showing(harness, card)
    assert "NT$20,800" in card.text and "Wang Tyres" not in card.text
    mine = await harness.say(a.chen, a.chen, "/myrequests")  # the cost as it stands, at the tier
    assert mine is not None and "轮胎 205/55R16：8 条 — NT$20,800" in mine.text.replace(": ", "：")
    assert not harness.world.last(a.wang).buttons
    # Withdrawing twice (an old button): told there is nothing to withdraw.
    answer = await press_forged(harness, a.wang, reply, PurchaseCb(action="withdraw", id=1).pack())
    assert answer.text == a.t("You have no pledge in this purchase.")
    # Change asks the quantity again: a withdrawn pledge can be renewed.
    await press_forged(harness, a.wang, reply, PurchaseCb(action="change", id=1).pack())
    await harness.say(a.wang, a.wang, "1")
    _, pledges = await stored(harness)
    assert [(p.quantity, p.status) for p in pledges] == [(8, "pledged"), (1, "pledged")]


async def test_two_members_pledging_at_the_same_moment_are_both_counted(
        harness: Harness) -> None:
    a = await alliance(harness, "en")
    card = await open_purchase(a, a.lin, moq="100", maximum="150")
    for person in (a.chen, a.wang):
        await person.start(pledge_payload(card))
    await harness.world.settle()
    await asyncio.gather(a.chen.send(a.chen.private, "50"), a.wang.send(a.wang.private, "50"))
    await harness.world.settle()
    _, pledges = await stored(harness)
    assert sorted(p.quantity for p in pledges) == [50, 50]
    assert "▓" * 10 in now_showing(harness, card).text
    # The maximum holds: 50 are left, Lin asks 60 and is told.
    await a.lin.start(pledge_payload(card))
    await harness.world.settle()
    await harness.say(a.lin, a.lin, "60")
    assert a.t("That is more than is left: at most {left} more can be pledged.").format(
        left="50") in harness.world.last(a.lin).text
    await harness.say(a.lin, a.lin, "50")
    _, pledges = await stored(harness)
    assert sum(p.quantity for p in pledges) == 150


@pytest.mark.parametrize(("locale", "price"), [
    ("en", "1000"), ("zh_Hant", "NT$1,000"), ("zh_Hans", "1000元")])
async def test_one_total_price_split_in_whole_dollars(harness: Harness, locale: str, price: str) -> None:
    """NT$1,000 in three is NT$334 + NT$333 + NT$333: Taiwan pays in whole dollars, and the
    shares add up to the total exactly."""
    a = await alliance(harness, locale)
    card = await open_purchase(a, a.lin, item="Tyre changer", unit="share", split=True,
                               price=price, moq="3")
    for person in (a.lin, a.chen, a.wang):
        await pledge(a, person, card, "1")
    card = now_showing(harness, card)
    assert card.text.count("NT$333") == 2 and card.text.count("NT$334") == 1, card.text
    assert "NT$1,000" in card.text and ".33" not in card.text and ".00" not in card.text
    await harness.advance(timedelta(days=3, minutes=1))
    _, pledges = await stored(harness)
    assert sum((p.cost for p in pledges if p.cost is not None), Decimal(0)) == Decimal("1000")


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_the_organiser_gets_his_list_not_the_pledgers_notice_and_it_says_when_done(
        harness: Harness, locale: str) -> None:
    """Lin organises and pledges: he is not told that "the organiser will be in touch", his own
    share is on his list; once he presses Fulfilled there, the list no longer asks him to."""
    a = await alliance(harness, locale)
    world = harness.world
    card = await open_purchase(a, a.lin, item="Tyre changer", unit="share", split=True,
                               price="900", moq="3")
    for person in (a.lin, a.chen, a.wang):
        await pledge(a, person, card, "1")
    await harness.advance(timedelta(days=3, minutes=1))
    in_touch = a.t("The organiser will be in touch about payment and delivery.")
    assert said(harness, a.chen, in_touch) == 1 and said(harness, a.wang, in_touch) == 1
    assert said(harness, a.lin, in_touch) == 0
    asked = a.t("Press Fulfilled once the goods are handed out.")
    [listing] = [m for m in world.messages_to(a.lin) if asked in m.text]
    assert "Lin Garage" in listing.text and "NT$300" in listing.text
    await a.lin.press(listing, a.t("📦 Fulfilled"))
    [purchase], _ = await stored(harness)
    assert purchase.status == "fulfilled"
    shown = next(m for m in world.messages_to(a.lin) if m.message_id == listing.message_id)
    assert asked not in shown.text and shown.text.endswith("📦 " + a.t("Marked as fulfilled."))
    assert "Lin Garage" in shown.text and not shown.buttons


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_suspended_member_is_refused(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    await harness.say(a.sue, a.sue, "/purchase")
    suspended = a.t("Your membership is suspended, so you cannot do that now. A coordinator can "
                    "reinstate it.")
    assert suspended in harness.world.last(a.sue).text
    card = await open_purchase(a, a.lin)
    await a.sue.start(pledge_payload(card))
    await harness.world.settle()
    assert suspended in harness.world.last(a.sue).text
    assert (await stored(harness))[1] == []


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_bad_input_at_every_step_is_refused_and_changes_nothing(harness: Harness,
                                                                      locale: str) -> None:
    a = await alliance(harness, locale)
    lin, world = a.lin, harness.world
    twd = {"en": "TWD", "zh_Hant": "新台幣", "zh_Hans": "新台币"}[locale]  # named in prose

    def asked():  # type: ignore[no-untyped-def]
        """The question being answered: the last message with buttons (a refusal has none)."""
        return [m for m in world.messages_to(lin) if m.buttons][-1]

    async def bad(text: str, message: str, **params: object) -> None:
        before = world.last(lin)
        await harness.say(lin, lin, text)
        assert a.t(message).format(**params) in world.last(lin).text, world.last(lin).text
        assert world.last(lin).message_id != before.message_id

    await harness.say(lin, lin, "/purchase")
    await bad("x" * 300, "Please send what you are buying in one line (at most {limit} "
              "characters).", limit=200)
    await harness.say(lin, lin, "Engine oil")
    await bad("y" * 2500, "Please send the details in at most {limit} characters, or press "
              "Skip.", limit=2000)
    await lin.press(asked(), a.t("Skip"))
    await bad("z" * 40, "Please send the unit in a word or two, such as litre, tyre or box (at "
              "most {limit} characters).", limit=32)
    await harness.say(lin, lin, "litre")
    await bad("310", "Please use the buttons above to answer this step.")
    await lin.press(asked(), a.t("A price per unit"))
    await bad("free", "Please send a price above zero, such as 310, 1,250.50 or 300 USD.")
    await bad("0", "Please send a price above zero, such as 310, 1,250.50 or 300 USD.")
    await bad("300 USD", "This purchase is priced in {currency}; please send the price in "
              "{currency}.", currency=twd)
    await bad("3.333", "{currency} amounts have at most {digits} decimal places.",
              currency=twd, digits=2)
    await harness.say(lin, lin, "310")
    tiers = ("Please send price tiers as “quantity: unit price”, separated by commas, such as "
             "“100: 310, 200: 290” (quantities rising, at most {most} tiers), or press Skip.")
    await bad("200: 290, 100: 300", tiers, most=5)
    await bad("lots", tiers, most=5)
    await harness.say(lin, lin, "100: 300")
    await bad("0", "Please send the minimum total quantity as a whole number from 1 to {most}.",
              most="9,999,999")
    await harness.say(lin, lin, "100")
    await bad("50", "The maximum must be a whole number no smaller than the minimum ({moq}), or "
              "press Skip.", moq="100")
    await harness.say(lin, lin, "300")
    await bad("someday", "I could not read that date. Send a date and time such as 2026-12-20 "
              "18:00, or a date such as 12/20, or press a button.")
    await bad("2020-01-01 10:00", "The pledge deadline must be at least an hour from now and at "
              "most {days} days away.", days=180)
    far = (harness.clock.now() + timedelta(days=400)).strftime("%Y-%m-%d 10:00")
    await bad(far, "The pledge deadline must be at least an hour from now and at most {days} "
              "days away.", days=180)
    await lin.press(asked(), a.t("{days} days").format(days=7))
    assert (await stored(harness))[0] == []
    # Back goes one step back and keeps the answers; Publish opens it.
    await lin.press(asked(), a.t("« Back"))
    await lin.press(asked(), a.t("{days} days").format(days=7))
    await lin.press(asked(), a.t("✅ Publish"))
    [purchase], _ = await stored(harness)
    assert (purchase.item, purchase.moq, purchase.maximum) == ("Engine oil", 100, 300)
    assert purchase.tiers == [[100, "300"]]
    # Pledging: a quantity that is not one.
    card = world.last(a.group)
    await a.chen.start(pledge_payload(card))
    await world.settle()
    for text in ("lots", "0", "-3", "²"):
        await harness.say(a.chen, a.chen, text)
        assert a.t("Please send the quantity as a whole number from 1 to {most}.").format(
            most="9,999,999") in world.last(a.chen).text
    await harness.say(a.chen, a.chen, "/cancel")
    assert a.t("Cancelled; your pledge is as it was.") in world.last(a.chen).text
    assert (await stored(harness))[1] == []


async def test_forged_callback_data_changes_nothing(harness: Harness) -> None:
    a = await alliance(harness, "en")
    card = await open_purchase(a, a.lin)
    reply = await pledge(a, a.chen, card, "10")
    # Chen is not the organiser: cancelling or fulfilling is refused, whatever the data says.
    for data in (PurchaseCb(action="cancel", id=1).pack(),
                 PurchaseCb(action="cancel_yes", id=1).pack(),
                 PurchaseCb(action="done", id=1).pack()):
        answer = await press_forged(harness, a.chen, card, data)
        assert answer.text == "Only the purchase's organiser or a coordinator can do that."
    for data in (PurchaseCb(action="withdraw", id=999).pack(), "jc:nonsense:1", "jc:x"):
        answer = await press_forged(harness, a.chen, reply, data)
        assert answer.text
    answer = await press_forged(harness, a.sue, card, NewPurchaseCb(action="new",
                                                                    alliance_id=1).pack())
    assert "suspended" in (answer.text or "")
    answer = await press_forged(harness, a.chen, reply, PurchaseWizCb(action="publish").pack())
    assert answer.text == "This step is over. Send /purchase to start a new joint purchase."
    [purchase], pledges = await stored(harness)
    assert purchase.status == "open" and [(p.quantity, p.status) for p in pledges] == [
        (10, "pledged")]


async def test_the_organiser_cancels_and_the_pledgers_are_told(harness: Harness) -> None:
    a = await alliance(harness, "en")
    card = await open_purchase(a, a.lin)
    await pledge(a, a.chen, card, "10")
    await a.lin.press(card, "✖ Cancel the purchase")
    card = now_showing(harness, card)
    await a.lin.press(card, "No, keep it")
    await harness.world.settle()
    card = now_showing(harness, card)
    assert (await stored(harness))[0][0].status == "open"
    await a.lin.press(card, "✖ Cancel the purchase")
    await a.lin.press(now_showing(harness, card), "Yes, cancel it")
    [purchase], _ = await stored(harness)
    assert purchase.status == "failed"
    assert said(harness, a.chen, "was cancelled by its organiser") == 1
    assert said(harness, a.chen2, "was cancelled by its organiser") == 1
    assert not now_showing(harness, card).buttons
    # The deadline comes later: nothing more happens.
    await harness.advance(timedelta(days=4))
    assert said(harness, a.chen, "was cancelled by its organiser") == 1
    assert said(harness, a.chen, "did not reach its minimum") == 0


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_coordinator_cancelling_someone_elses_purchase_is_named_as_a_coordinator(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    card = await open_purchase(a, a.wang)  # Wang organises; Lin only coordinates
    await pledge(a, a.chen, card, "10")
    await a.lin.press(card, a.t("✖ Cancel the purchase"))
    await a.lin.press(now_showing(harness, card), a.t("Yes, cancel it"))
    assert (await stored(harness))[0][0].status == "failed"
    by_coordinator = a.t("Joint purchase #{id} ({item}) was cancelled by a coordinator of the "
                         "alliance. Nobody pays.").format(id=1, item="Engine oil 5W-30")
    by_organiser = a.t("Joint purchase #{id} ({item}) was cancelled by its organiser. Nobody "
                       "pays.").format(id=1, item="Engine oil 5W-30")
    for person in (a.chen, a.chen2, a.wang):
        assert said(harness, person, by_coordinator) == 1
        assert said(harness, person, by_organiser) == 0


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_from_the_group_the_request_wizard_and_a_passed_proposal(harness: Harness,
                                                                       locale: str) -> None:
    """A purchase started from a passed proposal has its own header and /cancel hint and counts
    its steps from 1 without a gap (split pricing has no tiers step)."""
    a = await alliance(harness, locale)
    world = harness.world
    # /purchase in the group answers with a deep link to the private chat.
    reply = await harness.say(a.chen, a.group, "/purchase")
    assert reply is not None and reply.button_rows[0][0].url is not None
    assert reply.button_rows[0][0].url.endswith("?start=purchase-1")
    await a.chen.start("purchase-1")
    await world.settle()
    step = a.t("Step {n} of {total}: what are you buying together? Send it in one line, e.g. "
               "“Engine oil 5W-30”.")
    assert step.format(n=1, total=9) in world.last(a.chen).text  # tiers counted once chosen
    await harness.say(a.chen, a.chen, "/cancel")
    # The /request wizard's "joint purchase" button (jp:new:<alliance>) starts the wizard.
    await press_forged(harness, a.chen, world.last(a.chen),
                       NewPurchaseCb(action="new", alliance_id=1).pack())
    assert step.format(n=1, total=9) in world.last(a.chen).text  # tiers counted once chosen
    await harness.say(a.chen, a.chen, "/cancel")
    # A passed proposal: its announcement carries "Start a joint purchase", prefilled.
    decision_stories.join_silently(a.group, a.wang, a.chen2)
    await decision_stories.propose(harness, a.lin, title="Buy a tyre changer together",
                                   text="Shared, kept at Wang's.", kind="yesno")
    vote = decision_stories.card_in(harness, a.group)
    for person in (a.lin, a.chen):
        await person.press(vote, a.t("Yes"))  # 2 of 3: the outcome is certain, it closes early
    await harness.advance(timedelta(days=3, minutes=1))
    [announcement] = decision_stories.announcements(
        harness, a.group, {"en": "en", "zh_Hans": "zh-hans"}[locale])
    url = announcement.button_rows[0][0].url
    assert url is not None and url.endswith("?start=buy-1")
    await a.lin.start("buy-1")
    await world.settle()
    first = world.last(a.lin).text
    assert a.t("Joint purchase for proposal #{id}").format(id=1) in first
    assert a.t("/cancel stops at any step.") in first and "Buy a tyre changer together" in first
    assert {"en": "Step 1 of 7:", "zh_Hans": "第 1 步（共 7 步）："}[locale] in first  # not step 3
    await harness.say(a.lin, a.lin, "share")
    await a.lin.press(world.last(a.lin), a.t("One total price, split by quantity"))
    numbers = [world.last(a.lin).text]
    await harness.say(a.lin, a.lin, "45000")
    numbers.append(world.last(a.lin).text)
    await harness.say(a.lin, a.lin, "3")
    numbers.append(world.last(a.lin).text)
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    numbers.append(world.last(a.lin).text)
    await a.lin.press(world.last(a.lin), a.t("{days} days").format(days=7))
    numbers.append(world.last(a.lin).text)
    # Unit 1, pricing 2, then 3 … 7 of 7: no tiers step for a split price, no gap.
    heads = {"en": "Step {n} of 7", "zh_Hans": "第 {n} 步（共 7 步"}[locale]
    for n, text in zip(range(3, 8), numbers, strict=True):
        assert heads.format(n=n) in text, text
    await a.lin.press(world.last(a.lin), a.t("✅ Publish"))
    [purchase], _ = await stored(harness)
    assert (purchase.proposal_id, purchase.pricing, purchase.total_price) == (
        1, "split", Decimal("45000"))
    # The same proposal cannot start a second one.
    await a.lin.start("buy-1")
    await world.settle()
    assert a.t("A joint purchase was already started from this proposal (#{id}).").format(id=1) \
        in world.last(a.lin).text
    assert t(locale, "Start a joint purchase") in reply.buttons[0][0]


async def test_simultaneous_pledges_and_the_settlement_on_both_engines(database_url: str) -> None:
    """The row lock that counts simultaneous pledges one after the other, on SQLite and (when
    CI provides one) PostgreSQL; then the settlement, once."""
    harness = await make_harness(database_url)
    try:
        await harness.start_bot()
        a = await alliance(harness, "en")
        card = await open_purchase(a, a.lin, moq="100", maximum="100")
        for person in (a.chen, a.wang, a.lin):
            await person.start(pledge_payload(card))
        await harness.world.settle()
        await asyncio.gather(a.chen.send(a.chen.private, "50"), a.wang.send(a.wang.private, "50"))
        await harness.world.settle()
        _, pledges = await stored(harness)
        assert sorted(p.quantity for p in pledges) == [50, 50]  # both counted
        await harness.say(a.lin, a.lin, "1")  # the maximum holds
        assert "at most 0 more" in harness.world.last(a.lin).text
        assert len((await stored(harness))[1]) == 2
        await harness.advance(timedelta(days=3, minutes=1))
        await harness.restart()
        [purchase], pledges = await stored(harness)
        assert purchase.status == "go" and {p.status for p in pledges} == {"confirmed"}
        assert len(await outbox_keys(harness, "purchase:1:go")) == 3
        assert not harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()
