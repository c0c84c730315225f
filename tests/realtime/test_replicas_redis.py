"""Two webhook replicas on one PostgreSQL database with ``[fsm] storage = "redis"``: a wizard
started on one replica goes on and is finished on the other, its state in between in Redis (the
real one; nothing in ``fsm_states``), and leaves nothing there once done."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from storage.models import FsmRecord, Proposal
from tests.conftest import REDIS_URL, needs_pg, needs_redis
from tests.e2e.decision_stories import card_in, text_in
from tests.e2e.harness import TOKEN, make_harness
from tests.e2e.referral_stories import alliance
from tests.realtime.process import BotProcess, stored
from tests.realtime.test_replicas import handled_since, start_replicas

pytestmark = [pytest.mark.realtime, needs_pg, needs_redis,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


async def keys(redis: Redis, prefix: str) -> dict[str, str]:
    return {key: await redis.get(key) async for key in redis.scan_iter(match=f"{prefix}:*")}


async def test_a_wizard_goes_from_one_replica_to_the_other_through_redis(
        tmp_path: Path, database_url: str) -> None:
    prefix = f"alliance_t_{uuid.uuid4().hex[:12]}"
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    harness = await make_harness(database_url)
    emulator = harness.emulator
    replicas: list[BotProcess] = []
    try:
        await harness.start_bot()
        small = await alliance(harness, "en")
        await harness.stop_bot()
        replicas = await start_replicas(emulator, tmp_path, database_url, fsm={
            "storage": "redis", "redis_url": REDIS_URL, "key_prefix": prefix})
        lin, world = small.lin, harness.world
        first = emulator.updates._next_id
        await harness.say(lin, lin, "/propose")
        await harness.say(lin, lin, "Buy a tyre changer")
        await harness.say(lin, lin, "Shared, kept at Wang's.")
        held = await keys(redis, prefix)
        assert held.get(f"{prefix}:{TOKEN.split(':')[0]}:{lin.id}:{lin.id}:default:state") \
            == "Proposing:kind", held
        async with stored(database_url) as session:
            assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 0
        await lin.press(world.last(lin), text_in("en", "Yes / No / Abstain"))
        await harness.say(lin, lin, "25h")
        await lin.press(world.last(lin), text_in("en", "✅ Publish"))

        steps = sorted(handled_since(emulator, first).items())
        assert len(steps) >= 6
        assert all(url != following for (_, url), (_, following) in itertools.pairwise(steps)), \
            "the wizard's steps did not alternate between the replicas"
        assert "Buy a tyre changer" in card_in(harness, small.group).text
        async with stored(database_url) as session:
            titles = (await session.scalars(select(Proposal.title))).all()
        assert titles == ["Buy a tyre changer"]
        assert await keys(redis, prefix) == {}, "a finished wizard leaves nothing in Redis"
        for replica in replicas:
            assert await replica.stop() == 0
            assert replica.problems() == [], "\n".join(replica.problems())
    finally:
        for replica in replicas:
            await replica.kill_if_running()
        await harness.stop_bot()
        await emulator.stop()
        async for key in redis.scan_iter(match=f"{prefix}:*"):
            await redis.delete(key)
        await redis.aclose()
