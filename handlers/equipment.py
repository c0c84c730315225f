"""/equipment, the booking and "add an item" wizards, and a loan's hand-over buttons (§4).

The list works in the group and in private; booking and adding run in private (from the group,
*Book* is a deep link ``?start=equip-<item id>``; a borrow request's card links
``?start=book-<request id>``). Overlaps are refused by the service, atomically: the loser is
offered the next free slot of the same length, one press away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.effects import equipment as effects
from bot.i18n import zone
from bot.runtime import me
from bot.runtime.context import Ctx
from bot.runtime.replies import plain
from bot.runtime.wizard import Data, Deps, Event, Prompt, Step, Wizard, deliver
from bot.services import alliances
from bot.services import equipment as gear
from bot.services.errors import DomainError
from bot.services.inputs import row_id
from bot.views import equipment as views
from bot.views.equipment import EqCb, EqWizCb, LoanCb

PRIVATE = F.chat.type == "private"
PRIVATE_PRESS = F.message.chat.type == "private"


class BookForm(StatesGroup):
    item = State()
    start = State()
    end = State()
    confirm = State()


class AddForm(StatesGroup):
    name = State()
    location = State()
    holder = State()
    conditions = State()
    deposit = State()
    fee = State()
    confirm = State()


def _moment(data: Data, key: str) -> datetime:
    return datetime.fromisoformat(data[key])


# -- the booking wizard --------------------------------------------------------------------------

async def _ask_item(data: Data, ctx: Ctx) -> Prompt:
    return views.ask_item(await gear.catalogue(ctx.session, data["alliance_id"], ctx.now))


def _read_start(text: str, data: Data, ctx: Ctx) -> Data:
    starts_at = gear.parse_moment(text, now=ctx.now, zone=zone(data["timezone"]))
    return {"starts_at": starts_at.isoformat()}


def _read_end(text: str, data: Data, ctx: Ctx) -> Data:
    ends_at = gear.parse_moment(text, now=ctx.now, zone=zone(data["timezone"]), end=True)
    gear.check_period(_moment(data, "starts_at"), ends_at, ctx.now)
    return {"ends_at": ends_at.isoformat(), "offered": False}


def _ask_confirm(data: Data, _ctx: Ctx) -> Prompt:
    show = views.slot_taken if data.get("offered") else views.confirm_booking
    return show(data["item_name"], _moment(data, "starts_at"), _moment(data, "ends_at"),
                data["timezone"])


async def _book(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    draft = gear.BookingDraft(item_id=data["item_id"], starts_at=_moment(data, "starts_at"),
                              ends_at=_moment(data, "ends_at"), request_id=data.get("request_id"))
    try:
        booking = await gear.book(ctx.session, ctx.person_id, draft, ctx.now)
    except DomainError as error:
        if error.code != "booking_taken":
            raise
        # Lost the slot (perhaps by a hair): the same question, now offering the next free slot.
        await state.update_data(starts_at=error.params["next_start"].isoformat(),
                                ends_at=error.params["next_end"].isoformat(), offered=True)
        await BOOK.show(event, state, ctx, BookForm.confirm)
        return
    await state.clear()
    await effects.booked(ctx.session, booking, now=ctx.now, plan=deps["scheduler"],
                         cards=deps["cards"], bot_username=await me.username(deps["bot"]))
    text, keyboard = await effects.loan_view(ctx.session, booking)
    if booking.request_id is not None:
        text = f"{views.request_answered()}\n\n{text}"
    await deliver(event, text, keyboard)


BOOK = Wizard(
    form=BookForm,
    steps=[
        Step(BookForm.item, _ask_item, applies=lambda data: not data.get("item_fixed")),
        Step(BookForm.start, lambda data, _ctx: views.ask_start(
            data["item_name"], data["timezone"], back=not data.get("item_fixed")), _read_start),
        Step(BookForm.end, lambda data, _ctx: views.ask_end(
            data["item_name"], _moment(data, "starts_at"), data["timezone"]), _read_end),
        Step(BookForm.confirm, _ask_confirm),
    ],
    finish=_book, cancelled=views.wizard_cancelled, expired="equipment_wizard_gone",
    use_buttons="equipment_use_buttons")


async def _open_booking(event: Message | CallbackQuery, state: FSMContext, ctx: Ctx, *,
                        item_id: int | None = None, request_id: int | None = None) -> None:
    opening = await gear.open_booking(ctx.session, ctx.person_id, item_id=item_id,
                                      request_id=request_id)
    data: Data = {"alliance_id": opening.alliance_id, "timezone": opening.timezone,
                  "request_id": opening.request_id, "item_fixed": opening.item is not None}
    if opening.item is not None:
        data |= {"item_id": opening.item.id, "item_name": opening.item.name}
    target: Event = event
    if isinstance(event, CallbackQuery):  # the list stays; the wizard starts below it
        await event.answer()
        if isinstance(event.message, Message):
            target = event.message.answer  # type: ignore[assignment]
    await BOOK.start(target, state, ctx, data,
                     at=BookForm.start if opening.item is not None else BookForm.item)


async def item_link(message: Message, command: CommandObject, state: FSMContext, ctx: Ctx) -> None:
    """``/start equip-<item id>``: *Book* under the group's /equipment."""
    item_id = row_id((command.args or "").partition("-")[2])
    if item_id is None:
        raise DomainError("bad_link")
    await _open_booking(message, state, ctx, item_id=item_id)


async def request_link(message: Message, command: CommandObject, state: FSMContext,
                       ctx: Ctx) -> None:
    """``/start book-<request id>``: a borrow request answered with a booking of a listed item."""
    request_id = row_id((command.args or "").partition("-")[2])
    if request_id is None:
        raise DomainError("bad_link")
    await _open_booking(message, state, ctx, request_id=request_id)


async def book_pressed(query: CallbackQuery, callback_data: EqCb, state: FSMContext,
                       ctx: Ctx) -> None:
    await _open_booking(query, state, ctx, item_id=callback_data.id)


async def item_chosen(query: CallbackQuery, callback_data: EqWizCb, state: FSMContext, ctx: Ctx,
                      **deps: Any) -> None:
    data = await state.get_data()
    item = await gear.get_item(ctx.session, callback_data.value, alliance_id=data["alliance_id"])
    if item.retired_at is not None:
        raise DomainError("equipment_retired")
    await BOOK.advance(query, state, ctx, deps, item_id=item.id, item_name=item.name)


async def book_confirmed(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await BOOK.advance(query, state, ctx, deps)


# -- the "add an item" wizard ---------------------------------------------------------------------

def _read_amount(name: str) -> Callable[[str, Data, Ctx], Data]:
    return lambda text, data, _ctx: {name: format(gear.parse_amount(text, data["currency"]), "f")}


def _amount(data: Data, name: str) -> Decimal | None:
    return Decimal(data[name]) if data.get(name) is not None else None


def _holder_name(data: Data) -> str:
    return next((name for mid, name in data.get("members", []) if mid == data.get("holder_id")),
                data.get("own_name", ""))


async def _add(event: Event, state: FSMContext, ctx: Ctx, _deps: Deps) -> None:
    data = await state.get_data()
    draft = gear.ItemDraft(name=data["name"], location=data.get("location", ""),
                           conditions=data.get("conditions", ""), holder_id=data.get("holder_id"),
                           deposit=_amount(data, "deposit"), fee=_amount(data, "fee"),
                           currency=data["currency"])
    item = await gear.add_item(ctx.session, data["alliance_id"], ctx.person_id, draft, ctx.now)
    await state.clear()
    await deliver(event, views.item_added(item.name), None)


ADD = Wizard(
    form=AddForm,
    steps=[
        Step(AddForm.name, lambda _data, _ctx: views.ask_name(),
             lambda text, _data, _ctx: {"name": gear.clean_name(text)}),
        Step(AddForm.location, lambda _data, _ctx: views.ask_location(),
             lambda text, _data, _ctx: {"location": gear.clean_location(text)}),
        Step(AddForm.holder, lambda data, _ctx: views.ask_holder(data.get("members", [])),
             applies=lambda data: bool(data.get("coordinator"))),
        Step(AddForm.conditions, lambda _data, _ctx: views.ask_conditions(),
             lambda text, _data, _ctx: {"conditions": gear.clean_conditions(text)}),
        Step(AddForm.deposit, lambda data, _ctx: views.ask_deposit(data["currency"]),
             _read_amount("deposit")),
        Step(AddForm.fee, lambda data, _ctx: views.ask_fee(data["currency"]), _read_amount("fee")),
        Step(AddForm.confirm, lambda data, _ctx: views.confirm_item(
            data["name"], data.get("location", ""), _holder_name(data),
            data.get("conditions", ""), _amount(data, "deposit"), _amount(data, "fee"),
            data["currency"])),
    ],
    finish=_add, cancelled=views.wizard_cancelled, expired="equipment_wizard_gone",
    use_buttons="equipment_use_buttons")


async def add_pressed(query: CallbackQuery, callback_data: EqCb, state: FSMContext,
                      ctx: Ctx) -> None:
    adding = await gear.adding(ctx.session, callback_data.id, ctx.person_id)
    own = adding.own
    await query.answer()
    target: Event = query.message.answer if isinstance(query.message, Message) else query  # type: ignore[assignment]
    await ADD.start(target, state, ctx, {
        "alliance_id": adding.alliance_id, "coordinator": adding.coordinator,
        "currency": adding.currency, "members": [[m.id, m.name] for m in adding.members],
        "holder_id": own.id if own is not None else None,
        "own_name": own.name if own is not None else ""})


async def holder_chosen(query: CallbackQuery, callback_data: EqWizCb, state: FSMContext,
                        ctx: Ctx, **deps: Any) -> None:
    data = await state.get_data()
    if callback_data.value not in {mid for mid, _name in data.get("members", [])}:
        raise DomainError("equipment_bad_holder")
    await ADD.advance(query, state, ctx, deps, holder_id=callback_data.value)


def _skip(field: str, value: Any) -> Callable[..., Awaitable[None]]:
    async def skipped(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
        await ADD.advance(query, state, ctx, deps, **{field: value})

    skipped.__name__ = f"{field}_skipped"
    return skipped


async def item_saved(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await ADD.advance(query, state, ctx, deps)


# -- /equipment and the item's buttons ------------------------------------------------------------

async def _listing(ctx: Ctx, bot: Bot, *, private: bool) -> Prompt:
    alliance = await alliances.alliance_in_context(ctx.session, ctx.place, ctx.speaker_id,
                                                   private=private, coordinating=False)
    items = await gear.catalogue(ctx.session, alliance.id, ctx.now)
    managed: set[int] = set()
    may_add = False
    if ctx.speaker_id is not None:
        managed = {listed.item.id for listed in items
                   if await gear.may_manage(ctx.session, listed.item, ctx.speaker_id)}
        may_add = await gear.may_add_at_all(ctx.session, alliance.id, ctx.speaker_id)
    return views.catalogue(items, alliance.timezone, alliance.name, private=private,
                           managed=managed, bot_username=await me.username(bot), may_add=may_add,
                           alliance_id=alliance.id)


async def equipment_list(message: Message, bot: Bot, ctx: Ctx) -> None:
    text, keyboard = await _listing(ctx, bot, private=message.chat.type == "private")
    await message.answer(text, reply_markup=keyboard)


async def retire_pressed(query: CallbackQuery, callback_data: EqCb, bot: Bot, ctx: Ctx) -> None:
    done = await gear.retire(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    await effects.retired(ctx.session, done, now=ctx.now)
    await query.answer(plain(views.retired(done.item.name, len(done.cancelled))))
    if isinstance(query.message, Message):
        text, keyboard = await _listing(ctx, bot, private=query.message.chat.type == "private")
        await query.message.edit_text(text, reply_markup=keyboard)


async def unknown_item_press(query: CallbackQuery) -> None:
    raise DomainError("equipment_not_found")


# -- a loan's hand-over buttons ---------------------------------------------------------------------

MOVES = {"pick": gear.picked_up, "ret": gear.returned, "cancel": gear.cancel_booking}


async def loan_pressed(query: CallbackQuery, callback_data: LoanCb, ctx: Ctx) -> None:
    move = MOVES.get(callback_data.action)
    if move is None:
        raise DomainError("booking_not_found")
    booking = await move(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    await effects.moved(ctx.session, booking, ctx.person_id, now=ctx.now)
    text, keyboard = await effects.loan_view(ctx.session, booking)
    await query.answer(plain(views.done()))
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=keyboard)


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="equipment")
    router.message.register(item_link, PRIVATE,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^equip-\d{1,12}$")))
    router.message.register(request_link, PRIVATE,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^book-\d{1,12}$")))
    router.message.register(equipment_list, Command("equipment"))
    item = EqCb.filter
    router.callback_query.register(book_pressed, item(F.action == "book"), PRIVATE_PRESS)
    router.callback_query.register(add_pressed, item(F.action == "add"), PRIVATE_PRESS)
    router.callback_query.register(retire_pressed, item(F.action == "retire"))
    router.callback_query.register(unknown_item_press, item())
    router.callback_query.register(loan_pressed, LoanCb.filter())
    step = EqWizCb.filter
    router.callback_query.register(item_chosen, step(F.action == "item"), BookForm.item)
    router.callback_query.register(book_confirmed, step(F.action == "book"), BookForm.confirm)
    router.callback_query.register(holder_chosen, step(F.action == "holder"), AddForm.holder)
    for state, field, value in ((AddForm.conditions, "conditions", ""),
                                (AddForm.deposit, "deposit", None), (AddForm.fee, "fee", None)):
        router.callback_query.register(_skip(field, value), step(F.action == "skip"), state)
    router.callback_query.register(item_saved, step(F.action == "save"), AddForm.confirm)
    for wizard, last in ((BOOK, False), (ADD, True)):
        wizard.register(router, back=step(F.action == "back"), cancel=step(F.action == "cancel"),
                        any_button=step(), last=last)
    return router

