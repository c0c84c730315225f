"""Every DomainError code, in words the person can act on.

Features keep their own codes beside their views (``error_messages``), so that adding a
feature does not mean editing one ever-growing table; ``_feature_messages`` names them all.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import gettext as _
from bot.services.errors import DomainError
from bot.views.html import clip, esc


def _messages() -> dict[str, Callable[[dict], str]]:
    return {
        "coordinators_only": lambda p: _("Only the alliance's coordinators can do that."),
        "setup_in_group": lambda p: _(
            "Send /setup in the group that should become the alliance's home, after adding me "
            "there."),
        "setup_needs_chat_admin": lambda p: _(
            "Only an administrator of this group can set it up as an alliance's home."),
        "chat_is_linked": lambda p: _(
            "This group is linked to the alliance “{alliance}”; it cannot be another alliance's "
            "home.").format(alliance=esc(p["alliance"])),
        "unknown_alliance": lambda p: _("That alliance no longer exists."),
        "unknown_locale": lambda p: _("That language is not available."),
        "unknown_person": lambda p: _("Please send me /start in a private chat first."),
        "unknown_timezone": lambda p: _(
            "“{zone}” is not a time zone I know. Use a name like Asia/Taipei, Asia/Shanghai or "
            "Europe/Berlin.").format(zone=clip(p["zone"], 64)) if p.get("zone") else _(
            "Send /timezone followed by the zone's name, e.g. /timezone Europe/Berlin."),
        "not_home_chat": lambda p: _(
            "This is not an alliance's home group. A group admin can make it one with /setup."),
        "here_needs_topic": lambda p: _(
            "Send /here inside the topic where my cards should go (the group must use topics)."),
        "link_in_group": lambda p: _("Send /link in the group you want to link."),
        "already_home": lambda p: _(
            "This group is already the home of “{alliance}”.").format(alliance=esc(p["alliance"])),
        "already_linked": lambda p: _(
            "This group is already linked to “{alliance}”.").format(alliance=esc(p["alliance"])),
        "linked_elsewhere": lambda p: _(
            "This group already belongs to another alliance (“{alliance}”).").format(
                alliance=esc(p["alliance"])),
        "charter_empty": lambda p: _(
            "The charter cannot be empty. Send /charter followed by its text, or reply /charter "
            "to the message that holds it."),
        "charter_too_long": lambda p: _(
            "The charter is {length} characters long; the limit is {limit}. Please shorten it."
        ).format(length=p["length"], limit=p["limit"]),
        "not_in_alliance": lambda p: _(
            "You are not in an alliance yet. Ask a member for an invitation link."),
        "pick_alliance_in_group": lambda p: _(
            "You belong to several alliances: please do this in the alliance's group."),
        "anonymous": lambda p: _(
            "You are writing as the group (anonymous admin), so I cannot tell who you are. "
            "Please send this again as yourself."),
        "bad_link": lambda p: _("This link is not valid or has expired."),
        "members_only": lambda p: _(
            "Only active members of the alliance can do that. New here? Ask a member for an "
            "invitation link."),
        "member_suspended": lambda p: _(
            "Your membership is suspended, so you cannot do that now. A coordinator can "
            "reinstate it."),
    }


Messages = dict[str, Callable[[dict], str]]
def _feature_messages() -> tuple[Callable[[], Messages], ...]:
    """Each feature's own codes: functions, so that each call translates in the current locale.
    Imported here, not at the top: the feature views use ``error_text`` too."""
    from bot.views import (
        announcements,
        decisions,
        equipment,
        meetings,
        privacy,
        purchases,
        referrals,
        reports,
        requests,
        settings,
        stats,
    )
    from bot.views.membership import directory, fields, joining, roles, roster

    return (fields.error_messages, joining.error_messages, directory.error_messages,
            roster.error_messages, roles.error_messages, meetings.error_messages,
            referrals.error_messages, decisions.error_messages, requests.error_messages,
            equipment.error_messages, purchases.error_messages, reports.error_messages,
            privacy.error_messages, settings.error_messages, stats.error_messages,
            announcements.error_messages)


def error_text(error: DomainError) -> str:
    render = _messages().get(error.code)
    for messages in _feature_messages():
        if render is not None:
            break
        render = messages().get(error.code)
    if render is None:
        return _("That did not work. Please try again.")
    return render(error.params)
