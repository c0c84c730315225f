"""/forget end to end (PRODUCT.md §2): the confirmation, the erasure leaving no trace of the
person's name, username or contact in any table while tallies and the ledger stay the same; the
refusals (last coordinator, a referral in hand, a loan not returned); keeping; a restart between
the prompt and the press; a forged press — in English, Traditional and Simplified Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.views.privacy import ForgetCb
from storage.models import Member, OutboxItem, Person, Proposal, Role
from tests.e2e.decision_stories import propose
from tests.e2e.harness import Harness, make_harness, press_forged
from tests.e2e.membership_stories import db
from tests.e2e.privacy_stories import (
    BUSINESS,
    CONTACT,
    NAME,
    USERNAME,
    half_filled_wizard,
    lend,
    meiling,
    scan,
)
from tests.e2e.referral_stories import Alliance, alliance, refer, stored, t
from tests.e2e.stories import seed_member

SECRETS = [NAME, USERNAME, CONTACT]


async def _erase_story(harness: Harness, locale: str, *, restart: bool) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    mei = await meiling(a)
    await propose(harness, a.lin, title="Shared paint booth", text="Split the cost.",
                  kind="yesno")
    card = [m for m in world.messages_in(a.group) if "Shared paint booth" in (m.text or "")][-1]
    await mei.press(card, a.t("Yes"))
    await a.chen.press(card, a.t("No"))
    await harness.say(a.lin, a.lin, "/close 1")
    await half_filled_wizard(a, mei)
    assert await scan(harness, SECRETS), "the story must leave traces to erase"
    ledger = (await harness.say(a.lin, a.group, "/ledger")).text
    proposal = (await harness.say(a.lin, a.lin, "/proposal 1")).text
    result = (await db(harness, select(Proposal).where(Proposal.id == 1))).result
    referrals = [(r.referrer_id, r.receiver_id, r.status) for r in await stored(harness)]

    prompt = await harness.say(mei, mei, "/forget")
    assert a.t("Erase your personal data?") in prompt.text
    assert prompt.buttons == [[a.t("🗑 Erase my data"), a.t("Keep my data")]]
    if restart:
        await harness.restart()
    await mei.press(prompt, a.t("🗑 Erase my data"))
    done = world.last(mei).text
    assert a.t("Done: your personal data is erased. The history stays, attributed to a former "
               "member.") in done
    assert a.t("“{business}” has left its alliance: nobody else acts for it.").format(
        business=BUSINESS) in done

    assert await scan(harness, SECRETS) == []
    person = await db(harness, select(Person).where(Person.id == mei.id))
    assert person.forgotten_at is not None and person.locale is not None
    assert await db(harness, select(Role).where(Role.person_id == mei.id)) is None
    member = await db(harness, select(Member).where(Member.id == a.ids["mei"]))
    assert (member.status, member.name, member.contact) == ("left", BUSINESS, None)
    # History unchanged: the ledger, the closed proposal's tally, the referral.
    assert (await harness.say(a.lin, a.group, "/ledger")).text == ledger
    # The tally is the same; the list of who voted what names active members only (as after
    # /leave), so the business that left drops out of it.
    shown = (await harness.say(a.lin, a.lin, "/proposal 1")).text
    assert shown.splitlines() == [line for line in proposal.splitlines() if BUSINESS not in line]
    assert (await db(harness, select(Proposal).where(Proposal.id == 1))).result == result
    assert [(r.referrer_id, r.receiver_id, r.status) for r in await stored(harness)] == referrals
    # Nothing is queued for her any more; a later message of hers stores no name again.
    assert await db(harness, select(OutboxItem).where(OutboxItem.chat_id == mei.id,
                                                      OutboxItem.status == "pending")) is None
    # Asking again, or pressing the old prompt's data again: already erased, said so.
    await harness.say(mei, mei, "/forget")
    assert a.t("Your personal data has already been erased.") in world.last(mei).text
    again = await press_forged(harness, mei, prompt, ForgetCb(erase=True).pack())
    await world.settle()
    assert again.text == a.t("Your personal data has already been erased.")
    # Each later update of hers carries Telegram's copy of her name; it stays in
    # received_updates only until the next batch arrives, then goes with its claim.
    await harness.restart()
    await harness.say(a.lin, a.lin, "/help")
    assert await scan(harness, SECRETS) == []


@pytest.mark.parametrize(("locale", "restart"), [("en", False), ("zh_Hant", True)])
async def test_forget_leaves_no_trace_and_keeps_the_history(harness: Harness, locale: str,
                                                            restart: bool) -> None:
    await _erase_story(harness, locale, restart=restart)


async def test_forget_on_both_engines(database_url: str) -> None:
    harness = await make_harness(database_url)
    try:
        await harness.start_bot()
        await _erase_story(harness, "en", restart=True)
        assert not harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()


async def _unchanged(a: Alliance, *people: str) -> list[tuple[str | None, str | None, int]]:
    rows = []
    for user in people:
        sim = getattr(a, user)
        person = await db(a.harness, select(Person).where(Person.id == sim.id))
        roles = await db(a.harness, select(Role.id).where(Role.person_id == sim.id))
        rows.append((person.first_name, person.forgotten_at, roles))
    return rows


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_refusals_change_nothing(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    before = await _unchanged(a, "lin", "chen", "wang")
    # The last coordinator.
    await harness.say(a.lin, a.lin, "/forget")
    assert t(locale, "You are the last coordinator of “{alliance}”: make someone else a "
             "coordinator first (/promote), then send /forget again.").format(
        alliance="Taipei Auto <Repair> Alliance") in world.last(a.lin).text
    # A referral in hand: Chen accepted it and it is not closed.
    await refer_and_accept(a)
    await harness.say(a.chen, a.chen, "/forget")
    assert t(locale, "You have accepted referral #{id} and it is not closed yet: mark it won or "
             "lost first (/referrals), then send /forget again.").format(id=1) in \
        world.last(a.chen).text
    # Equipment borrowed and not returned: refused on the command and again on the press.
    prompt = await harness.say(a.wang, a.wang, "/forget")
    await lend(a, a.wang, "wang")
    pressed = await a.wang.press(prompt, a.t("🗑 Erase my data"))
    refusal = t(locale, "You have borrowed shared equipment that is not returned yet: return it "
                "first (/myrequests), then send /forget again.")
    assert pressed.text == refusal
    await harness.say(a.wang, a.wang, "/forget")
    assert refusal in world.last(a.wang).text
    assert await _unchanged(a, "lin", "chen", "wang") == before


async def stored_traces(harness: Harness) -> list[tuple[str, str, str]]:
    """Where her data is kept for good (her updates pass through received_updates)."""
    return [found for found in await scan(harness, SECRETS) if found[0] != "received_updates"]


async def refer_and_accept(a: Alliance) -> None:
    await refer(a, a.lin)
    await a.chen.press(a.harness.world.last(a.chen), a.t("✅ Accept"))


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_keep_and_forged_presses_change_nothing(harness: Harness, locale: str) -> None:
    lang = {"en": "en", "zh_Hans": "zh-hans"}[locale]
    a = await alliance(harness, "en")
    world = harness.world
    mei = world.user(NAME, lang=lang, username=USERNAME)
    await seed_member(harness, a.group, mei, name=BUSINESS, contact=CONTACT)
    traces = await stored_traces(harness)
    prompt = await harness.say(mei, mei, "/forget")
    assert t(locale, "Erase your personal data?") in prompt.text
    await mei.press(prompt, t(locale, "Keep my data"))
    assert t(locale, "Nothing was erased.") in world.last(mei).text
    # A forged "erase" on a message in the group is refused; garbage data is a stale button.
    card = world.messages_in(a.group)[-1]
    answer = await press_forged(harness, mei, card, "fg:1")
    await world.settle()
    assert answer.text == t(locale, "Please press this in your private chat with me.")
    await press_forged(harness, mei, prompt, "fg:maybe")
    await world.settle()
    assert await stored_traces(harness) == traces
    assert (await db(harness, select(Person).where(Person.id == mei.id))).forgotten_at is None
