"""Who someone is in a chat decides which commands /help and the command menus offer them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import alliances
from bot.services.alliances import Place


@dataclass(frozen=True, slots=True)
class Audience:
    private: bool
    in_alliance: bool  # has a role in this chat's alliance, or (in private) in any alliance
    coordinator: bool  # coordinates this chat's alliance, or (in private) any alliance
    chat_set_up: bool  # the group is attached to an alliance
    home_chat: bool
    forum: bool
    coordinates_any: bool


async def audience(session: AsyncSession, person_id: int | None, place: Place | None,
                   *, private: bool) -> Audience:
    memberships = await alliances.roles_of(session, person_id) if person_id else []
    coordinates_any = any(role == "coordinator" for _, role in memberships)
    if private or place is None or place.alliance is None:
        in_alliance = bool(memberships) if private else False
        coordinator = coordinates_any if private else False
    else:
        mine = [role for alliance_id, role in memberships if alliance_id == place.alliance.id]
        in_alliance = bool(mine)
        coordinator = bool(mine) and mine[0] == "coordinator"
    return Audience(
        private=private,
        in_alliance=in_alliance,
        coordinator=coordinator,
        chat_set_up=place is not None and place.alliance is not None,
        home_chat=place is not None and place.chat.role == "home",
        forum=place is not None and place.chat.is_forum,
        coordinates_any=coordinates_any,
    )
