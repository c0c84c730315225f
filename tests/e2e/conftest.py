"""``harness`` gives each test an emulator, a world of simulated people and the real bot running;
``fast`` the same without Telegram's flood limits, for tests that send hundreds of messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.emulator import FloodLimits
from tests.e2e.harness import Harness, make_harness, spec_violations


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_handler_failures: the test makes a handler fail")
    config.addinivalue_line("markers", "no_autostart: the test starts the bot itself")


@asynccontextmanager
async def _running(request: pytest.FixtureRequest, tmp_path: Path,
                   flood: FloodLimits | None = None) -> AsyncIterator[Harness]:
    harness = await make_harness(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", flood=flood)
    try:
        if request.node.get_closest_marker("no_autostart") is None:
            await harness.start_bot()
        yield harness
        await harness.world.settle()
        violations = spec_violations(harness.emulator.calls)
        assert not violations, f"the bot sent requests the Bot API refuses: {violations}"
        assert not harness.emulator.internal_errors, harness.emulator.internal_errors
        if request.node.get_closest_marker("allow_handler_failures") is None:
            assert not harness.failures, f"handlers failed: {harness.failures}"
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()


@pytest.fixture
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with _running(request, tmp_path) as running:
        yield running


@pytest.fixture
async def fast(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """The harness without flood limits: hundreds of answers in a few seconds."""
    async with _running(request, tmp_path, FloodLimits.off()) as running:
        yield running


@asynccontextmanager
async def _on_database(database_url: str) -> AsyncIterator[Harness]:
    harness = await make_harness(database_url)
    try:
        await harness.start_bot()
        yield harness
        await harness.world.settle()
        assert not spec_violations(harness.emulator.calls)
        assert not harness.failures, harness.failures
    finally:
        await harness.stop_bot()
        await harness.emulator.stop()


@pytest.fixture
async def any_db(database_url: str) -> AsyncIterator[Harness]:
    """The harness on SQLite and, when one is configured, on PostgreSQL (``database_url``
    gives each test a schema of its own there)."""
    async with _on_database(database_url) as running:
        yield running


@pytest.fixture
async def on_postgresql(database_url: str) -> AsyncIterator[Harness]:
    """The harness on PostgreSQL only, for a test whose SQLite run the ``harness`` fixture
    already covers."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: the harness fixture covers it")
    async with _on_database(database_url) as running:
        yield running
