"""Alembic, driven from the application: `approval db upgrade`, first-run creation, and the tests."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from approval.config import PROJECT_ROOT
from approval.db import make_engine


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if database_url:
        config.attributes["database_url"] = database_url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class Upgrade(NamedTuple):
    """The database's revision before an upgrade (None: it had no schema) and after it."""

    before: str | None
    after: str | None


def upgrade(database_url: str, revision: str = "head") -> Upgrade:
    create_missing_database(database_url)
    before = current_revision(database_url)
    command.upgrade(alembic_config(database_url), revision)
    return Upgrade(before, current_revision(database_url))


def current_revision(database_url: str) -> str | None:
    """The migration the database is at; None when it has no schema yet."""
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@cache
def head_revision() -> str:
    """The newest migration this version of the code carries (``0030``)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # noqa: S101 - the package carries its migrations
    return head


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def schema_behind(at: str | None) -> str | None:
    """What is wrong with a database at migration ``at`` for this version, in one line, when its schema is older
    than the code's (None when it is at the head, or at a migration this version does not know: a newer version
    migrated it, and its processes are the ones to serve it)."""
    head = head_revision()
    if at == head or (at is not None and at not in known_revisions()):
        return None
    where = "has no tables yet" if at is None else f"is at {at}"
    return f"the database {where}, this version needs {head}: run `approval db upgrade`"


def revision_of(engine: Engine) -> str | None:
    """The migration the database behind ``engine`` is at (None: no schema), read without a write lock (and without
    Alembic's context, whose INFO lines a starting process would print)."""
    from approval.db import reading

    with reading(engine).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


#: PostgreSQL's code for a database that exists already (another process created it first).
DUPLICATE_DATABASE = "42P04"


def create_missing_database(database_url: str) -> bool:
    """On PostgreSQL, create the database the URL names when the server has none of that name, as SQLite creates
    its file; True when it did. Asked of the server's maintenance database (``postgres``): when that cannot be
    reached, nothing is created and the upgrade's own connection says what is wrong. A role without CREATEDB gets
    the server's refusal."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or not url.database or url.database == "postgres":
        return False
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with server.connect() as connection:
            if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}):
                return False
            connection.exec_driver_sql(f"CREATE DATABASE {server.dialect.identifier_preparer.quote(url.database)}")
            return True
    except OperationalError:
        return False
    except ProgrammingError as error:
        if getattr(error.orig, "sqlstate", None) == DUPLICATE_DATABASE:
            return False
        raise
    finally:
        server.dispose()


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
