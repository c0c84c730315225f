"""Routing without thread hops: the bot's own plain (non-``async``) filters run on the loop.

aiogram runs every filter that is not a coroutine function — ``F.…`` magic filters, plain
callables — through ``asyncio.to_thread``: a hop to a worker thread and back, on every update
that reaches the filter (a private ``/help`` met some twenty of them on its way through the
routers, and the hops cost a quarter of the bot's time). Ours are attribute checks that take
microseconds, so they run inline, with the same arguments and the same result: the contract is
that a plain filter in ``handlers/`` never blocks (anything that waits is an ``async`` filter).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject


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

