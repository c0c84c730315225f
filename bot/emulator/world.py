"""The simulated people and groups around the bot, so end-to-end tests read like stories.

``World`` creates users and groups directly (they existed before the story starts), then every
action a person takes — writing, pressing a button, asking to join, leaving, blocking the bot —
produces exactly the updates Telegram would send. Actions return as soon as the updates are
queued; ``await world.settle()`` waits until the bot has dealt with them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .events import bot_sees, deliver, joined, left, service_message, set_member, user_message
from .server import Emulator
from .state import (
    BotRights,
    CallbackAnswer,
    Chat,
    Edit,
    InviteLink,
    JoinRequest,
    Message,
    Topic,
    User,
)
from .telegram_text import detect_entities
from .views import ChatMessage, WorldError, find_button
from .wire import chat_json, invite_link_json, message_json, user_json

_PRUNE_CALLBACKS_AT = 5000


class SimChat:
    """A handle on a chat; it follows a group into the supergroup it migrates to."""

    def __init__(self, world: World, chat: Chat) -> None:
        self.world = world
        self._chat = chat

    @property
    def chat(self) -> Chat:
        chat = self._chat
        while chat.migrated_to is not None:
            chat = chat.migrated_to
        return chat

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.label

    @property
    def type(self) -> str:
        return self.chat.type

    def __repr__(self) -> str:
        return f"<SimChat {self.chat.label} {self.chat.type} {self.id}>"


class SimUser:
    """A person. ``started=False`` means they never pressed Start in the bot's chat."""

    def __init__(self, world: World, user: User) -> None:
        self.world = world
        self.user = user
        self.private = SimChat(world, world.emu.store.private_chat(user))

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def username(self) -> str | None:
        return self.user.username

    @property
    def lang(self) -> str | None:
        return self.user.language_code

    @property
    def emu(self) -> Emulator:
        return self.world.emu

    def __repr__(self) -> str:
        return f"<SimUser {self.name} {self.id}>"

    # writing -------------------------------------------------------------------------------

    def _writable(self, target: SimChat) -> Chat:
        chat = target.chat
        if chat.type == "private":
            if chat.user is not self.user:
                raise WorldError(f"{self.name} cannot write in {chat.label}")
            if self.user.blocked:
                raise WorldError(f"{self.name} blocked the bot; call unblock_bot() first")
            return chat
        member = chat.members.get(self.user.id)
        if member is None or not member.active:
            raise WorldError(f"{self.name} is not a member of {chat.label}")
        if member.status == "restricted" and not member.permissions.get("can_send_messages"):
            raise WorldError(f"{self.name} may not send messages in {chat.label}")
        return chat

    def _thread(
        self, chat: Chat, topic: Topic | int | None, reply_to: Message | None
    ) -> int | None:
        if topic is not None:
            thread = topic.thread_id if isinstance(topic, Topic) else topic
            if not chat.is_forum or thread not in chat.topics:
                raise WorldError(f"{chat.label} has no topic {thread}")
            return thread
        return reply_to.thread_id if reply_to is not None else None

    async def send(
        self,
        chat: SimChat,
        text: str,
        *,
        reply_to: ChatMessage | None = None,
        anonymous: bool = False,
        topic: Topic | int | None = None,
    ) -> ChatMessage:
        """Write ``text`` in ``chat``; commands get ``bot_command`` entities as on Telegram."""
        target = self._writable(chat)
        self.world.think()
        replied = reply_to.record if reply_to is not None else None
        sender, sender_chat = self.user, None
        if anonymous:
            if target.type == "private" or not target.member(self.user).is_admin:
                raise WorldError(f"only an administrator can write anonymously, not {self.name}")
            sender, sender_chat = self.emu.anonymous_admin, target
        message = user_message(
            self.emu,
            target,
            sender,
            text=text,
            reply_to=replied,
            thread_id=self._thread(target, topic, replied),
            sender_chat=sender_chat,
        )
        await asyncio.sleep(0)
        return ChatMessage(message)

    async def dm(self, text: str) -> ChatMessage:
        """Write to the bot in private."""
        return await self.send(self.private, text)

    async def start(self, payload: str | None = None) -> ChatMessage:
        """Press Start, or open a ``t.me/<bot>?start=<payload>`` deep link."""
        return await self.dm(f"/start {payload}" if payload else "/start")

    async def reply(self, message: ChatMessage, text: str) -> ChatMessage:
        chat = SimChat(self.world, message.record.chat)
        return await self.send(chat, text, reply_to=message)

    async def edit(self, message: ChatMessage, text: str) -> ChatMessage:
        """Edit one's own message: the bot gets ``edited_message``."""
        record = message.record
        if record.sender is not self.user:
            raise WorldError(f"{self.name} can only edit their own messages")
        record.edits.append(
            Edit(record.edit_date or record.date, record.text, record.caption, record.reply_markup)
        )
        record.text, record.source, record.entities = text, text, detect_entities(text)
        record.edit_date = self.emu.clock.now()
        record.changed()
        self.emu.journal.add(record.chat, f"{self.name} (edited #{record.message_id}): {text}")
        if bot_sees(self.emu, record):
            deliver(self.emu, "edited_message", message_json(record))
        await asyncio.sleep(0)
        return message

    async def send_document(
        self,
        chat: SimChat,
        file_name: str,
        data: bytes,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> ChatMessage:
        target = self._writable(chat)
        stored = self.emu.store.add_file(
            "document", data, file_name=file_name, mime_type=mime_type or "application/octet-stream"
        )
        message = user_message(self.emu, target, self.user, document=stored, caption=caption)
        await asyncio.sleep(0)
        return ChatMessage(message)

    # buttons -------------------------------------------------------------------------------

    async def press(
        self,
        message: ChatMessage,
        label: str,
        *,
        wait: bool = True,
        timeout: float = 10.0,  # noqa: ASYNC109 - passed on to settle()
    ) -> CallbackAnswer:
        """Press an inline button; with ``wait`` returns after settling, with the bot's answer."""
        record = message.record
        if record.deleted:
            raise WorldError(f"message #{record.message_id} was deleted")
        chat = record.chat
        if chat.type == "private" and chat.user is not self.user:
            raise WorldError(f"{self.name} cannot see {chat.label}")
        if chat.is_group and not chat.member(self.user).active:
            raise WorldError(f"{self.name} is not a member of {chat.label}")
        button = find_button(record, label)
        self.world.think()
        if button.callback_data is None:
            raise WorldError(f"[{button.text}] is not a callback button (url={button.url!r})")
        emu = self.emu
        store = emu.store
        if len(store.callbacks) > _PRUNE_CALLBACKS_AT:
            _prune_callbacks(emu)
        answer = CallbackAnswer(
            query_id=store.new_query_id(),
            user=self.user,
            message=record,
            data=button.callback_data,
            created=emu.clock.monotonic(),
        )
        store.callbacks[answer.query_id] = answer
        emu.journal.add(chat, f"{self.name} pressed [{button.text}] on #{record.message_id}")
        deliver(
            emu,
            "callback_query",
            {
                "id": answer.query_id,
                "from": user_json(self.user),
                "message": message_json(record),
                "chat_instance": chat.chat_instance,
                "data": button.callback_data,
            },
        )
        if wait:
            await self.world.settle(timeout)
        else:
            await asyncio.sleep(0)
        return answer

    # membership ----------------------------------------------------------------------------

    def _link(self, chat: Chat, invite_link: Any) -> InviteLink | None:
        """An invite link given as our record, its URL, or aiogram's ``ChatInviteLink``."""
        if invite_link is None:
            return None
        if isinstance(invite_link, InviteLink):
            url = invite_link.link
        else:
            url = invite_link if isinstance(invite_link, str) else invite_link.invite_link
        link = chat.invite_links.get(url)
        if link is None:
            raise WorldError(f"{url} is not an invite link of {chat.label}")
        if not link.usable(self.emu.clock.now()):
            raise WorldError(f"{url} is revoked, expired or used up")
        return link

    def _outsider(self, chat: Chat) -> None:
        member = chat.members.get(self.user.id)
        if member is not None and member.status == "kicked":
            raise WorldError(f"{self.name} is banned from {chat.label}")
        if member is not None and member.active:
            raise WorldError(f"{self.name} is already a member of {chat.label}")

    async def request_join(
        self, chat: SimChat, invite_link: Any = None, *, bio: str | None = None
    ) -> None:
        """Ask to join; the bot gets ``chat_join_request`` if it may approve it."""
        target = chat.chat
        self._outsider(target)
        link = self._link(target, invite_link)
        if link is not None and not link.creates_join_request:
            raise WorldError("this link lets people in directly: use join()")
        emu = self.emu
        request = JoinRequest(target, self.user, emu.clock.now(), link, bio)
        target.join_requests[self.user.id] = request
        self.user.pending_requests.append(request)
        emu.journal.add(target, f"{self.name} asks to join")
        me = target.members.get(emu.bot.id)
        if me is not None and me.active and me.can("can_invite_users"):
            payload: dict[str, Any] = {
                "chat": chat_json(target),
                "from": user_json(self.user),
                "user_chat_id": self.user.id,
                "date": request.date,
            }
            if bio:
                payload["bio"] = bio
            if link is not None:
                payload["invite_link"] = invite_link_json(link, full=link.creator is emu.bot)
            deliver(emu, "chat_join_request", payload)
        await asyncio.sleep(0)

    async def join(self, chat: SimChat, invite_link: Any = None) -> None:
        target = chat.chat
        self._outsider(target)
        link = self._link(target, invite_link)
        if link is not None and link.creates_join_request:
            raise WorldError("this link needs an administrator's approval: use request_join()")
        self.emu.journal.add(target, f"{self.name} joined" + (" by invite link" if link else ""))
        joined(self.emu, target, self.user, invite_link=link)
        await asyncio.sleep(0)

    async def leave(self, chat: SimChat) -> None:
        target = chat.chat
        if not target.member(self.user).active:
            raise WorldError(f"{self.name} is not a member of {target.label}")
        self.emu.journal.add(target, f"{self.name} left")
        left(self.emu, target, self.user)
        await asyncio.sleep(0)

    async def block_bot(self) -> None:
        await self._set_blocked(True)

    async def unblock_bot(self) -> None:
        await self._set_blocked(False)

    async def _set_blocked(self, blocked: bool) -> None:
        emu = self.emu
        if self.user.blocked == blocked:
            return
        self.user.blocked = blocked
        bot = user_json(emu.bot)
        member = {"status": "member", "user": bot}
        kicked = {"status": "kicked", "user": bot, "until_date": 0}
        chat = self.private.chat
        emu.journal.add(chat, f"{self.name} {'blocked' if blocked else 'unblocked'} the bot")
        deliver(
            emu,
            "my_chat_member",
            {
                "chat": chat_json(chat),
                "from": user_json(self.user),
                "date": emu.clock.now(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )
        await asyncio.sleep(0)


def _prune_callbacks(emu: Emulator) -> None:
    horizon = emu.clock.monotonic() - emu.callback_answer_window
    callbacks = emu.store.callbacks
    for query_id in [q for q, a in callbacks.items() if a.created < horizon]:
        del callbacks[query_id]


class World:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.users: list[SimUser] = []
        self.chats: list[SimChat] = []
        self._think_seconds = 0.0
        self._think_hooks: list[Callable[[float], object]] = []

    def pace(self, seconds: float, *, also: Callable[[float], object] | None = None) -> None:
        """People take a few seconds to read, think and type: from now on each message sent or
        button pressed first moves the emulator's clock on by ``seconds`` (and calls ``also``
        with them, for a bot clock kept in step). A story told at machine speed then meets
        Telegram's per-chat limits as people do, and only a real 429 shows in its transcript."""
        self._think_seconds = seconds
        if also is not None:
            self._think_hooks.append(also)

    def think(self) -> None:
        """A person is about to act: the time they took passes (see :meth:`pace`)."""
        if self._think_seconds <= 0:
            return
        self.emu.clock.advance(self._think_seconds)
        for hook in self._think_hooks:
            hook(self._think_seconds)

    # making people and places --------------------------------------------------------------

    def user(
        self,
        first_name: str,
        *,
        lang: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        started: bool = True,
        premium: bool = False,
    ) -> SimUser:
        store = self.emu.store
        user = User(
            id=store.new_user_id(),
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=lang,
            is_premium=premium,
            started=started,
        )
        store.users[user.id] = user
        sim = SimUser(self, user)
        self.users.append(sim)
        return sim

    def group(
        self,
        title: str,
        *,
        members: Iterable[SimUser] = (),
        admins: Iterable[SimUser] = (),
        owner: SimUser | None = None,
        supergroup: bool = True,
        forum: bool = False,
        username: str | None = None,
        join_by_request: bool = False,
        bot: BotRights | bool | None = None,
    ) -> SimChat:
        """A group that already exists. ``bot=`` puts the bot in it already (no updates):
        ``True`` as a member, or :class:`BotRights` as an administrator."""
        store = self.emu.store
        kind = "supergroup" if supergroup or forum else "group"
        chat = Chat(
            id=store.new_chat_id(kind),
            type=kind,
            title=title,
            username=username,
            is_forum=forum,
            join_by_request=join_by_request,
        )
        store.chats[chat.id] = chat
        admins = list(admins)
        people = list(dict.fromkeys([*([owner] if owner else []), *admins, *members]))
        owner = owner or (admins[0] if admins else people[0] if people else None)
        for person in people:
            member = chat.member(person.user)
            if person is owner:
                member.status = "creator"
            elif person in admins:
                member.status, member.rights = "administrator", BotRights.all()
            else:
                member.status = "member"
        if bot:
            member = chat.member(self.emu.bot)
            if isinstance(bot, BotRights):
                member.status, member.rights = "administrator", bot
            else:
                member.status = "member"
        sim = SimChat(self, chat)
        self.chats.append(sim)
        return sim

    def invite_link(
        self,
        chat: SimChat,
        *,
        by: SimUser,
        creates_join_request: bool = False,
        member_limit: int | None = None,
        name: str | None = None,
    ) -> InviteLink:
        """An invite link made by a person (not the bot) in the Telegram app."""
        target = chat.chat
        if not target.member(by.user).is_admin:
            raise WorldError(f"{by.name} is not an administrator of {target.label}")
        link = InviteLink(
            f"https://t.me/+{by.user.id:x}{len(target.invite_links):04d}",
            target,
            by.user,
            creates_join_request=creates_join_request,
            member_limit=member_limit,
            name=name,
        )
        target.invite_links[link.link] = link
        return link

    async def create_topic(self, chat: SimChat, name: str, *, by: SimUser) -> Topic:
        target = chat.chat
        if not target.is_forum:
            raise WorldError(f"{target.label} is not a forum")
        thread_id = target.last_message_id + 1
        topic = Topic(thread_id, name)
        target.topics[thread_id] = topic
        message = service_message(
            self.emu,
            target,
            by.user,
            {"forum_topic_created": {"name": name, "icon_color": topic.icon_color}},
            deliver_update=False,
        )
        message.thread_id, message.is_topic_message = thread_id, True
        message.changed()
        if bot_sees(self.emu, message):
            deliver(self.emu, "message", message_json(message))
        self.emu.journal.add(target, f"{by.name} created topic “{name}” (thread {thread_id})")
        await asyncio.sleep(0)
        return topic

    # the bot's membership ------------------------------------------------------------------

    async def add_bot(self, chat: SimChat, *, by: SimUser, rights: BotRights | None = None) -> None:
        """``by`` adds the bot (as administrator with ``rights`` if given): the bot gets
        ``my_chat_member`` and the ``new_chat_members`` service message."""
        target = chat.chat
        adder = target.member(by.user)
        if not adder.active or (rights is not None and not adder.is_admin):
            raise WorldError(f"{by.name} cannot add the bot to {target.label}")
        if target.member(self.emu.bot).active:
            raise WorldError(f"the bot is already in {target.label}")
        self.emu.journal.add(target, f"{by.name} added the bot{_rights_text(rights)}")
        joined(
            self.emu,
            target,
            self.emu.bot,
            actor=by.user,
            message_from=by.user,
            status="administrator" if rights is not None else "member",
            rights=rights,
        )
        await asyncio.sleep(0)

    async def set_bot_rights(self, chat: SimChat, rights: BotRights | None, *, by: SimUser) -> None:
        """Promote the bot (``rights``) or demote it to a plain member (``None``)."""
        target = chat.chat
        if not target.member(self.emu.bot).active:
            raise WorldError(f"the bot is not in {target.label}")
        status = "administrator" if rights is not None else "member"
        self.emu.journal.add(target, f"{by.name} set the bot's rights{_rights_text(rights)}")
        set_member(self.emu, target, self.emu.bot, status, actor=by.user, rights=rights)
        await asyncio.sleep(0)

    async def remove_bot(self, chat: SimChat, *, by: SimUser) -> None:
        target = chat.chat
        status = "kicked" if target.type == "supergroup" else "left"
        self.emu.journal.add(target, f"{by.name} removed the bot")
        set_member(self.emu, target, self.emu.bot, status, actor=by.user)
        service_message(self.emu, target, by.user, {"left_chat_member": user_json(self.emu.bot)})
        await asyncio.sleep(0)

    # people's membership, by administrators ------------------------------------------------

    async def promote(
        self, chat: SimChat, user: SimUser, *, by: SimUser, rights: BotRights | None = None
    ) -> None:
        target = chat.chat
        self.emu.journal.add(target, f"{by.name} promoted {user.name}")
        set_member(
            self.emu,
            target,
            user.user,
            "administrator",
            actor=by.user,
            rights=rights or BotRights.all(),
        )
        await asyncio.sleep(0)

    async def demote(self, chat: SimChat, user: SimUser, *, by: SimUser) -> None:
        target = chat.chat
        self.emu.journal.add(target, f"{by.name} demoted {user.name}")
        set_member(self.emu, target, user.user, "member", actor=by.user)
        await asyncio.sleep(0)

    async def add_member(self, chat: SimChat, user: SimUser, *, by: SimUser) -> None:
        target = chat.chat
        user._outsider(target)
        self.emu.journal.add(target, f"{by.name} added {user.name}")
        joined(self.emu, target, user.user, actor=by.user, message_from=by.user)
        await asyncio.sleep(0)

    async def kick(self, chat: SimChat, user: SimUser, *, by: SimUser) -> None:
        target = chat.chat
        self.emu.journal.add(target, f"{by.name} removed {user.name}")
        set_member(self.emu, target, user.user, "kicked", actor=by.user)
        service_message(self.emu, target, by.user, {"left_chat_member": user_json(user.user)})
        await asyncio.sleep(0)

    async def migrate_to_supergroup(self, chat: SimChat, *, by: SimUser | None = None) -> SimChat:
        """A basic group becomes a supergroup with a new id; the handle follows it."""
        old = chat.chat
        if old.type != "group":
            raise WorldError(f"{old.label} is not a basic group")
        store = self.emu.store
        new = Chat(
            id=store.new_chat_id("supergroup"),
            type="supergroup",
            title=old.title,
            description=old.description,
            join_by_request=old.join_by_request,
            permissions=dict(old.permissions),
        )
        for user_id, member in old.members.items():
            new.members[user_id] = type(member)(
                member.user,
                member.status,
                member.rights,
                dict(member.permissions),
                member.until_date,
                member.is_member,
                member.custom_title,
                member.promoted_by_bot,
            )
        store.chats[new.id] = new
        actor = (
            by.user
            if by is not None
            else next((m.user for m in old.members.values() if m.status == "creator"), self.emu.bot)
        )
        self.emu.journal.add(old, f"group became a supergroup ({old.id} → {new.id})")
        service_message(self.emu, old, actor, {"migrate_to_chat_id": new.id})
        old.migrated_to = new
        new.migrated_from = old.id
        service_message(self.emu, new, actor, {"migrate_from_chat_id": old.id})
        await asyncio.sleep(0)
        return chat

    # waiting and reading -------------------------------------------------------------------

    def add_idle_probe(self, probe: Callable[[], bool | Awaitable[bool]]) -> None:
        """``probe()`` is True when the bot has nothing in progress (e.g. no handler running)."""
        self.emu.idle_probes.append(probe)

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.emu.settle(timeout)

    def _chat_of(self, target: SimChat | SimUser) -> Chat:
        return target.private.chat if isinstance(target, SimUser) else target.chat

    def messages_in(
        self, chat: SimChat | SimUser, *, people: bool = False, deleted: bool = False
    ) -> list[ChatMessage]:
        """The bot's messages in a chat (``people=True``: everyone's), current state."""
        target = self._chat_of(chat)
        return [
            ChatMessage(m)
            for m in target.messages.values()
            if not m.service and (people or m.from_bot) and (deleted or not m.deleted)
        ]

    def messages_to(self, user: SimUser) -> list[ChatMessage]:
        """The bot's messages in ``user``'s private chat, as they look now."""
        return self.messages_in(user)

    def last(self, chat: SimChat | SimUser) -> ChatMessage:
        messages = self.messages_in(chat)
        if not messages:
            label = self._chat_of(chat).label
            tail = self.emu.journal.transcript(max(0, len(self.emu.journal.entries) - 10))
            raise WorldError(f"the bot has no message in {label}; recent transcript:\n{tail}")
        return messages[-1]

    def alerts_to(self, user: SimUser) -> list[CallbackAnswer]:
        """Answers with text the bot gave to ``user``'s button presses (alerts and toasts)."""
        return [
            a
            for a in self.emu.store.callbacks.values()
            if a.user is user.user and a.answered and a.text
        ]

    def command_menu(self, user: SimUser, chat: SimChat | None = None) -> list[tuple[str, str]]:
        """The command menu ``user`` sees in ``chat`` (private by default), resolved by
        Telegram's rules: narrowest scope first, the user's language before the default."""
        target = chat.chat if chat is not None else user.private.chat
        language = (user.lang or "")[:2].lower()
        if target.type == "private":
            scopes: list[tuple[str, int | None, int | None]] = [
                ("chat", target.id, None),
                ("all_private_chats", None, None),
            ]
        else:
            admin = target.member(user.user).is_admin
            scopes = [("chat_member", target.id, user.id)]
            if admin:
                scopes.append(("chat_administrators", target.id, None))
            scopes.append(("chat", target.id, None))
            if admin:
                scopes.append(("all_chat_administrators", None, None))
            scopes.append(("all_group_chats", None, None))
        scopes.append(("default", None, None))
        commands = self.emu.store.commands
        for kind, chat_id, user_id in scopes:
            for lang in (language, ""):
                found = commands.get((kind, chat_id, user_id, lang))
                if found:
                    return [(c["command"], c["description"]) for c in found]
        return []

    def transcript(self) -> str:
        return self.emu.journal.transcript()

    def follow(self, printer: Callable[[str], Any] = print) -> None:
        """Print (or pass on) every transcript line as it happens — what ``demo`` shows."""
        self.emu.journal.follow(lambda entry: printer(str(entry)))


def _rights_text(rights: BotRights | None) -> str:
    if rights is None:
        return " as a member"
    granted = [name for name, on in rights.as_dict().items() if on and name != "can_manage_chat"]
    return f" as administrator ({', '.join(granted) or 'no special rights'})"
