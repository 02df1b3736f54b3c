"""The worker's steps through the engine (``engine.record_steps``): a batch's posts are written by one UPDATE, each
row at the version the worker read, and the objects then hold what the database holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm.exc import StaleDataError

from approval.db import utcnow
from approval.models import AuditEntry, Post
from approval.notifications import dispatch
from approval.workflow import engine
from approval.workflow.states import Action, Role, State


@pytest.fixture()
def statements(app):
    """The UPDATEs of ``posts`` the app's engine sends (an executemany counts once)."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):  # noqa: ANN001, ANN202
        if statement.lstrip().upper().startswith("UPDATE POSTS"):
            sent.append(statement)

    bind = app.extensions["approval.db"]["engine"]
    event.listen(bind, "before_cursor_execute", note)
    yield sent
    event.remove(bind, "before_cursor_execute", note)


def _claim(post: Post, now) -> engine.Step:  # noqa: ANN001
    post.claim_token, post.claimed_until = f"{post.id:032d}", now + timedelta(minutes=2)
    return engine.Step(post, Action.claim, {"worker": "test"})


def test_a_batch_of_steps_writes_its_posts_with_one_update(make, db_session, statements):
    posts = [make.post(State.scheduled) for _ in range(3)]
    versions = [post.version for post in posts]
    now = utcnow()
    statements.clear()
    entries = engine.record_steps(db_session, [_claim(post, now) for post in posts], now=now)
    assert len(statements) == 1
    assert [entry.to_state for entry in entries] == [State.publishing] * 3
    db_session.flush()
    assert len(statements) == 1  # nothing left for the unit of work to write again
    for post, version in zip(posts, versions, strict=True):
        assert (post.state, post.version, post.updated_at) == (State.publishing, version + 1, now)
    db_session.expire_all()
    for post, version in zip(posts, versions, strict=True):
        row = db_session.get(Post, post.id)
        assert (row.state, row.version, row.claim_token) == (State.publishing, version + 1, f"{post.id:032d}")
        trail = db_session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == post.id)
                                   .order_by(AuditEntry.id)).all()
        assert trail[-1] == Action.claim


def test_a_step_on_a_post_changed_since_it_was_read_is_refused(make, db_session):
    post = make.post(State.scheduled)
    now = utcnow()
    # Another writer moves the post on: its row is at a newer version than the object the worker holds.
    db_session.execute(update(Post.__table__).where(Post.__table__.c.id == post.id)
                       .values(version=Post.__table__.c.version + 1))
    with pytest.raises(StaleDataError):
        engine.record_steps(db_session, [_claim(post, now)], now=now)


def test_a_batch_with_one_post_changed_since_it_was_read_is_refused_whole(make, db_session):
    """The batch's one UPDATE (a ``VALUES`` list joined by id and version on PostgreSQL) matches every row or the
    step is refused: the posts another writer left alone are not written either."""
    posts = [make.post(State.scheduled) for _ in range(3)]
    db_session.commit()
    versions = [post.version for post in posts]  # what the worker read
    now = utcnow()
    db_session.execute(update(Post.__table__).where(Post.__table__.c.id == posts[1].id)
                       .values(version=Post.__table__.c.version + 1))
    with pytest.raises(StaleDataError, match="expected to update 3 row"):
        engine.record_steps(db_session, [_claim(post, now) for post in posts], now=now)
    assert [post.version for post in posts] == versions
    db_session.rollback()
    assert set(db_session.scalars(select(Post.state).where(Post.id.in_([p.id for p in posts])))) == {State.scheduled}


# PostgreSQL alone: SQLite keeps a longer text whatever the column's length.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_a_batchs_value_longer_than_its_column_is_refused_not_cut(make, db_session):
    """The batch's one UPDATE reads its values from arrays: a text too long for its column raises, as a row's own
    UPDATE does, instead of being cut to the column's length by the arrays' type."""
    from sqlalchemy.exc import DataError

    posts = [make.post(State.scheduled) for _ in range(2)]
    now = utcnow()
    steps = [_claim(post, now) for post in posts]
    for post in posts:
        post.claim_token = "t" * 80  # the column holds 64
    with pytest.raises(DataError):
        engine.record_steps(db_session, steps, now=now)


@pytest.fixture()
def trail_inserts(app):
    """The INSERTs into ``audit_entries`` the app's engine sends, and whether each is executed once per row."""
    sent: list[tuple[str, bool]] = []

    def note(_conn, _cursor, statement, _params, _context, many):  # noqa: ANN001, ANN202
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
            sent.append((statement, many))

    bind = app.extensions["approval.db"]["engine"]
    event.listen(bind, "before_cursor_execute", note)
    yield sent
    event.remove(bind, "before_cursor_execute", note)


def test_a_batchs_audit_rows_are_one_insert_each_with_its_market_payload_and_link(make, db_session, trail_inserts,
                                                                                  backend):
    """The rows of a batch of posts go in by one statement, executed once on PostgreSQL (from arrays; SQLite runs it
    per row): each keeps its own market, its payload (a list of reasons is a list again, not a dimension of an
    array) and a link the chain verifies."""
    from approval.models.audit import verify_chain

    paris, nairobi = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    posts = [make.post(State.scheduled, account=make.account(market)) for market in (paris, nairobi, paris)]
    now = utcnow()
    why = [{"id": "style_gate", "findings": [{"rule": "capital", "span": [0, 3]}]}]
    steps = [engine.Step(post, Action.fail, {"reasons": ["Refused."], "why": why, "n": i}, "Refused.")
             for i, post in enumerate(posts)]
    trail_inserts.clear()
    engine.record_steps(db_session, steps, now=now)
    assert len(trail_inserts) == 1
    assert trail_inserts[0][1] is (backend == "sqlite")  # an executemany on SQLite only
    rows = {row.post_id: row for row in db_session.scalars(
        select(AuditEntry).where(AuditEntry.post_id.in_([post.id for post in posts]), AuditEntry.at == now))}
    for i, post in enumerate(posts):
        row = rows[post.id]
        assert (row.action, row.from_state, row.to_state, row.comment) == \
            (Action.fail, State.scheduled, State.failed, "Refused.")
        assert row.payload == {"reasons": ["Refused."], "why": why, "n": i}
        assert row.market_id == post.account.market_id
    assert verify_chain(db_session).broken is None


@pytest.fixture()
def sent(app):
    """Every statement the app's engine sends, on one line each."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()))

    bind = app.extensions["approval.db"]["engine"]
    event.listen(bind, "before_cursor_execute", note)
    yield statements
    event.remove(bind, "before_cursor_execute", note)


def test_a_batch_of_rows_is_told_as_a_batch_of_objects_is(make, db_session, backend, sent):
    """The worker's posts read as rows (``PostRow``) are written with their audit rows by one statement, and on
    PostgreSQL told in it too when their audiences are found without the post's new state or trail (published: the
    author); a failure tells the one who scheduled the post, found in the trail, by a statement after it. Either way,
    the same people are told as of posts loaded as objects, each written by the unit of work."""
    from approval.models.notifications import Notification

    market = make.market("FR")
    author = make.user(Role.community_manager, markets=[market])
    manager, scheduler = (make.user(Role.project_manager, markets=[market]) for _ in range(2))

    def scheduled() -> Post:
        post = make.post(State.approved, account=make.account(market), author=author, reviewer=manager)
        make.act(post, Action.schedule, scheduler, scheduled_at=utcnow() + timedelta(days=1))
        return post

    def told(posts: list[Post], action: Action) -> list[set[int]]:
        kind = "published" if action is Action.publish else "failed"
        return [set(db_session.scalars(select(Notification.user_id).where(Notification.post_id == post.id,
                                                                           Notification.kind == kind)))
                for post in posts]

    for action, payload, values in ((Action.publish, {}, {"published_url": "outbox:1", "published_at": utcnow()}),
                                    (Action.fail, {"reasons": ["Refused."]}, {})):
        rows, objects = [scheduled() for _ in range(2)], [scheduled() for _ in range(2)]
        now = utcnow()
        sent.clear()
        dispatch.never_sent(db_session, [post.id for post in rows])  # as the worker notes of the rows it read
        engine.record_steps(db_session, [
            engine.Step(engine.PostRow(post.id, post.version, post.state, post.current_revision_id), action,
                        payload, values=values) for post in rows], now=now)
        # On PostgreSQL the published are told in the statement of their posts and trail; the failed after it.
        told_apart = [sql for sql in sent if "INSERT INTO notifications" in sql and not sql.startswith("WITH trail")]
        assert bool(told_apart) is not (backend == "postgresql" and action is Action.publish), sent
        engine.record_steps(db_session, [engine.Step(post, action, payload, values=values) for post in objects],
                            now=now)
        expected = {author.id} if action is Action.publish else {author.id, manager.id, scheduler.id}
        assert told(rows, action) == told(objects, action) == [expected, expected], action


def test_a_batch_of_rows_with_one_changed_since_it_was_read_is_refused_whole(make, db_session):
    """A batch of rows is written, with its audit rows and (on PostgreSQL) its notices, by one statement that counts
    the posts it matched: one changed since the worker read it refuses the whole batch, as a batch of objects is."""
    posts = [make.post(State.scheduled) for _ in range(3)]
    db_session.commit()
    now = utcnow()
    steps = [engine.Step(engine.PostRow(post.id, post.version, post.state, post.current_revision_id), Action.publish,
                         {}, values={"published_url": "outbox:1", "published_at": now}) for post in posts]
    db_session.execute(update(Post.__table__).where(Post.__table__.c.id == posts[1].id)
                       .values(version=Post.__table__.c.version + 1))
    with pytest.raises(StaleDataError, match="expected to update 3 row"):
        engine.record_steps(db_session, steps, now=now)
