"""The connection pool on PostgreSQL: a connection that died while idle is replaced before anything uses it, and a
connection in steady use costs no test round trip."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from approval.db import make_engine
from tests.conftest import POSTGRES_ADMIN_URL

BACKEND_PID = text("SELECT pg_backend_pid()")
db_module = sys.modules["approval.db"]  # ``approval.db`` the attribute is the session holder of the same name


@pytest.fixture()
def engine(databases):  # noqa: ANN001, ANN201
    engine = make_engine(databases.new_url("postgresql"), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def kill_pooled_connection(engine) -> int:  # noqa: ANN001
    """End the pool's one connection from the server side, as a database restart would; returns its pid."""
    with engine.connect() as connection:
        pid = connection.scalar(BACKEND_PID)
    server = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.execute(text("SELECT pg_sleep(0.2)"))  # let the backend go
    server.dispose()
    return pid


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine, monkeypatch):
    dead = kill_pooled_connection(engine)
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # it sat idle long enough to be tested
    with engine.connect() as connection:
        assert connection.scalar(BACKEND_PID) != dead


def test_a_connection_in_steady_use_is_not_tested_and_the_pool_recovers_from_a_failure(engine, monkeypatch):
    dead = kill_pooled_connection(engine)
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 3600.0)  # used a moment ago: no test round trip
    with pytest.raises(OperationalError) as failure, engine.connect() as connection:
        connection.scalar(BACKEND_PID)
    assert failure.value.connection_invalidated
    with engine.connect() as connection:
        assert connection.scalar(BACKEND_PID) != dead
