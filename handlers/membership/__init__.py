"""Onboarding and membership (PRODUCT.md §2), one module per concern, named as in
``bot.services.membership`` and ``bot.views.membership``: ``joining`` (the ways in, the
questionnaire, the decision, joining's settings), ``directory`` (/members, /profile), ``roster``
(/leave, /suspend, /reinstate, /remove) and ``roles`` (/promote, /demote, /team); ``common``
holds what they share.

One Router for them all, built here from the modules' handlers: aiogram tries handlers in the
order they are registered (the deep links before ``start``'s, /cancel before the forms' steps),
so the order is one list in one place rather than spread over the modules.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import (
    IS_MEMBER,
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandStart,
    StateFilter,
)

from bot.runtime.wizard import TYPED
from bot.views.membership.directory import CardCb, PageCb, ProfileCb
from bot.views.membership.joining import ApplyCb, CategoryCb, DecideCb, ModeCb, SponsorCb
from bot.views.membership.roles import TeamCb
from bot.views.membership.roster import LeaveCb
from handlers.membership.directory import (
    member_card,
    members,
    members_page,
    profile,
    profile_field,
    profile_value,
)
from handlers.membership.joining import (
    QUESTIONNAIRE,
    Apply,
    Edit,
    applications,
    approval,
    approval_chosen,
    cancel,
    categories,
    category_picked,
    charter_accepted,
    decide,
    join_command,
    join_deep_link,
    join_request,
    joinlink,
    newcomer,
    no_sponsor,
    not_text,
    own_category_asked,
    reject_reason,
    sponsor_picked,
    sponsor_typed,
    stale_pick,
    submitted,
)
from handlers.membership.roles import demote, promote, team, team_button, team_deep_link
from handlers.membership.roster import leave, leave_chosen, reinstate, remove, suspend

GROUPS = F.chat.type.in_({"group", "supergroup"})
PRIVATE = F.chat.type == "private"
NOT_COMMAND = F.text & ~F.text.startswith("/")


def setup_router() -> Router:
    """A fresh Router each time. Include it before ``start``: it owns the join- and team- deep
    links, which need the FSM context that ``start``'s deep-link registry does not pass on."""
    router = Router(name="membership")
    router.message.register(join_deep_link, CommandStart(deep_link=True, magic=F.args.startswith("join-")),
                            PRIVATE)
    router.message.register(team_deep_link, CommandStart(deep_link=True, magic=F.args.startswith("team-")),
                            PRIVATE)
    router.chat_join_request.register(join_request)
    router.chat_member.register(newcomer, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER), GROUPS)
    # Its own forms, and "nothing to cancel"; the other features cancel their own forms.
    router.message.register(cancel, Command("cancel"), PRIVATE, StateFilter(None, Edit))
    router.message.register(join_command, Command("join"))
    router.message.register(sponsor_typed, Apply.sponsor, TYPED)
    step = ApplyCb.filter
    router.callback_query.register(own_category_asked, step(F.action == "other"),
                                   StateFilter(Apply.category, Apply.category_text))
    router.callback_query.register(category_picked, CategoryCb.filter(),
                                   StateFilter(Apply.category, Apply.category_text))
    router.callback_query.register(sponsor_picked, SponsorCb.filter(), Apply.sponsor)
    router.callback_query.register(no_sponsor, step(F.action == "nosponsor"), Apply.sponsor)
    router.callback_query.register(charter_accepted, step(F.action == "accept"), Apply.charter)
    router.callback_query.register(submitted, step(F.action == "submit"), Apply.confirm)
    QUESTIONNAIRE.register(router, back=step(F.action == "back"), cancel=step(F.action == "cancel"),
                           any_button=step())
    for stale in (CategoryCb, SponsorCb):  # a list from an earlier question, pressed later
        router.callback_query.register(stale_pick, stale.filter())
    router.callback_query.register(decide, DecideCb.filter())
    router.message.register(reject_reason, PRIVATE, Edit.reject_reason, NOT_COMMAND)
    router.message.register(not_text, PRIVATE, Edit.reject_reason, ~F.text)
    router.message.register(applications, Command("applications"), PRIVATE)
    router.message.register(approval, Command("approval"))
    router.callback_query.register(approval_chosen, ModeCb.filter())
    router.message.register(categories, Command("categories"))
    router.message.register(joinlink, Command("joinlink"))
    router.message.register(members, Command("members"))
    router.callback_query.register(members_page, PageCb.filter())
    router.callback_query.register(member_card, CardCb.filter())
    router.message.register(profile, Command("profile"), PRIVATE)
    router.callback_query.register(profile_field, ProfileCb.filter())
    router.message.register(profile_value, PRIVATE, Edit.profile_field, NOT_COMMAND)
    router.message.register(not_text, PRIVATE, Edit.profile_field, ~F.text)
    router.message.register(leave, Command("leave"), PRIVATE)
    router.callback_query.register(leave_chosen, LeaveCb.filter())
    router.message.register(suspend, Command("suspend"))
    router.message.register(reinstate, Command("reinstate"))
    router.message.register(remove, Command("remove"))
    router.message.register(promote, Command("promote"))
    router.message.register(demote, Command("demote"))
    router.message.register(team, Command("team"), PRIVATE)
    router.callback_query.register(team_button, TeamCb.filter())
    return router
