"""A member removed while they hold shared resources: their pledge and their offer are withdrawn
in the removing transaction, the cards show it, and the people it concerns are told privately in
their own language (the organiser of the purchase, the member who asked)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Pledge, ResourceOffer
from tests.e2e.harness import Harness
from tests.e2e.purchase_stories import open_purchase, pledge
from tests.e2e.request_stories import alliance, ask, offer


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_removed_members_pledge_and_offer_are_withdrawn_and_others_told(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    purchase_card = await open_purchase(a, a.lin)  # type: ignore[arg-type]
    await pledge(a, a.chen, purchase_card, "40")  # type: ignore[arg-type]
    await pledge(a, a.wang, purchase_card, "30")  # type: ignore[arg-type]
    request_card = await ask(a, a.wang, title="A car lift for Saturday")
    await offer(a, a.chen, request_card, "Ours is free on Saturday")
    assert "Chen Tyres" in purchase_card.text and "Chen Tyres" in request_card.text

    await harness.say(a.lin, a.group, "/remove Chen Tyres")
    await world.settle()

    assert harness.app is not None
    async with harness.app.sessions() as session:
        pledges = {p.member_id: p.status for p in await session.scalars(select(Pledge))}
        offers = [o.status for o in await session.scalars(select(ResourceOffer))]
    assert pledges == {a.ids["chen"]: "withdrawn", a.ids["wang"]: "pledged"}
    assert offers == ["withdrawn"]
    assert "Chen Tyres" not in purchase_card.text and "Wang Lifts" in purchase_card.text
    assert "Chen Tyres" not in request_card.text
    heading = a.t("“{member}” is no longer a member of “{alliance}”.").format(
        member="Chen Tyres", alliance="Taipei Auto <Repair> Alliance")
    told_lin = [m.text for m in world.messages_to(a.lin) if heading in m.text]
    told_wang = [m.text for m in world.messages_to(a.wang) if heading in m.text]
    assert len(told_lin) == 1 and a.t(
        "Their pledge to your joint purchase is withdrawn; the card shows the new total.") \
        in told_lin[0]
    assert len(told_wang) == 1 and a.t("Their offer on your request is withdrawn.") in told_wang[0]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_a_removed_organisers_purchase_is_called_off_and_pledgers_told_why(
        harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    card = await open_purchase(a, a.wang)  # type: ignore[arg-type]
    await pledge(a, a.chen, card, "40")  # type: ignore[arg-type]

    await harness.say(a.lin, a.group, "/remove Wang Lifts")
    await world.settle()

    called_off = a.t("Joint purchase #{id} ({item}) is called off: its organiser is no longer a "
                     "member of the alliance. Nobody pays.").format(id=1, item="Engine oil 5W-30")
    by_organiser = a.t("Joint purchase #{id} ({item}) was cancelled by its organiser. Nobody "
                       "pays.").format(id=1, item="Engine oil 5W-30")
    told = [m.text for m in world.messages_to(a.chen)]
    assert sum(called_off in text for text in told) == 1, told[-3:]
    assert not any(by_organiser in text for text in told)
