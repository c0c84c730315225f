"""`alliance-bot run` as its users run it: a process of its own, its config file, the real clock.

The emulator stays in the test's process (the simulated people press and type there); the bot
talks to it over HTTP exactly as it talks to Telegram. Nothing here can move the bot's clock or
reach into its memory: what the bot schedules must ring by itself, and what it promised to keep
must survive a SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.emulator import Emulator
from storage.db import create_engine, session_factory
from tests.e2e.harness import TOKEN

ROOT = Path(__file__).resolve().parents[2]
START_WITHIN = 60.0  # seconds from spawn to the first getUpdates, on a loaded CI machine


PUBLIC_URL = "https://alliance-bot.example.org"  # what replicas register with setWebhook
WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "replica-secret"


def write_config(path: Path, *, api_base: str, database_url: str, locale: str = "en",
                 timezone: str = "Asia/Taipei", webhook_port: int | None = None,
                 leader_retry: float | None = None, fsm: dict[str, str] | None = None) -> Path:
    """The bot's config file; with ``webhook_port``, a webhook replica listening on that port
    behind ``PUBLIC_URL`` (the emulator's ``webhook.targets`` plays the load balancer)."""
    text = f"""
[telegram]
token = "{TOKEN}"
api_base = "{api_base}"
mode = "{'polling' if webhook_port is None else 'webhook'}"

[database]
url = "{database_url}"

[defaults]
locale = "{locale}"
timezone = "{timezone}"
"""
    if webhook_port is not None:
        text += f"""
[webhook]
base_url = "{PUBLIC_URL}"
path = "{WEBHOOK_PATH}"
listen_host = "127.0.0.1"
listen_port = {webhook_port}
secret_token = "{WEBHOOK_SECRET}"
"""
    if leader_retry is not None:
        text += f"""
[scheduler]
leader_retry_seconds = {leader_retry}
leader_heartbeat_seconds = {leader_retry}
"""
    if fsm:
        text += "\n[fsm]\n" + "".join(f'{key} = "{value}"\n' for key, value in fsm.items())
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(condition: Callable[[], bool], *, within: float, what: str,
                every: float = 0.05) -> None:
    """Wait on the real clock for ``condition``; fail naming ``what`` if it never comes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within:.0f}s: {what}")
        await asyncio.sleep(every)


async def outbox_recorded(seconds: float = 1.0) -> None:
    """Let the outbox record the outcome of what the emulator has already shown. Telegram has
    no idempotency key: a message sent but not yet recorded as sent when the process dies is
    sent again after the restart (at least once, by design, see ``bot.services.outgoing``).
    A test that kills the bot to prove that nothing recorded is sent twice waits for the record
    first (it follows the send by milliseconds)."""
    await asyncio.sleep(seconds)


@asynccontextmanager
async def stored(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on the bot's database while the bot is stopped (it owns a SQLite file)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


@dataclass
class BotProcess:
    """One `alliance-bot run --config …` at a time; start again after a kill or a stop."""

    emulator: Emulator
    config: Path
    log: Path
    starts: int = 0
    _process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    async def start(self, *, wait: bool = True) -> None:
        """Spawn the process; with ``wait``, return once it polls for updates (a webhook
        replica: once it listens and has set the webhook)."""
        assert self._process is None, "already running"
        polls_before = len(self.emulator.calls_to("getUpdates"))
        logged_before = len(self.output())
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("ALLIANCE_")}  # the config file is the whole truth
        env["PYTHONPATH"] = str(ROOT)
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts + 1} ---\n".encode())
            log.flush()
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        self.starts += 1
        if not wait:
            return
        await until(lambda: len(self.emulator.calls_to("getUpdates")) > polls_before
                    or "webhook listening on" in self.output()[logged_before:]
                    or self.exited, within=START_WITHIN, what="the bot's first getUpdates",
                    every=0.1)
        assert not self.exited, f"the bot exited at start:\n{self.output()[-3000:]}"

    @property
    def exited(self) -> bool:
        return self._process is not None and self._process.returncode is not None

    async def kill_if_running(self) -> None:
        if self._process is not None:
            await self.kill()

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, whatever was in memory is gone."""
        process = self._take()
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it: a graceful stop. Returns the exit code."""
        process = self._take()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(60):
                return await process.wait()
        except TimeoutError:
            process.kill()
            raise AssertionError("the bot did not stop within 60 s of SIGTERM") from None

    def _take(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "not running"
        process, self._process = self._process, None
        return process

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def leads(self) -> bool:
        """Whether this process's scheduler leads (its last word on it, since its last start)."""
        run = self.output().rsplit("--- start ", 1)[-1]
        gained, lost = run.rfind("scheduler: this replica leads"), run.rfind("scheduler: lost")
        return gained > lost

    def problems(self) -> list[str]:
        """Lines of the log no healthy run writes: tracebacks, errors, handler failures."""
        return [line for line in self.output().splitlines()
                if "Traceback" in line or " ERROR " in line or " CRITICAL " in line]
