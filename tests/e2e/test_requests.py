"""Shared resource requests end to end (PRODUCT.md §4): the /request wizard, the card in the
home group, *I can offer*, Accept (contacts exchanged, to those two sides only), Close, expiry on
the app's clock, /requests and /myrequests — in English and Traditional Chinese (one flow in
Simplified Chinese) — with the unhappy paths."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.e2e.harness import Harness, press_forged
from tests.e2e.privacy import assert_private, seen_by
from tests.e2e.request_stories import (
    CHEN_CONTACT,
    LIN_CONTACT,
    WANG_CONTACT,
    alliance,
    ask,
    card_of,
    offer,
    offers,
    requests,
)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
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
