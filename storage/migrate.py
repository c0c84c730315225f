"""Alembic, driven from code so that `run` and `migrate` need no alembic.ini beside them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.db import create_unpooled_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(url: str) -> tuple[str | None, str | None]:
    """Bring the database to head; returns (before, after) revisions."""
    engine = create_unpooled_engine(url)
    try:
        async with engine.begin() as connection:
            before = await connection.run_sync(current_revision)
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(sync), "head")
            )
            after = await connection.run_sync(current_revision)
    finally:
        await engine.dispose()
    return before, after
