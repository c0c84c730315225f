"""The models and the migrations must describe the same schema, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_unpooled_engine
from storage.migrate import head_revision, upgrade
from storage.models import Base


async def test_fresh_database_reaches_head_and_matches_models(database_url: str) -> None:
    before, after = await upgrade(database_url)
    assert before is None
    assert after == head_revision()
    engine = create_unpooled_engine(database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(
                sync, opts={"compare_type": True}), Base.metadata))
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
    assert set(Base.metadata.tables) <= tables


async def test_upgrade_is_idempotent(database_url: str) -> None:
    await upgrade(database_url)
    before, after = await upgrade(database_url)
    assert before == after == head_revision()
