"""/forget in words (PRODUCT.md §2): the confirmation, the answer, and why it must wait."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import gettext as _
from bot.views import errors
from bot.views.html import bold, esc


class ForgetCb(CallbackData, prefix="fg"):
    """Erase (``True``) or keep: the press is the confirmation; nothing else is carried."""

    erase: bool


def error_messages() -> errors.Messages:
    """This feature's DomainError codes in words (looked up by ``bot.views.errors``)."""
    return {
        "forget_last_coordinator": lambda p: esc(_(
            "You are the last coordinator of “{alliance}”: make someone else a coordinator first "
            "(/promote), then send /forget again.").format(alliance=p["alliance"])),
        "forget_referral_in_hand": lambda p: esc(_(
            "You have accepted referral #{id} and it is not closed yet: mark it won or lost first "
            "(/referrals), then send /forget again.").format(id=p["id"])),
        "forget_loan_open": lambda p: esc(_(
            "You have borrowed shared equipment that is not returned yet: return it first "
            "(/myrequests), then send /forget again.")),
        "forget_already": lambda p: esc(_("Your personal data has already been erased.")),
    }


def confirm() -> tuple[str, InlineKeyboardMarkup]:
    text = "\n\n".join((
        bold(_("Erase your personal data?")),
        esc(_("I will erase your name, username and contact, and your answers to the membership "
              "questionnaire, from everything I keep. You will no longer act for any business; a "
              "business nobody else acts for leaves its alliance and loses its contact.")),
        esc(_("The history stays — referrals, votes, pledges, the ledger — attributed to a former "
              "member. This cannot be undone.")),
    ))
    return text, InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("🗑 Erase my data"),
                             callback_data=ForgetCb(erase=True).pack()),
        InlineKeyboardButton(text=_("Keep my data"), callback_data=ForgetCb(erase=False).pack()),
    ]])


def erased(members_left: list[str]) -> str:
    lines = [esc(_("Done: your personal data is erased. The history stays, attributed to a former "
                   "member."))]
    lines += [esc(_("“{business}” has left its alliance: nobody else acts for it.").format(
        business=name)) for name in members_left]
    return "\n".join(lines)


def kept() -> str:
    return esc(_("Nothing was erased."))


def private_only() -> str:
    return esc(_("Please press this in your private chat with me."))
