"""The models and the migrations must describe the same schema, on both engines."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import create_unpooled_engine
from storage.migrate import alembic_config, files_head, head_revision, upgrade
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


def test_files_name_the_same_head_as_alembic() -> None:
    """`run` skips alembic when the database is at the files' head: it must be alembic's."""
    assert files_head() == head_revision() is not None


async def test_a_database_behind_is_still_migrated(database_url: str) -> None:
    """The shortcut past alembic is taken only at head: one revision behind, it migrates."""
    head = head_revision()
    script = ScriptDirectory.from_config(alembic_config())
    previous = script.get_revision(head).down_revision
    engine = create_unpooled_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync), str(previous)))
    await engine.dispose()
    before, after = await upgrade(database_url)
    assert (before, after) == (previous, head)
