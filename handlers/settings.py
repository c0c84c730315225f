"""/settings: the coordinators' menu of every alliance setting (PRODUCT.md §7).

In private; the group's /settings answers with a deep link (``/start settings-<alliance id>``).
A press on a choice applies it at once; a free value is typed in the one-step wizard. Every
press names its alliance and is re-checked by the service: a plain member, or a forged press,
changes nothing.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.effects import referrals as referral_effects
from bot.runtime import me
from bot.runtime.context import Ctx
from bot.runtime.scheduler import Scheduler
from bot.runtime.wizard import Data, Deps, Event, Step, Wizard, deliver
from bot.services import alliances, setting_changes, settings
from bot.services.errors import DomainError
from bot.services.inputs import number, row_id
from bot.views import settings as views
from bot.views.settings import SetCb

PRIVATE = F.chat.type == "private"


class SettingsForm(StatesGroup):
    """A coordinator types a setting's value, a new category or a category's new name."""

    value = State()


def _read(text: str, data: Data, _ctx: Ctx) -> Data:
    if data.get("op") in ("cadd", "cren"):
        return {"value": text}  # the schema checks it when it is saved
    return {"value": settings.parse(data["key"], text)}


async def _save(event: Event, state: FSMContext, ctx: Ctx, deps: Deps) -> None:
    data = await state.get_data()
    key, alliance_id, op = data["key"], data["alliance_id"], data.get("op")
    if op == "cadd":
        alliance = await setting_changes.add_category(ctx.session, alliance_id, ctx.person_id,
                                                      data["value"], ctx.now)
    elif op == "cren":
        alliance = await setting_changes.rename_category(ctx.session, alliance_id, ctx.person_id,
                                                         data["index"], data["tag"], data["value"],
                                                         ctx.now)
    else:
        alliance = await setting_changes.update(ctx.session, alliance_id, ctx.person_id, key,
                                                data["value"], ctx.now)
        _retime(ctx, key, deps["scheduler"])
    await state.clear()
    await deliver(event, *views.page(alliance, key, views.saved(key, settings.current(alliance,
                                                                                       key))))


WIZARD = Wizard(
    form=SettingsForm,
    steps=[Step(SettingsForm.value, lambda data, _ctx: views.ask_value(data), _read)],
    finish=_save, cancelled=views.typing_cancelled, expired="settings_gone",
    use_buttons="settings_use_buttons")


# -- opening the menu ---------------------------------------------------------------------------

async def settings_in_group(message: Message, bot: Bot, ctx: Ctx) -> None:
    if ctx.alliance_id is None:
        raise DomainError("not_home_chat")
    await setting_changes.coordinated(ctx.session, ctx.alliance_id, ctx.person_id)
    text, keyboard = views.go_private(await me.username(bot), ctx.alliance_id)
    await message.reply(text, reply_markup=keyboard)


async def settings_in_private(message: Message, ctx: Ctx) -> None:
    mine = await alliances.coordinated_alliances(ctx.session, ctx.person_id)
    if not mine:
        raise DomainError("coordinators_only")
    if len(mine) > 1:
        text, keyboard = views.pick_alliance(mine)
    else:
        text, keyboard = views.menu(mine[0])
    await message.answer(text, reply_markup=keyboard)


async def settings_link(message: Message, command: CommandObject, ctx: Ctx) -> None:
    """``/start settings-<alliance id>``: the group's /settings sent the coordinator here."""
    alliance_id = row_id((command.args or "").partition("-")[2])
    if alliance_id is None:
        raise DomainError("bad_link")
    alliance = await setting_changes.coordinated(ctx.session, alliance_id, ctx.person_id)
    text, keyboard = views.menu(alliance)
    await message.answer(text, reply_markup=keyboard)


# -- the menu's buttons -------------------------------------------------------------------------

async def _stop_typing(state: FSMContext) -> None:
    """A menu button pressed while a value was asked for: the question is dropped, not
    answered later by whatever the person types next."""
    if WIZARD.step(await state.get_state()) is not None:
        await state.clear()


async def menu_pressed(query: CallbackQuery, callback_data: SetCb, state: FSMContext,
                       ctx: Ctx) -> None:
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    await _stop_typing(state)
    await deliver(query, *views.menu(alliance))


def _key(callback_data: SetCb) -> str:
    if callback_data.key not in settings.MENU:
        raise DomainError("settings_gone")
    return callback_data.key


async def opened(query: CallbackQuery, callback_data: SetCb, state: FSMContext, ctx: Ctx) -> None:
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    await _stop_typing(state)
    await deliver(query, *views.page(alliance, _key(callback_data)))


def _retime(ctx: Ctx, key: str, scheduler: Scheduler) -> None:
    """Referral jobs re-armed for new delays (held notices are re-timed in the update's own
    transaction, whose commit wakes the outbox: ``outgoing.rehold``)."""
    if key in referral_effects.RETIMED_BY:
        referral_effects.retime_after_commit(ctx.session, scheduler)


async def chosen(query: CallbackQuery, callback_data: SetCb, state: FSMContext, ctx: Ctx,
                 scheduler: Scheduler) -> None:
    key = _key(callback_data)
    choices = views.CHOICES.get(key, ())
    index = number(callback_data.v, digits=2)
    if index is None or not 0 <= index < len(choices):
        raise DomainError("settings_gone")
    alliance = await setting_changes.update(ctx.session, callback_data.a, ctx.person_id, key,
                                            choices[index], ctx.now)
    _retime(ctx, key, scheduler)
    await _stop_typing(state)
    await deliver(query, *views.page(alliance, key, views.saved(key, settings.current(alliance,
                                                                                       key))))


async def typing_started(query: CallbackQuery, callback_data: SetCb, state: FSMContext,
                         ctx: Ctx) -> None:
    key = _key(callback_data)
    if key not in views.TYPED:
        raise DomainError("settings_use_buttons")
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    await WIZARD.start(query, state, ctx, {
        "alliance_id": alliance.id, "key": key, "op": "set",
        "shown": views.shown(key, settings.current(alliance, key))})


async def category_add(query: CallbackQuery, callback_data: SetCb, state: FSMContext,
                       ctx: Ctx) -> None:
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    await WIZARD.start(query, state, ctx, {"alliance_id": alliance.id, "key": "categories",
                                           "op": "cadd"})


async def category_rename(query: CallbackQuery, callback_data: SetCb, state: FSMContext,
                          ctx: Ctx) -> None:
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    index, tag, old = settings.category_at(alliance, callback_data.v)
    await WIZARD.start(query, state, ctx, {"alliance_id": alliance.id, "key": "categories",
                                           "op": "cren", "index": index, "tag": tag, "old": old})


async def category_remove(query: CallbackQuery, callback_data: SetCb, state: FSMContext,
                          ctx: Ctx) -> None:
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    index, tag, _old = settings.category_at(alliance, callback_data.v)
    alliance = await setting_changes.remove_category(ctx.session, alliance.id, ctx.person_id, index, tag,
                                              ctx.now)
    await _stop_typing(state)
    await deliver(query, *views.page(alliance, "categories",
                                     views.saved("categories", settings.read(alliance).categories)))


async def typing_back(query: CallbackQuery, callback_data: SetCb, state: FSMContext,
                      ctx: Ctx) -> None:
    """Back from typing: the setting's page again, nothing changed."""
    alliance = await setting_changes.coordinated(ctx.session, callback_data.a, ctx.person_id)
    await state.clear()
    await deliver(query, *views.page(alliance, _key(callback_data)))


async def done(query: CallbackQuery, state: FSMContext) -> None:
    await _stop_typing(state)
    await deliver(query, views.closed(), None)


def setup_router() -> Router:
    """A fresh Router each time: a router can belong to one dispatcher only."""
    router = Router(name="settings")
    router.message.register(settings_link, PRIVATE, CommandStart(
        deep_link=True, magic=F.args.regexp(r"^settings-\d{1,12}$")))
    router.message.register(settings_in_group, Command("settings"), ~PRIVATE)
    router.message.register(settings_in_private, Command("settings"), PRIVATE)
    button = SetCb.filter
    router.callback_query.register(menu_pressed, button(F.op == "menu"))
    router.callback_query.register(opened, button(F.op == "open"))
    router.callback_query.register(chosen, button(F.op == "set"))
    router.callback_query.register(typing_started, button(F.op == "type"))
    router.callback_query.register(category_add, button(F.op == "cadd"))
    router.callback_query.register(category_rename, button(F.op == "cren"))
    router.callback_query.register(category_remove, button(F.op == "cdel"))
    router.callback_query.register(typing_back, button(F.op == "back"), SettingsForm.value)
    router.callback_query.register(done, button(F.op == "done"))
    WIZARD.register(router, back=button(F.op == "back"), cancel=button(F.op == "cancel"),
                    any_button=button())
    return router
