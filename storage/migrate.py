"""Alembic, driven from code so that `run` and `migrate` need no alembic.ini beside them.

alembic (with mako, ~11 MB of a process that lives for months) is imported only when there is
something to migrate: a database already at the head the migration files name is told so by
one read of ``alembic_version``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from storage.db import create_unpooled_engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"""^(down_)?revision\s*(?::[^=\n]*)?=\s*['"]([^'"]+)['"]""", re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def files_head() -> str | None:
    """The head as the migration files name it, read without alembic: the one revision no file
    names as its ``down_revision``. None when that is not one plain string (a merge, a branch):
    then alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for down, revision in _REVISION.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).add(revision)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revision(connection: Connection) -> str | None:
    """``alembic_version``'s one row, read plainly; None without the table (or with branches)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


async def upgrade(url: str) -> tuple[str | None, str | None]:
    """Bring the database to head; returns (before, after) revisions."""
    engine = create_unpooled_engine(url)
    try:
        async with engine.begin() as connection:
            stored = await connection.run_sync(_stored_revision)
            if stored is not None and stored == files_head():
                return stored, stored
            from alembic import command

            before = await connection.run_sync(current_revision)
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(sync), "head")
            )
            after = await connection.run_sync(current_revision)
    finally:
        await engine.dispose()
    return before, after
