"""/settings end to end (PRODUCT.md §7): a coordinator's button menu in private, every change
applied at once (the group's next message in the new language, the next proposal with the new
default quorum), confirmed in the reader's language and written to the audit log; bad typed
values refused with words and nothing changed; a plain member and forged presses change
nothing; /timezone, /approval and /categories share the same path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.emulator import CallbackAnswer, ChatMessage, SimUser
from bot.views.settings import SetCb
from storage.models import Proposal
from tests.e2e import decision_stories
from tests.e2e.harness import Harness, press_forged
from tests.e2e.settings_stories import (
    Alliance,
    alliance,
    audit_actions,
    back_to_menu,
    choose,
    open_menu,
    said,
    stored,
    t,
    type_value,
)
from tests.e2e.stories import seed_member


@pytest.mark.parametrize(("locale", "new", "new_locale"),
                         [("en", "繁體中文", "zh_Hant"), ("zh_Hant", "English", "en")])
async def test_the_group_speaks_the_new_language_at_its_next_message(
        any_db: Harness, locale: str, new: str, new_locale: str) -> None:
    harness = any_db
    a = await alliance(harness, locale)
    world = harness.world
    before = len(await audit_actions(harness))
    menu = await open_menu(a)
    assert "Lin Garage" not in menu.text and a.t("Settings of “{name}”").format(
        name=a.group.title) in menu.text
    page = await choose(a, "Language of the group", new)
    # Confirmed in the reader's (Lin's) language, not the group's new one.
    assert a.t("✅ Saved. {setting}: {value}.").format(
        setting=a.t("Language of the group"), value=new) in page.text
    assert (await stored(harness)).locale == new_locale
    [(action, details)] = (await audit_actions(harness))[before:]
    assert action == "alliance.language" and details == {"from": locale, "to": new_locale}
    # The group's next message: Chen, a plain member, tries /settings there.
    await harness.say(a.chen, a.group, "/settings")
    assert said(new_locale, "coordinators_only") in world.last(a.group).text


@pytest.mark.parametrize("lang", ["en", "zh-hant"])
async def test_the_next_proposal_starts_from_the_new_default_quorum(any_db: Harness,
                                                                    lang: str) -> None:
    harness = any_db
    lin, _people, group = await decision_stories.alliance(harness, lang)
    locale = decision_stories.LOCALE_OF[lang]
    world = harness.world
    await harness.say(lin, lin, "/settings")
    await lin.press(world.last(lin), t(locale, "Default quorum"))
    page = world.last(lin)
    assert t(locale, "Now: {value}").format(value="50%") in page.text
    await lin.press(page, "75%")
    assert t(locale, "Now: {value}").format(value="75%") in world.last(lin).text
    await decision_stories.propose(harness, lin, title="New sign", text="Shall we?", kind="yesno")
    # A typed value, through the one-step wizard, then the next proposal again.
    await lin.press(await _menu(harness, lin), t(locale, "Default quorum"))
    await lin.press(world.last(lin), t(locale, "✏ Type a value"))
    await harness.say(lin, lin, "60%")
    assert t(locale, "Now: {value}").format(value="60%") in world.last(lin).text
    await decision_stories.propose(harness, lin, title="Second", text="And this?", kind="yesno")
    async with harness.app.sessions() as session:
        quorums = list(await session.scalars(select(Proposal.quorum_pct).order_by(Proposal.id)))
    assert quorums == [75, 60]
    actions = [action for action, _details in await audit_actions(harness)]
    assert actions.count("settings.proposal_quorum_pct") == 2
    assert "75%" in " ".join(m.text for m in world.messages_in(group))  # the card's rules


async def _menu(harness: Harness, who: SimUser) -> ChatMessage:
    await harness.say(who, who, "/settings")
    return harness.world.last(who)


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_bad_typed_values_are_refused_and_change_nothing(harness: Harness,
                                                               locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await open_menu(a)
    before = (await stored(harness)).settings, len(await audit_actions(harness))
    cases = [
        ("Default quorum", "half", a.said("setting_not_a_number")),
        ("Default quorum", "150", a.said("proposal_bad_rules")),
        ("Default voting time", "0", a.said("proposal_deadline_range")),
        ("Keep customer details for", "0", a.said("setting_out_of_range", low=1, high=3650)),
        ("Referral expires after", "12", a.said("referral_expiry_not_after_sla",
                                                sla=24, expiry=12)),
        ("Currency", "XYZ", a.said("referral_bad_currency", currency="XYZ")),
        ("Country for phone numbers", "XX", a.said("unknown_country", country="XX")),
        ("Quiet hours", "late", a.said("quiet_hours_format")),
        ("Time zone", "Mars/Base", a.said("unknown_timezone", zone="Mars/Base")),
    ]
    for setting, text, refusal in cases:
        await type_value(a, setting, text)
        assert refusal in world.last(a.lin).text, (setting, world.last(a.lin).text)
        # Still asking; /cancel ends it, nothing changed.
        await harness.say(a.lin, a.lin, "/cancel")
        assert a.t("Nothing changed. Send /settings to open the menu again.") in world.last(
            a.lin).text
        await harness.say(a.lin, a.lin, "/settings")
    assert ((await stored(harness)).settings, len(await audit_actions(harness))) == before
    # Typed where only buttons answer, and Back from typing: the page again, nothing changed.
    await type_value(a, "Quiet hours", "21:30-07:00")
    assert a.t("Now: {value}").format(value="21:30–07:00") in world.last(a.lin).text
    await a.lin.press(world.last(a.lin), a.t("✏ Type a value"))
    await a.lin.press(world.last(a.lin), a.t("◀ Back"))
    assert a.t("Now: {value}").format(value="21:30–07:00") in world.last(a.lin).text
    assert (await stored(harness)).settings["quiet_hours"] == "21:30-07:00"
    await harness.say(a.lin, a.lin, "23:00-06:00")  # no question open: not taken as a value
    assert (await stored(harness)).settings["quiet_hours"] == "21:30-07:00"


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
async def test_categories_are_added_renamed_and_removed(harness: Harness, locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    await open_menu(a)
    await a.lin.press(world.last(a.lin), a.t("Member categories"))
    for name in ("Tyres", "Paint"):
        await a.lin.press(world.last(a.lin), a.t("➕ Add a category"))
        await harness.say(a.lin, a.lin, name)
    await a.lin.press(world.last(a.lin), a.t("➕ Add a category"))
    await harness.say(a.lin, a.lin, "tyres")
    assert a.said("category_exists", name="tyres") in world.last(a.lin).text
    await harness.say(a.lin, a.lin, "x" * 41)
    assert a.said("category_too_long", limit=40) in world.last(a.lin).text
    await harness.say(a.lin, a.lin, "/cancel")
    assert (await stored(harness)).settings["categories"] == ["Tyres", "Paint"]
    await harness.say(a.lin, a.lin, "/settings")
    await a.lin.press(world.last(a.lin), a.t("Member categories"))
    await a.lin.press(world.last(a.lin), a.t("✏ {name}").format(name="Paint"))
    await harness.say(a.lin, a.lin, "Bodywork")
    page = world.last(a.lin)
    assert "1. Tyres" in page.text and "2. Bodywork" in page.text
    await press_row(a, page, 0)
    assert (await stored(harness)).settings["categories"] == ["Bodywork"]
    # The last one cannot go: members choose from the list.
    answer = await press_row(a, world.last(a.lin), 0)
    assert answer.show_alert and a.said("categories_empty") in (answer.text or "")
    assert (await stored(harness)).settings["categories"] == ["Bodywork"]
    # /categories in the group shows what the menu set; setting it there is the same path.
    await harness.say(a.lin, a.group, "/categories Repair, Glass")
    await harness.say(a.lin, a.lin, "/settings")
    assert "Repair" in world.last(a.lin).text and "Glass" in world.last(a.lin).text
    actions = [action for action, _details in await audit_actions(harness)]
    assert actions.count("settings.categories") == 5  # 2 adds, a rename, a removal, /categories


async def press_row(a: Alliance, page: ChatMessage, row: int) -> CallbackAnswer:
    """The Remove button of the category on ``row`` (every row's has the same label)."""
    data = page.button_rows[row][1].callback_data
    assert data is not None
    answer = await press_forged(a.harness, a.lin, page, data)
    await a.harness.world.settle()
    return answer


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_a_plain_member_and_forged_presses_change_nothing(harness: Harness,
                                                                locale: str) -> None:
    a = await alliance(harness, locale)
    world = harness.world
    menu = await open_menu(a)
    before = (await stored(harness)).settings, len(await audit_actions(harness))
    refusal = a.said("coordinators_only")
    await harness.say(a.chen, a.chen, "/settings")
    assert refusal in world.last(a.chen).text
    await harness.say(a.chen, a.group, "/settings")
    assert refusal in world.last(a.group).text
    await harness.say(a.chen, a.chen, f"/start settings-{a.id}")
    assert refusal in world.last(a.chen).text
    chens = world.last(a.chen)
    for data in (SetCb(a=a.id, op="set", key="proposal_quorum_pct", v="0"),
                 SetCb(a=a.id, op="open", key="currency"),
                 SetCb(a=a.id, op="cadd", key="categories")):
        answer = await press_forged(harness, a.chen, chens, data.pack())
        await world.settle()
        assert answer.show_alert and refusal in (answer.text or "")
    # Lin's own forgeries: a choice that is not offered, a setting that does not exist, an
    # alliance Lin does not coordinate, a category that is not there, an unknown action.
    forged = [
        (SetCb(a=a.id, op="set", key="proposal_quorum_pct", v="99"), "settings_gone", {}),
        (SetCb(a=a.id, op="set", key="colour", v="0"), "settings_gone", {}),
        (SetCb(a=a.id, op="open", key="colour"), "settings_gone", {}),
        (SetCb(a=a.id + 1, op="set", key="pin_decisions", v="0"), "coordinators_only", {}),
        (SetCb(a=a.id, op="cdel", key="categories", v="0.deadbeef"), "category_gone", {}),
        (SetCb(a=a.id, op="zap", key="pin_decisions"), "settings_gone", {}),
    ]
    for data, code, params in forged:
        answer = await press_forged(harness, a.lin, menu, data.pack())
        await world.settle()
        assert answer.show_alert and a.said(code, **params) in (answer.text or ""), data
    await harness.say(a.lin, a.lin, "/start settings-x1")
    assert ((await stored(harness)).settings, len(await audit_actions(harness))) == before


async def test_every_button_applies_at_once_and_is_audited(harness: Harness) -> None:
    a = await alliance(harness, "en")
    await open_menu(a)
    changes = [
        ("Time zone", "Europe/Berlin", lambda row: row.timezone == "Europe/Berlin"),
        ("Approval of new members", "the members vote",
         lambda row: row.settings["approval_mode"] == "vote"),
        ("Default threshold", "two thirds",
         lambda row: row.settings["proposal_threshold"] == "two_thirds"),
        ("Default voting time", "7 days",
         lambda row: row.settings["proposal_deadline_hours"] == 168),
        ("Who may propose", "coordinators only",
         lambda row: row.settings["who_may_propose"] == "coordinators"),
        ("Pin decisions in the group", "on", lambda row: row.settings["pin_decisions"] is True),
        ("Referral reminder after", "12 hours",
         lambda row: row.settings["referral_sla_hours"] == 12),
        ("Referral expires after", "5 days",
         lambda row: row.settings["referral_expiry_hours"] == 120),
        ("Keep customer details for", "30 days",
         lambda row: row.settings["retention_days"] == 30),
        ("Thank-you cards in the group", "off",
         lambda row: row.settings["thank_you_cards"] is False),
        ("Currency", "EUR", lambda row: row.settings["currency"] == "EUR"),
        ("Country for phone numbers", "HK", lambda row: row.settings["country"] == "HK"),
        ("Quiet hours", "23:00–07:00", lambda row: row.settings["quiet_hours"] == "23:00-07:00"),
        ("Monthly report", "off", lambda row: row.settings["monthly_report"] is False),
    ]
    before = len(await audit_actions(harness))
    for setting, choice, check in changes:
        page = await choose(a, setting, choice)
        assert "✅" in page.text and check(await stored(harness)), setting
        await back_to_menu(a)
    assert len(await audit_actions(harness)) == before + len(changes)
    menu = harness.world.last(a.lin)
    assert "Europe/Berlin" in menu.text and "EUR (Euro)" in menu.text
    # The currency follows the time zone again.
    page = await choose(a, "Currency", "Follow the time zone")
    assert (await stored(harness)).settings["currency"] is None
    # The old commands take the same path: /timezone and /approval, seen in the menu.
    await harness.say(a.lin, a.group, "/timezone Asia/Tokyo")
    await harness.say(a.lin, a.group, "/approval coordinators")
    menu = await back_to_menu(a)
    assert "Asia/Tokyo" in menu.text and "coordinators decide" in menu.text
    assert page is not None


async def test_a_coordinator_of_two_alliances_picks_one_and_typing_survives_a_restart(
        harness: Harness) -> None:
    a = await alliance(harness, "zh_Hant")
    world = harness.world
    other = world.group("Kaohsiung Glass", admins=[a.lin], members=[])
    await world.add_bot(other, by=a.lin)
    await world.settle()
    await harness.say(a.lin, other, "/setup")
    await a.lin.press(world.last(other), "English")
    await a.lin.press(world.last(other), "Asia/Taipei")
    await seed_member(harness, other, a.lin, name="Lin Glass", coordinator=True)
    await harness.say(a.lin, a.lin, "/settings")
    pick = world.last(a.lin)
    assert pick.buttons == [[a.group.title], ["Kaohsiung Glass"]]
    await a.lin.press(pick, "Kaohsiung Glass")
    assert "Kaohsiung Glass" in world.last(a.lin).text
    await a.lin.press(world.last(a.lin), a.t("Default quorum"))
    await a.lin.press(world.last(a.lin), a.t("✏ Type a value"))
    await harness.restart()
    await harness.say(a.lin, a.lin, "40")
    assert a.t("Now: {value}").format(value="40%") in world.last(a.lin).text
    assert (await stored(harness, "Kaohsiung Glass")).settings["proposal_quorum_pct"] == 40
    assert "proposal_quorum_pct" not in (await stored(harness)).settings
    await a.lin.press(world.last(a.lin), a.t("◀ All settings"))
    await a.lin.press(world.last(a.lin), a.t("✔ Done"))
    assert a.t("Settings closed. Send /settings to open them again.") in world.last(a.lin).text
