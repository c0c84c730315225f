"""The command list: one table feeds /help and Telegram's command menus, so they never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LazyString
from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.services.help import Audience
from bot.views.html import esc


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    description: LazyString
    private: bool
    group: bool
    audience: str  # anyone | outsider | member | coordinator | setup | forum_coordinator


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", __("Start talking to me"), True, False, "anyone"),
    CommandInfo("help", __("What I can do for you here"), True, True, "anyone"),
    CommandInfo("lang", __("Choose your language"), True, True, "anyone"),
    CommandInfo("charter", __("Show the alliance's charter"), True, True, "anyone"),
    CommandInfo("setup", __("Set up this group as an alliance's home, or change its settings"),
                False, True, "setup"),
    CommandInfo("link", __("Link this group to your alliance (coordinators)"),
                False, True, "link"),
    CommandInfo("here", __("Post my cards in this topic (coordinators)"),
                False, True, "forum_coordinator"),
    CommandInfo("timezone", __("Set the alliance's time zone (coordinators)"),
                False, True, "coordinator"),
    CommandInfo("settings", __("All of the alliance's settings, as buttons (coordinators)"),
                True, True, "coordinator"),
    CommandInfo("announce", __("Announce something to every chat of the alliance, optionally "
                               "to every member privately (coordinators)"), True, True,
                "coordinator"),
    # --- membership ---
    CommandInfo("join", __("Apply to join an alliance"), True, True, "outsider"),
    CommandInfo("cancel", __("Stop what you are filling in"), True, False, "anyone"),
    CommandInfo("members", __("Directory of members; add words to search"), True, True, "member"),
    CommandInfo("profile", __("See and edit your business's card"), True, False, "member"),
    CommandInfo("team", __("Colleagues who act for your business"), True, False, "member"),
    CommandInfo("joinlink", __("Invitation link for new members"), True, True, "member"),
    CommandInfo("leave", __("Leave the alliance"), True, False, "member"),
    CommandInfo("forget", __("Erase your personal data (the history stays)"), True, False,
                "anyone"),
    CommandInfo("categories", __("Member categories (coordinators set them)"), True, True, "member"),
    CommandInfo("applications", __("Applications waiting for a decision (coordinators)"),
                True, False, "coordinator"),
    CommandInfo("approval", __("How new members are approved (coordinators)"), True, True,
                "coordinator"),
    CommandInfo("suspend", __("Suspend a member, with a reason (coordinators)"), True, True,
                "coordinator"),
    CommandInfo("reinstate", __("Reinstate a suspended member (coordinators)"), True, True,
                "coordinator"),
    CommandInfo("remove", __("Remove a member; add “ban” to remove from the chats (coordinators)"),
                True, True, "coordinator"),
    CommandInfo("promote", __("Make someone a coordinator (coordinators)"), True, True,
                "coordinator"),
    CommandInfo("demote", __("Step a coordinator down (coordinators)"), True, True, "coordinator"),
    CommandInfo("meeting", __("Call a meeting: a poll on candidate times"), True, True, "member"),
    CommandInfo("meetings", __("Upcoming meetings, open polls and recurring meetings"),
                True, True, "member"),
    CommandInfo("refer", __("Pass a customer to another member"), True, False, "member"),
    CommandInfo("referrals", __("Your open referrals, given and received"), True, False, "member"),
    CommandInfo("ledger", __("Referrals given and received per member"), True, True, "member"),
    CommandInfo("propose", __("Propose something for the alliance to vote on"),
                True, True, "member"),
    CommandInfo("decisions", __("The decision log"), True, True, "member"),
    CommandInfo("proposal", __("A proposal's rules, tallies and timeline: /proposal <number>"),
                True, True, "member"),
    CommandInfo("close", __("Close a vote early (its author or a coordinator)"),
                True, True, "member"),
    # --- shared resources ---
    CommandInfo("request", __("Ask the alliance for equipment, space, expertise or anything else"),
                True, True, "member"),
    CommandInfo("requests", __("Open requests; offer your help"), True, True, "member"),
    CommandInfo("myrequests", __("Your requests, offers, pledges and bookings"), True, False,
                "member"),
    CommandInfo("equipment", __("Shared equipment: book an item, add one"), True, True, "member"),
    CommandInfo("purchase", __("Start a joint purchase: pledges, a minimum, exact shares"),
                True, True, "member"),
    # --- reports ---
    CommandInfo("export", __("Tables as spreadsheets (CSV), sent privately (coordinators)"),
                True, True, "coordinator"),
    CommandInfo("audit", __("What coordinators did, newest first: /audit [per page] "
                            "(coordinators)"), True, True, "coordinator"),
    CommandInfo("stats", __("A chart of referrals, won value, decisions and meetings: /stats "
                            "[month | quarter | year | 2026-10]"), True, True, "member"),
    CommandInfo("scorecard", __("Your business's scorecard as a picture (coordinators: any "
                                "member's)"), True, False, "member"),
)


# Where the group-only commands work, for someone who sends one in private (/setup has its own).
PLACES: dict[str, LazyString] = {
    "link": __("{command} works in the group you want to link to your alliance; a coordinator "
               "sends it there."),
    "here": __("{command} works inside a topic of your alliance's home group; a coordinator "
               "sends it there."),
    "timezone": __("{command} works in your alliance's home group; a coordinator sends it there, "
                   "followed by the zone's name."),
}
NAMES: tuple[str, ...] = tuple(command.name for command in COMMANDS)


def elsewhere(name: str, *, private: bool,
              bot_username: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """Where ``/name`` works, said to someone who sent it where it does not."""
    command = next((c for c in COMMANDS if c.name == name), None)
    if command is not None and not private and not command.group:
        text = _("{command} works in a private chat with me.").format(command=f"/{name}")
        return esc(text), InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=_("Open a private chat with me"), url=f"https://t.me/{bot_username}")]])
    place = PLACES.get(name)
    if place is not None and private:
        return esc(str(place).format(command=f"/{name}")), None
    return esc(_("Send /help to see what I can do for you here.")), None


def applies(command: CommandInfo, who: Audience) -> bool:
    if not (command.private if who.private else command.group):
        return False
    match command.audience:
        case "anyone":
            return True
        case "outsider":  # a member in the group needs no /join; in private, another alliance
            return who.private or not who.in_alliance
        case "member":
            return who.in_alliance
        case "coordinator":
            return who.coordinator
        case "setup":
            return not who.chat_set_up or (who.home_chat and who.coordinator)
        case "link":
            return who.coordinates_any and not who.home_chat
        case "forum_coordinator":
            return who.coordinator and who.home_chat and who.forum
    return False


def help_text(who: Audience) -> str:
    title = _("What I can do for you here")
    lines = [f"<b>{esc(title)}</b>", ""]
    for command in COMMANDS:
        if applies(command, who):
            lines.append(f"/{command.name} — {esc(command.description)}")
    if not who.private and not who.chat_set_up:
        lines += ["", esc(_("This group is not an alliance's home yet. A group admin can send "
                            "/setup to make it one."))]
    if who.private and not who.in_alliance:
        lines += ["", esc(_("You are not in an alliance yet. A member can send you an "
                            "invitation link."))]
    if not who.private and who.in_alliance:
        lines += ["", esc(_("In a private chat with me you can also pass a customer to another "
                            "member with /refer and edit your card with /profile."))]
    if who.coordinator:
        lines += ["", esc(_("You are a coordinator: coordinator commands are shown too."))]
    return "\n".join(lines)


def menu(scope: str) -> list[BotCommand]:
    """Commands for one menu scope: private, group or group_admin; in the current locale."""
    chosen = []
    for command in COMMANDS:
        if scope == "private" and command.private:
            chosen.append(command)
        elif scope == "group" and command.group and command.audience in ("anyone", "outsider"):
            chosen.append(command)
        elif scope == "group_admin" and command.group:
            chosen.append(command)
    return [BotCommand(command=c.name, description=str(c.description)[:256]) for c in chosen]
