"""Changes that Telegram reports to the bot as updates, shared by Bot API methods and the world.

A person joining a group, the bot approving a join request, a user writing a command: each
changes state *and* produces the updates Telegram would send (``chat_member`` or
``my_chat_member``, a ``message`` carrying ``new_chat_members``...). Keeping both in one place
means the bot sees the same updates whichever side caused the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .state import BotRights, Chat, InviteLink, Member, Message, StoredFile, User
from .telegram_text import detect_entities, utf16_slice
from .wire import chat_json, invite_link_json, member_json, message_json, user_json

if TYPE_CHECKING:
    from .server import Emulator


def deliver(emu: Emulator, kind: str, payload: dict[str, Any]) -> int | None:
    emu.touch()
    return emu.updates.push(kind, payload)


def bot_sees(emu: Emulator, message: Message) -> bool:
    """Whether Telegram would deliver a group message to the bot (privacy mode rules)."""
    chat = message.chat
    if chat.type == "private":
        return True
    me = chat.members.get(emu.bot.id)
    if me is None or not me.active:
        return False
    if message.service or not emu.privacy_mode or me.is_admin:
        return True
    if message.reply_to is not None and message.reply_to.from_bot:
        return True
    if message.text is not None:
        text, entities = message.text, message.entities
    else:
        text, entities = message.caption or "", message.caption_entities
    username = (emu.bot.username or "").lower()
    for entity in entities:
        piece = utf16_slice(text, entity["offset"], entity["length"]).lower()
        if entity["type"] == "bot_command" and ("@" not in piece or piece.endswith("@" + username)):
            return True
        if entity["type"] == "mention" and piece == "@" + username:
            return True
    return False


def _store(chat: Chat, message: Message) -> Message:
    chat.messages[message.message_id] = message
    return message


def user_message(
    emu: Emulator,
    chat: Chat,
    sender: User,
    *,
    text: str | None = None,
    document: StoredFile | None = None,
    photo: StoredFile | None = None,
    caption: str | None = None,
    reply_to: Message | None = None,
    thread_id: int | None = None,
    sender_chat: Chat | None = None,
) -> Message:
    """A person's message: stored, journaled, delivered if the bot can see it."""
    message = Message(
        chat=chat,
        message_id=chat.next_message_id(),
        date=emu.clock.now(),
        sender=sender,
        sender_chat=sender_chat,
        text=text,
        entities=detect_entities(text) if text else [],
        source=text,
        document=document,
        photo=photo,
        caption=caption,
        caption_entities=detect_entities(caption) if caption else [],
        caption_source=caption,
        reply_to=reply_to,
        thread_id=thread_id,
        is_topic_message=thread_id is not None and chat.is_forum,
    )
    _store(chat, message)
    who = chat.title if sender_chat is not None else sender.name
    reply = f" (reply to #{reply_to.message_id})" if reply_to is not None else ""
    body = text if text is not None else ""
    if document is not None:
        body = f"📎 {document.file_name or 'document'}" + (f" {caption}" if caption else "")
    if photo is not None:
        body = "🖼 photo" + (f" {caption}" if caption else "")
    emu.journal.add(chat, f"{who}{reply}: {body}")
    if chat.type == "private" and not sender.is_bot:
        sender.started = True
    if bot_sees(emu, message):
        deliver(emu, "message", message_json(message))
    return message


def service_message(
    emu: Emulator,
    chat: Chat,
    sender: User,
    fields: dict[str, Any],
    *,
    deliver_update: bool = True,
) -> Message:
    message = Message(
        chat=chat,
        message_id=chat.next_message_id(),
        date=emu.clock.now(),
        sender=sender,
        service=fields,
    )
    _store(chat, message)
    if deliver_update and sender is not emu.bot and bot_sees(emu, message):
        deliver(emu, "message", message_json(message))
    return message


def set_member(
    emu: Emulator,
    chat: Chat,
    user: User,
    status: str,
    *,
    actor: User,
    rights: BotRights | None = None,
    permissions: dict[str, bool] | None = None,
    until_date: int = 0,
    invite_link: InviteLink | None = None,
    via_join_request: bool = False,
    promoted_by_bot: bool = False,
) -> Member:
    """Change a membership; the bot gets ``my_chat_member`` or ``chat_member`` if it changed."""
    member = chat.member(user)
    before = member_json(chat, member)
    member.status = status
    member.rights = rights if status == "administrator" else None
    member.promoted_by_bot = promoted_by_bot and status == "administrator"
    member.until_date = until_date if status in ("restricted", "kicked") else 0
    member.permissions = dict(permissions or {}) if status == "restricted" else {}
    member.is_member = status not in ("left", "kicked")
    after = member_json(chat, member)
    if before == after:
        return member
    payload: dict[str, Any] = {
        "chat": chat_json(chat),
        "from": user_json(actor),
        "date": emu.clock.now(),
        "old_chat_member": before,
        "new_chat_member": after,
    }
    if invite_link is not None:
        payload["invite_link"] = invite_link_json(invite_link, full=invite_link.creator is emu.bot)
    if via_join_request:
        payload["via_join_request"] = True
    if user is emu.bot:
        deliver(emu, "my_chat_member", payload)
    elif chat.members.get(emu.bot.id) is not None and chat.members[emu.bot.id].active:
        deliver(emu, "chat_member", payload)
    return member


def joined(
    emu: Emulator,
    chat: Chat,
    user: User,
    *,
    actor: User | None = None,
    message_from: User | None = None,
    invite_link: InviteLink | None = None,
    via_join_request: bool = False,
    status: str = "member",
    rights: BotRights | None = None,
) -> None:
    """Someone (or the bot) became a member: membership update plus the service message.

    ``actor`` made the change (an admin adding or approving); the service message comes from
    ``message_from`` (the person who joined, or who added them).
    """
    set_member(
        emu,
        chat,
        user,
        status,
        actor=actor or user,
        rights=rights,
        invite_link=invite_link,
        via_join_request=via_join_request,
    )
    if invite_link is not None:
        invite_link.joined += 1
    sender = message_from or actor or user
    service_message(emu, chat, sender, {"new_chat_members": [user_json(user)]})


def left(emu: Emulator, chat: Chat, user: User, *, actor: User | None = None) -> None:
    set_member(emu, chat, user, "left", actor=actor or user)
    service_message(emu, chat, actor or user, {"left_chat_member": user_json(user)})


def join_window_open(emu: Emulator, user: User) -> bool:
    """A bot may write to a join-request sender for 5 minutes, until the request is handled."""
    now = emu.clock.now()
    return any(now - r.date < emu.join_request_window for r in user.pending_requests)
