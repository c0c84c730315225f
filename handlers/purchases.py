"""/purchase (the joint-purchase wizard), pledging in private, and the card's buttons (§4).

The wizard runs in private: /purchase there, a deep link from the group (``purchase-<alliance>``),
the /request wizard's "joint purchase" button (``jp:new:<alliance>``), or a passed proposal's
announcement (``buy-<proposal>``, prefilled from the proposal). The card's *Pledge* is a deep
link (``pledge-<purchase>``) to a one-step wizard that asks the quantity; *Change* and
*Withdraw* come with the confirmation. Every press is re-checked by the service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.effects import purchases as effects
from bot.i18n import zone
from bot.runtime import me
from bot.runtime.cards import CardEditor
from bot.runtime.context import Ctx
from bot.runtime.replies import plain
from bot.runtime.wizard import Data, Deps, Event, Prompt, Step, Wizard, deliver
from bot.services import alliances, purchases, settings
from bot.services import requests as asks
from bot.services.errors import DomainError
from bot.services.inputs import row_id
from bot.services.purchases import PurchaseDraft, Tier
from bot.views import purchases as views
from bot.views.purchases import NewPurchaseCb, PurchaseCb, PurchaseWizCb

PRIVATE = F.chat.type == "private"


class PurchaseForm(StatesGroup):
    item = State()
    details = State()
    unit = State()
    pricing = State()
    price = State()
    tiers = State()
    moq = State()
    maximum = State()
    deadline = State()
    linked = State()
    review = State()


class PledgeForm(StatesGroup):
    quantity = State()


# -- reading the answers ---------------------------------------------------------------------------


def _as(clean: Callable[[str], Any], code: str) -> Callable[[str], Any]:
    """A request's cleaner, refusing in the purchase's own words."""
    def read(text: str) -> Any:
        try:
            return clean(text)
        except DomainError as error:
            raise DomainError(code, **error.params) from None
    return read


_item = _as(asks.clean_title, "purchase_bad_item")
_details = _as(asks.clean_details, "purchase_bad_details")
_unit = _as(asks.clean_unit, "purchase_bad_unit")


def _read_unit(text: str, _data: Data, _ctx: Ctx) -> Data:
    unit = _unit(text)
    if not unit:
        raise DomainError("purchase_bad_unit", limit=asks.UNIT_LIMIT)
    return {"unit": unit}


def _read_price(text: str, data: Data, _ctx: Ctx) -> Data:
    price = format(purchases.parse_price(text, data["currency"]), "f")
    if data.get("pricing") == purchases.SPLIT:
        return {"total_price": price, "unit_price": None, "tiers": []}
    return {"unit_price": price, "total_price": None}


def _read_tiers(text: str, data: Data, _ctx: Ctx) -> Data:
    tiers = purchases.parse_tiers(text, data["currency"])
    return {"tiers": [[tier.min_quantity, format(tier.unit_price, "f")] for tier in tiers]}


def _read_moq(text: str, _data: Data, _ctx: Ctx) -> Data:
    return {"moq": asks.parse_quantity(text, "purchase_bad_moq")}


def _read_maximum(text: str, data: Data, _ctx: Ctx) -> Data:
    most = asks.parse_quantity(text, "purchase_bad_maximum")
    if most < data.get("moq", 1):
        raise DomainError("purchase_bad_maximum", moq=data.get("moq", 1))
    return {"maximum": most}


def _check_deadline(moment: datetime, now: datetime) -> str:
    if not now + purchases.MIN_DEADLINE <= moment <= now + purchases.MAX_DEADLINE:
        raise DomainError("purchase_bad_deadline", days=purchases.MAX_DEADLINE.days)
    return moment.isoformat()


def _read_deadline(text: str, data: Data, ctx: Ctx) -> Data:
    try:
        moment = asks.parse_needed_by(text, now=ctx.now, zone=zone(data["timezone"]))
    except DomainError as error:
        if error.code == "request_bad_date":
            raise DomainError("purchase_bad_deadline_text") from None
        raise DomainError("purchase_bad_deadline", days=purchases.MAX_DEADLINE.days) from None
    return {"deadline": _check_deadline(moment, ctx.now)}


def _draft(data: Data) -> PurchaseDraft:
    return PurchaseDraft(
        item=data["item"], details=data.get("details", ""), unit=data["unit"],
        currency=data["currency"], moq=data["moq"], deadline=datetime.fromisoformat(data["deadline"]),
        pricing=data["pricing"], maximum=data.get("maximum"),
        unit_price=Decimal(data["unit_price"]) if data.get("unit_price") else None,
        total_price=Decimal(data["total_price"]) if data.get("total_price") else None,
        tiers=tuple(Tier(q, Decimal(p)) for q, p in data.get("tiers", [])),
        proposal_id=data.get("proposal_id"))


def _step(data: Data, at: State) -> views.StepNo:
    """``at``'s number among the steps these answers go through, and how many there are: a
    purchase started from a proposal begins at the unit (item and details come from it), split
    pricing has no tiers. Numbered so, the steps run 1, 2, 3 … without a gap."""
    skipped = {PurchaseForm.item, PurchaseForm.details} if data.get("proposal_id") else set()
    shown = [step.state for step in WIZARD.steps if step.applies(data) and step.state not in skipped]
    return (shown.index(at) + 1 if at in shown else 1), len(shown)


def _review(data: Data, _ctx: Ctx) -> Prompt:
    return views.review(data, datetime.fromisoformat(data["deadline"]), data["timezone"],
                        _step(data, PurchaseForm.review))


async def _publish(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    """Reviewed: open it (terms checked once more), post the card, arm the settlement."""
    data = await state.get_data()
    purchase = await purchases.open_purchase(ctx.session, data["alliance_id"], ctx.person_id,
                                             _draft(data), ctx.now)
    await state.clear()
    linked = bool(data.get("linked")) and bool(data.get("linked_chats"))
    await effects.opened(ctx.session, purchase, ctx.now, bot=deps["bot"],
                         scheduler=deps["scheduler"], linked=linked)
    await deliver(event, views.published(purchase.id, linked), None)


WIZARD = Wizard(
    form=PurchaseForm,
    steps=[
        Step(PurchaseForm.item, lambda data, _ctx: views.ask_item(
            data["alliance_name"], _step(data, PurchaseForm.item)),
             lambda text, _data, _ctx: {"item": _item(text)}),
        Step(PurchaseForm.details, lambda data, _ctx: views.ask_details(
            _step(data, PurchaseForm.details)),
             lambda text, _data, _ctx: {"details": _details(text)}),
        Step(PurchaseForm.unit, lambda data, _ctx: views.ask_unit(
            data["item"], _step(data, PurchaseForm.unit), data.get("proposal_id")), _read_unit),
        Step(PurchaseForm.pricing, lambda data, _ctx: views.ask_pricing(
            _step(data, PurchaseForm.pricing))),
        Step(PurchaseForm.price, lambda data, _ctx: views.ask_price(
            data["pricing"], data["currency"], data["unit"], _step(data, PurchaseForm.price)),
             _read_price),
        Step(PurchaseForm.tiers, lambda data, _ctx: views.ask_tiers(
            data["currency"], data["unit"], _step(data, PurchaseForm.tiers)),
             _read_tiers, applies=lambda data: data.get("pricing") == purchases.UNIT),
        Step(PurchaseForm.moq, lambda data, _ctx: views.ask_moq(
            data["unit"], _step(data, PurchaseForm.moq)), _read_moq),
        Step(PurchaseForm.maximum, lambda data, _ctx: views.ask_maximum(
            data["unit"], data["moq"], _step(data, PurchaseForm.maximum)), _read_maximum),
        Step(PurchaseForm.deadline, lambda data, _ctx: views.ask_deadline(
            data["timezone"], _step(data, PurchaseForm.deadline)), _read_deadline),
        Step(PurchaseForm.linked, lambda data, _ctx: views.ask_linked(
            data["linked_chats"], bool(data.get("linked")), _step(data, PurchaseForm.linked)),
             applies=lambda data: bool(data.get("linked_chats"))),
        Step(PurchaseForm.review, _review),
    ],
    finish=_publish, cancelled=views.wizard_cancelled, expired="purchase_wizard_gone",
    use_buttons="purchase_use_buttons")


# -- starting the wizard ---------------------------------------------------------------------------


async def _start(event: Event, state: FSMContext, ctx: Ctx, alliance_id: int) -> None:
    alliance = await purchases.may_open(ctx.session, alliance_id, ctx.person_id)
    await WIZARD.start(event, state, ctx, {
        "alliance_id": alliance.id, "alliance_name": alliance.name,
        "timezone": alliance.timezone, "currency": settings.read(alliance).currency,
        "linked_chats": await asks.linked_titles(ctx.session, alliance.id), "linked": False})


async def purchase_in_private(message: Message, state: FSMContext, ctx: Ctx) -> None:
    alliance = await alliances.alliance_in_context(ctx.session, None, ctx.person_id, private=True,
                                                   coordinating=False)
    await _start(message, state, ctx, alliance.id)


async def purchase_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    await purchases.may_open(ctx.session, ctx.alliance_id, ctx.person_id)
    text, keyboard = views.purchase_in_private(await me.username(bot), ctx.alliance_id)
    await message.reply(text, reply_markup=keyboard)


def _link_id(command: CommandObject) -> int:
    found = row_id((command.args or "").partition("-")[2])
    if found is None:
        raise DomainError("bad_link")
    return found


async def purchase_link(message: Message, command: CommandObject, state: FSMContext,
                        ctx: Ctx) -> None:
    """``/start purchase-<alliance id>``: the group's /purchase sent the person here."""
    await _start(message, state, ctx, _link_id(command))


async def new_pressed(query: CallbackQuery, callback_data: NewPurchaseCb, state: FSMContext,
                      ctx: Ctx) -> None:
    """``jp:new:<alliance>``: the /request wizard's "joint purchase" hands over to this one."""
    await purchases.may_open(ctx.session, callback_data.alliance_id, ctx.person_id)
    await query.answer()
    target: Event = query.message.answer if isinstance(query.message, Message) else query
    await _start(target, state, ctx, callback_data.alliance_id)


async def proposal_link(message: Message, command: CommandObject, state: FSMContext,
                        ctx: Ctx) -> None:
    """``/start buy-<proposal id>``: a passed proposal becomes a purchase, its item, details,
    currency and a week's deadline filled in; the wizard asks from the unit on."""
    draft, alliance = await purchases.start_from_proposal(ctx.session, _link_id(command),
                                                          ctx.person_id, ctx.now)
    await WIZARD.start(message, state, ctx, {
        "alliance_id": alliance.id, "alliance_name": alliance.name,
        "timezone": alliance.timezone, "currency": draft.currency, "item": draft.item,
        "details": draft.details, "pricing": draft.pricing, "proposal_id": draft.proposal_id,
        "deadline": draft.deadline.isoformat(),
        "linked_chats": await asks.linked_titles(ctx.session, alliance.id), "linked": False},
        at=PurchaseForm.unit)


# -- the wizard's buttons --------------------------------------------------------------------------


def _skipped(**fields: Any) -> Callable[..., Awaitable[None]]:
    async def skipped(query: CallbackQuery, state: FSMContext, ctx: Ctx, **deps: Any) -> None:
        await WIZARD.advance(query, state, ctx, deps, **fields)

    skipped.__name__ = f"skipped_{'_'.join(fields)}"
    return skipped


async def pricing_chosen(query: CallbackQuery, callback_data: PurchaseWizCb, state: FSMContext,
                         ctx: Ctx, **deps: Any) -> None:
    if callback_data.value not in purchases.PRICINGS:
        raise DomainError("purchase_wizard_gone")
    await WIZARD.advance(query, state, ctx, deps, pricing=callback_data.value)


async def days_chosen(query: CallbackQuery, callback_data: PurchaseWizCb, state: FSMContext,
                      ctx: Ctx, **deps: Any) -> None:
    days = row_id(callback_data.value)
    if days not in views.DEADLINE_DAYS:
        raise DomainError("purchase_wizard_gone")
    deadline = _check_deadline(ctx.now + timedelta(days=days), ctx.now)
    await WIZARD.advance(query, state, ctx, deps, deadline=deadline)


async def linked_chosen(query: CallbackQuery, callback_data: PurchaseWizCb, state: FSMContext,
                        ctx: Ctx, **deps: Any) -> None:
    """Also in the linked chats? ``1`` yes, ``0`` no (the default)."""
    if callback_data.value not in ("0", "1"):
        raise DomainError("purchase_wizard_gone")
    await WIZARD.advance(query, state, ctx, deps, linked=callback_data.value == "1")


async def publish_pressed(query: CallbackQuery, state: FSMContext, ctx: Ctx,
                          **deps: Any) -> None:
    await WIZARD.advance(query, state, ctx, deps)


# -- pledging --------------------------------------------------------------------------------------


async def _ask_pledge(data: Data, ctx: Ctx) -> Prompt:
    pledging = await purchases.may_pledge(ctx.session, data["purchase_id"], ctx.person_id,
                                          ctx.now)
    shown = await purchases.card(ctx.session, pledging.purchase.id)
    return views.ask_pledge(shown, pledging.alliance.timezone, pledging.current)


async def _pledge(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    pledge = await purchases.pledge(ctx.session, data["purchase_id"], ctx.person_id,
                                    data["quantity"], ctx.now)
    await state.clear()
    effects.touch(ctx.session, deps["cards"], pledge.purchase_id,
                  await me.username(deps["bot"]))
    text, keyboard = views.pledged(await purchases.card(ctx.session, pledge.purchase_id),
                                   pledge.member_id)
    await deliver(event, text, keyboard)


PLEDGE = Wizard(
    form=PledgeForm,
    steps=[Step(PledgeForm.quantity, _ask_pledge, lambda text, _data, _ctx: {
        "quantity": asks.parse_quantity(text, "purchase_bad_quantity")})],
    finish=_pledge, cancelled=views.pledge_cancelled, expired="purchase_wizard_gone",
    use_buttons="purchase_use_buttons")


async def pledge_link(message: Message, command: CommandObject, state: FSMContext,
                      ctx: Ctx) -> None:
    """``/start pledge-<purchase id>``: the card's *Pledge* sent the person here."""
    purchase_id = _link_id(command)
    await purchases.may_pledge(ctx.session, purchase_id, ctx.person_id, ctx.now)
    await PLEDGE.start(message, state, ctx, {"purchase_id": purchase_id})


async def change_pressed(query: CallbackQuery, callback_data: PurchaseCb, state: FSMContext,
                         ctx: Ctx) -> None:
    await purchases.may_pledge(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    await query.answer()
    target: Event = query.message.answer if isinstance(query.message, Message) else query
    await PLEDGE.start(target, state, ctx, {"purchase_id": callback_data.id})


async def withdraw_pressed(query: CallbackQuery, callback_data: PurchaseCb, bot: Bot,
                           cards: CardEditor, ctx: Ctx) -> None:
    pledge = await purchases.withdraw(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    purchase = await purchases.get(ctx.session, pledge.purchase_id)
    effects.touch(ctx.session, cards, purchase.id, await me.username(bot))
    await deliver(query, views.withdrawn(purchase.item), None)


# -- the card's buttons ----------------------------------------------------------------------------


async def cancel_asked(query: CallbackQuery, callback_data: PurchaseCb, ctx: Ctx) -> None:
    purchase = await purchases.require_manager(ctx.session, callback_data.id, ctx.person_id)
    if purchase.status != purchases.OPEN:
        raise DomainError(f"purchase_is_{purchase.status}")
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=views.confirm_cancel(purchase.id))


async def kept(query: CallbackQuery, callback_data: PurchaseCb, bot: Bot, cards: CardEditor,
               ctx: Ctx) -> None:
    """"No, keep it": the card shows its own buttons again (re-rendered from the database)."""
    purchase = await purchases.get(ctx.session, callback_data.id)
    effects.touch(ctx.session, cards, purchase.id, await me.username(bot))
    await query.answer(plain(views.kept()))


async def cancel_confirmed(query: CallbackQuery, callback_data: PurchaseCb, bot: Bot,
                           cards: CardEditor, ctx: Ctx) -> None:
    settlement = await purchases.cancel(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    await effects.announce(ctx.session, settlement, ctx.now, cards=cards,
                           bot_username=await me.username(bot))
    await query.answer(plain(views.cancelled_by_you(callback_data.id)))


async def fulfilled(query: CallbackQuery, callback_data: PurchaseCb, bot: Bot, cards: CardEditor,
                    ctx: Ctx) -> None:
    purchase = await purchases.fulfil(ctx.session, callback_data.id, ctx.person_id, ctx.now)
    effects.touch(ctx.session, cards, purchase.id, await me.username(bot))
    await query.answer(plain(views.fulfilled_toast()))
    if isinstance(query.message, Message) and query.message.chat.type == "private":
        # The organiser's list: its button goes, and so does the line asking to press it.
        await query.message.edit_text(views.list_fulfilled(query.message.html_text),
                                      reply_markup=None)


async def unknown_press(query: CallbackQuery) -> None:
    raise DomainError("purchase_not_found")


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="purchases")
    router.message.register(purchase_link, PRIVATE, CommandStart(
        deep_link=True, magic=F.args.regexp(r"^purchase-\d{1,12}$")))
    router.message.register(pledge_link, PRIVATE, CommandStart(
        deep_link=True, magic=F.args.regexp(r"^pledge-\d{1,12}$")))
    router.message.register(proposal_link, PRIVATE, CommandStart(
        deep_link=True, magic=F.args.regexp(r"^buy-\d{1,12}$")))
    router.message.register(purchase_in_private, Command("purchase"), PRIVATE)
    router.message.register(purchase_in_group, Command("purchase"), ~PRIVATE)
    router.callback_query.register(new_pressed, NewPurchaseCb.filter(F.action == "new"))
    step = PurchaseWizCb.filter
    router.callback_query.register(_skipped(details=""), step(F.action == "skip"),
                                   PurchaseForm.details)
    router.callback_query.register(_skipped(tiers=[]), step(F.action == "skip"),
                                   PurchaseForm.tiers)
    router.callback_query.register(_skipped(maximum=None), step(F.action == "skip"),
                                   PurchaseForm.maximum)
    router.callback_query.register(pricing_chosen, step(F.action == "pricing"),
                                   PurchaseForm.pricing)
    router.callback_query.register(days_chosen, step(F.action == "days"), PurchaseForm.deadline)
    router.callback_query.register(linked_chosen, step(F.action == "linked"),
                                   PurchaseForm.linked)
    router.callback_query.register(publish_pressed, step(F.action == "publish"),
                                   PurchaseForm.review)
    for wizard, last in ((WIZARD, False), (PLEDGE, True)):
        wizard.register(router, back=step(F.action == "back"), cancel=step(F.action == "cancel"),
                        any_button=step(), last=last)
    press = PurchaseCb.filter
    router.callback_query.register(change_pressed, press(F.action == "change"))
    router.callback_query.register(withdraw_pressed, press(F.action == "withdraw"))
    router.callback_query.register(cancel_asked, press(F.action == "cancel"))
    router.callback_query.register(kept, press(F.action == "keep"))
    router.callback_query.register(cancel_confirmed, press(F.action == "cancel_yes"))
    router.callback_query.register(fulfilled, press(F.action == "done"))
    router.callback_query.register(unknown_press, press())
    router.callback_query.register(unknown_press, NewPurchaseCb.filter())
    return router
