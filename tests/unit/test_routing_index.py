"""The dispatch index leaves out only handlers that aiogram's own filters would refuse.

The index (bot.runtime.routing) decides from a command's name, a button's prefix and the chat's
wizard state which handlers an update could reach. Here, for every command, button and state of
the real router tree, each handler the index leaves out is put to its own ``Command``,
``CallbackData`` and state filters — aiogram's code, not the index's reading of it — and one of
them must refuse. A handler the index dropped wrongly would be one whose filters all pass.
(The e2e tests prove the other half: the handler the index finds answers as before.)
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.runtime.routing import DispatchIndex, _Entry
from bot.views.commands import NAMES
from handlers import build_router

USER = {"id": 10, "is_bot": False, "first_name": "Lin"}
CHATS = ({"id": 10, "type": "private", "first_name": "Lin"},
         {"id": -100, "type": "supergroup", "title": "Alliance"})


def _message(chat: dict[str, Any], text: str | None = None, caption: str | None = None
             ) -> Message:
    payload: dict[str, Any] = {"message_id": 1, "date": 0, "chat": chat, "from": USER}
    if text is not None:
        payload["text"] = text
    if caption is not None:
        payload |= {"caption": caption, "photo": [{"file_id": "p", "file_unique_id": "p",
                                                   "width": 1, "height": 1}]}
    return Message.model_validate(payload)


def _query(data: str | None) -> CallbackQuery:
    return CallbackQuery.model_validate({
        "id": "q", "from": USER, "chat_instance": "c", "data": data,
        "message": {"message_id": 1, "date": 0, "chat": CHATS[0], "text": "card"}})


def _messages() -> list[Message]:
    texts = [f"/{name}" for name in NAMES] + ["/members 12 words", "/start join-5",
                                               "/start nonsense", "/nosuchcommand", "hello", "/",
                                               " ", "/HELP", "!help"]
    found = [_message(chat, text) for chat in CHATS for text in texts]
    return [*found, _message(CHATS[0], caption="/help"), _message(CHATS[0])]


def _pairs(events: list[TelegramObject], states: list[str | None]
           ) -> list[tuple[TelegramObject, str | None]]:
    """Every event with no state and with a state nobody knows; every state with a few events
    (each kind of update is in every state, but all of them would take minutes)."""
    pairs = [(event, state) for event in events for state in (None, "Gone:step")]
    step = max(1, len(events) // 6)
    return pairs + [(event, state) for event in events[::step] for state in states]


def _state_names(index: DispatchIndex) -> list[str | None]:
    names: set[str | None] = {None, "Gone:step"}
    for entry in index.entries:
        for state_filter in entry.states:
            allowed = state_filter.states if isinstance(state_filter, StateFilter) else (state_filter,)
            for item in allowed:
                if isinstance(item, State):
                    names.add(item.state)
                elif isinstance(item, StatesGroup) or (isinstance(item, type)
                                                       and issubclass(item, StatesGroup)):
                    names.update(item.__all_states_names__)
                else:
                    names.add(item)
    return sorted(names, key=str)


def _shown(event: TelegramObject) -> str:
    if isinstance(event, Message):
        return f"{event.chat.type} {event.text or event.caption!r}"
    return f"button {getattr(event, 'data', None)!r}"


async def _refused(entry: _Entry, event: TelegramObject, raw_state: str | None) -> bool:
    """Whether one of the handler's name, prefix or state filters refuses, run as aiogram runs
    them."""
    for filter_object in entry.handler.filters or ():
        check = filter_object.callback
        if isinstance(check, Command):
            result: Any = check(event, bot=None)  # no @mention here: the bot is not asked
        elif isinstance(check, CallbackQueryFilter):
            result = check(event)
        elif isinstance(check, (State, StateFilter)):
            result = check(event, raw_state=raw_state)
        else:
            continue
        if isawaitable(result):
            result = await result
        if not result:
            return True
    return False


@pytest.mark.parametrize("event_name", ["message", "callback_query"])
async def test_what_the_index_leaves_out_its_filters_refuse(event_name: str) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    index = DispatchIndex(dispatcher, event_name)
    if event_name == "message":
        events: list[TelegramObject] = list(_messages())
    else:
        prefixes = sorted({key[1] for key in index.known})
        events = [_query(f"{prefix}:1:2") for prefix in prefixes]
        events += [_query(None), _query("garbage"), _query("vote")]
    pairs = _pairs(events, _state_names(index))
    kept = 0
    for event, raw_state in pairs:
        candidates = await index._candidates(index.read_keys(event, index.separators), raw_state)
        kept += len(candidates)
        for entry in index.entries:
            if entry not in candidates:
                assert await _refused(entry, event, raw_state), (
                    f"{entry.handler.callback.__qualname__} left out for {_shown(event)} "
                    f"in state {raw_state}")
    # Most of the tree is left out for most updates (else the index would save nothing).
    assert kept < len(pairs) * len(index.entries) / 4
