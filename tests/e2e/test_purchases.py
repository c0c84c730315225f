"""Joint purchases end to end (PRODUCT.md §4, issue 13): the /purchase wizard, the card with its
progress bar and exact costs, pledges changed and withdrawn, the settlement at the deadline on
the app's clock (and across a restart), the organiser's list, cancellation and fulfilment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.harness import Harness
from tests.e2e.purchase_stories import open_purchase, pledge, stored
from tests.e2e.referral_stories import alliance


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_smoke(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    card = await open_purchase(a, a.lin)
    print(world.transcript())
    [purchase], _ = await stored(harness)
    assert purchase.status == "open"
    await pledge(a, a.chen, card, "60")
    await pledge(a, a.wang, card, "40")
    await harness.advance(timedelta(days=3, minutes=1))
    print(world.transcript()[-3000:])
