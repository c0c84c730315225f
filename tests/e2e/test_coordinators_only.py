"""Every coordinator command and coordinator-only button, used by a plain active member, is
refused in the member's language and changes nothing (PRODUCT.md §7; issue 14's "done when").

Driven by the command table (bot.views.commands.COMMANDS): a command added there with the
audience "coordinator" or "forum_coordinator" is sent by the plain member wherever the table
says it works, and the test fails unless the answer is the refusal. Every table's rows are
dumped before and after and compared, so a refusal that writes something first is caught too.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator import ChatMessage, SimChat, SimUser
from bot.i18n import use_locale
from bot.services.errors import DomainError
from bot.views.commands import COMMANDS
from bot.views.equipment import EqCb
from bot.views.errors import error_text
from bot.views.membership.joining import DecideCb, ModeCb
from bot.views.purchases import PurchaseCb
from bot.views.reports import AuditCb, ExportCb
from bot.views.settings import SetCb
from storage.models import Alliance as AllianceRow
from storage.models import Application, Base, Person
from tests.e2e import decision_stories, purchase_stories
from tests.e2e.equipment_stories import GROUP_LANG, alliance, seed_item
from tests.e2e.harness import Harness, press_forged
from tests.e2e.referral_stories import Alliance
from tests.e2e.stories import TAIPEI_BUTTON, bot_added, seed_member

COORDINATORS = ("coordinator", "forum_coordinator")
# Arguments a coordinator would give, so the refusal cannot hide behind "name a member" or a bad
# value: the member must be refused for who they are, not for what they typed.
ARGUMENTS = {
    "timezone": "Europe/Paris",
    "approval": "vote",
    "suspend": "@lin too many complaints",
    "reinstate": "@lin",
    "remove": "@lin ban",
    "promote": "@lin",
    "demote": "@lin",
    "audit": "5",
    "export": "members",
}
# Rows every update writes (the update de-duplication), not effects of the command.
BOOKKEEPING = {"processed_updates", "received_updates"}


def said(locale: str, code: str, **params: object) -> str:
    with use_locale(locale):
        return html.unescape(error_text(DomainError(code, **params)))


async def snapshot(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    assert harness.app is not None
    tables = {}
    async with harness.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
    return tables


def changed(before: dict[str, list[tuple[Any, ...]]],
            after: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


async def forum_home(harness: Harness, a: Alliance) -> tuple[SimChat, int]:
    """A second alliance's home in a forum group, Lin coordinating, Chen a plain member of the
    same business: for the commands that only work inside a topic (/here)."""
    world = harness.world
    forum = world.group("Forum Alliance", admins=[a.lin], members=[a.chen], forum=True)
    await bot_added(harness, forum, by=a.lin)
    await harness.say(a.lin, forum, "/setup")
    await a.lin.press(world.last(forum), GROUP_LANG[a.locale])
    await a.lin.press(world.last(forum), TAIPEI_BUTTON[GROUP_LANG[a.locale]])
    topic = await world.create_topic(forum, "Cards", by=a.lin)
    await seed_member(harness, forum, a.lin, name="Lin Garage", coordinator=True)
    await seed_member(harness, forum, a.chen, name="Chen Tyres")
    return forum, topic.thread_id


async def answers(harness: Harness, user: SimUser, chat: SimChat | SimUser, text: str,
                  **how: Any) -> list[ChatMessage]:
    before = len(harness.world.messages_in(chat))
    await harness.say(user, chat, text, **how)
    return harness.world.messages_in(chat)[before:]


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_every_coordinator_command_refuses_a_plain_member_and_changes_nothing(
        fast: Harness, locale: str) -> None:
    harness = fast
    a = await alliance(harness, locale)
    forum, thread = await forum_home(harness, a)
    topic = next(t for t in forum.chat.topics.values() if t.thread_id == thread)
    refusal = said(locale, "coordinators_only")
    commands = [c for c in COMMANDS if c.audience in COORDINATORS]
    assert {"settings", "applications", "suspend", "promote", "export", "audit", "here"} <= {
        c.name for c in commands}
    # Chen's first words in each chat settle what any update may write (his private chat's
    # command menu, bot.runtime.menus): the snapshot then compares only what a command did.
    for chat, how in ((a.chen, {}), (a.group, {}), (forum, {"topic": topic})):
        await harness.say(a.chen, chat, "/help", **how)
    before = await snapshot(harness)
    assert before["members"] and before["roles"] and before["alliances"]
    wrong = []
    for command in commands:
        text = f"/{command.name} {ARGUMENTS.get(command.name, '')}".strip()
        places: list[tuple[str, SimChat | SimUser, dict[str, Any]]] = []
        if command.private:
            places.append(("private", a.chen, {}))
        if command.group:
            places.append(("group", a.group, {}))
        if command.audience == "forum_coordinator":
            places = [("topic", forum, {"topic": topic})]
        for where, chat, how in places:
            replies = await answers(harness, a.chen, chat, text, **how)
            if [m.text for m in replies] != [refusal] or any(m.button_rows for m in replies):
                wrong.append((text, where, [m.text for m in replies]))
        await harness.say(a.chen, a.chen, "/cancel")  # whatever a command might have started
    assert not wrong, f"not refused with “{refusal}”: {wrong}"
    assert not changed(before, await snapshot(harness))


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
async def test_coordinator_only_buttons_and_someone_elses_vote_refuse_a_plain_member(
        fast: Harness, locale: str) -> None:
    """Buttons a coordinator gets (settings, application decisions, approval mode, export and
    audit pages) and actions on someone else's things (closing Lin's vote, cancelling Lin's
    purchase, retiring an item Chen does not own), pressed or sent by Chen: refused, nothing
    changed."""
    harness = fast
    a = await alliance(harness, locale)
    world = harness.world
    alliance_id = await _alliance_id(harness)
    item = await seed_item(harness, a)
    await purchase_stories.open_purchase(a, a.lin)
    [purchase], _pledges = await purchase_stories.stored(harness)
    await decision_stories.propose(harness, a.lin, title="New sign", text="Shall we?",
                                   kind="yesno")
    application = await _application(harness, alliance_id)
    await harness.say(a.chen, a.chen, "/help")
    chens = world.last(a.chen)
    before = await snapshot(harness)
    assert before["applications"] and before["purchases"] and before["equipment"]
    presses = [
        (SetCb(a=alliance_id, op="set", key="proposal_quorum_pct", v="0"), "coordinators_only"),
        (SetCb(a=alliance_id, op="open", key="currency"), "coordinators_only"),
        (DecideCb(application_id=application, approve=True), "coordinators_only"),
        (DecideCb(application_id=application, approve=False), "coordinators_only"),
        (ModeCb(alliance_id=alliance_id, mode="vote"), "coordinators_only"),
        (ExportCb(alliance_id=alliance_id, kind="members"), "coordinators_only"),
        (AuditCb(alliance_id=alliance_id, offset=0, size=10), "coordinators_only"),
        (PurchaseCb(action="cancel_yes", id=purchase.id), "purchase_not_yours"),
        (PurchaseCb(action="cancel", id=purchase.id), "purchase_not_yours"),
        (EqCb(action="retire", id=item), "equipment_not_yours"),
    ]
    wrong = []
    for data, code in presses:
        answer = await press_forged(harness, a.chen, chens, data.pack())
        if not (answer.show_alert and said(locale, code) in (answer.text or "")):
            wrong.append((data.pack(), answer.text))
    for chat in (a.chen, a.group):
        replies = await answers(harness, a.chen, chat, "/close 1")
        if [m.text for m in replies] != [said(locale, "proposal_close_refused")]:
            wrong.append(("/close 1", [m.text for m in replies]))
    assert not wrong, wrong
    assert not changed(before, await snapshot(harness))


async def _alliance_id(harness: Harness) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return (await session.scalars(select(AllianceRow.id).order_by(AllianceRow.id))).first()


async def _application(harness: Harness, alliance_id: int) -> int:
    """Mei's application, waiting for a coordinator's decision."""
    mei = harness.world.user("Mei")
    now = datetime.now(UTC)
    assert harness.app is not None
    async with harness.app.sessions() as session:
        session.add(Person(id=mei.id, first_name=mei.name, started=True, created_at=now,
                           updated_at=now))
        await session.flush()
        application = Application(alliance_id=alliance_id, person_id=mei.id,
                                  answers={"name": "Mei Paints"}, created_at=now)
        session.add(application)
        await session.commit()
        return application.id
