"""`alliance-bot demo`: the real bot against the built-in emulator, playing an alliance's story.

Nothing is faked between the simulated people and the database: aiogram talks HTTP to the
emulator, updates go through the dispatcher, services write to a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.config import parse_config
from bot.emulator import BotRights, Emulator, FloodLimits, SimChat, SimUser, World
from bot.emulator.calls import spec_refusals
from bot.emulator.views import ChatMessage
from bot.runtime.app import AllianceApp
from bot.runtime.clock import FakeClock
from storage.models import Chat, Meeting, Member, Person, Role

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
        # The story's clock moves on when a chapter says "a day later" (a real bot's never jumps).
        clock = FakeClock(datetime.now(UTC), ticking=True)
        app = AllianceApp(config, clock=clock, outbox_poll_interval=0.1, card_interval=0.5)
        world = World(emulator)
        # People answer in seconds, not microseconds: the story keeps within Telegram's limits.
        world.pace(3, also=lambda seconds: clock.advance(timedelta(seconds=seconds)))
        world.add_idle_probe(app.is_idle)
        runner: asyncio.Task[None] | None = None
        try:
            await app.prepare()
            runner = asyncio.create_task(app.run_polling())
            world.follow(print)
            await _story(world, code, lang, app, clock)
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


async def _story(world: World, code: str, lang: str, app: AllianceApp, clock: FakeClock) -> None:
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
    await lin.press(world.last(group), {"en": "Asia/Taipei", "zh_Hans": "台北时间",
                                        "zh_Hant": "台北時間"}[lang])

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

    await _membership(world, lang, lin, chen, group)
    await _meetings(world, lang, app, clock, lin, chen, mei, group)
    await _referrals(world, lang, lin=lin, chen=chen, group=group)
    await _decisions(world, lin, chen, mei, group, lang)
    await _joint_purchase(world, lang, app, clock, lin, chen, mei, group)
    await _shared_equipment(world, lang, app, clock, lin, chen, group)


# Button labels and sample answers of the membership chapter, per language of the story.
_MEMBERSHIP = {
    "en": {"categories": "car repair, tyres, parts", "repair": "car repair", "tyres": "tyres",
           "apply": "Apply to join", "nosponsor": "No sponsor", "accept": "I accept the charter",
           "submit": "Submit", "approve": "✅ Approve", "city": "Taipei, Xinyi",
           "services": "Tyres, wheel alignment", "wang": "Wang Auto Body", "body": "Dents, paint",
           "search": "tyres"},
    "zh_Hans": {"categories": "汽车维修、轮胎、零件", "repair": "汽车维修", "tyres": "轮胎",
                "apply": "申请加入", "nosponsor": "没有推荐人", "accept": "我接受章程",
                "submit": "提交", "approve": "✅ 批准", "city": "台北市信义区",
                "services": "轮胎、四轮定位", "wang": "王记钣金", "body": "钣金、喷漆", "search": "轮胎"},
    "zh_Hant": {"categories": "汽車維修、輪胎、零件", "repair": "汽車維修", "tyres": "輪胎",
                "apply": "申請加入", "nosponsor": "沒有推薦人", "accept": "我接受章程",
                "submit": "提交", "approve": "✅ 核准", "city": "台北市信義區",
                "services": "輪胎、四輪定位", "wang": "王記鈑金", "body": "鈑金、烤漆", "search": "輪胎"},
}


async def _membership(world: World, lang: str, lin: SimUser, chen: SimUser, group: SimChat) -> None:
    """PRODUCT.md §2: two ways in, a coordinator's decision, the directory."""
    words = _MEMBERSHIP.get(lang, _MEMBERSHIP["en"])
    code = PEOPLE_LANG.get(lang, "en")

    _heading("Lin sets the member categories")
    await lin.send(group, f"/categories {words['categories']}")
    await world.settle()

    _heading("Chen registers his tyre shop: /join in the group, then a private questionnaire")
    await chen.send(group, "/join")
    await world.settle()
    url = world.last(group).button(words["apply"]).url or ""
    await chen.start(url.split("start=", 1)[1])
    await world.settle()
    await chen.dm("Chen Tyres")
    await world.settle()
    await chen.press(world.last(chen), words["tyres"])
    for answer in (words["city"], words["services"], "0912 345 678"):
        await chen.dm(answer)
        await world.settle()
    await chen.press(world.last(chen), words["nosponsor"])
    await chen.press(world.last(chen), words["accept"])
    await chen.press(world.last(chen), words["submit"])

    _heading("Lin approves Chen's application from the card in his private chat")
    await lin.press(world.last(lin), words["approve"])

    _heading("Wang asks to join the group; the bot writes to him at once")
    wang = world.user("Wang", lang=code, started=False)
    link = world.invite_link(group, by=lin, creates_join_request=True, name="applications")
    await wang.request_join(group, link)
    await world.settle()
    await wang.dm(words["wang"])
    await world.settle()
    await wang.press(world.last(wang), words["repair"])
    for answer in ("Taipei", words["body"], "02 2345 678", "02 2345 6789", "Chen"):
        await wang.dm(answer)  # the first phone number is one digit short
        await world.settle()
    await wang.press(world.last(wang), words["accept"])
    await wang.press(world.last(wang), words["submit"])

    _heading("Lin approves: the join request is accepted and the group welcomes Wang")
    await lin.press(world.last(lin), words["approve"])

    _heading("The directory: /members, and a search")
    await wang.send(group, "/members")
    await world.settle()
    await chen.dm(f"/members {words['search']}")
    await world.settle()


async def _later(world: World, app: AllianceApp, clock: FakeClock, delta: timedelta) -> None:
    """Time passes: the scheduler sees the new time, as after a restart."""
    clock.advance(delta)
    await app.scheduler.refresh()
    await world.settle()


async def _seed_roster(app: AllianceApp, group: SimChat, people: list[tuple[SimUser, str, bool]]) -> None:
    """Members for the people the story has not brought in through onboarding (the coordinator
    who set the alliance up, people who never applied): written directly, so that each chapter
    can start from a full roster. Anyone already acting for a business keeps it."""
    now = datetime.now(UTC)
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group.id))
        assert chat is not None and chat.alliance_id is not None
        for user, name, coordinator in people:
            acting = await session.scalar(select(Role).where(Role.alliance_id == chat.alliance_id,
                                                             Role.person_id == user.id,
                                                             Role.member_id.is_not(None)))
            if acting is not None:
                continue
            member = Member(alliance_id=chat.alliance_id, name=name, status="active", created_at=now,
                            updated_at=now)
            session.add(member)
            await session.flush()
            role = await session.scalar(select(Role).where(Role.alliance_id == chat.alliance_id,
                                                           Role.person_id == user.id))
            if role is None:
                if await session.get(Person, user.id) is None:
                    session.add(Person(id=user.id, first_name=user.name, language_code=user.lang,
                                       started=False, created_at=now, updated_at=now))
                    await session.flush()
                role = Role(alliance_id=chat.alliance_id, person_id=user.id, created_at=now,
                            role="coordinator" if coordinator else "member")
                session.add(role)
            role.member_id = member.id
        await session.commit()


async def _meetings(world: World, lang: str, app: AllianceApp, clock: FakeClock, lin: SimUser,
                    chen: SimUser, mei: SimUser, group: SimChat) -> None:
    from bot.i18n import gettext as _
    from bot.i18n import use_locale
    from bot.views.meetings import duration_text

    with use_locale(lang):
        go_on, next_tue, next_thu = _("✔ These times: go on"), "next Tue 19:00", "next Thu 18:30"
        length, deadline = duration_text(90), _("{hours} h").format(hours=24)
    if lang == "zh_Hant":
        next_tue, next_thu = "下週二 19:00", "下週四 晚上6點半"
    elif lang == "zh_Hans":
        next_tue, next_thu = "下周二 19:00", "下周四 晚上6点半"
    await _seed_roster(app, group, [(lin, "Lin's Garage", True), (chen, "Chen Tyres", False),
                                    (mei, "Mei Paint & Body", False)])

    _heading("Chen calls a meeting: /meeting in the group, the questions in private")
    await chen.send(group, "/meeting")
    await world.settle()
    url = world.last(group).button_rows[0][0].url or ""
    await chen.start(url.split("?start=")[1])
    await world.settle()
    await chen.dm("Members' monthly meeting")
    await world.settle()
    await chen.dm(f"{next_tue}\n{next_thu}")
    await world.settle()
    await chen.press(world.last(chen), go_on)
    await chen.press(world.last(chen), length)
    await chen.dm("Lin's Garage, 12 Zhongshan Rd / https://meet.example.org/alliance")
    await world.settle()
    await chen.press(world.last(chen), deadline)

    _heading("Members answer on the card in the group; it is edited in place")
    card = world.last(group)
    await lin.press(card, "1 ✅")
    await lin.press(card, "2 🤔")
    await chen.press(card, "2 ✅")
    await mei.press(card, "1 ❌")
    await mei.press(card, "2 ✅")

    _heading("A day later the poll closes: the result is pinned, with a calendar file")
    await _later(world, app, clock, timedelta(hours=24, minutes=1))

    _heading("The day before the meeting, a reminder to those who can come")
    meeting_at = await _meeting_start(app)
    await _later(world, app, clock, meeting_at - timedelta(hours=24) - clock.now() + timedelta(minutes=1))


async def _meeting_start(app: AllianceApp) -> datetime:
    async with app.sessions() as session:
        starts = await session.scalar(select(Meeting.starts_at).where(Meeting.starts_at.is_not(None)))
    assert starts is not None
    return starts


async def _referrals(world: World, lang: str, *, lin: SimUser, chen: SimUser,
                     group: SimChat) -> None:
    """PRODUCT.md §3: a referral from sent to won, the rating, the thank-you card, the ledger."""
    from bot.i18n import catalogs

    def t(message: str) -> str:
        return catalogs().get(lang).gettext(message)

    tyres = _MEMBERSHIP.get(lang, _MEMBERSHIP["en"])["tyres"]  # Chen's category since onboarding

    _heading("Lin passes a customer to a tyre shop: /refer suggests the fairest one")
    await lin.dm("/refer")
    await world.settle()
    await lin.press(world.last(lin), tyres)
    await lin.press(world.last(lin), "Chen Tyres")
    for answer in ("Mrs Wu", "+886 912 345 678"):
        await lin.dm(answer)
        await world.settle()
    await lin.press(world.last(lin), t("✅ Yes, the customer agreed"))
    await lin.dm("Four winter tyres before the trip on Friday")
    await world.settle()
    await lin.press(world.last(lin), t("🔥 Hot"))
    await lin.dm("12000")
    await world.settle()
    await lin.press(world.last(lin), t("📨 Send"))

    _heading("Chen gets the card without the contact, accepts, and the contact appears")
    card = world.last(chen)
    await chen.press(card, t("✅ Accept"))
    await chen.press(card, t("📞 Contacted"))

    _heading("The business is won: Lin is told, rates the service; the group thanks Lin")
    await chen.press(card, t("🏆 Won"))
    await chen.dm("15000")
    await world.settle()
    await lin.press(world.last(lin), "5⭐")
    await lin.dm("Quick and friendly, says Mrs Wu")
    await world.settle()

    _heading("The ledger shows who gives and who receives")
    await lin.send(group, "/ledger")
    await world.settle()


async def _decisions(world: World, lin: SimUser, chen: SimUser, mei: SimUser, group: SimChat,
                     lang: str) -> None:
    """PRODUCT.md §5: a proposal, ballots by members only, an early close, the decision log."""
    from bot.i18n import gettext as _
    from bot.i18n import use_locale

    def say(message: str, locale: str = lang) -> str:
        with use_locale(locale):
            return _(message)

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


# Typed answers of the shared-resources chapter, per language of the story.
_RESOURCES = {
    "en": {"unit": "share", "item": "Tyre changer", "place": "Chen Tyres, Xinyi",
           "conditions": "Bring it back clean, with the bead breaker greased"},
    "zh_Hans": {"unit": "份", "item": "轮胎拆装机", "place": "Chen Tyres（信义区）",
                "conditions": "归还前请清洁，压胎铲上油"},
    "zh_Hant": {"unit": "份", "item": "輪胎拆裝機", "place": "Chen Tyres（信義區）",
                "conditions": "歸還前請清潔，壓胎鏟上油"},
}


def _say(message: str, locale: str) -> str:
    """A button's label as ``locale``'s reader sees it."""
    from bot.i18n import gettext as _
    from bot.i18n import use_locale

    with use_locale(locale):
        return _(message)


def _payload(message: ChatMessage, label: str) -> str:
    """The ``?start=`` payload of a deep-link button (pressing one opens the private chat)."""
    return (message.button(label).url or "").split("?start=", 1)[1]


async def _joint_purchase(world: World, lang: str, app: AllianceApp, clock: FakeClock,
                          lin: SimUser, chen: SimUser, mei: SimUser, group: SimChat) -> None:
    """PRODUCT.md §4: the passed proposal becomes a joint purchase; pledges; an exact split."""
    words = _RESOURCES.get(lang, _RESOURCES["en"])

    def say(message: str) -> str:
        return _say(message, lang)

    _heading("The proposal passed: its 🛒 button turns it into a joint purchase (one price, split)")
    start = say("🛒 Start a joint purchase")
    announcement = next(m for m in reversed(world.messages_in(group))
                        if any(start in row for row in m.buttons))
    await lin.start(_payload(announcement, start))
    await world.settle()
    for answer in (words["unit"], None, "89,900", "3"):  # the quote: 89,900 TWD for 3 shares
        if answer is None:
            await lin.press(world.last(lin), say("One total price, split by quantity"))
        else:
            await lin.dm(answer)
            await world.settle()
    await lin.press(world.last(lin), say("Skip"))  # no maximum
    await lin.press(world.last(lin), say("{days} days").format(days=3))
    await lin.press(world.last(lin), say("📣 Linked chats too"))  # the card in both groups
    await lin.press(world.last(lin), say("✅ Publish"))
    card = world.last(group)
    pledge = _payload(card, say("🙋 Pledge"))

    _heading("Members pledge from the card in the group (the button opens a private chat)")
    for who, shares in ((chen, "2"), (lin, "1")):
        await who.start(pledge)
        await world.settle()
        await who.dm(shares)
        await world.settle()

    _heading("Chen changes his pledge to one share; Mei takes the third")
    await chen.press(world.last(chen), say("✏ Change"))
    await chen.dm("1")
    await world.settle()
    await mei.start(pledge)
    await world.settle()
    await mei.dm("1")
    await world.settle()

    _heading("Three days later pledges close: each is told an exact share; they sum to the price")
    await _later(world, app, clock, timedelta(days=3, minutes=1))

    _heading("The changer is bought and delivered: Lin, the organiser, marks it fulfilled")
    await lin.press(next(m for m in reversed(world.messages_to(lin)) if m.buttons),
                    say("📦 Fulfilled"))


async def _shared_equipment(world: World, lang: str, app: AllianceApp, clock: FakeClock,
                            lin: SimUser, chen: SimUser, group: SimChat) -> None:
    """PRODUCT.md §4: the tyre changer on the shared list, a booking, hand-over, a reminder."""
    words = _RESOURCES.get(lang, _RESOURCES["en"])

    def say(message: str) -> str:
        return _say(message, lang)

    _heading("Chen lists the tyre changer, which stays at his shop, under /equipment")
    await chen.dm("/equipment")
    await world.settle()
    await chen.press(world.last(chen), say("➕ Add an item"))
    for answer in (words["item"], words["place"], words["conditions"]):
        await chen.dm(answer)
        await world.settle()
    await chen.press(world.last(chen), say("Skip"))  # no deposit
    await chen.press(world.last(chen), say("Skip"))  # no fee
    await chen.press(world.last(chen), say("✅ Add to the list"))

    _heading("Lin books it from the group's list: tomorrow 9:00 until 18:00 two days later")
    await lin.send(group, "/equipment")
    await world.settle()
    await lin.start(_payload(world.last(group), say("Book {item}").format(item=words["item"])))
    await world.settle()
    taipei = ZoneInfo("Asia/Taipei")
    today = clock.now().astimezone(taipei).replace(hour=0, minute=0, second=0, microsecond=0)
    starts, ends = today + timedelta(days=1, hours=9), today + timedelta(days=3, hours=18)
    for moment in (starts, ends):
        await lin.dm(f"{moment:%Y-%m-%d %H:%M}")
        await world.settle()
    await lin.press(world.last(lin), say("✅ Book"))
    loan = world.last(lin)

    _heading("Next morning Lin picks it up at Chen's; Chen is told")
    await _later(world, app, clock, starts - clock.now() + timedelta(minutes=5))
    await lin.press(loan, say("📦 Picked up"))

    _heading("The day before the return, a reminder; Lin brings it back and Chen confirms")
    await _later(world, app, clock, ends - timedelta(days=1) - clock.now() + timedelta(minutes=1))
    await _later(world, app, clock, timedelta(hours=20))
    await chen.press(world.last(chen), say("↩ Returned"))
