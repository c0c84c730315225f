"""`alliance-bot demo`: the real bot against the built-in emulator, playing an alliance's story.

Nothing is faked between the simulated people and the database: aiogram talks HTTP to the
emulator, updates go through the dispatcher, services write to a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.app import AllianceApp
from bot.config import parse_config
from bot.emulator import BotRights, Emulator, FloodLimits, SimChat, SimUser, World
from bot.emulator.calls import spec_refusals

TOKEN = "7000001:DEMO-alliance-bot-token"
PEOPLE_LANG = {"en": "en", "zh_Hans": "zh-hans", "zh_Hant": "zh-hant"}
Step = Callable[[], Awaitable[None]]


def _heading(text: str) -> None:
    print(f"\n── {text} " + "─" * max(0, 70 - len(text)))


async def play(lang: str = "en") -> int:
    logging.basicConfig(level=logging.WARNING)
    code = PEOPLE_LANG.get(lang, "en")
    with tempfile.TemporaryDirectory(prefix="alliance-demo-") as folder:
        emulator = Emulator(token=TOKEN, bot_username="alliance_demo_bot", flood=FloodLimits.telegram())
        await emulator.start()
        config = parse_config({
            "telegram": {"token": TOKEN, "api_base": emulator.base_url},
            "database": {"url": f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"},
            "defaults": {"locale": lang, "timezone": "Asia/Taipei"},
        }, environ={})
        app = AllianceApp(config, outbox_poll_interval=0.1)
        world = World(emulator)
        world.add_idle_probe(app.is_idle)
        runner: asyncio.Task[None] | None = None
        try:
            await app.prepare()
            runner = asyncio.create_task(app.run_polling())
            world.follow(print)
            await _story(world, code, lang, app)
            await world.settle()
        finally:
            if runner is not None:
                app.stop()
                await runner
            await app.close()
            await emulator.stop()
        failures = list(app.activity.recent_failures)
        refused = spec_refusals(emulator.calls)
        _heading("the end")
        print(f"{len(emulator.calls)} Bot API calls, {len(refused)} refused by the spec check; "
              f"{len(failures)} handler failures.")
        for call in refused:
            print(f"  refused: {call.method}: {call.description}")
        return 1 if failures or refused else 0


async def _story(world: World, code: str, lang: str, app: AllianceApp) -> None:
    lin = world.user("Lin", lang=code, username="lin_garage")
    chen = world.user("Chen", lang=code, username="chen_tyres")
    mei = world.user("Mei", lang=code, started=False)
    group = world.group("Taipei Auto Repair Alliance", admins=[lin], members=[chen, mei])
    language_button = {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}[lang]

    _heading("Lin adds the bot to the alliance's group (without the right to pin)")
    await world.add_bot(group, by=lin, rights=BotRights(can_invite_users=True))
    await world.settle()

    _heading("Chen, not a group admin, tries /setup")
    await chen.send(group, "/setup")
    await world.settle()

    _heading("Lin, the group's admin, sets the alliance up")
    await lin.send(group, "/setup")
    await world.settle()
    await lin.press(world.last(group), language_button)
    await lin.press(world.last(group), "Asia/Taipei")

    _heading("Lin writes the charter; Chen reads it")
    await lin.send(group, "/charter 1. Refer customers to each other fairly.\n"
                          "2. Answer a referral within a day.\n3. One member, one vote.")
    await world.settle()
    await chen.send(group, "/charter")
    await world.settle()

    _heading("A second group is linked to the alliance")
    suppliers = world.group("Alliance Suppliers", admins=[lin], members=[chen])
    await world.add_bot(suppliers, by=lin)
    await world.settle()
    await lin.send(suppliers, "/link")
    await world.settle()

    _heading("/help differs for a member and a coordinator")
    await chen.send(group, "/help")
    await world.settle()
    await lin.send(group, "/help")
    await world.settle()

    _heading("Mei starts a private chat and picks her language")
    await mei.dm("/start")
    await world.settle()
    await mei.dm("/lang")
    await world.settle()
    other = "繁體中文" if lang != "zh_Hant" else "English"
    await mei.press(world.last(mei), other)
    await mei.dm("/help")
    await world.settle()

    await _decisions(world, app, lin, chen, mei, group, lang)


async def _roster(app: AllianceApp, group_id: int, people: dict[str, SimUser]) -> None:
    """The businesses already in the alliance (onboarding is its own chapter): one member
    each, acting through the person named."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models import Chat, Member, Person, Role

    now = datetime.now(UTC)
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group_id))
        assert chat is not None and chat.alliance_id is not None
        for business, person in people.items():
            member = Member(alliance_id=chat.alliance_id, name=business, status="active",
                            created_at=now, updated_at=now)
            session.add(member)
            await session.flush()
            if await session.get(Person, person.id) is None:
                session.add(Person(id=person.id, first_name=person.name, started=True,
                                   language_code=person.lang, created_at=now, updated_at=now))
                await session.flush()
            role = await session.scalar(select(Role).where(Role.alliance_id == chat.alliance_id,
                                                           Role.person_id == person.id))
            if role is None:
                role = Role(alliance_id=chat.alliance_id, person_id=person.id, role="member",
                            created_at=now)
                session.add(role)
            role.member_id = member.id
        await session.commit()


async def _decisions(world: World, app: AllianceApp, lin: SimUser, chen: SimUser, mei: SimUser,
                     group: SimChat, lang: str) -> None:
    from bot.i18n import gettext as _
    from bot.i18n import use_locale

    def say(message: str, locale: str = lang) -> str:
        with use_locale(locale):
            return _(message)

    wu = world.user("Wu", lang=lin.lang)
    await _roster(app, group.id, {"Lin's Garage": lin, "Chen Tyres": chen, "Mei Paint": mei,
                                  "Wu Glass": wu})
    _heading("Lin proposes, in private, to buy a tyre changer together")
    await lin.dm("/propose")
    await world.settle()
    for answer in ("Buy a shared tyre changer",
                   "About 90,000 TWD, split evenly; it stays at Chen's and is booked here."):
        await lin.dm(answer)
        await world.settle()
    await lin.press(world.last(lin), say("Yes / No / Abstain"))
    await lin.press(world.last(lin), say("3 days"))
    await lin.press(world.last(lin), say("✅ Publish"))
    card = [m for m in world.messages_in(group) if m.buttons][-1]

    _heading("Members vote on the card; Mei changes her mind; a guest cannot vote")
    guest = world.user("Guest", lang=lin.lang)
    group.chat.member(guest.user).status = "member"
    await chen.press(card, say("Yes"))
    await mei.press(card, say("No"))
    await guest.press(card, say("Yes"))
    await mei.press(card, say("Yes"))

    _heading("Chen may not close Lin's proposal early; Lin, its author, can")
    await chen.send(group, "/close 1")
    await world.settle()
    await lin.send(group, "/close 1")
    await world.settle()

    _heading("The decision log")
    await chen.send(group, "/proposal 1")
    await world.settle()
    await mei.dm("/decisions")
    await world.settle()
