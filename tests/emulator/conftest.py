"""Fixtures: a started emulator, a bare aiogram Bot pointed at it, and a world around it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.emulator import Emulator, FloodLimits, World

from .helpers import TOKEN, USERNAME, make_bot


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    # check_results: every answer is checked against the spec, so aiogram parsing it is no luck
    emulator = Emulator(
        token=TOKEN, bot_username=USERNAME, flood=FloodLimits.off(), check_results=True
    )
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()
    assert not emulator.internal_errors, emulator.internal_errors


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    instance = make_bot(emu)
    try:
        yield instance
    finally:
        await instance.session.close()


@pytest.fixture
def world(emu: Emulator) -> World:
    return World(emu)
