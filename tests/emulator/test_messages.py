"""Messages in their chats: topics, edits kept, files, copies, commands settings."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommand, BufferedInputFile, ChatPermissions

from bot.emulator import BotRights, Emulator, World

from .helpers import PNG


async def test_forum_topics_carry_the_thread(bot: Bot, emu: Emulator, world: World) -> None:
    alice = world.user("Alice")
    forum = world.group("Forum", members=[alice], admins=[alice], forum=True, bot=BotRights())
    cards = await world.create_topic(forum, "Cards", by=alice)
    said = await alice.send(forum, "/here", topic=cards)
    update = emu.updates.pending[-1]["message"]
    assert update["message_thread_id"] == cards.thread_id and update["is_topic_message"]
    assert update["chat"]["is_forum"] is True
    sent = await bot.send_message(forum.id, "cards go here", message_thread_id=cards.thread_id)
    assert sent.message_thread_id == cards.thread_id and sent.is_topic_message
    assert said.thread_id == cards.thread_id
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(forum.id, "lost", message_thread_id=999)


async def test_edits_are_kept_and_people_can_edit_too(
    bot: Bot, emu: Emulator, world: World
) -> None:
    alice = world.user("Alice")
    card = await bot.send_message(alice.id, "v1")
    await bot.edit_message_text("v2", chat_id=alice.id, message_id=card.message_id)
    await bot.edit_message_text(
        "<b>v3</b>", chat_id=alice.id, message_id=card.message_id, parse_mode="HTML"
    )
    view = world.last(alice)
    assert (view.text, view.html, view.versions) == ("v3", "<b>v3</b>", ["v1", "v2"])
    said = await alice.dm("helo")
    await alice.edit(said, "hello")
    edited = emu.updates.pending[-1]["edited_message"]
    assert edited["text"] == "hello" and "edit_date" in edited


async def test_files_copies_and_forwards(bot: Bot, world: World) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    photo = await bot.send_photo(alice.id, BufferedInputFile(PNG, "chart.png"), caption="Q1")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    edited = await bot.edit_message_caption(
        chat_id=alice.id, message_id=photo.message_id, caption="<b>Q2</b>", parse_mode="HTML"
    )
    assert edited.caption == "Q2" and edited.caption_entities[0].type == "bold"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=photo.message_id)
    copied = await bot.copy_message(bob.id, alice.id, photo.message_id)
    forwarded = await bot.forward_message(bob.id, alice.id, photo.message_id)
    assert forwarded.forward_origin.type == "user"
    views = world.messages_to(bob)
    assert [v.message_id for v in views] == [copied.message_id, forwarded.message_id]
    assert views[0].photo is not None and views[0].photo.data == PNG
    assert views[0].caption == "Q2"
    document = await bot.send_document(bob.id, BufferedInputFile(b"a,b\n", "report.csv"))
    file = await bot.get_file(document.document.file_id)
    assert file.file_path.endswith(".csv") and file.file_size == 4
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(bob.id, "no-such-file-id")


async def test_delete_many_and_unpin(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    group = world.group("G", members=[alice], bot=BotRights(can_pin_messages=True))
    ids = [(await bot.send_message(group.id, f"m{n}")).message_id for n in range(3)]
    await bot.pin_chat_message(group.id, ids[0])
    await bot.pin_chat_message(group.id, ids[1])
    await bot.unpin_chat_message(group.id)  # the most recent pin
    assert [m.pinned for m in world.messages_in(group)] == [True, False, False]
    await bot.delete_messages(group.id, [ids[0], ids[2], 999])
    assert [m.text for m in world.messages_in(group)] == ["m1"]
    assert len(world.messages_in(group, deleted=True)) == 3


async def test_command_settings_follow_telegram_rules(bot: Bot, world: World) -> None:
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="/start", description="x")])
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="a" * 33, description="x")])
    with pytest.raises(TelegramBadRequest, match="invalid language code"):
        await bot.set_my_commands(
            [BotCommand(command="a", description="x")], language_code="zh-hans"
        )
    await bot.set_my_commands([BotCommand(command="a_1", description="x")], language_code="zh")
    assert await bot.get_my_commands() == []  # scopes and languages do not fall back here
    assert len(await bot.get_my_commands(language_code="zh")) == 1
    await bot.delete_my_commands(language_code="zh")
    assert await bot.get_my_commands(language_code="zh") == []


async def test_member_management(bot: Bot, emu: Emulator, world: World) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    basic = world.group("Basic", members=[alice, bob], supergroup=False, bot=BotRights.all())
    with pytest.raises(TelegramBadRequest, match="only for supergroups"):
        await bot.restrict_chat_member(basic.id, bob.id, ChatPermissions(can_send_messages=False))
    group = world.group("G", members=[alice, bob], admins=[alice], bot=BotRights.all())
    await bot.get_updates(offset=-1, allowed_updates=["chat_member"])
    await bot.restrict_chat_member(group.id, bob.id, ChatPermissions(can_send_messages=False))
    member = await bot.get_chat_member(group.id, bob.id)
    assert member.status == "restricted" and not member.can_send_messages and member.is_member
    await bot.promote_chat_member(group.id, bob.id, can_pin_messages=True)
    assert (await bot.get_chat_member(group.id, bob.id)).can_be_edited
    await world.promote(group, alice, by=alice, rights=BotRights(can_invite_users=True))
    changes = [u["chat_member"]["new_chat_member"]["status"] for u in emu.updates.pending]
    assert changes == ["restricted", "administrator", "administrator"]
    with pytest.raises(TelegramBadRequest, match="user is an administrator of the chat"):
        await bot.ban_chat_member(group.id, alice.id)
    await bot.leave_chat(group.id)
    assert (await bot.get_chat_member(basic.id, emu.bot.id)).status == "administrator"
    with pytest.raises(Exception, match="bot is not a member of the supergroup chat"):
        await bot.get_chat(group.id)
