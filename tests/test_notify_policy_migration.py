"""0033 lets the notifications, the preferences and the chat messages hold the kind ``policy_refuses``; its downgrade
removes the rows of that kind and forbids it again. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from approval.db import make_engine
from approval.migrate import downgrade, upgrade

ROWS = {
    "notifications": "INSERT INTO notifications (user_id, kind, at, mail, mail_attempts) "
                     "VALUES (1, :kind, CURRENT_TIMESTAMP, 'immediate', 0)",
    "notification_preferences": "INSERT INTO notification_preferences (user_id, kind, mode) VALUES (1, :kind, 'off')",
    "chat_messages": "INSERT INTO chat_messages (market_id, kind, at, due_at, attempts) "
                     "VALUES (1, :kind, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)",
}


def _seed(engine) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO markets (id, code, name, timezone, languages, created_at) "
                                "VALUES (1, 'FR', 'France', 'Europe/Paris', '[\"fr\"]', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO users (id, email, name, role, password_hash, active, all_markets, "
                                "created_at) VALUES (1, 'pm@helio.example', 'Pierre', 'project_manager', 'x', "
                                "true, false, CURRENT_TIMESTAMP)"))


def _insert(engine, table: str, kind: str) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        connection.execute(text(ROWS[table]), {"kind": kind})


def _count(engine, table: str, kind: str) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.scalar(text(f"SELECT count(*) FROM {table} WHERE kind = :kind"), {"kind": kind})


@pytest.mark.parametrize("table", sorted(ROWS))
def test_0033_admits_the_kind_and_its_downgrade_forbids_it_again(databases, backend, table):
    url = databases.new_url(backend)
    upgrade(url, "0032")
    engine = make_engine(url)
    try:
        _seed(engine)
        with pytest.raises(IntegrityError):
            _insert(engine, table, "policy_refuses")

        upgrade(url, "0033")
        _insert(engine, table, "policy_refuses")
        if table != "notification_preferences":  # one preference per user and kind
            _insert(engine, table, "failed")
        assert _count(engine, table, "policy_refuses") == 1

        engine.dispose()
        downgrade(url, "0032")
        assert _count(engine, table, "policy_refuses") == 0
        if table != "notification_preferences":
            assert _count(engine, table, "failed") == 1  # the other kinds' rows stay
        with pytest.raises(IntegrityError):
            _insert(engine, table, "policy_refuses")
    finally:
        engine.dispose()
