"""Openings for the decisions stories: an alliance with a roster, and a proposal written
through the real /propose wizard."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.emulator import SimChat, SimUser
from bot.emulator.views import ChatMessage
from bot.i18n import gettext as _
from bot.i18n import use_locale
from storage.models import Ballot
from tests.e2e import stories
from tests.e2e.harness import Harness

LOCALE_OF = {"en": "en", "zh-hans": "zh_Hans", "zh-hant": "zh_Hant"}
BUTTONS = {"en": "English", "zh-hans": "简体中文", "zh-hant": "繁體中文"}


def text_in(lang: str, message: str) -> str:
    """A message as a person speaking ``lang`` (a Telegram language code) sees it."""
    with use_locale(LOCALE_OF[lang]):
        return _(message)


def join_silently(group: SimChat, *people: SimUser) -> None:
    """People who are in the group already (no service messages, as in a grown group)."""
    for person in people:
        group.chat.member(person.user).status = "member"


async def alliance(harness: Harness, lang: str = "en", *, members: int = 2
                   ) -> tuple[SimUser, list[SimUser], SimChat]:
    """Lin (coordinator, acting for "Lin Garage") and ``members`` more member businesses, each
    with one person, all in the home group; the group speaks ``lang``."""
    lin, chen, group = await stories.setup_group(harness, lang, language_button=BUTTONS[lang])
    await stories.seed_member(harness, group, lin, name="Lin Garage", coordinator=True)
    people = [chen]
    for index in range(1, members):
        people.append(harness.world.user(f"M{index}", lang=lang))
    join_silently(group, *people)
    for index, person in enumerate(people):
        await stories.seed_member(harness, group, person, name=f"Shop {index:03d} {person.name}")
    return lin, people, group


async def propose(harness: Harness, author: SimUser, *, title: str, text: str, kind: str,
                  options: list[str] | None = None, max_choices: int | None = None,
                  deadline: str | None = None, toggles: tuple[str, ...] = ()) -> ChatMessage:
    """``author`` writes a proposal with /propose in private and publishes it; returns the
    bot's last private message (the confirmation)."""
    lang = author.lang or "en"
    world = harness.world
    await harness.say(author, author, "/propose")
    await harness.say(author, author, title)
    await harness.say(author, author, text)
    await author.press(world.last(author), text_in(lang, {
        "yesno": "Yes / No / Abstain", "single": "Single choice",
        "multiple": "Multiple choice",
        "consensus": "Consensus (Agree / Abstain / Disagree / Block)"}[kind]))
    if options:
        await harness.say(author, author, "\n".join(options))
    if max_choices is not None:
        await author.press(world.last(author), str(max_choices))
    if deadline is None:
        await author.press(world.last(author), text_in(lang, "3 days"))
    else:
        await harness.say(author, author, deadline)
    for toggle in toggles:
        await author.press(world.last(author), toggle)
    await author.press(world.last(author), text_in(lang, "✅ Publish"))
    return world.last(author)


async def add_colleague(harness: Harness, group: SimChat, colleague: SimUser, *,
                        of: SimUser) -> None:
    """``colleague`` acts for the same business as ``of`` (one member, two people)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models import Chat, Person, Role

    assert harness.app is not None
    now = datetime.now(UTC)
    async with harness.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group.id))
        assert chat is not None
        theirs = await session.scalar(select(Role).where(Role.alliance_id == chat.alliance_id,
                                                         Role.person_id == of.id))
        assert theirs is not None
        session.add(Person(id=colleague.id, first_name=colleague.name, started=True,
                           language_code=colleague.lang, created_at=now, updated_at=now))
        await session.flush()
        session.add(Role(alliance_id=chat.alliance_id, person_id=colleague.id, role="member",
                         member_id=theirs.member_id, created_at=now))
        await session.commit()


def card_in(harness: Harness, group: SimChat):
    cards = [m for m in harness.world.messages_in(group) if m.text.startswith("🗳")
             and m.buttons]
    assert cards, "no open proposal card in the group"
    return cards[-1]


async def ballots(harness: Harness) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Ballot)) or 0


def now_showing(harness: Harness, group: SimChat, card):
    return next(m for m in harness.world.messages_in(group) if m.message_id == card.message_id)


def announcements(harness: Harness, group: SimChat, lang: str, proposal_id: int = 1) -> list:
    head = text_in(lang, "Decision on proposal #{id}").format(id=proposal_id)
    return [m for m in harness.world.messages_in(group) if head in m.text]
