"""What the emulated Telegram knows: people, chats, memberships, messages, links, files.

Plain mutable records. Bot API methods and the simulated world both change them; ``wire``
turns them into Bot API JSON. Nothing here talks HTTP.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field, fields
from typing import Any

GROUP_ANONYMOUS_BOT_ID = 1087968824
JOIN_REQUEST_DM_WINDOW = 300.0  # a bot may message a join-request sender for 5 minutes
CALLBACK_ANSWER_WINDOW = 15.0

ACTIVE = frozenset({"creator", "administrator", "member", "restricted"})


@dataclass(eq=False, slots=True)
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool = False
    started: bool = False  # has the user pressed Start (or written) in the bot's chat
    blocked: bool = False  # has the user blocked the bot
    pending_requests: list[JoinRequest] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(frozen=True, slots=True)
class BotRights:
    """Administrator rights (of the bot or a person) in a group.

    The default is an administrator with no special rights; ``BotRights.all()`` grants all.
    """

    is_anonymous: bool = False
    can_manage_chat: bool = True
    can_delete_messages: bool = False
    can_manage_video_chats: bool = False
    can_restrict_members: bool = False
    can_promote_members: bool = False
    can_change_info: bool = False
    can_invite_users: bool = False
    can_post_stories: bool = False
    can_edit_stories: bool = False
    can_delete_stories: bool = False
    can_send_welcome_messages: bool = False
    can_pin_messages: bool = False
    can_manage_topics: bool = False

    @classmethod
    def all(cls) -> BotRights:
        return cls(**{f.name: f.name != "is_anonymous" for f in fields(cls)})

    def as_dict(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


AdminRights = BotRights

RESTRICTION_FIELDS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_react_to_messages",
    "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics",
)  # fmt: skip


@dataclass(eq=False, slots=True)
class Member:
    user: User
    status: str  # creator, administrator, member, restricted, left, kicked
    rights: BotRights | None = None  # for administrators
    permissions: dict[str, bool] = field(default_factory=dict)  # for restricted members
    until_date: int = 0
    is_member: bool = True  # restricted members may have left
    custom_title: str | None = None
    promoted_by_bot: bool = False

    @property
    def active(self) -> bool:
        return self.status in ACTIVE and (self.status != "restricted" or self.is_member)

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    def can(self, right: str) -> bool:
        if self.status == "creator":
            return True
        return self.rights is not None and bool(getattr(self.rights, right, False))


@dataclass(eq=False, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # document or photo
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None  # sent by URL: Telegram would fetch it; the emulator keeps the URL
    width: int = 0
    height: int = 0
    file_path: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(eq=False, slots=True)
class Topic:
    thread_id: int
    name: str
    icon_color: int = 7322096


@dataclass(eq=False, slots=True)
class Edit:
    """A previous version of a message, kept when it is edited."""

    date: int
    text: str | None
    caption: str | None
    reply_markup: dict[str, Any] | None


@dataclass(eq=False, slots=True)
class Message:
    chat: Chat
    message_id: int
    date: int
    sender: User | None
    sender_chat: Chat | None = None
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None  # the text exactly as sent (HTML when parse_mode was HTML)
    parse_mode: str | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    caption_source: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    reply_to: Message | None = None
    thread_id: int | None = None
    is_topic_message: bool = False
    edit_date: int | None = None
    edits: list[Edit] = field(default_factory=list)
    deleted: bool = False
    pinned: bool = False
    service: dict[str, Any] = field(default_factory=dict)  # new_chat_members, migrate_to_chat_id…
    forward_origin: dict[str, Any] | None = None
    link_preview: dict[str, Any] | None = None
    json_cache: dict[str, Any] | None = None

    @property
    def from_bot(self) -> bool:
        return self.sender is not None and self.sender.is_bot and self.sender_chat is None

    def changed(self) -> None:
        self.json_cache = None


@dataclass(eq=False, slots=True)
class InviteLink:
    link: str
    chat: Chat
    creator: User
    creates_join_request: bool = False
    is_primary: bool = False
    is_revoked: bool = False
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    joined: int = 0

    def usable(self, now: int) -> bool:
        if self.is_revoked or (self.expire_date is not None and self.expire_date <= now):
            return False
        return self.member_limit is None or self.joined < self.member_limit


@dataclass(eq=False, slots=True)
class JoinRequest:
    chat: Chat
    user: User
    date: int
    invite_link: InviteLink | None = None
    bio: str | None = None


@dataclass(eq=False, slots=True)
class CallbackAnswer:
    """What the bot answered to a button press; ``answered`` is False until it does."""

    query_id: str
    user: User
    message: Message | None
    data: str | None
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0
    created: float = 0.0

    def __repr__(self) -> str:
        if not self.answered:
            return f"<CallbackAnswer {self.query_id} unanswered>"
        kind = "alert" if self.show_alert else "toast"
        return f"<CallbackAnswer {kind} {self.text!r}>"


@dataclass(eq=False, slots=True)
class Chat:
    id: int
    type: str  # private, group, supergroup
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: User | None = None  # the person, for a private chat with the bot
    members: dict[int, Member] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    last_message_id: int = 0
    topics: dict[int, Topic] = field(default_factory=dict)
    invite_links: dict[str, InviteLink] = field(default_factory=dict)
    primary_link: InviteLink | None = None
    join_requests: dict[int, JoinRequest] = field(default_factory=dict)
    migrated_to: Chat | None = None
    migrated_from: int | None = None
    description: str | None = None
    join_by_request: bool = False
    permissions: dict[str, bool] = field(default_factory=dict)
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(63)))
    json_cache: dict[str, Any] | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def label(self) -> str:
        if self.type == "private" and self.user is not None:
            return f"private: {self.user.name}"
        return self.title or str(self.id)

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def member(self, user: User) -> Member:
        """The user's membership; people never seen here are ``left``."""
        found = self.members.get(user.id)
        if found is None:
            found = Member(user, "left")
            self.members[user.id] = found
        return found


class Store:
    """Every record, with the id counters that make ids look like Telegram's."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (kind, language) → description/name
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(4_100_000_001)
        self._supergroup_ids = itertools.count(2_100_000_001)
        self._file_numbers = itertools.count(1)
        self._query_ids = itertools.count(int.from_bytes(secrets.token_bytes(6), "big") * 1000)

    def new_user_id(self) -> int:
        return next(self._user_ids)

    def new_chat_id(self, kind: str) -> int:
        if kind == "supergroup":
            return -(1_000_000_000_000 + next(self._supergroup_ids))
        return -next(self._group_ids)

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        number = next(self._file_numbers)
        token = secrets.token_urlsafe(12)
        stored = StoredFile(
            file_id=f"{'BQ' if kind == 'document' else 'Ag'}ACAgEmu{number}_{token}",
            file_unique_id=f"AQAD{number}{token[:6]}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
            width=width,
            height=height,
        )
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        folder = "documents" if kind == "document" else "photos"
        stored.file_path = f"{folder}/file_{number}{suffix}"
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            self.chats[user.id] = chat
        return chat
