"""Greetings, the language picker, and how a person's name reads once they are forgotten."""

from __future__ import annotations

import phonenumbers
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LOCALES, locale_name
from bot.i18n import gettext as _
from bot.views.callbacks import LangCb
from bot.views.html import esc


def contact_text(contact: str | None) -> str:
    """A stored contact as people read it: a phone number (stored as E.164, +886912345678)
    grouped in the international format (+886 912 345 678); anything else as it is."""
    text = contact or ""
    if text.startswith("+") and text[1:].isdigit():
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return text
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return text


def person_name(name: str | None) -> str:
    """A person's name, or "a former member" (localized) for someone forgotten (``/forget``):
    their history stays, attributed to nobody in particular. Not escaped."""
    return name if name else _("a former member")


def start_text(first_name: str | None, in_alliance: bool) -> str:
    greeting = _("Hello, {name}!").format(name=esc(first_name or ""))
    body = _("I coordinate business alliances: members, referrals, shared resources, votes "
             "and meetings, right here in Telegram.")
    if in_alliance:
        tail = _("Send /help to see what you can do.")
    else:
        tail = _("You are not in an alliance yet. A member can send you an invitation link; "
                 "/help shows what you can do meanwhile.")
    return f"{greeting}\n\n{esc(body)}\n\n{esc(tail)}"


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=("✓ " if locale == current else "") + locale_name(locale),
                             callback_data=LangCb(locale=locale).pack())
        for locale in LOCALES
    ]])


def language_prompt(in_group: bool) -> str:
    text = _("Choose the language I use with you:")
    if in_group:
        text += "\n" + _("(This group sees the alliance's language; coordinators change it "
                         "with /setup.)")
    return esc(text)


def language_chosen(locale: str) -> str:
    return esc(_("Done: I will speak {language} with you.").format(language=locale_name(locale)))



def stale_button() -> str:
    return esc(_("This button is no longer valid. Please start again from a new message."))


def unknown_command() -> str:
    return esc(_("I don't know that command. Send /help to see what I can do for you."))
