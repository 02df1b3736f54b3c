"""The audit trail and the database's own guard rails.

Each action leaves one row telling who did what to which revision, and the rows cannot be changed or removed, not
even with SQL. The posts' check constraints refuse, in the database, states the engine would never write. Every test
runs on SQLite and on PostgreSQL; a refused statement runs in a savepoint so that the test's transaction survives.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from approval import operations as ops
from approval import style
from approval.db import utcnow
from approval.models import AuditEntry, Post
from approval.workflow.states import Action, Role, State


def refused_by_the_database(db_session, sql: str, **params) -> DBAPIError:
    """Runs ``sql`` in a savepoint and returns the database's refusal (the test fails when there is none)."""
    with pytest.raises(DBAPIError) as refusal, db_session.begin_nested():
        db_session.execute(text(sql), params)
    return refusal.value


def trail(db_session, post: Post) -> list[AuditEntry]:
    db_session.expire_all()
    return db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)).all()


# Append-only ---------------------------------------------------------------------------------------------------


def test_an_audit_row_cannot_be_updated(make, db_session):
    post = make.post(State.in_review)
    submitted = trail(db_session, post)[-1]

    refusal = refused_by_the_database(db_session, "UPDATE audit_entries SET comment = 'nothing happened', "
                                                  "to_state = 'approved' WHERE id = :id", id=submitted.id)
    assert "append-only" in str(refusal)
    row = trail(db_session, post)[-1]
    assert (row.id, row.comment, row.to_state) == (submitted.id, None, State.in_review)


def test_an_audit_row_cannot_be_deleted(make, db_session):
    post = make.post(State.in_review)
    before = [row.id for row in trail(db_session, post)]

    refusal = refused_by_the_database(db_session, "DELETE FROM audit_entries WHERE post_id = :post", post=post.id)
    assert "append-only" in str(refusal)
    assert [row.id for row in trail(db_session, post)] == before


#: Overwriting a row by inserting over its id, in each dialect.
UPSERT = {
    "sqlite": "INSERT OR REPLACE INTO audit_entries "
              "(id, post_id, action, from_state, to_state, at, payload, chain_hash) "
              "VALUES (:id, :post, 'create', 'draft', 'draft', '2020-01-01 00:00:00', '{}', '')",
    "postgresql": "INSERT INTO audit_entries (id, post_id, action, from_state, to_state, at, payload, chain_hash) "
                  "VALUES (:id, :post, 'create', 'draft', 'draft', now(), '{}', '') "
                  "ON CONFLICT (id) DO UPDATE SET actor_id = NULL",
}
#: Emptying the table at once, in each dialect.
EMPTY = {"sqlite": "DELETE FROM audit_entries", "postgresql": "TRUNCATE audit_entries"}


def test_an_audit_row_cannot_be_overwritten_by_an_upsert(make, db_session, request):
    dialect = db_session.get_bind().dialect.name
    post = make.post(State.in_review)
    created = trail(db_session, post)[0]

    refusal = refused_by_the_database(db_session, UPSERT[dialect], id=created.id, post=post.id)
    assert "append-only" in str(refusal)
    assert trail(db_session, post)[0].actor_id == post.created_by_id


def test_the_audit_trail_cannot_be_emptied_at_once(make, db_session, request):
    dialect = db_session.get_bind().dialect.name
    post = make.post(State.in_review)

    refusal = refused_by_the_database(db_session, EMPTY[dialect])
    assert "append-only" in str(refusal)
    assert len(trail(db_session, post)) == 2


def test_the_test_transaction_survives_a_refusal(make, db_session):
    post = make.post(State.draft)
    refused_by_the_database(db_session, "DELETE FROM audit_entries")
    make.act(post, Action.submit, post.created_by)
    assert [row.action for row in trail(db_session, post)] == [Action.create, Action.submit]


# What a row records --------------------------------------------------------------------------------------------


def test_a_row_records_the_action_the_states_the_actor_the_revision_and_the_comment(make, db_session):
    market = make.market("FR")
    pm = make.user(Role.project_manager, markets=[market], name="Paul")
    post = make.post(State.in_review, account=make.account(market))
    started = utcnow()

    ops.act_on_post(db_session, post, Action.request_changes, pm, expected_version=post.version,
                    comment="  Précisez l'heure du match.  ")
    row = trail(db_session, post)[-1]
    assert row.action is Action.request_changes
    assert (row.from_state, row.to_state) == (State.in_review, State.changes_requested)
    assert row.actor_id == pm.id
    assert row.revision_id == post.current_revision_id
    assert row.comment == "Précisez l'heure du match."
    assert row.at.tzinfo is not None and started - timedelta(seconds=1) <= row.at <= utcnow()


def test_the_submit_row_keeps_the_style_findings(make, db_session):
    body = "Nos équipes vous attendent au stand B12 du salon."
    post = make.post(State.draft, body=body)
    make.act(post, Action.submit, post.created_by)

    row = trail(db_session, post)[-1]
    assert row.action is Action.submit
    assert "findings" in row.payload
    assert row.payload["findings"] == [f.as_dict() for f in style.check(body, style.context_for(post.account))]


def test_rows_name_the_revision_acted_upon(make, db_session):
    market = make.market("FR")
    author = make.user(Role.community_manager, markets=[market])
    post = make.post(State.approved, account=make.account(market), author=author)
    approved_revision = post.approved_revision_id

    ops.edit_post(db_session, post, author, "La Tour Eiffel brille ce soir, bravo aux Bleues.",
                  expected_version=post.version)
    rows = trail(db_session, post)
    approve, edit = next(r for r in rows if r.action is Action.approve), rows[-1]
    assert approve.revision_id == approved_revision
    assert edit.action is Action.edit
    assert (edit.from_state, edit.to_state) == (State.approved, State.in_review)
    assert edit.revision_id == post.current_revision_id != approved_revision
    assert edit.actor_id == author.id


def test_the_trail_tells_the_whole_story(make, db_session):
    post = make.post(State.scheduled)
    rows = trail(db_session, post)
    assert [(r.action, r.from_state, r.to_state) for r in rows] == [
        (Action.create, State.draft, State.draft),
        (Action.submit, State.draft, State.in_review),
        (Action.approve, State.in_review, State.approved),
        (Action.schedule, State.approved, State.scheduled),
    ]
    assert rows[-1].payload["scheduled_at"] == post.scheduled_at.astimezone(UTC).isoformat()


def test_the_publication_row_keeps_the_address(make, db_session):
    post = make.post(State.published)
    assert trail(db_session, post)[-1].payload["url"] == post.published_url == "https://www.facebook.com/helio/posts/1"


# Check constraints on posts ------------------------------------------------------------------------------------


def test_a_post_cannot_be_scheduled_without_a_time(make, db_session):
    post = make.post(State.approved)
    refusal = refused_by_the_database(db_session, "UPDATE posts SET state = 'scheduled' WHERE id = :id", id=post.id)
    assert "scheduled_has_time" in str(refusal)

    scheduled = make.post(State.scheduled)
    refusal = refused_by_the_database(db_session, "UPDATE posts SET scheduled_at = NULL WHERE id = :id",
                                      id=scheduled.id)
    assert "scheduled_has_time" in str(refusal)


@pytest.mark.parametrize("state", [State.approved, State.scheduled])
def test_a_post_cannot_hold_an_approval_of_another_revision(make, db_session, state):
    market = make.market("FR")
    author = make.user(Role.community_manager, markets=[market])
    post = make.post(State.in_review, account=make.account(market), author=author)
    first_revision = post.current_revision_id
    ops.edit_post(db_session, post, author, "La Tour Eiffel brille ce soir, bravo aux Bleues.",
                  expected_version=post.version)
    pm = make.user(Role.project_manager, markets=[market])
    make.act(post, Action.approve, pm)
    if state is State.scheduled:
        make.act(post, Action.schedule, pm, scheduled_at=utcnow() + timedelta(days=1))
    assert post.state is state

    for approved_revision in (first_revision, None):
        refusal = refused_by_the_database(db_session, "UPDATE posts SET approved_revision_id = :revision "
                                                      "WHERE id = :id", revision=approved_revision, id=post.id)
        assert "approval_is_current" in str(refusal)


def test_a_post_cannot_be_approved_without_an_approval(make, db_session):
    post = make.post(State.in_review)
    for state in (State.approved, State.with_cabinet, State.scheduled):
        refusal = refused_by_the_database(db_session, "UPDATE posts SET state = :state, scheduled_at = :at "
                                                      "WHERE id = :id", state=state.value, id=post.id,
                                          at="2099-01-01 00:00:00")
        assert "approval_is_current" in str(refusal)


def test_a_post_holding_an_approval_cannot_lose_its_current_revision(make, db_session):
    post = make.post(State.approved)
    refusal = refused_by_the_database(db_session, "UPDATE posts SET current_revision_id = NULL WHERE id = :id",
                                      id=post.id)
    assert "approval_is_current" in str(refusal)


def test_a_post_cannot_be_published_without_a_time(make, db_session):
    post = make.post(State.approved)
    refusal = refused_by_the_database(db_session, "UPDATE posts SET state = 'published' WHERE id = :id", id=post.id)
    assert "published_has_time" in str(refusal)


def test_an_update_within_the_constraints_goes_through(make, db_session):
    # The control: the refusals above come from the constraints, not from raw SQL on posts as such.
    post = make.post(State.scheduled)
    with db_session.begin_nested():
        db_session.execute(text("UPDATE posts SET state = 'approved', scheduled_at = NULL WHERE id = :id"),
                           {"id": post.id})
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is State.approved
