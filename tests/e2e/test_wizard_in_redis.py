"""``[fsm] storage = "redis"``: wizards keep their state in the real Redis (aiogram's
RedisStorage), not in ``fsm_states``; a draft survives a restart; /forget erases the drafts held
there too. Each test has a key prefix of its own, deleted afterwards."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from storage.models import FsmRecord, Proposal
from tests.conftest import REDIS_URL, needs_redis
from tests.e2e.decision_stories import alliance, card_in, text_in
from tests.e2e.harness import Harness
from tests.e2e.privacy_stories import CONTACT, NAME, USERNAME, half_filled_wizard, meiling, scan
from tests.e2e.referral_stories import alliance as referral_alliance

pytestmark = [needs_redis, pytest.mark.no_autostart]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


async def start_on_redis(harness: Harness, prefix: str) -> None:
    harness.fsm = {"storage": "redis", "redis_url": REDIS_URL, "key_prefix": prefix}
    await harness.start_bot()


async def drafts(redis: Redis, prefix: str) -> dict[str, str]:
    """Every wizard key under ``prefix`` and its value."""
    found = {}
    async for key in redis.scan_iter(match=f"{prefix}:*"):
        value = await redis.get(key)
        if value is not None:
            found[key] = value
    return found


async def rows_in_database(harness: Harness, model: type) -> int:
    assert harness.app is not None
    async with harness.app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_proposal_wizard_in_redis_goes_on_after_a_restart(
        harness: Harness, redis: Redis, redis_prefix: str) -> None:
    await start_on_redis(harness, redis_prefix)
    lin, _people, group = await alliance(harness, "en", members=1)
    world = harness.world
    await harness.say(lin, lin, "/propose")
    await harness.say(lin, lin, "Night shift rota")
    await harness.say(lin, lin, "Who covers which night.")
    held = await drafts(redis, redis_prefix)
    state_key = f"{redis_prefix}:{harness.app.bot.id}:{lin.id}:{lin.id}:default:state"
    data_key = state_key.removesuffix("state") + "data"
    assert set(held) == {state_key, data_key}, held
    assert json.loads(held[data_key])["draft"]["title"] == "Night shift rota"
    assert 0 < await redis.ttl(state_key) <= 24 * 3600  # a form left half-way expires
    assert await rows_in_database(harness, FsmRecord) == 0

    await harness.restart()  # the draft survives a restart, in Redis
    await lin.press(world.last(lin), text_in("en", "Yes / No / Abstain"))
    await harness.say(lin, lin, "36h")
    await lin.press(world.last(lin), text_in("en", "✅ Publish"))
    assert "Night shift rota" in card_in(harness, group).text
    assert await rows_in_database(harness, Proposal) == 1
    assert await drafts(redis, redis_prefix) == {}, "a finished wizard leaves nothing in Redis"


async def test_forget_erases_the_drafts_held_in_redis(
        harness: Harness, redis: Redis, redis_prefix: str) -> None:
    await start_on_redis(harness, redis_prefix)
    a = await referral_alliance(harness, "en")
    mei = await meiling(a)
    await half_filled_wizard(a, mei)  # her own /refer draft: a customer named after her
    world = harness.world  # Lin's draft quotes her, as the customer's name
    await harness.say(a.lin, a.lin, "/refer")
    await a.lin.press(world.last(a.lin), "tyres")
    await a.lin.press(world.last(a.lin), "Chen Tyres")
    await harness.say(a.lin, a.lin, f"{NAME}'s cousin")
    held = await drafts(redis, redis_prefix)
    assert any(f":{mei.id}:{mei.id}:" in key for key in held)
    assert sum(NAME in value for value in held.values()) == 2

    prompt = await harness.say(mei, mei, "/forget")
    await mei.press(prompt, a.t("🗑 Erase my data"))
    await world.settle()

    held = await drafts(redis, redis_prefix)
    assert not [key for key in held if f":{mei.id}:" in key], held
    readable = [json.dumps(json.loads(value), ensure_ascii=False) if key.endswith(":data")
                else value for key, value in held.items()]
    assert [value for value in readable if any(
        secret in value for secret in (NAME, USERNAME, CONTACT))] == []
    lin_data = [json.loads(value) for key, value in held.items()
                if f":{a.lin.id}:{a.lin.id}:" in key and key.endswith(":data")]
    assert [data["customer_name"] for data in lin_data] == ["—'s cousin"], \
        "Lin's draft stays, scrubbed"
    assert await scan(harness, [NAME, USERNAME, CONTACT]) == []
