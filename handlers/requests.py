"""/request (the wizard), *I can offer* (the offer's note), Accept and Close, /requests and
/myrequests (PRODUCT.md §4).

Both wizards run in private chat: /request in a group answers with a deep link
(``?start=request-<alliance id>``), and the card's *I can offer* is a deep link
(``?start=offer-<request id>``) because a button in a group cannot start a private dialogue.
Choosing a joint purchase ends this wizard with a button (``jp:new:<alliance id>``) that the
purchases feature answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.effects import requests as effects
from bot.i18n import zone
from bot.runtime import me
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.replies import plain
from bot.runtime.scheduler import Scheduler
from bot.runtime.wizard import Data, Deps, Event, Prompt, Step, Wizard, deliver
from bot.services import alliances, members, resources
from bot.services import requests as asks
from bot.services.errors import DomainError
from bot.services.inputs import row_id
from bot.services.requests import RequestDraft
from bot.views import requests as views
from bot.views.requests import ReqCb, ReqListCb, ReqWizCb

PRIVATE = F.chat.type == "private"


class RequestForm(StatesGroup):
    kind = State()
    title = State()
    details = State()
    quantity = State()
    needed_by = State()
    linked = State()
    review = State()


class OfferForm(StatesGroup):
    note = State()


def _read_title(text: str, _data: Data, _ctx: Ctx) -> Data:
    return {"title": asks.clean_title(text)}


def _read_details(text: str, _data: Data, _ctx: Ctx) -> Data:
    return {"details": asks.clean_details(text)}


def _read_quantity(text: str, _data: Data, _ctx: Ctx) -> Data:
    quantity, unit = asks.parse_amount(text)
    return {"quantity": quantity, "unit": unit}


def _read_needed_by(text: str, data: Data, ctx: Ctx) -> Data:
    moment = asks.parse_needed_by(text, now=ctx.now, zone=zone(data["timezone"]))
    return {"needed_by": moment.isoformat()}


def _step(data: Data, at: State) -> views.StepNo:
    """``at``'s number among the steps these answers go through, and how many there are (the
    linked-chats step only when the alliance has linked chats)."""
    shown = [step.state for step in REQUEST.steps if step.applies(data)]
    return (shown.index(at) + 1 if at in shown else 1), len(shown)


def _ask_linked(data: Data, _ctx: Ctx) -> Prompt:
    return views.ask_request_linked(data["linked_chats"], bool(data.get("linked")),
                                    _step(data, RequestForm.linked))


async def _post(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    """The request is complete: store it, post its card, arm its expiry."""
    data = await state.get_data()
    needed_by = data.get("needed_by")
    draft = RequestDraft(kind=data["kind"], title=data["title"], details=data.get("details", ""),
                         quantity=data.get("quantity"), unit=data.get("unit"),
                         needed_by=datetime.fromisoformat(needed_by) if needed_by else None)
    request = await asks.ask(ctx.session, data["alliance_id"], ctx.person_id, draft, ctx.now)
    await state.clear()
    linked = bool(data.get("linked")) and bool(data.get("linked_chats"))
    in_group = await effects.post_card(ctx.session, request, now=ctx.now,
                                       bot_username=await me.username(deps["bot"]), linked=linked)
    effects.arm(ctx.session, deps["scheduler"], request)
    text, keyboard = views.posted(request.id, request.title, in_group, int(in_group and linked))
    await deliver(event, text, keyboard)


async def _offer(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    made = await asks.offer(ctx.session, data["request_id"], ctx.person_id, data.get("note", ""),
                            ctx.now)
    request = await asks.get(ctx.session, made.request_id)
    await state.clear()
    await effects.offered(ctx.session, request, made, now=ctx.now)
    effects.refresh_card(ctx.session, deps["cards"], request.id, await me.username(deps["bot"]))
    await deliver(event, views.offer_sent(request.id, request.title, data["requester"]), None)


REQUEST = Wizard(
    form=RequestForm,
    steps=[
        Step(RequestForm.kind, lambda data, _ctx: views.ask_kind(
            data["alliance_name"], _step(data, RequestForm.kind))),
        Step(RequestForm.title, lambda data, _ctx: views.ask_title(
            data["kind"], _step(data, RequestForm.title)), _read_title),
        Step(RequestForm.details, lambda data, _ctx: views.ask_details(
            _step(data, RequestForm.details)), _read_details),
        Step(RequestForm.quantity, lambda data, _ctx: views.ask_quantity(
            _step(data, RequestForm.quantity)), _read_quantity),
        Step(RequestForm.needed_by, lambda data, _ctx: views.ask_needed_by(
            data["timezone"], _step(data, RequestForm.needed_by)), _read_needed_by),
        Step(RequestForm.linked, _ask_linked, applies=lambda data: bool(data.get("linked_chats"))),
        Step(RequestForm.review, lambda data, _ctx: views.review(
            data, data["timezone"], _step(data, RequestForm.review))),
    ],
    finish=_post, cancelled=views.wizard_cancelled, expired="request_wizard_gone",
    use_buttons="request_use_buttons")

OFFER = Wizard(
    form=OfferForm,
    steps=[Step(OfferForm.note, lambda data, _ctx: views.ask_note(
        data["request_id"], data["title"], data["requester"]),
        lambda text, _data, _ctx: {"note": asks.clean_note(text)})],
    finish=_offer, cancelled=views.wizard_cancelled, expired="request_wizard_gone",
    use_buttons="request_use_buttons")


# -- starting -------------------------------------------------------------------------------------

async def request_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    await asks.may_ask(ctx.session, ctx.alliance_id, ctx.person_id)
    text, keyboard = views.go_private(await me.username(bot), ctx.alliance_id)
    await message.reply(text, reply_markup=keyboard)


async def request_in_private(message: Message, state: FSMContext, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=False)
    await _start_request(message, state, ctx, alliance.id)


async def request_link(message: Message, command: CommandObject, state: FSMContext,
                       ctx: Ctx) -> None:
    """``/start request-<alliance id>``: the group's /request sent the person here."""
    alliance_id = row_id((command.args or "").partition("-")[2])
    if alliance_id is None:
        raise DomainError("bad_link")
    await _start_request(message, state, ctx, alliance_id)


async def _start_request(message: Message, state: FSMContext, ctx: Ctx, alliance_id: int) -> None:
    alliance = await asks.may_ask(ctx.session, alliance_id, ctx.person_id)
    await REQUEST.start(message, state, ctx, {"alliance_id": alliance.id,
                                              "alliance_name": alliance.name,
                                              "timezone": alliance.timezone,
                                              "linked_chats": await asks.linked_titles(
                                                  ctx.session, alliance.id),
                                              "linked": False})


async def offer_link(message: Message, command: CommandObject, state: FSMContext,
                     ctx: Ctx) -> None:
    """``/start offer-<request id>``: the card's *I can offer* sent the person here."""
    request_id = row_id((command.args or "").partition("-")[2])
    if request_id is None:
        raise DomainError("bad_link")
    request, _member = await asks.may_offer(ctx.session, request_id, ctx.person_id)
    names = await members.member_names(ctx.session, {request.requester_id})
    await OFFER.start(message, state, ctx, {"request_id": request.id, "title": request.title,
                                            "requester": names.get(request.requester_id, "?")})


# -- the wizards' buttons ---------------------------------------------------------------------------

async def kind_chosen(query: CallbackQuery, callback_data: ReqWizCb, state: FSMContext, ctx: Ctx,
                      **deps: Any) -> None:
    if callback_data.value not in asks.KINDS or callback_data.value == asks.PURCHASE:
        raise DomainError("request_wizard_gone")
    await REQUEST.advance(query, state, ctx, deps, kind=callback_data.value)


async def purchase_chosen(query: CallbackQuery, state: FSMContext) -> None:
    """A joint purchase has terms of its own: this wizard ends, the purchases feature's begins."""
    alliance_id = (await state.get_data())["alliance_id"]
    await state.clear()
    text, keyboard = views.purchase_elsewhere(alliance_id)
    await deliver(query, text, keyboard)


async def skipped(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    """Details, quantity and the date are optional: Skip clears what an earlier pass set."""
    cleared = {RequestForm.details.state: {"details": ""},
               RequestForm.quantity.state: {"quantity": None, "unit": None},
               RequestForm.needed_by.state: {"needed_by": None}}[await state.get_state() or ""]
    await REQUEST.advance(query, state, ctx, deps, **cleared)


async def linked_chosen(query: CallbackQuery, callback_data: ReqWizCb, state: FSMContext,
                        ctx: Ctx, **deps: Any) -> None:
    """Also in the linked chats? ``1`` yes, ``0`` no (the default)."""
    if callback_data.value not in ("0", "1"):
        raise DomainError("request_wizard_gone")
    await REQUEST.advance(query, state, ctx, deps, linked=callback_data.value == "1")


async def post_pressed(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await REQUEST.advance(query, state, ctx, deps)


async def no_note(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await OFFER.advance(query, state, ctx, deps, note="")


# -- the request's buttons ----------------------------------------------------------------------------

async def accepted(query: CallbackQuery, callback_data: ReqCb, ctx: Ctx, bot: Bot,
                   cards: CardEditor, scheduler: Scheduler) -> None:
    match = await asks.accept_offer(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    await effects.matched(ctx.session, match, now=ctx.now, actor=ctx.person_id)
    effects.refresh_card(ctx.session, cards, match.request.id, await me.username(bot))
    effects.arm(ctx.session, scheduler, match.request)
    await query.answer(plain(views.accepted_toast()))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


async def close_asked(query: CallbackQuery, callback_data: ReqCb, ctx: Ctx) -> None:
    """The card's Close: the choices go to the presser's private chat (not the group's)."""
    request = await asks.may_close(ctx.session, callback_data.id, ctx.person_id)
    if isinstance(query.message, Message) and query.message.chat.type == "private":
        text, keyboard = views.close_options(request.id, request.title)
        await query.answer()
        await query.message.answer(text, reply_markup=keyboard)
        return
    await effects.close_options(ctx.session, request, ctx.person_id, now=ctx.now)
    await query.answer(plain(views.close_options_sent()), show_alert=True)


async def closed(query: CallbackQuery, callback_data: ReqCb, ctx: Ctx, bot: Bot,
                 cards: CardEditor, scheduler: Scheduler) -> None:
    request = await asks.close(ctx.session, callback_data.id, ctx.person_id, ctx.now,
                               fulfilled=callback_data.action == "ful")
    await effects.declined(ctx.session, request, now=ctx.now)
    effects.refresh_card(ctx.session, cards, request.id, await me.username(bot))
    effects.arm(ctx.session, scheduler, request)
    text = views.closed(request.id, request.title, request.status)
    if isinstance(query.message, Message) and query.message.chat.type == "private":
        await deliver(query, text, None)
    else:
        await query.answer(plain(text))


async def unknown_press(query: CallbackQuery) -> None:
    raise DomainError("request_not_found")


# -- /requests and /myrequests ----------------------------------------------------------------------

async def _alliance(ctx: Ctx, private: bool) -> Any:
    return await alliances.alliance_in_context(ctx.session, ctx.place, ctx.speaker_id,
                                               private=private, coordinating=False)


async def requests_list(message: Message, ctx: Ctx) -> None:
    alliance = await _alliance(ctx, message.chat.type == "private")
    found = await asks.open_page(ctx.session, alliance.id)
    text, keyboard = views.page(found, None, alliance.timezone)
    await message.answer(text, reply_markup=keyboard)


async def requests_paged(query: CallbackQuery, callback_data: ReqListCb, ctx: Ctx) -> None:
    message = query.message
    if not isinstance(message, Message):
        raise DomainError("request_wizard_gone")
    alliance = await _alliance(ctx, message.chat.type == "private")
    kind = callback_data.kind or None
    found = await asks.open_page(ctx.session, alliance.id, kind=kind, number=callback_data.page)
    text, keyboard = views.page(found, kind, alliance.timezone)
    await query.answer()
    await message.edit_text(text, reply_markup=keyboard)


async def my_requests(message: Message, ctx: Ctx) -> None:
    alliance = await _alliance(ctx, True)
    found = await resources.mine(ctx.session, alliance.id, ctx.person_id)
    await message.answer(views.mine(found, alliance.timezone))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="requests")
    router.message.register(request_link, PRIVATE,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^request-\d{1,12}$")))
    router.message.register(offer_link, PRIVATE,
                            CommandStart(deep_link=True, magic=F.args.regexp(r"^offer-\d{1,12}$")))
    router.message.register(request_in_group, Command("request"), ~PRIVATE)
    router.message.register(request_in_private, Command("request"), PRIVATE)
    router.message.register(requests_list, Command("requests"))
    router.message.register(my_requests, Command("myrequests"), PRIVATE)
    step = ReqWizCb.filter
    router.callback_query.register(purchase_chosen, step((F.action == "kind")
                                                         & (F.value == asks.PURCHASE)),
                                   RequestForm.kind)
    router.callback_query.register(kind_chosen, step(F.action == "kind"), RequestForm.kind)
    router.callback_query.register(skipped, step(F.action == "skip"),
                                   StateFilter(RequestForm.details, RequestForm.quantity,
                                               RequestForm.needed_by))
    router.callback_query.register(linked_chosen, step(F.action == "linked"), RequestForm.linked)
    router.callback_query.register(post_pressed, step(F.action == "post"), RequestForm.review)
    router.callback_query.register(no_note, step(F.action == "nonote"), OfferForm.note)
    for wizard, last in ((REQUEST, False), (OFFER, True)):
        wizard.register(router, back=step(F.action == "back"), cancel=step(F.action == "cancel"),
                        any_button=step(), last=last)
    press = ReqCb.filter
    router.callback_query.register(accepted, press(F.action == "acc"))
    router.callback_query.register(close_asked, press(F.action == "close"))
    router.callback_query.register(closed, press(F.action.in_({"ful", "can"})))
    router.callback_query.register(unknown_press, press())
    router.callback_query.register(requests_paged, ReqListCb.filter())
    return router
