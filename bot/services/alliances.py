"""Alliances, their chats and who coordinates them (PRODUCT.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LOCALES
from bot.services import audit
from bot.services.errors import DomainError
from bot.services.inputs import capped
from storage.models import Alliance, Chat, Person, Role

GROUP_KINDS = ("group", "supergroup")
CHARTER_LIMIT = 3500  # leaves room for the card's heading inside Telegram's 4096 characters
ZONE_LIMIT = 64

# The chat-admin rights the bot needs in the home group, and nothing more.
NEEDED_RIGHTS = ("can_invite_users", "can_pin_messages")


@dataclass(frozen=True, slots=True)
class ChatFacts:
    tg_chat_id: int
    kind: str
    title: str | None = None
    is_forum: bool = False


@dataclass(frozen=True, slots=True)
class Place:
    """Where an update happened: the chat's record and, if any, its alliance."""

    chat: Chat
    alliance: Alliance | None


async def remember_chat(session: AsyncSession, facts: ChatFacts, now: datetime) -> Chat:
    chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == facts.tg_chat_id))
    if chat is None:
        chat = Chat(tg_chat_id=facts.tg_chat_id, kind=facts.kind, title=facts.title,
                    is_forum=facts.is_forum, active=True, created_at=now, updated_at=now)
        session.add(chat)
        await session.flush()
    elif (chat.title, chat.kind, chat.is_forum) != (facts.title, facts.kind, facts.is_forum):
        chat.title, chat.kind, chat.is_forum = facts.title, facts.kind, facts.is_forum
        chat.updated_at = now
    return chat


async def place_of(session: AsyncSession, tg_chat_id: int) -> Place | None:
    chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == tg_chat_id))
    if chat is None:
        return None
    alliance = await session.get(Alliance, chat.alliance_id) if chat.alliance_id else None
    return Place(chat=chat, alliance=alliance)


async def place_and_role(session: AsyncSession, tg_chat_id: int, person_id: int | None
                         ) -> tuple[Place | None, Role | None, Person | None]:
    """``place_of``, ``role_of`` and the person's row in one query: every group update asks
    all three."""
    someone = person_id if person_id is not None else -1
    # The person's row comes along too: while the caller holds it, it sits in the session's
    # identity map and the ``people.touch`` that follows finds it without a query.
    row = (await session.execute(
        select(Chat, Alliance, Role, Person).select_from(Chat)
        .outerjoin(Alliance, Alliance.id == Chat.alliance_id)
        .outerjoin(Role, and_(Role.alliance_id == Chat.alliance_id, Role.person_id == someone))
        .outerjoin(Person, Person.id == someone)
        .where(Chat.tg_chat_id == tg_chat_id))).first()
    if row is None:
        return None, None, None
    chat, alliance, role, person = row
    return Place(chat=chat, alliance=alliance), role if alliance is not None else None, person


async def get_alliance(session: AsyncSession, alliance_id: int) -> Alliance:
    """The alliance an id names; callback data and stored drafts can outlive it, so a missing one
    is a refusal the reader understands, not a crash."""
    alliance = await session.get(Alliance, alliance_id)
    if alliance is None:
        raise DomainError("unknown_alliance")
    return alliance


async def role_of(session: AsyncSession, alliance_id: int, person_id: int) -> Role | None:
    return await session.scalar(
        select(Role).where(Role.alliance_id == alliance_id, Role.person_id == person_id)
    )


async def is_coordinator(session: AsyncSession, alliance_id: int, person_id: int) -> bool:
    role = await role_of(session, alliance_id, person_id)
    return role is not None and role.role == "coordinator"


async def require_coordinator(session: AsyncSession, alliance_id: int, person_id: int) -> Role:
    role = await role_of(session, alliance_id, person_id)
    if role is None or role.role != "coordinator":  # not is_coordinator: the role is returned
        raise DomainError("coordinators_only")
    return role


async def coordinated_alliances(session: AsyncSession, person_id: int) -> list[Alliance]:
    rows = await session.scalars(
        select(Alliance)
        .join(Role, Role.alliance_id == Alliance.id)
        .where(Role.person_id == person_id, Role.role == "coordinator")
        .order_by(Alliance.id)
    )
    return list(rows)


async def alliances_of(session: AsyncSession, person_id: int) -> list[tuple[Alliance, Role]]:
    rows = await session.execute(
        select(Alliance, Role).join(Role, Role.alliance_id == Alliance.id)
        .where(Role.person_id == person_id).order_by(Alliance.id)
    )
    return [(alliance, role) for alliance, role in rows]


# Built once: /help and /start ask it on every call, and building the statement cost more than
# running it.
_ROLES_OF = (select(Role.__table__.c.alliance_id, Role.__table__.c.role)
             .where(Role.__table__.c.person_id == bindparam("person_id"))
             .order_by(Role.__table__.c.alliance_id))


async def roles_of(session: AsyncSession, person_id: int) -> list[tuple[int, str]]:
    """(alliance id, role) for each alliance the person belongs to, ``alliances_of`` without the
    objects: what /help and /start need, read as plain rows."""
    rows = await session.execute(_ROLES_OF, {"person_id": person_id})
    return [(alliance_id, role) for alliance_id, role in rows]


async def alliance_in_context(session: AsyncSession, place: Place | None, person_id: int | None,
                              *, private: bool, coordinating: bool) -> Alliance:
    """Which alliance a command means: in a group, the group's; in private, the one alliance the
    person belongs to (or coordinates, for a change)."""
    if not private:
        if place is None or place.alliance is None:
            raise DomainError("not_home_chat")
        return place.alliance
    memberships = await alliances_of(session, person_id) if person_id is not None else []
    if coordinating:
        memberships = [(a, r) for a, r in memberships if r.role == "coordinator"]
        if not memberships:
            raise DomainError("coordinators_only")
    if not memberships:
        raise DomainError("not_in_alliance")
    if len(memberships) > 1:
        raise DomainError("pick_alliance_in_group")
    return memberships[0][0]


async def home_chat(session: AsyncSession, alliance_id: int) -> Chat | None:
    return await session.scalar(
        select(Chat).where(Chat.alliance_id == alliance_id, Chat.role == "home")
    )


async def linked_chats(session: AsyncSession, alliance_id: int) -> list[Chat]:
    rows = await session.scalars(
        select(Chat).where(Chat.alliance_id == alliance_id, Chat.role == "linked", Chat.active)
        .order_by(Chat.id)
    )
    return list(rows)


async def coordinator_count(session: AsyncSession, alliance_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(Role)
        .where(Role.alliance_id == alliance_id, Role.role == "coordinator")
    ) or 0


async def setup(
    session: AsyncSession,
    *,
    chat: ChatFacts,
    person_id: int,
    sender_is_chat_admin: bool,
    locale: str,
    timezone: str,
    now: datetime,
) -> tuple[Alliance, bool]:
    """Create the alliance with this group as home; a coordinator re-running it gets it back.

    Returns the alliance and whether it was created now.
    """
    if chat.kind not in GROUP_KINDS:
        raise DomainError("setup_in_group")
    record = await remember_chat(session, chat, now)
    if record.alliance_id is not None:
        alliance = await session.get(Alliance, record.alliance_id)
        assert alliance is not None
        if record.role != "home":
            raise DomainError("chat_is_linked", alliance=alliance.name)
        await require_coordinator(session, alliance.id, person_id)
        return alliance, False
    if not sender_is_chat_admin:
        raise DomainError("setup_needs_chat_admin")
    alliance = Alliance(name=(chat.title or "Alliance")[:255], charter="",
                        locale=locale if locale in LOCALES else "en", timezone=timezone,
                        settings={}, created_by=person_id, created_at=now, updated_at=now)
    session.add(alliance)
    await session.flush()
    record.alliance_id, record.role, record.active, record.updated_at = alliance.id, "home", True, now
    session.add(Role(alliance_id=alliance.id, person_id=person_id, role="coordinator",
                     created_at=now))
    audit.record(session, alliance_id=alliance.id, actor_id=person_id, action="alliance.setup",
                 subject=str(chat.tg_chat_id), now=now)
    return alliance, True


async def _coordinated(session: AsyncSession, alliance_id: int, person_id: int) -> Alliance:
    alliance = await get_alliance(session, alliance_id)
    await require_coordinator(session, alliance_id, person_id)
    return alliance


async def choose_language(session: AsyncSession, alliance_id: int, person_id: int,
                          locale: str, now: datetime) -> Alliance:
    if locale not in LOCALES:
        raise DomainError("unknown_locale")
    alliance = await _coordinated(session, alliance_id, person_id)
    if alliance.locale != locale:
        audit.record(session, alliance_id=alliance_id, actor_id=person_id,
                     action="alliance.language", details={"from": alliance.locale, "to": locale},
                     now=now)
        alliance.locale, alliance.updated_at = locale, now
    return alliance


def valid_timezone(name: str) -> str:
    """An IANA zone name (ASCII, the longest some 30 characters): anything else is refused before
    ``zoneinfo`` looks for a file of that name."""
    name = capped(name, ZONE_LIMIT, "unknown_timezone", zone=(name or "")[:ZONE_LIMIT]).strip()
    if not name or not name.isascii():
        raise DomainError("unknown_timezone", zone=name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DomainError("unknown_timezone", zone=name) from None
    return name


async def choose_timezone(session: AsyncSession, alliance_id: int, person_id: int,
                          timezone: str, now: datetime) -> Alliance:
    timezone = valid_timezone(timezone)
    alliance = await _coordinated(session, alliance_id, person_id)
    if alliance.timezone != timezone:
        audit.record(session, alliance_id=alliance_id, actor_id=person_id,
                     action="alliance.timezone",
                     details={"from": alliance.timezone, "to": timezone}, now=now)
        alliance.timezone, alliance.updated_at = timezone, now
    return alliance


async def set_card_topic(session: AsyncSession, tg_chat_id: int, thread_id: int | None,
                         person_id: int, now: datetime) -> Alliance:
    """/here: the topic of a forum home group where the bot's cards go."""
    place = await place_of(session, tg_chat_id)
    if place is None or place.alliance is None or place.chat.role != "home":
        raise DomainError("not_home_chat")
    await require_coordinator(session, place.alliance.id, person_id)
    if not place.chat.is_forum or thread_id is None:
        raise DomainError("here_needs_topic")
    place.chat.thread_id, place.chat.updated_at = thread_id, now
    audit.record(session, alliance_id=place.alliance.id, actor_id=person_id,
                 action="chat.topic", subject=str(tg_chat_id), details={"thread_id": thread_id},
                 now=now)
    return place.alliance


async def link_chat(session: AsyncSession, chat: ChatFacts, alliance_id: int, person_id: int,
                    now: datetime) -> Alliance:
    if chat.kind not in GROUP_KINDS:
        raise DomainError("link_in_group")
    alliance = await _coordinated(session, alliance_id, person_id)
    record = await remember_chat(session, chat, now)
    if record.alliance_id == alliance_id:
        raise DomainError("already_home" if record.role == "home" else "already_linked",
                          alliance=alliance.name)
    if record.alliance_id is not None:
        other = await session.get(Alliance, record.alliance_id)
        raise DomainError("linked_elsewhere", alliance=other.name if other else "")
    record.alliance_id, record.role, record.active, record.updated_at = alliance_id, "linked", True, now
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="chat.link",
                 subject=str(chat.tg_chat_id), details={"title": chat.title or ""}, now=now)
    return alliance


async def set_charter(session: AsyncSession, alliance_id: int, person_id: int, text: str,
                      now: datetime) -> Alliance:
    text = (text or "").strip()
    if not text:
        raise DomainError("charter_empty")
    if len(text) > CHARTER_LIMIT:
        raise DomainError("charter_too_long", limit=CHARTER_LIMIT, length=len(text))
    alliance = await _coordinated(session, alliance_id, person_id)
    alliance.charter, alliance.updated_at = text, now
    audit.record(session, alliance_id=alliance_id, actor_id=person_id, action="charter.set",
                 details={"length": len(text)}, now=now)
    return alliance


async def migrate_chat(session: AsyncSession, old_id: int, new_id: int, now: datetime) -> None:
    """A group became a supergroup: Telegram gave it a new id; the alliance must follow."""
    old = await session.scalar(select(Chat).where(Chat.tg_chat_id == old_id))
    if old is None:
        return
    new = await session.scalar(select(Chat).where(Chat.tg_chat_id == new_id))
    if new is not None and new.id != old.id:
        if new.alliance_id is not None:
            return  # already carried over by an earlier copy of this update
        await session.delete(new)
        await session.flush()
    old.tg_chat_id, old.kind, old.active, old.updated_at = new_id, "supergroup", True, now
    old.menu = None  # the chat's own command menu belonged to the old id (bot.runtime.menus)
    if old.alliance_id is not None:
        audit.record(session, alliance_id=old.alliance_id, actor_id=None, action="chat.migrated",
                     details={"from": old_id, "to": new_id}, now=now)


async def set_chat_presence(session: AsyncSession, chat: ChatFacts, present: bool,
                            now: datetime) -> Place:
    """The bot was added to or removed from a chat; an alliance keeps its chats, marked inactive."""
    record = await remember_chat(session, chat, now)
    if record.active != present:
        record.active, record.updated_at = present, now
        if record.alliance_id is not None:
            audit.record(session, alliance_id=record.alliance_id, actor_id=None,
                         action="chat.bot_added" if present else "chat.bot_removed",
                         subject=str(chat.tg_chat_id), now=now)
    alliance = await session.get(Alliance, record.alliance_id) if record.alliance_id else None
    return Place(chat=record, alliance=alliance)


def missing_rights(rights: dict[str, bool], status: str) -> list[str]:
    """Which of the rights the bot needs it lacks; a plain member has none of them."""
    if status == "creator":
        return []
    if status != "administrator":
        return list(NEEDED_RIGHTS)
    return [right for right in NEEDED_RIGHTS if not rights.get(right)]
