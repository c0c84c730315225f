"""Who may do what, answered with Telegram's own error texts.

These answers are what a real bot must handle: a person who never pressed Start, a person who
blocked the bot, a group the bot was removed from, a right the bot was never given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import CHAT_NOT_FOUND, ApiError, bad_request, forbidden
from .events import join_window_open
from .state import Chat, Member, User

if TYPE_CHECKING:
    from .server import Emulator


def resolve_chat(emu: Emulator, chat_id: Any) -> Chat:
    store = emu.store
    if isinstance(chat_id, str):
        if not chat_id.startswith("@"):
            raise bad_request(CHAT_NOT_FOUND)
        wanted = chat_id[1:].lower()
        for chat in store.chats.values():
            if chat.username and chat.username.lower() == wanted and chat.migrated_to is None:
                return chat
        raise bad_request(CHAT_NOT_FOUND)
    chat = store.chats.get(chat_id)
    if chat is None:
        user = store.users.get(chat_id)
        if user is None or user.is_bot:
            raise bad_request(CHAT_NOT_FOUND)
        chat = store.private_chat(user)
    if chat.migrated_to is not None:
        raise ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": chat.migrated_to.id},
        )
    return chat


def resolve_user(emu: Emulator, user_id: int) -> User:
    user = emu.store.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


def _group_word(chat: Chat) -> str:
    return "supergroup chat" if chat.type == "supergroup" else "group chat"


def bot_member(emu: Emulator, chat: Chat) -> Member:
    """The bot's membership in a group; 403 as Telegram says it when the bot is not in it."""
    member = chat.members.get(emu.bot.id)
    if member is None or member.status == "left":
        raise forbidden(f"bot is not a member of the {_group_word(chat)}")
    if member.status == "kicked":
        raise forbidden(f"bot was kicked from the {_group_word(chat)}")
    if member.status == "restricted" and not member.is_member:
        raise forbidden(f"bot is not a member of the {_group_word(chat)}")
    return member


def require_can_write(emu: Emulator, chat: Chat) -> None:
    if chat.type == "private":
        user = chat.user
        assert user is not None
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not user.started and not join_window_open(emu, user):
            raise forbidden("bot can't initiate conversation with a user")
        return
    member = bot_member(emu, chat)
    if member.status == "restricted" and not member.permissions.get("can_send_messages", True):
        raise bad_request("not enough rights to send text messages to the chat")


def require_right(emu: Emulator, chat: Chat, right: str, message: str) -> Member:
    member = bot_member(emu, chat)
    if not member.can(right):
        raise bad_request(message)
    return member


def require_group(
    chat: Chat, message: str = "chat member status can't be changed in private chats"
) -> None:
    if not chat.is_group:
        raise bad_request(message)
