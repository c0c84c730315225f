"""A local Telegram Bot API emulator for tests, the demo and benchmarks.

The real aiogram ``Bot`` talks to it over HTTP, unchanged::

    emu = Emulator(token="123456:TEST-TOKEN", bot_username="alliance_test_bot")
    await emu.start()
    bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    world = World(emu)
    alice = world.user("Alice", lang="en")
    await alice.dm("/start")
    await world.settle()
"""

from .calls import Call
from .errors import ApiError
from .faults import Fault, Faults
from .flood import FloodLimits
from .server import Emulator, EmulatorBug, SettleTimeout
from .state import AdminRights, BotRights, CallbackAnswer, InviteLink, Topic
from .views import Attachment, Button, ChatMessage, WorldError
from .world import SimChat, SimUser, World

__all__ = [
    "AdminRights",
    "ApiError",
    "Attachment",
    "BotRights",
    "Button",
    "Call",
    "CallbackAnswer",
    "ChatMessage",
    "Emulator",
    "EmulatorBug",
    "Fault",
    "Faults",
    "FloodLimits",
    "InviteLink",
    "SettleTimeout",
    "SimChat",
    "SimUser",
    "Topic",
    "World",
    "WorldError",
]
