"""Routing without thread hops: the bot's own plain (non-``async``) filters run on the loop.

aiogram runs every filter that is not a coroutine function — ``F.…`` magic filters, plain
callables — through ``asyncio.to_thread``: a hop to a worker thread and back, on every update
that reaches the filter (a private ``/help`` met some twenty of them on its way through the
routers, and the hops cost a quarter of the bot's time). Ours are attribute checks that take
microseconds, so they run inline, with the same arguments and the same result: the contract is
that a plain filter in ``handlers/`` never blocks (anything that waits is an ``async`` filter).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject


def _routers(root: Router) -> Iterator[Router]:
    yield root
    for child in root.sub_routers:
        yield from _routers(child)


def _handlers(router: Router) -> Iterator[HandlerObject]:
    for observer in router.observers.values():
        # A router-wide filter (``router.message.filter(...)``) lives on the observer's own
        # stand-in handler, which aiogram keeps private.
        yield observer._handler
        yield from observer.handlers


def _inline(filter_object: FilterObject) -> None:
    plain = filter_object.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return plain(*args, **kwargs)

    # aiogram already read the plain callable's parameters (which keyword arguments it gets);
    # only how it is called changes.
    filter_object.callback = inline
    filter_object.awaitable = True


def run_plain_filters_inline(root: Router) -> int:
    """Make every plain filter under ``root`` run on the event loop; how many there were."""
    count = 0
    for router in _routers(root):
        for handler in _handlers(router):
            for filter_object in handler.filters or ():
                if not filter_object.awaitable:
                    _inline(filter_object)
                    count += 1
    return count



# -- dispatch by index ---------------------------------------------------------------------------
#
# aiogram finds a message's handler by walking every router and testing every handler's filters
# in turn until one passes: a private ``/help`` had some 135 filter calls to make on its way past
# the other features' commands and wizards, the largest cost of a plain command. Two things decide
# most of those tests without running them: which command the text names (a ``Command`` filter
# passes for its own names only) and which wizard state the chat is in (a ``State`` or
# ``StateFilter`` passes for its own states only). The index reads both from each handler's
# filters once, at wiring time, and keeps, per (command, state) met, the handlers that could still
# pass, in aiogram's own order. An update is then tested against those alone — with all of their
# filters, so everything else a filter checks (``@botname``, the chat's kind, a deep link's
# payload, who may) is still checked by the filter itself — and the first that passes is called
# exactly as aiogram calls it (its inner middlewares, ``SkipHandler``, ``REJECTED``).

_ANY = None  # a handler whose filters the index cannot read: it stays a candidate for every key
_STATE_KINDS = (State, StateFilter)
_MAX_CACHED = 4096  # (key, state) pairs kept; a stored state from an older version is rare


@dataclass(frozen=True, slots=True)
class _Entry:
    path: tuple[Router, ...]  # from the dispatcher down to the router that owns the handler
    observer: TelegramEventObserver
    handler: HandlerObject
    keys: frozenset[Hashable] | None  # the event keys it can pass for; None: any
    states: tuple[Any, ...]  # its State / StateFilter filters, run on the state alone


def _command_keys(command: Command) -> frozenset[Hashable] | None:
    """(prefix, name) pairs a ``Command`` filter can pass; None when it takes patterns or case."""
    names = command.commands
    if command.ignore_case or not all(isinstance(name, str) for name in names):
        return _ANY
    return frozenset((prefix, name) for prefix in command.prefix for name in names)


def _callback_keys(query_filter: CallbackQueryFilter) -> frozenset[Hashable]:
    data = query_filter.callback_data
    return frozenset({(data.__separator__, data.__prefix__)})


def _keys_of(handler: HandlerObject) -> frozenset[Hashable] | None:
    keys: frozenset[Hashable] | None = _ANY
    for filter_object in handler.filters or ():
        found: frozenset[Hashable] | None = _ANY
        if isinstance(filter_object.callback, Command):
            found = _command_keys(filter_object.callback)
        elif isinstance(filter_object.callback, CallbackQueryFilter):
            found = _callback_keys(filter_object.callback)
        if found is not None:
            keys = found if keys is None else keys & found
    return keys


def _message_keys(event: TelegramObject, _separators: frozenset[str]) -> tuple[Hashable, ...]:
    """What ``Command`` reads first: the first word of the text (or caption), split as
    ``Command.extract_command`` splits it into prefix and name."""
    text = (event.text or event.caption) if isinstance(event, Message) else None
    words = text.split(maxsplit=1) if text else ()
    if not words:
        return ()
    return ((words[0][0], words[0][1:].partition("@")[0]),)


def _callback_keys_of(event: TelegramObject, separators: frozenset[str]) -> tuple[Hashable, ...]:
    """What ``CallbackData.unpack`` reads first: the prefix before the class's separator."""
    data = event.data if isinstance(event, CallbackQuery) else None
    if not data:
        return ()
    return tuple((separator, data.split(separator)[0]) for separator in separators)


_KEY_READERS: dict[str, Callable[[TelegramObject, frozenset[str]], tuple[Hashable, ...]]] = {
    "message": _message_keys,
    "callback_query": _callback_keys_of,
}


class DispatchIndex(BaseMiddleware):
    """The dispatcher's outer middleware for one kind of update (``message``,
    ``callback_query``): finds the handler from the index instead of walking the routers."""

    def __init__(self, root: Router, event_name: str) -> None:
        self.event_name = event_name
        self.read_keys = _KEY_READERS[event_name]
        self.entries = list(self._entries(root, (root,)))
        self.known = frozenset(key for entry in self.entries for key in entry.keys or ())
        self.separators = frozenset(key[0] for key in self.known if event_name == "callback_query")
        self.cache: dict[tuple[tuple[Hashable, ...], str | None], tuple[_Entry, ...]] = {}

    def _entries(self, router: Router, path: tuple[Router, ...]) -> Iterator[_Entry]:
        observer = router.observers[self.event_name]
        if observer._handler.filters or (len(path) > 1 and list(observer.outer_middleware)):
            # A router-wide filter or outer middleware would have to run where the walk runs it.
            raise ValueError(f"router {router.name!r}: the dispatch index cannot keep its "
                             f"{self.event_name} router-wide filters or outer middlewares")
        for handler in observer.handlers:
            states = tuple(filter_object.callback for filter_object in handler.filters or ()
                           if isinstance(filter_object.callback, _STATE_KINDS))
            yield _Entry(path, observer, handler, _keys_of(handler), states)
        for child in router.sub_routers:
            yield from self._entries(child, (*path, child))

    async def _candidates(self, keys: tuple[Hashable, ...], raw_state: str | None
                          ) -> tuple[_Entry, ...]:
        cache_key = (tuple(key for key in keys if key in self.known), raw_state)
        found = self.cache.get(cache_key)
        if found is None:
            found = tuple([entry for entry in self.entries
                           if (entry.keys is None or not entry.keys.isdisjoint(cache_key[0]))
                           and await _states_allow(entry.states, raw_state)])
            if len(self.cache) < _MAX_CACHED:
                self.cache[cache_key] = found
        return found

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        candidates = await self._candidates(self.read_keys(event, self.separators),
                                            data.get("raw_state"))
        rejected: Router | None = None
        for entry in candidates:
            if rejected is not None and rejected in entry.path:
                continue  # aiogram stops a router (and its children) whose handler rejected
            passed, kwargs = await entry.handler.check(
                event, **{**data, "event_router": entry.path[-1], "handler": entry.handler})
            if not passed:
                continue
            call = entry.observer.outer_middleware.wrap_middlewares(
                entry.observer._resolve_middlewares(), entry.handler.call)
            try:
                response = await call(event, kwargs)
            except SkipHandler:
                continue
            if response is not REJECTED:
                return response
            rejected = entry.path[-1]
        return UNHANDLED


async def _states_allow(states: tuple[Any, ...], raw_state: str | None) -> bool:
    """Run a handler's state filters on the state alone (they read nothing else)."""
    for state_filter in states:
        allowed = state_filter(None, raw_state=raw_state)
        if isawaitable(allowed):
            allowed = await allowed
        if not allowed:
            return False
    return True


def index_dispatch(dispatcher: Router, event_names: tuple[str, ...] = ("message", "callback_query")
                   ) -> None:
    """Route ``event_names`` through an index (``DispatchIndex``) and every plain filter inline;
    call once, after every router is included and before the first update."""
    for event_name in event_names:
        dispatcher.observers[event_name].outer_middleware(DispatchIndex(dispatcher, event_name))
    run_plain_filters_inline(dispatcher)
