"""One pattern for every multi-step dialogue in private chat (/propose, /meeting, the series
wizard, /refer, /join, and the ones to come).

A wizard is a table of steps. A step says how to ask (a prompt from the answers gathered so
far), how to read a typed answer (a parser that returns the fields it sets and raises a
DomainError for bad input, which the update middleware turns into a localized refusal that
changes nothing), and whether it applies to the answers given so far (steps an earlier choice
skips). Next and Back follow the table; Back from the first step, the Cancel button and /cancel
end the wizard the same way in every feature.

A feature's buttons are registered one handler per callback filter, each for the states where
it means something, and call ``advance`` / ``stay`` / ``show``: no handler branches on an
action string, and a press from an earlier question re-asks the current one instead of acting.
A press answered by a wizard edits the question in place; a typed answer gets a new message.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.runtime.context import Ctx
from bot.services.errors import DomainError

Data = dict[str, Any]
Prompt = tuple[str, InlineKeyboardMarkup | None]
Deps = dict[str, Any]
TYPED = (F.chat.type == "private") & F.text & ~F.text.startswith("/")


class Send(Protocol):
    """Where a question goes when there is no update to answer (a join request's first
    message is written to the applicant's private chat)."""

    async def __call__(self, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
                       ) -> Any: ...


Event = Message | CallbackQuery | Send
Ask = Callable[[Data, Ctx], Prompt | Awaitable[Prompt]]
Read = Callable[[str, Data, Ctx], Data | Awaitable[Data]]
Finish = Callable[[Event, FSMContext, Ctx, Deps], Awaitable[None]]


def _always(_data: Data) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    state: State
    ask: Ask
    read: Read | None = None  # None: the step is answered with buttons only
    applies: Callable[[Data], bool] = _always


async def _resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def deliver(event: Event, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """A press edits its own message; a message is answered; a bare sender just sends."""
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            await event.message.edit_text(text, reply_markup=keyboard)
        elif event.bot is not None:
            await event.bot.send_message(event.from_user.id, text, reply_markup=keyboard)
    elif isinstance(event, Message):
        await event.answer(text, reply_markup=keyboard)
    else:
        await event(text, reply_markup=keyboard)


@dataclass(frozen=True)
class Wizard:
    form: type[StatesGroup]
    steps: Sequence[Step]
    finish: Finish  # called when Next has no step left
    cancelled: Callable[[], str]  # the text that replaces the question when the person cancels
    expired: str  # DomainError code for a press from a wizard that is over
    use_buttons: str  # DomainError code for typing at a step answered with buttons

    # -- where the person is --------------------------------------------------------------------

    def step(self, raw: str | None) -> Step | None:
        return next((step for step in self.steps if step.state.state == raw), None)

    async def current(self, state: FSMContext) -> Step:
        step = self.step(await state.get_state())
        if step is None:
            raise DomainError(self.expired)
        return step

    def _neighbour(self, step: Step, data: Data, direction: int) -> Step | None:
        index = self.steps.index(step) + direction
        while 0 <= index < len(self.steps):
            if self.steps[index].applies(data):
                return self.steps[index]
            index += direction
        return None

    # -- moving ---------------------------------------------------------------------------------

    async def start(self, event: Event, state: FSMContext, ctx: Ctx, data: Data, *,
                    at: State | None = None) -> None:
        await state.clear()
        await state.set_data(data)
        await self.show(event, state, ctx, at or self.steps[0].state)

    async def show(self, event: Event, state: FSMContext, ctx: Ctx, at: State) -> None:
        step = self.step(at.state)
        assert step is not None, at
        await state.set_state(at)
        text, keyboard = await _resolved(step.ask(await state.get_data(), ctx))
        await deliver(event, text, keyboard)

    async def advance(self, event: Event, state: FSMContext, ctx: Ctx, deps: Deps,
                      **fields: Any) -> None:
        """Store ``fields`` and ask the next step that applies, or finish."""
        step = await self.current(state)
        data = await state.update_data(**fields)
        following = self._neighbour(step, data, +1)
        if following is None:
            await self.finish(event, state, ctx, deps)
        else:
            await self.show(event, state, ctx, following.state)

    async def stay(self, event: Event, state: FSMContext, ctx: Ctx, **fields: Any) -> None:
        """Store ``fields`` and ask the current step again (a review screen that changes)."""
        step = await self.current(state)
        await state.update_data(**fields)
        await self.show(event, state, ctx, step.state)

    async def back(self, event: Event, state: FSMContext, ctx: Ctx) -> None:
        step = await self.current(state)
        previous = self._neighbour(step, await state.get_data(), -1)
        if previous is None:
            await self.cancel(event, state)
        else:
            await self.show(event, state, ctx, previous.state)

    async def cancel(self, event: Event, state: FSMContext) -> None:
        await state.clear()
        await deliver(event, self.cancelled(), None)

    # -- the handlers every wizard has ----------------------------------------------------------

    async def _typed(self, message: Message, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
        step = await self.current(state)
        if step.read is None:
            raise DomainError(self.use_buttons)
        fields = await _resolved(step.read(message.text or "", await state.get_data(), ctx))
        await self.advance(message, state, ctx, deps, **fields)

    async def _not_text(self, message: Message, state: FSMContext) -> None:
        step = await self.current(state)
        raise DomainError(self.use_buttons if step.read is None else "text_please")

    async def _pressed_back(self, query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
        await self.back(query, state, ctx)

    async def _pressed_cancel(self, query: CallbackQuery, state: FSMContext) -> None:
        await self.cancel(query, state)

    async def _cancel_command(self, message: Message, state: FSMContext) -> None:
        await self.cancel(message, state)

    async def _earlier_press(self, query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
        """A button of an earlier question (or one that no longer fits): ask the current one."""
        step = await self.current(state)
        text, keyboard = await _resolved(step.ask(await state.get_data(), ctx))
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(text, reply_markup=keyboard)

    async def _expired_press(self, query: CallbackQuery) -> None:
        raise DomainError(self.expired)

    def register(self, router: Router, *, back: CallbackQueryFilter, cancel: CallbackQueryFilter,
                 any_button: CallbackQueryFilter, typed: Any = TYPED, last: bool = True) -> None:
        """Register after the feature's own handlers: these are the wizard's fallbacks. Two
        wizards sharing one kind of button register the refusal of a stale press once, with
        ``last`` on the second."""
        in_form = StateFilter(self.form)
        router.message.register(self._cancel_command, Command("cancel"), F.chat.type == "private",
                                in_form)
        router.callback_query.register(self._pressed_back, back, in_form)
        router.callback_query.register(self._pressed_cancel, cancel, in_form)
        router.message.register(self._typed, in_form, typed)
        router.message.register(self._not_text, in_form, F.chat.type == "private", ~F.text)
        router.callback_query.register(self._earlier_press, any_button, in_form)
        if last:
            router.callback_query.register(self._expired_press, any_button)
