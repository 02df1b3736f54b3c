"""``db.reading_first``: a writing session's first transaction that only reads, so that a long check before a write
(an import's file) holds no write lock on SQLite; its next transaction takes it, and reads what is true then."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from approval.db import WriteWhileReading, make_engine, reading_first
from approval.models import User
from approval.workflow.states import Role

from conftest import Factory


def _write(path: str, statement: str) -> None:
    """A write from a connection of its own that waits a moment at most for the lock."""
    connection = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()


def test_a_writing_session_reads_first_without_the_lock_then_writes_what_is_true_then(databases, tmp_path):
    path = str(tmp_path / "app.db")
    databases.migrate(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        made = Factory(session).user(Role.community_manager, name="Camille")
        session.commit()
        user_id = made.id
    with Session(engine) as session:
        user = session.get(User, user_id)  # the session's first use (a request's user): BEGIN IMMEDIATE
        assert user is not None
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _write(path, "UPDATE users SET name = 'Another'")
        with reading_first(session):
            assert user.name == "Camille"  # read again, in a transaction that takes no write lock
            _write(path, f"UPDATE users SET name = 'Dominique' WHERE id = {user.id}")  # another writer goes on
            with pytest.raises(WriteWhileReading):
                session.execute(text("UPDATE users SET name = 'Never'"))
            with pytest.raises(WriteWhileReading):  # a WITH one of whose statements writes (the notices' on PostgreSQL)
                session.execute(text("WITH gone AS (UPDATE users SET name = 'Never' RETURNING id) SELECT 1 FROM gone"))
        assert user.name == "Dominique"  # what the write transaction reads: the other writer's
        user.name = "Camille"
        session.flush()  # the write transaction holds the lock again
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _write(path, "UPDATE users SET name = 'Another'")
        session.commit()
    engine.dispose()


def test_a_session_holding_changes_is_refused_not_rolled_back_in_silence(databases, tmp_path):
    """``reading_first`` begins by rolling back: changes made before it would be lost without a word."""
    path = str(tmp_path / "app.db")
    databases.migrate(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        Factory(session).user(Role.community_manager, name="Camille")
        session.commit()
        user = session.scalars(select(User)).one()
        user.name = "Changed"
        with pytest.raises(RuntimeError, match="must be called first"):
            with reading_first(session):
                pass
        assert user.name == "Changed"
