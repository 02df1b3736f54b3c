"""Alembic environment: the schema comes from these migrations only, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import context

import approval.models  # noqa: F401  (registers every table on the metadata)
from approval.config import Settings
from approval.db import Base, UTCDateTime, make_engine

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # UTCDateTime only converts in Python: the column is a plain timezone-aware timestamp.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # Indexes and columns a migration builds on one backend only, which the models do not declare (PostgreSQL's
    # text search: approval.models.hub): not a difference between the models and the database.
    if not reflected:
        return True
    if type_ == "index":
        return name not in target_metadata.info.get("backend_only_indexes", ())
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        return f"{table}.{name}" not in target_metadata.info.get("backend_only_columns", ())
    return True


def _run(connection) -> None:  # noqa: ANN001
    sqlite = connection.dialect.name == "sqlite"
    # SQLite runs DDL in a transaction too: one transaction for every migration of the run, so a failure leaves
    # the database as it was.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, render_item=render_item, transactional_ddl=True,
                      include_object=include_object)
    if not sqlite:
        with context.begin_transaction():
            context.run_migrations()
        return
    # A batch migration rebuilds a SQLite table (copy, drop, rename): with foreign keys on, dropping a table that
    # other rows point at fails. SQLite's own procedure for it: keys off (the pragma only works outside a
    # transaction), rebuild, check every key before committing, keys on again once the transaction is over.
    if connection.in_transaction():
        raise RuntimeError("SQLite migrations need a connection outside a transaction (to switch foreign keys off)")
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            before = context.get_context().get_current_revision()
            context.run_migrations()
            if context.get_context().get_current_revision() != before and (
                broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            ):
                raise RuntimeError(f"the migration leaves rows pointing at nothing: {broken[:5]}")
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
