"""What every membership text is built from: the card's field labels, "Label: value" lines,
bold text, callback buttons and a person's label; and the words for an answer refused by
``bot.services.membership.fields`` (the questionnaire, the profile and a coordinator's reason
all validate there).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot.i18n import gettext as _
from bot.i18n import lazy_gettext as __
from bot.views import errors
from bot.views.common import person_name
from bot.views.html import bold, esc
from bot.views.text import parenthesized
from storage.models import Person

FIELD_LABELS = {
    "name": __("Business name"),
    "category": __("Category"),
    "region": __("Region / city"),
    "services": __("Services"),
    "contact": __("Contact"),
}


def field_line(label: object, value_html: str) -> str:
    """"Label: value", with the colon each language uses."""
    return _("{label}: {value}").format(label=bold(label), value=value_html)



def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def applicant_label(person: Person | None) -> str:
    if person is None:
        return "—"
    if person.forgotten_at is not None:
        return esc(person_name(None))
    name = " ".join(p for p in (person.first_name, person.last_name) if p) or str(person.id)
    if person.username:
        return parenthesized(f"@{esc(person.username)}", after=esc(name))
    return esc(name)


# -- errors -----------------------------------------------------------------------------------


def error_messages() -> errors.Messages:
    """Refused answers in words: the codes of ``bot.services.membership.fields``
    (looked up by ``bot.views.errors``)."""
    return {
        "answer_empty": lambda p: _("This answer cannot be empty. Please try again."),
        "answer_too_long": lambda p: _(
            "This answer is {length} characters long; the limit is {limit}. Please shorten it."
        ).format(length=p["length"], limit=p["limit"]),
        "bad_phone": lambda p: _(
            "That phone number is not valid. Please check it and send it again, with the "
            "country code if it is from abroad (e.g. +886 2 2345 6789)."),
        "phone_needs_country": lambda p: _(
            "Please start the phone number with + and the country code, e.g. +886 912 345 678."),
        "bad_email": lambda p: _("That e-mail address is not valid. Please check it."),
        "bad_contact": lambda p: _(
            "Please send a phone number, an e-mail address or a website address."),
        "text_please": lambda p: _("Please answer with text."),
    }
