"""Openings many end-to-end stories share."""

from __future__ import annotations

from bot.emulator import BotRights, SimChat, SimUser
from tests.e2e.harness import Harness

FULL = BotRights(can_invite_users=True, can_pin_messages=True)


async def bot_added(harness: Harness, group: SimChat, *, by: SimUser,
                    rights: BotRights | None = FULL) -> None:
    """``by`` adds the bot to ``group`` and the bot has greeted it before the story goes on."""
    await harness.world.add_bot(group, by=by, rights=rights)
    await harness.world.settle()


# Taipei on the zone card, in the words of the language chosen on the card before it.
TAIPEI_BUTTON = {"English": "Asia/Taipei", "简体中文": "台北时间", "繁體中文": "台北時間"}


async def setup_group(
    harness: Harness, lang: str = "en", *, rights: BotRights | None = FULL,
    language_button: str = "English", zone_button: str | None = None,
    quiet_hours: str | None = "off",
) -> tuple[SimUser, SimUser, SimChat]:
    """Lin (group admin) and Chen in a group that Lin has just set up as an alliance's home.

    The harness's clock starts at the real time, which may be night in Taipei: with the default
    quiet hours the stories' private notices would wait for the morning or not depending on
    when the suite runs. So quiet hours are off unless a story asks for some (None: the
    default 22:00-08:00); the quiet-hours stories set them and a fixed clock themselves.
    """
    world = harness.world
    lin = world.user("Lin", lang=lang, username="lin")
    chen = world.user("Chen", lang=lang)
    group = world.group("Taipei Auto <Repair> Alliance", admins=[lin], members=[chen])
    await bot_added(harness, group, by=lin, rights=rights)
    await harness.say(lin, group, "/setup")
    card = world.last(group)
    await lin.press(card, language_button)
    await lin.press(world.last(group), zone_button or TAIPEI_BUTTON[language_button])
    if quiet_hours is not None:
        await set_settings(harness, group, quiet_hours=quiet_hours)
    return lin, chen, group


async def set_settings(harness: Harness, group: SimChat, **values: object) -> None:
    """The alliance of ``group`` gets these settings, as if chosen in /settings before the
    story begins (no job is re-armed: set them before what they time)."""
    from sqlalchemy import select

    from storage.models import Alliance, Chat

    assert harness.app is not None, "the bot must be running"
    async with harness.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group.id))
        assert chat is not None and chat.alliance_id is not None, "set the group up first"
        alliance = await session.get(Alliance, chat.alliance_id)
        assert alliance is not None
        alliance.settings = {**(alliance.settings or {}), **values}
        await session.commit()


async def seed_member(harness: Harness, group: SimChat, *people: SimUser, name: str,
                      category: str | None = "repair", region: str | None = "Taipei",
                      services: str | None = None, contact: str | None = None,
                      status: str = "active", coordinator: bool = False) -> int:
    """A business that is already a member of ``group``'s alliance, with ``people`` acting for it.

    For stories about what members do (vote, refer, meet): they start from a roster, as a real
    alliance does, instead of replaying onboarding every time. Returns the member's id.
    """
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models import Chat, Member, Person, Role

    assert harness.app is not None, "the bot must be running"
    now = datetime.now(UTC)
    async with harness.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group.id))
        assert chat is not None and chat.alliance_id is not None, "set the group up first"
        member = Member(alliance_id=chat.alliance_id, name=name, category=category, region=region,
                        services=services, contact=contact, status=status, created_at=now,
                        updated_at=now)
        session.add(member)
        await session.flush()
        for user in people:
            if await session.get(Person, user.id) is None:
                session.add(Person(id=user.id, first_name=user.name, username=user.username,
                                   language_code=user.lang, started=True, created_at=now,
                                   updated_at=now))
                await session.flush()
            role = await session.scalar(select(Role).where(Role.alliance_id == chat.alliance_id,
                                                           Role.person_id == user.id))
            if role is None:
                role = Role(alliance_id=chat.alliance_id, person_id=user.id, created_at=now,
                            role="coordinator" if coordinator else "member")
                session.add(role)
            elif coordinator:
                role.role = "coordinator"
            role.member_id = member.id
        await session.commit()
        return member.id


NASTY = [
    "<b>bold</b> & <script>alert(1)</script>",
    "🙂" * 300,
    "x" * 5000,
    "</i>unbalanced<i>",
    "&amp; &lt; &#x27;",
    "a\u0000b",
]
