"""A request's card in the alliance's linked chats too, when its requester wants (PRODUCT.md §4:
"Posted as a card in the home group (linked chats optional)"), end to end: the wizard's extra
step (only when there is a linked chat), every copy posted through the outbox and edited with
the home card on every change, buttons on a copy that work as at home, a chat that removed the
bot or refuses an edit stopping no other copy, a restart in between — in two languages each."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.emulator import SimChat, SimUser
from bot.emulator.views import ChatMessage
from bot.i18n import use_locale
from bot.views.requests import status_label
from storage.models import RequestCard
from tests.e2e.harness import Harness
from tests.e2e.privacy import assert_private
from tests.e2e.purchase_stories import pledge
from tests.e2e.request_stories import (
    CHEN_CONTACT,
    LIN_CONTACT,
    WANG_CONTACT,
    Alliance,
    alliance,
    ask,
    card_of,
    linked_group,
    offer,
    open_wizard,
    requests,
)

LINKED_QUESTION = ("Step {n} of {total}: post the card in the alliance's linked chats too, or "
                   "in the home group only?")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def copies(harness: Harness) -> list[RequestCard]:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return list(await session.scalars(select(RequestCard).order_by(RequestCard.id)))


def cards_in(a: Alliance, chat: SimChat) -> list[ChatMessage]:
    return [m for m in a.harness.world.messages_in(chat) if m.text.startswith("🙋")]


def edits_to(harness: Harness, chat: SimChat) -> int:
    return sum(call.method == "editMessageText" and call.params.get("chat_id") in (chat.id,
                                                                                 str(chat.id))
               for call in harness.emulator.calls)


async def up_to_the_linked_step(a: Alliance, who: SimUser) -> ChatMessage:
    """The wizard with only a title (details, quantity and date skipped): the question after
    the date."""
    harness, world = a.harness, a.harness.world
    first = await open_wizard(a, who)
    await who.press(first, a.t("🔧 Borrow equipment"))
    await harness.say(who, who, "A car lift for Saturday")
    await who.press(world.last(who), a.t("Skip"))
    await who.press(world.last(who), a.t("Skip"))
    await who.press(world.last(who), a.t("No date"))
    return world.last(who)


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_a_card_posted_home_and_in_a_linked_chat_is_edited_in_both(
        harness: Harness, locale: str, logs: pytest.LogCaptureFixture) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    suppliers = await linked_group(a, "Parts <Suppliers>")
    first = await open_wizard(a, a.lin)
    assert a.t("Step {n} of {total}: what do you need?").format(n=1, total=7) in first.text
    question = await up_to_the_linked_step(a, a.lin)
    assert question.text.startswith(a.t(LINKED_QUESTION).format(n=6, total=7))
    assert "Parts <Suppliers>" in question.text
    # No is the default, and marked so.
    assert question.buttons[0] == ["• " + a.t("🏠 Home group only")]
    assert question.buttons[1] == [a.t("📣 Linked chats too")]
    await a.lin.press(question, a.t("📣 Linked chats too"))
    review = world.last(a.lin)
    assert a.t("Step {n} of {total}: check and post").format(n=7, total=7) in review.text
    assert a.t("Posted in: the home group and the linked chats") in review.text
    # Back shows the choice made; choosing it again comes back to the review.
    await a.lin.press(review, a.t("◀ Back"))
    assert world.last(a.lin).buttons[1] == ["• " + a.t("📣 Linked chats too")]
    await a.lin.press(world.last(a.lin), a.t("📣 Linked chats too"))
    await a.lin.press(world.last(a.lin), a.t("📨 Post in the group"))
    [request] = await requests(harness)
    assert a.t("Request {request} is posted in the group and in the linked chats. I will tell you "
               "here when someone offers.").format(
                   request=a.t("#{id} “{title}”").format(id=request.id, title=request.title)
               ) == world.last(a.lin).text
    [home], [copy] = cards_in(a, a.group), cards_in(a, suppliers)
    assert copy.text == home.text and copy.buttons == home.buttons
    assert [(c.request_id, c.chat_id, c.message_id) for c in await copies(harness)] == [
        (request.id, suppliers.id, copy.record.message_id)]
    # The copy's buttons name the request, never the chat: offering from it works as at home.
    assert copy.button(a.t("🙋 I can offer")).url.endswith(f"?start=offer-{request.id}")
    assert copy.button(a.t("📅 Book a shared item")).url.endswith(f"?start=book-{request.id}")
    await offer(a, a.chen, copy, "Ours is free from 9:00")
    home, copy = card_of(a), card_of(a, suppliers)
    for card in (home, copy):
        assert "Chen Tyres" in card.text and "Ours is free from 9:00" not in card.text
    assert copy.text == home.text
    # Closing from the copy in the linked chat: the choices come privately; both copies close.
    answer = await a.lin.press(copy, a.t("Close (requester)"))
    assert answer.text == a.t("I sent you the choices in our private chat.")
    await a.lin.press(world.last(a.lin), a.t("✅ Fulfilled"))
    [request] = await requests(harness)
    assert request.status == "fulfilled"
    with use_locale(a.locale):
        fulfilled = status_label("fulfilled")
    for card in (card_of(a), card_of(a, suppliers)):
        assert card.buttons == []
        assert a.t("Status: {status}").format(status=fulfilled) in card.text
    assert card_of(a, suppliers).text == card_of(a).text
    assert len(cards_in(a, a.group)) == len(cards_in(a, suppliers)) == 1  # edited, not re-posted
    assert_private(harness, [LIN_CONTACT, CHEN_CONTACT, WANG_CONTACT],
                   allowed=[a.lin, a.chen, a.chen2], logs=logs.records)


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_answering_no_posts_in_the_home_group_only(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    suppliers = await linked_group(a, "Parts Suppliers")
    home = await ask(a, a.lin, linked=False)
    [request] = await requests(harness)
    assert home.text.startswith("🙋") and cards_in(a, suppliers) == []
    assert a.t("Request {request} is posted in the group. I will tell you here when someone "
               "offers.").format(request=a.t("#{id} “{title}”").format(
                   id=request.id, title=request.title)) == world.last(a.lin).text
    await offer(a, a.wang, home, None)
    assert "Wang Lifts" in card_of(a).text
    assert cards_in(a, suppliers) == [] and await copies(harness) == []
    assert edits_to(harness, suppliers) == 0


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_without_a_linked_chat_the_step_never_shows(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    # A linked chat that has since removed the bot counts as none.
    gone = await linked_group(a, "Old Suppliers")
    await world.remove_bot(gone, by=a.lin)
    await world.settle()
    first = await open_wizard(a, a.lin)
    assert a.t("Step {n} of {total}: what do you need?").format(n=1, total=6) in first.text
    await a.lin.press(first, a.t("📦 Other"))
    await harness.say(a.lin, a.lin, "Someone to cover Saturday")
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    await a.lin.press(world.last(a.lin), a.t("No date"))
    review = world.last(a.lin)
    assert a.t("Step {n} of {total}: check and post").format(n=6, total=6) in review.text
    assert a.t("Posted in: the home group only") not in review.text
    await a.lin.press(review, a.t("📨 Post in the group"))
    shown = [m.text for m in world.messages_to(a.lin)]
    prefix = a.t(LINKED_QUESTION).split("{total}")[1][:8]
    assert not any(prefix in text for text in shown)
    assert len(cards_in(a, a.group)) == 1 and cards_in(a, gone) == []


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_a_copy_whose_chat_removed_the_bot_stops_no_other_edit(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    linked = [await linked_group(a, title) for title in ("Suppliers", "Paint Shops", "Tyre Ring")]
    await ask(a, a.lin, linked=True)
    stored = await copies(harness)
    assert sorted(c.chat_id for c in stored) == sorted(chat.id for chat in linked)
    by_id = {chat.id: chat for chat in linked}
    # The first copy's chat removed the bot without the bot learning of it (its update never
    # came): its edit is refused. Another removed the bot as Telegram tells it: no edit is tried.
    refusing = by_id[stored[0].chat_id]
    removed, fine = (chat for chat in linked if chat is not refusing)
    harness.emulator.faults.add("editMessageText", 403, chat_id=refusing, times=100,
                                description="Forbidden: bot was kicked from the supergroup chat")
    await world.remove_bot(removed, by=a.lin)
    await world.settle()
    before = {chat.id: card_of(a, chat).text for chat in linked}
    edits_before = edits_to(harness, removed)
    await offer(a, a.chen, card_of(a, fine), None)
    assert "Chen Tyres" in card_of(a).text
    assert card_of(a, fine).text == card_of(a).text
    assert card_of(a, refusing).text == before[refusing.id]
    assert card_of(a, removed).text == before[removed.id]
    assert edits_to(harness, refusing) >= 1 and edits_to(harness, removed) == edits_before
    # And so on every change: closing edits the home card and the fine copy again.
    posted = next(m for m in world.messages_to(a.lin)
                  if a.t("✖ Cancel the request") in str(m.buttons))
    await a.lin.press(posted, a.t("✖ Cancel the request"))
    [request] = await requests(harness)
    assert request.status == "cancelled"
    assert card_of(a).buttons == [] and card_of(a, fine).text == card_of(a).text
    assert harness.failures == []


async def test_copies_are_edited_after_a_restart_on_postgresql(on_postgresql: Harness) -> None:
    await test_copies_are_edited_after_a_restart(on_postgresql, "zh_Hant")


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_copies_are_edited_after_a_restart(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    suppliers = await linked_group(a, "Suppliers")
    await ask(a, a.lin, linked=True)
    posted = card_of(a, suppliers).text
    await harness.restart()
    await offer(a, a.wang, card_of(a, suppliers), "Free on Saturday")
    assert "Wang Lifts" in card_of(a).text
    assert card_of(a, suppliers).text == card_of(a).text != posted


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_a_joint_purchase_from_the_request_wizard_is_copied_and_pledges_edit_both(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    suppliers = await linked_group(a, "Suppliers")
    first = await open_wizard(a, a.lin)
    await a.lin.press(first, a.t("🛒 Joint purchase"))
    await a.lin.press(world.last(a.lin), a.t("🛒 Start a joint purchase"))
    await harness.say(a.lin, a.lin, "Engine oil 5W-30")
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    await harness.say(a.lin, a.lin, "litre")
    await a.lin.press(world.last(a.lin), a.t("A price per unit"))
    await harness.say(a.lin, a.lin, "310")
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    await harness.say(a.lin, a.lin, "100")
    await a.lin.press(world.last(a.lin), a.t("Skip"))
    await a.lin.press(world.last(a.lin), a.t("{days} days").format(days=3))
    question = world.last(a.lin)
    assert question.text.startswith(a.t(LINKED_QUESTION).format(n=10, total=11))
    await a.lin.press(question, a.t("📣 Linked chats too"))
    assert a.t("Posted in: the home group and the linked chats") in world.last(a.lin).text
    await a.lin.press(world.last(a.lin), a.t("✅ Publish"))
    home, copy = world.last(a.group), world.last(suppliers)
    assert copy.text == home.text and copy.buttons == home.buttons
    [stored] = await copies(harness)
    assert stored.chat_id == suppliers.id
    await pledge(a, a.chen, copy, "40")
    home, copy = world.last(a.group), world.last(suppliers)
    assert "40" in home.text and copy.text == home.text


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_removed_members_offer_leaves_every_copy(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    suppliers = await linked_group(a, "Suppliers")
    await ask(a, a.wang, linked=True)
    await offer(a, a.chen, card_of(a, suppliers), "Ours is free on Saturday")
    assert "Chen Tyres" in card_of(a).text and card_of(a, suppliers).text == card_of(a).text
    await harness.say(a.lin, a.group, "/remove Chen Tyres")
    await harness.world.settle()
    assert "Chen Tyres" not in card_of(a).text
    assert card_of(a, suppliers).text == card_of(a).text
