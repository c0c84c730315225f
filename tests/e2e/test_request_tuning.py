"""aiogram's per-call response models stay built: rebuilding one costs a whole vote's time."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods.base import Response
from aiogram.types import User

from tests.e2e.harness import Harness


async def test_response_models_outlive_garbage_collection(harness: Harness) -> None:
    assert harness.app is not None
    me = await harness.app.bot.get_me()  # a call whose result is parsed as Response[User]
    assert me.is_bot
    kept = weakref.ref(Response[User])
    gc.collect()
    assert kept() is not None, "Response[User] was dropped and will be rebuilt on the next call"
