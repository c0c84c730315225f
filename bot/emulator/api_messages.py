"""Sending, editing, deleting and pinning messages.

Checks run in the Bot API server's order: content first (text, entities, markup), then the
chat and the bot's right to write there, then the flood limits — a formatting bug surfaces
even when the recipient has blocked the bot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .access import bot_member, require_can_write, require_right, resolve_chat
from .errors import bad_request
from .events import service_message
from .journal import describe_message
from .keyboards import check_reply_markup, inline_only
from .media import input_file
from .state import Chat, Edit, Message, StoredFile
from .telegram_text import render_text
from .wire import message_json, user_json

if TYPE_CHECKING:
    from .server import Emulator

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
DELETE_WINDOW = 48 * 3600
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip


def _thread(chat: Chat, thread_id: int | None) -> int | None:
    if thread_id is None:
        return None
    if chat.type == "supergroup":
        if chat.is_forum and (thread_id in chat.topics or thread_id == 1):
            return thread_id
        if not chat.is_forum and thread_id in chat.messages:
            return thread_id
    raise bad_request("message thread not found")


def _reply_target(emu: Emulator, chat: Chat, reply: dict[str, Any] | None) -> Message | None:
    if reply is None:
        return None
    target_chat = chat if "chat_id" not in reply else resolve_chat(emu, reply["chat_id"])
    message = target_chat.messages.get(reply["message_id"])
    if message is None or message.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return message


def _caption(p: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    if "caption" not in p:
        return None, []
    text, entities = render_text(
        p["caption"], p.get("parse_mode"), p.get("caption_entities"), caption=True
    )
    return text or None, entities


def _post(emu: Emulator, p: dict[str, Any], **content: Any) -> Message:
    """Create the bot's message in ``p["chat_id"]`` after access and flood checks."""
    markup = check_reply_markup(p.get("reply_markup"))
    chat = resolve_chat(emu, p["chat_id"])
    require_can_write(emu, chat)
    thread_id = _thread(chat, p.get("message_thread_id"))
    reply_to = _reply_target(emu, chat, p.get("reply_parameters"))
    if thread_id is None and reply_to is not None and reply_to.thread_id is not None:
        thread_id = reply_to.thread_id
    emu.flood.take(chat.id, chat.is_group)
    message = Message(
        chat=chat,
        message_id=chat.next_message_id(),
        date=emu.clock.now(),
        sender=emu.bot,
        reply_to=reply_to,
        thread_id=thread_id,
        is_topic_message=thread_id is not None and chat.is_forum,
        reply_markup=markup,
        **content,
    )
    chat.messages[message.message_id] = message
    emu.journal.add(chat, f"bot: {describe_message(message)}")
    return message


def send_message(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    text, entities = render_text(p["text"], p.get("parse_mode"), p.get("entities"))
    message = _post(
        emu,
        p,
        text=text,
        entities=entities,
        source=p["text"],
        parse_mode=p.get("parse_mode"),
        link_preview=p.get("link_preview_options"),
    )
    return message_json(message)


def _send_file(emu: Emulator, p: dict[str, Any], kind: str) -> dict[str, Any]:
    caption, caption_entities = _caption(p)
    stored: StoredFile = input_file(emu, p[kind], kind)
    message = _post(
        emu,
        p,
        caption=caption,
        caption_entities=caption_entities,
        caption_source=p.get("caption"),
        parse_mode=p.get("parse_mode"),
        **{kind: stored},
    )
    return message_json(message)


def send_document(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    return _send_file(emu, p, "document")


def send_photo(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    return _send_file(emu, p, "photo")


def _source_message(emu: Emulator, p: dict[str, Any], verb: str) -> Message:
    source_chat = resolve_chat(emu, p["from_chat_id"])
    if source_chat.is_group:
        bot_member(emu, source_chat)
    message = source_chat.messages.get(p["message_id"])
    if message is None or message.deleted:
        raise bad_request(f"message to {verb} not found")
    if message.service:
        raise bad_request(
            "message can't be copied" if verb == "copy" else "message can't be forwarded"
        )
    return message


def copy_message(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    source = _source_message(emu, p, "copy")
    if "caption" in p:
        caption, caption_entities = _caption(p)
        caption_source = p["caption"]
    else:
        caption, caption_entities, caption_source = (
            source.caption,
            source.caption_entities,
            source.caption_source,
        )
    message = _post(
        emu,
        p,
        text=source.text,
        entities=list(source.entities),
        source=source.source,
        parse_mode=source.parse_mode,
        document=source.document,
        photo=source.photo,
        caption=caption if (source.document or source.photo) else None,
        caption_entities=caption_entities,
        caption_source=caption_source,
    )
    return {"message_id": message.message_id}


def forward_message(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    source = _source_message(emu, p, "forward")
    if source.sender_chat is not None:
        origin: dict[str, Any] = {
            "type": "chat",
            "date": source.date,
            "sender_chat": message_json(source)["sender_chat"],
        }
    else:
        assert source.sender is not None
        origin = {"type": "user", "date": source.date, "sender_user": user_json(source.sender)}
    params = {k: v for k, v in p.items() if k != "reply_markup"}
    message = _post(
        emu,
        params,
        text=source.text,
        entities=list(source.entities),
        source=source.source,
        parse_mode=source.parse_mode,
        document=source.document,
        photo=source.photo,
        caption=source.caption,
        caption_entities=list(source.caption_entities),
        caption_source=source.caption_source,
        forward_origin=origin,
    )
    return message_json(message)


def _editable(emu: Emulator, p: dict[str, Any]) -> Message:
    if "inline_message_id" in p:
        raise bad_request("inline messages are not supported by the emulator")
    if "chat_id" not in p or "message_id" not in p:
        raise bad_request("message identifier is not specified")
    chat = resolve_chat(emu, p["chat_id"])
    if chat.type == "private":
        assert chat.user is not None
        if chat.user.blocked:
            require_can_write(emu, chat)
    else:
        bot_member(emu, chat)
    message = chat.messages.get(p["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot or message.service:
        raise bad_request("message can't be edited")
    return message


def _keep_version(emu: Emulator, message: Message) -> None:
    message.edits.append(
        Edit(message.edit_date or message.date, message.text, message.caption, message.reply_markup)
    )
    message.edit_date = emu.clock.now()
    message.changed()


def _journal_edit(emu: Emulator, message: Message) -> None:
    emu.journal.add(
        message.chat, f"bot (edited #{message.message_id}): {describe_message(message)}"
    )


def edit_message_text(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    text, entities = render_text(p["text"], p.get("parse_mode"), p.get("entities"))
    markup = check_reply_markup(p.get("reply_markup"))
    message = _editable(emu, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    if (
        message.text == text
        and message.entities == entities
        and inline_only(message.reply_markup) == markup
    ):
        raise bad_request(NOT_MODIFIED)
    _keep_version(emu, message)
    message.text, message.entities = text, entities
    message.source, message.parse_mode = p["text"], p.get("parse_mode")
    message.reply_markup = markup
    _journal_edit(emu, message)
    return message_json(message)


def edit_message_caption(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    caption, caption_entities = _caption(p)
    markup = check_reply_markup(p.get("reply_markup"))
    message = _editable(emu, p)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    if (
        message.caption == caption
        and message.caption_entities == caption_entities
        and inline_only(message.reply_markup) == markup
    ):
        raise bad_request(NOT_MODIFIED)
    _keep_version(emu, message)
    message.caption, message.caption_entities = caption, caption_entities
    message.caption_source = p.get("caption")
    message.reply_markup = markup
    _journal_edit(emu, message)
    return message_json(message)


def edit_message_reply_markup(emu: Emulator, p: dict[str, Any]) -> dict[str, Any]:
    markup = check_reply_markup(p.get("reply_markup"))
    message = _editable(emu, p)
    if inline_only(message.reply_markup) == markup:
        raise bad_request(NOT_MODIFIED)
    _keep_version(emu, message)
    message.reply_markup = markup
    _journal_edit(emu, message)
    return message_json(message)


def _deletable(emu: Emulator, chat: Chat, message: Message) -> bool:
    if message.service and (
        "migrate_from_chat_id" in message.service or "group_chat_created" in message.service
    ):
        return False
    old = emu.clock.now() - message.date >= DELETE_WINDOW
    if chat.type == "private":
        return not old
    me = bot_member(emu, chat)
    if chat.type == "supergroup" and me.can("can_delete_messages"):
        return True
    if old:
        return False
    if message.from_bot:
        return True
    return me.is_admin if chat.type == "group" else False


def _delete(emu: Emulator, chat: Chat, message: Message) -> None:
    message.deleted = True
    message.pinned = False
    message.changed()
    emu.journal.add(chat, f"bot deleted #{message.message_id}")


def delete_message(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    if chat.is_group:
        bot_member(emu, chat)
    message = chat.messages.get(p["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    if not _deletable(emu, chat, message):
        raise bad_request("message can't be deleted")
    _delete(emu, chat, message)
    return True


def delete_messages(emu: Emulator, p: dict[str, Any]) -> bool:
    ids = p["message_ids"]
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 identifiers")
    chat = resolve_chat(emu, p["chat_id"])
    if chat.is_group:
        bot_member(emu, chat)
    for message_id in ids:
        message = chat.messages.get(message_id)
        if message is not None and not message.deleted and _deletable(emu, chat, message):
            _delete(emu, chat, message)
    return True


def send_chat_action(emu: Emulator, p: dict[str, Any]) -> bool:
    if p["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = resolve_chat(emu, p["chat_id"])
    require_can_write(emu, chat)
    _thread(chat, p.get("message_thread_id"))
    return True


def _pin_rights(emu: Emulator, chat: Chat) -> None:
    if chat.is_group:
        require_right(
            emu, chat, "can_pin_messages", "not enough rights to manage pinned messages in the chat"
        )
    else:
        require_can_write(emu, chat)


def pin_chat_message(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    _pin_rights(emu, chat)
    message = chat.messages.get(p["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to pin not found")
    if message.pinned:
        return True
    message.pinned = True
    message.changed()
    if chat.is_group:
        service_message(emu, chat, emu.bot, {"pinned_message": message_json(message, nested=True)})
    emu.journal.add(chat, f"bot pinned #{message.message_id}")
    return True


def unpin_chat_message(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    _pin_rights(emu, chat)
    if "message_id" in p:
        message = chat.messages.get(p["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to unpin not found")
        pinned = [message]
    else:
        pinned = [m for m in chat.messages.values() if m.pinned][-1:]
    for message in pinned:
        message.pinned = False
        message.changed()
        emu.journal.add(chat, f"bot unpinned #{message.message_id}")
    return True


def unpin_all_chat_messages(emu: Emulator, p: dict[str, Any]) -> bool:
    chat = resolve_chat(emu, p["chat_id"])
    _pin_rights(emu, chat)
    for message in chat.messages.values():
        if message.pinned:
            message.pinned = False
            message.changed()
    return True


HANDLERS = {
    "sendMessage": send_message,
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "sendChatAction": send_chat_action,
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "unpinAllChatMessages": unpin_all_chat_messages,
}
