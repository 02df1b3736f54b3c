"""0042 and 0043 on a database that has notifications: ``approval db upgrade`` from 0041 brings it to the head on both
backends, the notifications written before keep no act (each stands alone), and the indexes are there and valid. On
PostgreSQL 0042 builds its index ``CONCURRENTLY``: notifications are still written while it waits and reads (a plain
``CREATE INDEX`` queued behind an open transaction stopped every INSERT into notifications)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from approval.db import make_engine
from approval.migrate import current_revision, downgrade, head_revision, upgrade

NOTICE = ("INSERT INTO notifications (user_id, kind, at, mail, mail_attempts) "
          "VALUES (1, 'stop_on', CURRENT_TIMESTAMP, 'off', 0)")


def _seed(engine, notices: int = 2) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO markets (id, code, name, timezone, languages, created_at) "
                                "VALUES (1, 'FR', 'France', 'Europe/Paris', '[\"fr\"]', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO users (id, email, name, role, password_hash, active, all_markets, "
                                "created_at) VALUES (1, 'pm@helio.example', 'Pierre', 'project_manager', 'x', "
                                "true, false, CURRENT_TIMESTAMP)"))
        for _ in range(notices):
            connection.execute(text(NOTICE))


def _indexes(engine) -> set[str]:  # noqa: ANN001
    with engine.connect() as connection:
        return {index["name"] for index in inspect(connection).get_indexes("notifications")}


def test_db_upgrade_from_0041_keeps_the_notifications_without_an_act(databases, backend, tmp_path):
    url = databases.new_url(backend)
    upgrade(url, "0041")
    engine = make_engine(url)
    try:
        _seed(engine)
        assert "ix_notifications_unread_post" in _indexes(engine)
        engine.dispose()
        env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}
        done = subprocess.run([sys.executable, "-m", "approval.cli", "db", "upgrade"], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert current_revision(url) == head_revision()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*), count(act_id) FROM notifications")).one() == (2, 0)
        indexes = _indexes(engine)
        assert {"ix_notifications_post_id", "ix_notifications_user_id_act_id"} <= indexes
        assert "ix_notifications_unread_post" not in indexes
        if backend == "postgresql":
            with engine.connect() as connection:
                assert connection.execute(text(
                    "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE c.relname LIKE 'ix_notifications%' AND NOT (i.indisvalid AND i.indisready)")).scalar() == 0
        engine.dispose()
        # Down to 0041 and up again: the rows stay, the indexes are those of each revision.
        downgrade(url, "0041")
        assert {"ix_notifications_unread_post"} <= _indexes(engine)
        assert not {"ix_notifications_post_id", "ix_notifications_user_id_act_id"} & _indexes(engine)
        engine.dispose()
        upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*), count(act_id) FROM notifications")).one() == (2, 0)
    finally:
        engine.dispose()


def test_0042_lets_notifications_be_written_while_its_index_is_built_on_postgresql(databases):
    """A transaction open on notifications (a request telling a change) when the upgrade starts: the index waits for
    it. A plain ``CREATE INDEX`` waiting so queued every later INSERT behind it; ``CONCURRENTLY`` does not."""
    url = databases.new_url("postgresql")
    upgrade(url, "0041")
    engine = make_engine(url)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(url, "0042")
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failed.append(error)

    try:
        _seed(engine, notices=1)
        holding = engine.connect()
        open_ = holding.begin()
        holding.execute(text(NOTICE))  # uncommitted: the upgrade's index waits for it
        upgrading = threading.Thread(target=run)
        upgrading.start()
        try:
            with engine.connect() as watcher:
                for _ in range(200):
                    waiting = watcher.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event IS NOT NULL"
                        " AND query ILIKE 'CREATE INDEX%ix_notifications_post_id%'")).scalar()
                    if waiting:
                        break
                    watcher.rollback()
                    time.sleep(0.05)
                assert waiting, "the upgrade never started building the index"
            with engine.connect() as writer:
                writer.execute(text("SET lock_timeout = '3s'"))
                try:
                    writer.execute(text(NOTICE))
                    writer.commit()
                    written = True
                except OperationalError:  # lock_timeout: queued behind the index's build
                    written = False
        finally:
            open_.commit()
            holding.close()
            upgrading.join(timeout=60)
        assert not failed, failed
        assert written, "an INSERT into notifications waited for the index's build"
        assert current_revision(url) == "0042"
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'ix_notifications_post_id'")).scalar() is True
            assert connection.execute(text("SELECT count(*) FROM notifications")).scalar() == 3
    finally:
        engine.dispose()
