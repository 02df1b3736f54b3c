"""The audit trail is tamper-evident: each row is chained to the previous row of its post, `approval audit verify`
names the first broken link; on PostgreSQL the application's role may append to the trail and nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text

from approval import operations as ops
from approval.migrate import downgrade, upgrade
from approval.models import AuditEntry
from approval.models.audit import link_hash, verify_chain
from approval.workflow.states import Action, Role, State


def _rows(db_session, post):  # noqa: ANN001, ANN202
    return db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)).all()


def _bypass_the_triggers(db_session) -> None:  # noqa: ANN001
    """What a superuser (or someone with the file) can do: the append-only triggers do not stop them."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
    else:
        for name in ("audit_entries_no_update", "audit_entries_no_delete"):
            db_session.execute(text(f"DROP TRIGGER {name}"))


def test_each_row_is_linked_to_the_previous_row_of_its_post(make, db_session):
    post = make.post(State.approved)
    other = make.post(State.in_review)
    rows = _rows(db_session, post)
    assert [row.action for row in rows] == [Action.create, Action.submit, Action.approve]
    previous = None
    for row in rows:
        values = {name: getattr(row, name) for name in ("post_id", "action", "from_state", "to_state", "actor_id",
                                                        "at", "comment", "revision_id", "payload")}
        assert row.chain_hash == link_hash(previous, values)
        previous = row.chain_hash
    assert _rows(db_session, other)[0].chain_hash == link_hash(None, {
        name: getattr(_rows(db_session, other)[0], name) for name in ("post_id", "action", "from_state", "to_state",
                                                                      "actor_id", "at", "comment", "revision_id",
                                                                      "payload")})
    result = verify_chain(db_session)
    assert result.broken is None and result.entries >= 5


def test_a_changed_row_breaks_the_chain_at_that_row(make, db_session):
    post = make.post(State.changes_requested)
    rows = _rows(db_session, post)
    target = rows[2]  # the request for changes, with its comment
    assert verify_chain(db_session).broken is None
    _bypass_the_triggers(db_session)
    db_session.execute(text("UPDATE audit_entries SET comment = 'Fine as it is.' WHERE id = :id"), {"id": target.id})
    broken = verify_chain(db_session).broken
    assert (broken.entry_id, broken.post_id) == (target.id, post.id)


def test_a_row_removed_from_the_middle_breaks_the_chain_at_the_next_one(make, db_session):
    post = make.post(State.approved)
    rows = _rows(db_session, post)
    _bypass_the_triggers(db_session)
    db_session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": rows[1].id})
    assert verify_chain(db_session).broken.entry_id == rows[2].id


def test_rows_removed_from_the_end_of_a_trail_are_found_by_the_posts_state(make, db_session):
    """The chain cannot tell its last rows were removed: the post's state, which only its rows change, can."""
    post = make.post(State.approved)
    rows = _rows(db_session, post)
    assert verify_chain(db_session).broken is None
    _bypass_the_triggers(db_session)
    db_session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": rows[-1].id})  # the approval
    broken = verify_chain(db_session).broken
    assert (broken.entry_id, broken.post_id) == (rows[-2].id, post.id)
    assert "approved" in broken.reason and "in_review" in broken.reason and "end of its trail" in broken.reason
    db_session.execute(text("DELETE FROM audit_entries WHERE post_id = :id"), {"id": post.id})
    broken = verify_chain(db_session).broken
    assert (broken.entry_id, broken.post_id) == (None, post.id) and "whole trail" in broken.reason


def test_the_migration_links_the_trail_and_the_command_reports_ok_then_the_first_broken_link(cli_in_process,
                                                                                             databases):
    """A trail written before 0006 is linked by the migration; `approval audit verify` accepts it, then names the
    first row someone changed behind the triggers' back."""
    cli = cli_in_process  # the commands' output and exit status: no process of their own needed
    databases.migrate(cli.url)
    cli("demo")
    downgrade(cli.url, "0005")
    upgrade(cli.url)
    result = cli("audit", "verify")
    assert result.stdout.startswith("OK: ") and "every link holds" in result.stdout
    assert not result.stdout.startswith("OK: 0 ")

    engine = create_engine(cli.url)
    with engine.begin() as connection:
        first = connection.scalar(text("SELECT min(id) FROM audit_entries"))
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
        connection.execute(text("UPDATE audit_entries SET actor_id = NULL WHERE id = :id"), {"id": first})
    engine.dispose()
    result = cli("audit", "verify", check=False)
    assert result.returncode == 1
    assert f"BROKEN at audit entry {first}" in result.stderr


# The application's role on PostgreSQL -----------------------------------------------------------------------------


def test_the_application_role_may_append_to_the_trail_and_nothing_more(databases):
    url = databases.new_url("postgresql")
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        privileges = {
            (table, privilege): connection.scalar(text("SELECT has_table_privilege('approval_app', :t, :p)"),
                                                  {"t": table, "p": privilege})
            for table in connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
    engine.dispose()
    for (table, privilege), granted in privileges.items():
        if table == "alembic_version":
            assert not granted, (table, privilege)
        elif table in ("audit_entries", "admin_log_entries"):
            assert granted is (privilege in ("SELECT", "INSERT")), (table, privilege)
        else:
            assert granted is (privilege != "TRUNCATE"), (table, privilege)


def test_running_as_the_role_an_audit_row_cannot_be_changed_even_without_the_triggers(databases, make_committed):
    url, post_id = make_committed
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))  # as the owner, for the proof
        connection.execute(text("SET ROLE approval_app"))
        assert connection.scalar(text("SELECT count(*) FROM audit_entries WHERE post_id = :p"), {"p": post_id})
        connection.execute(text("UPDATE posts SET updated_at = updated_at WHERE id = :p"), {"p": post_id})
        for statement in ("UPDATE audit_entries SET comment = 'rewritten'", "DELETE FROM audit_entries",
                          "TRUNCATE audit_entries", "ALTER TABLE audit_entries DROP COLUMN chain_hash"):
            savepoint = connection.begin_nested()
            with pytest.raises(Exception, match="permission denied|must be owner"):
                connection.execute(text(statement))
            savepoint.rollback()
        connection.rollback()
    engine.dispose()


@pytest.fixture()
def make_committed(databases):
    """A committed PostgreSQL database with one post and its trail."""
    from sqlalchemy.orm import Session

    from approval import administration as admin
    from approval import operations as ops
    from approval.db import make_engine

    url = databases.migrated_url("postgresql")
    engine = make_engine(url)
    with Session(engine) as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "x", "helio_fr")
        writer = admin.create_user(session, "w@helio.example", "W", Role.community_manager, "password1",
                                   markets=[market])
        post = ops.create_post(session, writer, account, "Bonjour.")
        session.commit()
        post_id = post.id
    engine.dispose()
    return url, post_id


def test_links_read_under_the_lock_survive_several_rows_and_a_savepoint_rolled_back(make, db_session):
    """``load_post(for_update=True)`` reads the trail's last link with the post's row, and each new row's link is
    kept for the next: a savepoint that wrote a row and rolled back must not leave the next row linked to it."""
    post = make.post(State.draft)
    author = post.created_by
    post = ops.load_post(db_session, author, post.id, for_update=True)
    savepoint = db_session.begin_nested()
    ops.act_on_post(db_session, post, Action.submit, author, expected_version=post.version)
    savepoint.rollback()
    db_session.refresh(post)
    assert post.state is State.draft
    ops.act_on_post(db_session, post, Action.submit, author, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.recall, author, expected_version=post.version)
    db_session.flush()
    assert [row.action for row in _rows(db_session, post)] == [Action.create, Action.submit, Action.recall]
    assert verify_chain(db_session).broken is None


#: Links as the chain wrote them before its payloads of plain values skipped their JSON round trip (a worker's every
#: step): rows written then must verify now. A post's row, after a link "prev", with each payload.
WRITTEN_BEFORE = [
    ({"attempt": 41, "outcome": "published", "url": "outbox:41", "id": "outbox-41", "worker": "w:1",
      "sha256": "ab" * 32}, "4f0a916e39a70a7892e2c6f360466aadd980e6e25a6c6c108f90157b4151836a"),
    ({"reason": "Crise.", "stop_id": 3, "ratio": 0.5, "acknowledged": True, "note": None, "é": "l’équipe"},
     "bd3362e9872c82c867ff1c2b18a6313133eb316f4b3c6678d82e43c9cf481a05"),
    ({"why": [{"id": "x", "params": {"n": 2}}], "reasons": ["A", "B"]},
     "ccf9049d46314f188b5b9d9aed5a0a169a58d09836d943146ba0c27f4e009044"),
    ({2: "two", 10: "ten"}, "62abb65cd7650b739f9a56e2a73890a84811f1456beb9e92b74e06acdca5f8b4"),
    (None, "abb5bc6e73c51b2f519639684eece4c433b51ccdc42f22ceefb89831116aac75"),
]


@pytest.mark.parametrize(("payload", "written"), WRITTEN_BEFORE)
def test_a_link_is_the_one_written_before_whatever_its_payload_holds(payload, written):
    at = datetime(2026, 12, 7, 16, 30, 0, 123456, tzinfo=UTC)
    row = {"post_id": 7, "action": "publish", "from_state": "scheduled", "to_state": "published", "actor_id": None,
           "at": at, "comment": None, "revision_id": 9, "payload": payload}
    assert link_hash("prev", row) == written
