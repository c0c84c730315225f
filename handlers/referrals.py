"""/refer (the wizard), the receiver's card buttons, /referrals and /ledger (PRODUCT.md §3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.effects import referrals as effects
from bot.effects.referrals import Refer
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.outbox import OutboxWorker
from bot.runtime.replies import plain, refuse
from bot.runtime.scheduler import Scheduler
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


STEPS = ("receiver", "customer_name", "contact", "consent", "need", "urgency", "value", "confirm")



def _prompt(step: str, data: dict[str, Any], ctx: Ctx) -> tuple[str, InlineKeyboardMarkup]:
    match step:
        case "receiver":
            return views.ask_receiver(data.get("categories", []))
        case "customer_name":
            return views.ask_customer_name(data.get("receiver_name", ""))
        case "contact":
            return views.ask_contact()
        case "consent":
            return views.ask_consent()
        case "need":
            return views.ask_need()
        case "urgency":
            return views.ask_urgency()
        case "value":
            return views.ask_value(data.get("default_currency", "USD"))
    return views.summary(data)


async def _go(step: str, state: FSMContext, ctx: Ctx, event: Message | CallbackQuery) -> None:
    """Move the wizard to ``step`` and show its question (in place for a button press)."""
    await state.set_state(getattr(Refer, step))
    text, keyboard = _prompt(step, await state.get_data(), ctx)
    if isinstance(event, CallbackQuery):
        await event.answer()
        if event.message is not None:
            await event.message.edit_text(text, reply_markup=keyboard)
    else:
        await event.answer(text, reply_markup=keyboard)


async def _next(current: str, state: FSMContext, ctx: Ctx, event: Message | CallbackQuery) -> None:
    data = await state.get_data()
    following = "confirm" if data.get("pass_from") else STEPS[STEPS.index(current) + 1]
    await _go(following, state, ctx, event)


# -- /refer -------------------------------------------------------------------------------------

async def refer(message: Message, state: FSMContext, ctx: Ctx) -> None:
    person_id = ctx.person_id
    alliance = await alliances.alliance_in_context(ctx.session, None, person_id, private=True,
                                                   coordinating=False)
    member = await refs.start(ctx.session, alliance.id, person_id)
    categories = await refs.categories(ctx.session, alliance.id, member.id)
    await state.clear()
    await state.update_data(alliance_id=alliance.id, referrer_id=member.id, categories=categories,
                            default_currency=settings.read(alliance).currency)
    await _go("receiver", state, ctx, message)


async def refer_in_group(message: Message) -> None:
    await message.reply(views.refer_in_private())


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.wizard_cancelled())


async def receiver_by_name(message: Message, state: FSMContext, ctx: Ctx) -> None:
    data = await state.get_data()
    found = await refs.find_members(ctx.session, data["alliance_id"], message.text or "",
                                    data["referrer_id"])
    if not found:
        await refuse(message, DomainError("referral_no_match"))
        return
    text, keyboard = views.name_matches(found)
    await message.answer(text, reply_markup=keyboard)


async def wizard_button(query: CallbackQuery, callback_data: RefWizCb, state: FSMContext,
                        ctx: Ctx, scheduler: Scheduler, cards: CardEditor,
                        outbox: OutboxWorker) -> None:
    current = await state.get_state()
    if callback_data.action == "nocomment":
        if current == Typing.comment.state:
            await state.clear()
        await query.answer()
        if query.message is not None:
            await query.message.edit_reply_markup(reply_markup=None)
        return
    if current not in Refer.__state_names__:
        await refuse(query, DomainError("referral_wizard_gone"))
        return
    step = current.split(":", 1)[1]
    data = await state.get_data()
    try:
        match callback_data.action:
            case "cancel":
                await state.clear()
                await query.answer()
                if query.message is not None:
                    await query.message.edit_text(views.wizard_cancelled())
            case "back":
                if data.get("pass_from") or step == "receiver":
                    await _go("receiver", state, ctx, query)
                else:
                    await _go(STEPS[STEPS.index(step) - 1], state, ctx, query)
            case "cats":
                await _go("receiver", state, ctx, query)
            case "cat":
                categories = data.get("categories", [])
                index = number(callback_data.value, digits=2)
                if index is None or not 0 <= index < len(categories):
                    raise DomainError("referral_wizard_gone")
                found = await refs.suggest(ctx.session, data["alliance_id"], categories[index],
                                           data["referrer_id"], ctx.now,
                                           skip=tuple(data.get("skip", ())))
                text, keyboard = views.suggestions(categories[index], found)
                await query.answer()
                if query.message is not None:
                    await query.message.edit_text(text, reply_markup=keyboard)
            case "mem":
                receiver = await refs.receiver_for(ctx.session, data["alliance_id"],
                                                   ctx.person_id, row_id(callback_data.value) or 0)
                if receiver.id in data.get("skip", ()):
                    raise DomainError("referral_already_declined_by", name=receiver.name)
                await state.update_data(receiver_id=receiver.id, receiver_name=receiver.name)
                await _next("receiver", state, ctx, query)
            case "consent" if step == "consent":
                await state.update_data(consent=True)
                await _next("consent", state, ctx, query)
            case "urg" if step == "urgency" and callback_data.value in refs.URGENCIES:
                await state.update_data(urgency=callback_data.value)
                await _next("urgency", state, ctx, query)
            case "skip" if step == "value":
                await state.update_data(amount=None, currency=None)
                await _next("value", state, ctx, query)
            case "send" if step == "confirm":
                await _send(query, state, ctx, scheduler, cards, outbox)
            case _:
                raise DomainError("referral_wizard_gone")
    except DomainError as error:
        await refuse(query, error)


async def _send(query: CallbackQuery, state: FSMContext, ctx: Ctx, scheduler: Scheduler,
                cards: CardEditor, outbox: OutboxWorker) -> None:
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
    await effects.arm(ctx.session, scheduler, referral)
    effects.wake_after_commit(ctx.session, outbox)
    await query.answer()
    if query.message is not None:
        text, _keyboard = views.summary(data)
        await query.message.edit_text(
            f"{text}\n\n{views.sent_to_referrer(referral, data.get('receiver_name', ''))}")


async def wizard_text(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """A typed answer to the current step: validated by the service, then the next question."""
    current = (await state.get_state() or "").split(":", 1)[-1]
    text = message.text or ""
    data = await state.get_data()
    match current:
        case "customer_name":
            await state.update_data(customer_name=refs.clean_text(
                text, refs.NAME_LIMIT, "referral_bad_name"))
        case "contact":
            await state.update_data(contact=refs.clean_contact(text), consent=False)
        case "need":
            await state.update_data(need=refs.clean_text(text, refs.NEED_LIMIT,
                                                         "referral_bad_need"))
        case "value":
            amount, currency = refs.parse_money(text, data.get("default_currency", "USD"))
            await state.update_data(amount=format(amount, "f"), currency=currency)
        case _:
            await refuse(message, DomainError("referral_use_buttons"))
            return
    await _next(current, state, ctx, message)


# -- the referral's buttons ---------------------------------------------------------------------

async def referral_button(query: CallbackQuery, callback_data: RefCb, state: FSMContext, ctx: Ctx,
                          scheduler: Scheduler, cards: CardEditor, outbox: OutboxWorker) -> None:
    rid, action = callback_data.id, callback_data.action
    person_id = ctx.person_id
    moved = None
    match action:
        case "acc":
            moved = await refs.accept(ctx.session, rid, person_id, ctx.now)
        case "con":
            moved = await refs.contacted(ctx.session, rid, person_id, ctx.now)
        case "cancel":
            moved = await refs.cancel(ctx.session, rid, person_id, ctx.now)
        case "dr" if callback_data.arg in views.DECLINE_REASONS:
            moved = await refs.decline(ctx.session, rid, person_id,
                                       views.decline_reason_text(callback_data.arg), ctx.now)
        case "dec":
            await refs.require_state(ctx.session, rid, person_id, (refs.SENT,))
            await query.answer()
            if query.message is not None:
                await query.message.edit_reply_markup(reply_markup=views.decline_reasons(rid))
            return
        case "card":
            await _show_card(query, ctx, rid)
            return
        case "dro" | "won" | "lost":
            wanted = (refs.SENT,) if action == "dro" else refs.IN_HAND
            referral = await refs.require_state(ctx.session, rid, person_id, wanted)
            await _ask(query, state, ctx, action, referral.id)
            return
        case "rate":
            stars = number(callback_data.arg, digits=1) or 0
            await refs.rate(ctx.session, rid, person_id, stars, ctx.now)
            await state.set_state(Typing.comment)
            await state.set_data({"referral_id": rid})
            text, keyboard = views.rated(stars)
            await query.answer()
            if query.message is not None:
                await query.message.edit_text(text, reply_markup=keyboard)
            return
        case "ratep":
            referral = await refs.as_referrer(ctx.session, rid, person_id)
            if referral.status != refs.WON:
                raise DomainError("referral_not_won")
            await query.answer()
            if query.message is not None:
                await query.message.answer(views.rate_prompt(rid),
                                           reply_markup=views.rating_keyboard(rid))
            return
        case "pass":
            passing = await refs.pass_on(ctx.session, rid, person_id, ctx.now)
            await _start_pass_on(query, state, ctx, passing)
            return
        case _:
            raise DomainError("referral_not_found")
    await effects.after_move(ctx.session, moved, now=ctx.now, cards=cards, plan=scheduler,
                             outbox=outbox)
    if action == "acc":
        await query.answer(plain(views.toast_accepted()))
    else:
        await query.answer(plain(views.done()))


async def _show_card(query: CallbackQuery, ctx: Ctx, referral_id: int) -> None:
    if query.message is None:
        return
    render = effects.card_renderer(referral_id, query.message.chat.id, query.message.message_id)
    card = await render(ctx.session)
    await query.answer()
    if card is not None:
        await query.message.edit_text(card.text, reply_markup=card.reply_markup)


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
                cards: CardEditor, outbox: OutboxWorker) -> None:
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
    await effects.after_move(ctx.session, moved, now=ctx.now, cards=cards, plan=scheduler,
                             outbox=outbox)
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
    await message.answer(views.ledger(book, alliance.name, alliance.timezone))


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="referrals")
    router.message.register(refer, Command("refer"), PRIVATE)
    router.message.register(refer_in_group, Command("refer"))
    router.message.register(cancel, Command("cancel"), PRIVATE, StateFilter(Refer))
    router.message.register(stop_typing, Command("cancel"), PRIVATE, StateFilter(Typing))
    router.message.register(receiver_by_name, StateFilter(Refer.receiver), PRIVATE, F.text,
                            ~F.text.startswith("/"))
    router.message.register(wizard_text, StateFilter(Refer), PRIVATE, F.text,
                            ~F.text.startswith("/"))
    router.message.register(typed, StateFilter(Typing), PRIVATE, F.text, ~F.text.startswith("/"))
    router.callback_query.register(wizard_button, RefWizCb.filter())
    router.callback_query.register(referral_button, RefCb.filter())
    router.message.register(my_referrals, Command("referrals"), PRIVATE)
    router.message.register(ledger, Command("ledger"))
    return router
