"""/refer (the wizard), the receiver's card buttons, /referrals and /ledger (PRODUCT.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.effects import referrals as effects
from bot.effects.referrals import Refer
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.replies import plain, refuse
from bot.runtime.scheduler import Scheduler
from bot.runtime.wizard import TYPED, Data, Deps, Event, Step, Wizard, deliver
from bot.services import alliances, settings
from bot.services import referrals as refs
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
from bot.services.ledger import ledger_for
from bot.services.referrals import Draft
from bot.views import referrals as views
from bot.views.referrals import RefCb, RefWizCb

PRIVATE = F.chat.type == "private"


class Typing(StatesGroup):
    """A referral's receiver or referrer types a reason, a value or a comment."""

    decline_reason = State()
    won_value = State()
    lost_reason = State()
    comment = State()


def _text_field(name: str, limit: int, code: str) -> Callable[[str, Data, Ctx], Data]:
    return lambda text, _data, _ctx: {name: refs.clean_text(text, limit, code)}


def _read_contact(text: str, _data: Data, _ctx: Ctx) -> Data:
    return {"contact": refs.clean_contact(text), "consent": False}


def _read_value(text: str, data: Data, _ctx: Ctx) -> Data:
    amount, currency = refs.parse_money(text, data.get("default_currency", "USD"))
    return {"amount": format(amount, "f"), "currency": currency}


def _fresh(data: Data) -> bool:
    """A referral passed on keeps the customer's details: only the receiver is asked again."""
    return not data.get("pass_from")


async def _send(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    draft = Draft(receiver_id=data.get("receiver_id", 0), customer_name=data.get("customer_name", ""),
                  contact=data.get("contact", ""), consent=bool(data.get("consent")),
                  need=data.get("need", ""), urgency=data.get("urgency", ""),
                  amount=Decimal(data["amount"]) if data.get("amount") else None,
                  currency=data.get("currency") if data.get("amount") else None,
                  passed_from_id=data.get("pass_from"))
    referral = await refs.create(ctx.session, data["alliance_id"], ctx.person_id, draft, ctx.now)
    await state.clear()
    await effects.send_cards(ctx.session, referral, ctx.now)
    await effects.arm(ctx.session, deps["scheduler"], referral)
    text, _keyboard = views.summary(data)
    await deliver(event, f"{text}\n\n{views.sent_to_referrer(referral, data.get('receiver_name', ''))}",
                  None)


WIZARD = Wizard(
    form=Refer,
    steps=[
        Step(Refer.receiver, lambda data, _ctx: views.ask_receiver(data.get("categories", []))),
        Step(Refer.customer_name, lambda data, _ctx: views.ask_customer_name(
            data.get("receiver_name", "")),
             _text_field("customer_name", refs.NAME_LIMIT, "referral_bad_name"), _fresh),
        Step(Refer.contact, lambda _data, _ctx: views.ask_contact(), _read_contact, _fresh),
        Step(Refer.consent, lambda _data, _ctx: views.ask_consent(), applies=_fresh),
        Step(Refer.need, lambda _data, _ctx: views.ask_need(),
             _text_field("need", refs.NEED_LIMIT, "referral_bad_need"), _fresh),
        Step(Refer.urgency, lambda _data, _ctx: views.ask_urgency(), applies=_fresh),
        Step(Refer.value, lambda data, _ctx: views.ask_value(data.get("default_currency", "USD")),
             _read_value, _fresh),
        Step(Refer.confirm, lambda data, _ctx: views.summary(data)),
    ],
    finish=_send, cancelled=views.wizard_cancelled, expired="referral_wizard_gone",
    use_buttons="referral_use_buttons")


# -- /refer -------------------------------------------------------------------------------------

async def refer(message: Message, state: FSMContext, ctx: Ctx) -> None:
    person_id = ctx.person_id
    alliance = await alliances.alliance_in_context(ctx.session, None, person_id, private=True,
                                                   coordinating=False)
    member = await refs.start(ctx.session, alliance.id, person_id)
    categories = await refs.categories(ctx.session, alliance.id, member.id)
    await WIZARD.start(message, state, ctx, {
        "alliance_id": alliance.id, "referrer_id": member.id, "categories": categories,
        "default_currency": settings.read(alliance).currency})


async def refer_in_group(message: Message) -> None:
    await message.reply(views.refer_in_private())


async def receiver_by_name(message: Message, state: FSMContext, ctx: Ctx) -> None:
    data = await state.get_data()
    found = await refs.find_members(ctx.session, data["alliance_id"], message.text or "",
                                    data["referrer_id"])
    if not found:
        raise DomainError("referral_no_match")
    text, keyboard = views.name_matches(found)
    await message.answer(text, reply_markup=keyboard)


async def categories_shown(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await WIZARD.stay(query, state, ctx)


async def category_chosen(query: CallbackQuery, callback_data: RefWizCb, state: FSMContext,
                          ctx: Ctx) -> None:
    data = await state.get_data()
    categories = data.get("categories", [])
    index = number(callback_data.value, digits=2)
    if index is None or not 0 <= index < len(categories):
        raise DomainError("referral_wizard_gone")
    found = await refs.suggest(ctx.session, data["alliance_id"], categories[index],
                               data["referrer_id"], ctx.now, skip=tuple(data.get("skip", ())))
    text, keyboard = views.suggestions(categories[index], found)
    await deliver(query, text, keyboard)


async def receiver_chosen(query: CallbackQuery, callback_data: RefWizCb, state: FSMContext,
                          ctx: Ctx, **deps: Any) -> None:
    data = await state.get_data()
    receiver = await refs.receiver_for(ctx.session, data["alliance_id"], ctx.person_id,
                                       row_id(callback_data.value) or 0)
    if receiver.id in data.get("skip", ()):
        raise DomainError("referral_already_declined_by", name=receiver.name)
    await WIZARD.advance(query, state, ctx, deps, receiver_id=receiver.id,
                         receiver_name=receiver.name)


async def consent_given(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await WIZARD.advance(query, state, ctx, deps, consent=True)


async def urgency_chosen(query: CallbackQuery, callback_data: RefWizCb, state: FSMContext,
                         ctx: Ctx, **deps: Any) -> None:
    if callback_data.value not in refs.URGENCIES:
        raise DomainError("referral_wizard_gone")
    await WIZARD.advance(query, state, ctx, deps, urgency=callback_data.value)


async def value_skipped(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await WIZARD.advance(query, state, ctx, deps, amount=None, currency=None)


async def sent(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
    await WIZARD.advance(query, state, ctx, deps)


async def no_comment(query: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() == Typing.comment.state:
        await state.clear()
    await query.answer()
    if query.message is not None:
        await query.message.edit_reply_markup(reply_markup=None)


# -- the referral's buttons ---------------------------------------------------------------------

MOVES = {"acc": refs.accept, "con": refs.contacted, "cancel": refs.cancel}


async def moved(query: CallbackQuery, callback_data: RefCb, ctx: Ctx, scheduler: Scheduler,
                cards: CardEditor) -> None:
    """Accept, contacted, cancel and a declining reason: one step of the referral's life."""
    rid, action = callback_data.id, callback_data.action
    if action == "dr":
        if callback_data.arg not in views.DECLINE_REASONS:
            raise DomainError("referral_not_found")
        changed = await refs.decline(ctx.session, rid, ctx.person_id,
                                   views.decline_reason_text(callback_data.arg), ctx.now)
    else:
        changed = await MOVES[action](ctx.session, rid, ctx.person_id, ctx.now)
    await effects.after_move(ctx.session, changed, now=ctx.now, cards=cards, plan=scheduler)
    await query.answer(plain(views.toast_accepted() if action == "acc" else views.done()))


async def decline_pressed(query: CallbackQuery, callback_data: RefCb, ctx: Ctx) -> None:
    rid = callback_data.id
    await refs.require_state(ctx.session, rid, ctx.person_id, (refs.SENT,))
    await query.answer()
    if query.message is not None:
        await query.message.edit_reply_markup(reply_markup=views.decline_reasons(rid))


async def card_shown(query: CallbackQuery, callback_data: RefCb, ctx: Ctx) -> None:
    """*Back* from the declining reasons: the receiver's card again (only a receiver's)."""
    await refs.as_receiver(ctx.session, callback_data.id, ctx.person_id)
    if query.message is None:
        await query.answer()
        return
    render = effects.card_renderer(callback_data.id, query.message.chat.id,
                                   query.message.message_id)
    card = await render(ctx.session)
    await query.answer()
    if card is not None:
        await query.message.edit_text(card.text, reply_markup=card.reply_markup)


async def typing_asked(query: CallbackQuery, callback_data: RefCb, state: FSMContext,
                       ctx: Ctx) -> None:
    """Declining with one's own words, won (the value) and lost (the reason) are typed."""
    action = callback_data.action
    wanted = (refs.SENT,) if action == "dro" else refs.IN_HAND
    referral = await refs.require_state(ctx.session, callback_data.id, ctx.person_id, wanted)
    await _ask(query, state, ctx, action, referral.id)


async def rated(query: CallbackQuery, callback_data: RefCb, state: FSMContext, ctx: Ctx) -> None:
    rid = callback_data.id
    stars = number(callback_data.arg, digits=1) or 0
    await refs.rate(ctx.session, rid, ctx.person_id, stars, ctx.now)
    await state.set_state(Typing.comment)
    await state.set_data({"referral_id": rid})
    text, keyboard = views.rated(stars)
    await deliver(query, text, keyboard)


async def rating_asked(query: CallbackQuery, callback_data: RefCb, ctx: Ctx) -> None:
    rid = callback_data.id
    referral = await refs.as_referrer(ctx.session, rid, ctx.person_id)
    if referral.status != refs.WON:
        raise DomainError("referral_not_won")
    await query.answer()
    if query.message is not None:
        await query.message.answer(views.rate_prompt(rid), reply_markup=views.rating_keyboard(rid))


async def passed_on(query: CallbackQuery, callback_data: RefCb, state: FSMContext,
                    ctx: Ctx) -> None:
    passing = await refs.pass_on(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    await _start_pass_on(query, state, ctx, passing)


async def unknown_press(query: CallbackQuery) -> None:
    raise DomainError("referral_not_found")


async def _ask(query: CallbackQuery, state: FSMContext, ctx: Ctx, action: str,
               referral_id: int) -> None:
    await state.set_state({"dro": Typing.decline_reason, "won": Typing.won_value,
                           "lost": Typing.lost_reason}[action])
    await state.set_data({"referral_id": referral_id})
    await query.answer()
    if query.message is None:
        return
    if action == "won":
        currency = await refs.currency_of(ctx.session, referral_id)
        await query.message.answer(views.ask_won_value(currency))
    else:
        await query.message.answer(views.ask_reason())


async def _start_pass_on(query: CallbackQuery, state: FSMContext, ctx: Ctx,
                         passing: refs.PassOn) -> None:
    draft = passing.draft
    await state.clear()
    await state.set_state(Refer.receiver)
    await state.set_data({
        "alliance_id": passing.alliance_id, "referrer_id": passing.referrer_id,
        "categories": passing.categories, "skip": list(passing.skip),
        "pass_from": draft.passed_from_id, "default_currency": passing.currency,
        "customer_name": draft.customer_name, "contact": draft.contact, "consent": True,
        "need": draft.need, "urgency": draft.urgency,
        "amount": format(draft.amount, "f") if draft.amount is not None else None,
        "currency": draft.currency})
    text, keyboard = views.suggestions(passing.category, passing.suggestions)
    await query.answer()
    if query.message is not None:
        await query.message.answer(text, reply_markup=keyboard)


async def typed(message: Message, state: FSMContext, ctx: Ctx, scheduler: Scheduler,
                cards: CardEditor) -> None:
    current = (await state.get_state() or "").split(":", 1)[-1]
    rid = (await state.get_data()).get("referral_id", 0)
    text = message.text or ""
    try:
        person_id = ctx.person_id
        match current:
            case "decline_reason":
                moved = await refs.decline(ctx.session, rid, person_id, text, ctx.now)
            case "lost_reason":
                moved = await refs.lost(ctx.session, rid, person_id, text, ctx.now)
            case "won_value":
                currency = await refs.currency_of(ctx.session, rid)
                amount, code = refs.parse_money(text, currency)
                moved = await refs.won(ctx.session, rid, person_id, amount, code, ctx.now)
            case _:
                await refs.comment(ctx.session, rid, person_id, text, ctx.now)
                await state.clear()
                await message.answer(views.done())
                return
    except DomainError as error:
        if error.code.startswith("referral_is_") or error.code in ("referral_not_yours",
                                                                   "referral_not_found"):
            await state.clear()
        await refuse(message, error)
        return
    await state.clear()
    await effects.after_move(ctx.session, moved, now=ctx.now, cards=cards, plan=scheduler)
    await message.answer(views.done())


async def stop_typing(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.wizard_cancelled())


# -- /referrals and /ledger ---------------------------------------------------------------------

async def my_referrals(message: Message, ctx: Ctx) -> None:
    person_id = ctx.person_id
    alliance = await alliances.alliance_in_context(ctx.session, None, person_id, private=True,
                                                   coordinating=False)
    found = await refs.mine(ctx.session, alliance, person_id, ctx.now)
    text, keyboard = views.my_referrals(found.member, found.items, found.names,
                                        found.alliance.timezone, found.contacts)
    await message.answer(text, reply_markup=keyboard)


async def ledger(message: Message, command: CommandObject, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(
        ctx.session, ctx.place, ctx.speaker_id,
        private=message.chat.type == "private", coordinating=False)
    book = await ledger_for(ctx.session, alliance, command.args, ctx.now)
    await message.answer(views.ledger(book, alliance.name, alliance.timezone,
                                      settings.read(alliance).currency))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="referrals")
    router.message.register(refer, Command("refer"), PRIVATE)
    router.message.register(refer_in_group, Command("refer"))
    router.message.register(stop_typing, Command("cancel"), PRIVATE, StateFilter(Typing))
    router.message.register(receiver_by_name, Refer.receiver, TYPED)
    router.message.register(typed, StateFilter(Typing), TYPED)
    step = RefWizCb.filter
    router.callback_query.register(no_comment, step(F.action == "nocomment"))
    router.callback_query.register(categories_shown, step(F.action == "cats"), Refer.receiver)
    router.callback_query.register(category_chosen, step(F.action == "cat"), Refer.receiver)
    router.callback_query.register(receiver_chosen, step(F.action == "mem"), Refer.receiver)
    router.callback_query.register(consent_given, step(F.action == "consent"), Refer.consent)
    router.callback_query.register(urgency_chosen, step(F.action == "urg"), Refer.urgency)
    router.callback_query.register(value_skipped, step(F.action == "skip"), Refer.value)
    router.callback_query.register(sent, step(F.action == "send"), Refer.confirm)
    WIZARD.register(router, back=step(F.action == "back"), cancel=step(F.action == "cancel"),
                    any_button=step())
    press = RefCb.filter
    router.callback_query.register(moved, press(F.action.in_({"acc", "con", "cancel", "dr"})))
    router.callback_query.register(decline_pressed, press(F.action == "dec"))
    router.callback_query.register(card_shown, press(F.action == "card"))
    router.callback_query.register(typing_asked, press(F.action.in_({"dro", "won", "lost"})))
    router.callback_query.register(rated, press(F.action == "rate"))
    router.callback_query.register(rating_asked, press(F.action == "ratep"))
    router.callback_query.register(passed_on, press(F.action == "pass"))
    router.callback_query.register(unknown_press, press())
    router.message.register(my_referrals, Command("referrals"), PRIVATE)
    router.message.register(ledger, Command("ledger"))
    return router
