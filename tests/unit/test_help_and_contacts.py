"""Group /help for a member: no /join (he is in), and a pointer to what works only in private
(/refer, /profile); an outsider in the group still sees /join; private /help keeps /join (another
alliance). A stored phone number shown grouped (+886 912 345 678) on cards."""

from __future__ import annotations

import pytest

from bot.i18n import use_locale
from bot.services.help import Audience
from bot.views.commands import help_text, menu


def audience(*, private: bool, member: bool, coordinator: bool = False) -> Audience:
    return Audience(private=private, in_alliance=member, coordinator=coordinator,
                    chat_set_up=True, home_chat=True, forum=False, coordinates_any=coordinator)


@pytest.mark.parametrize(("locale", "pointer"), [
    ("en", "/refer"), ("zh_Hans", "私聊"), ("zh_Hant", "私訊")])
def test_group_help_for_a_member_hides_join_and_points_to_private_commands(
        locale: str, pointer: str) -> None:
    with use_locale(locale):
        coordinator = help_text(audience(private=False, member=True, coordinator=True))
        outsider = help_text(audience(private=False, member=False))
        private = help_text(audience(private=True, member=True))
        group_menu = [command.command for command in menu("group")]
    assert "/join —" not in coordinator and "/join —" in outsider and "/join —" in private
    last_lines = coordinator.split("\n\n")
    assert any("/refer" in part and "/profile" in part and pointer in part for part in last_lines)
    assert "/refer" not in outsider and "join" in group_menu


def test_a_stored_phone_is_shown_grouped_in_the_international_format() -> None:
    from bot.views.common import contact_text
    assert contact_text("+886912345678") == "+886 912 345 678"
    assert contact_text("+8613800138000") == "+86 138 0013 8000"
    assert contact_text("chen@tyres.example.com") == "chen@tyres.example.com"
    assert contact_text("https://tyres.example.com") == "https://tyres.example.com"
