"""``bulk.insert_rows``: a batch of rows by one statement (arrays on PostgreSQL), their new ids in the rows' order;
``bulk.among``: a list bound as one parameter."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DataError

from approval.bulk import among, insert_rows
from approval.db import utcnow
from approval.models import OutboxMessage, Post
from approval.workflow.states import State

MESSAGES = OutboxMessage.__table__


def _rows(post, keys: list[str]) -> list[dict]:  # noqa: ANN001
    now = utcnow()
    return [{"idempotency_key": key, "post_id": post.id, "account_id": post.account_id,
             "body": {"key": key, "text": f"« {key} » é", "media": [[1, 2], []], "none": None}, "created_at": now}
            for key in keys]


def test_the_new_ids_come_in_the_rows_order_and_the_json_as_written(make, db_session, backend):
    post = make.post(State.scheduled)
    keys = [f"k{n:02d}" for n in (7, 3, 9, 1, 5)]
    sent: list[str] = []
    bind = db_session.get_bind()

    def note(_conn, _cursor, statement, _params, _context, _many):  # noqa: ANN001, ANN202
        sent.append(statement)

    event.listen(bind, "before_cursor_execute", note)
    try:
        ids = insert_rows(db_session.connection(), MESSAGES, _rows(post, keys), returning=MESSAGES.c.id,
                          by=MESSAGES.c.idempotency_key)
    finally:
        event.remove(bind, "before_cursor_execute", note)
    if backend == "postgresql":
        assert len(sent) == 1  # SQLite: once per row
    stored = {row.id: row for row in db_session.execute(select(MESSAGES).where(MESSAGES.c.post_id == post.id))}
    assert [stored[id_].idempotency_key for id_ in ids] == keys
    for id_, key in zip(ids, keys, strict=True):
        assert stored[id_].body == {"key": key, "text": f"« {key} » é", "media": [[1, 2], []], "none": None}


def test_one_row_and_no_row(make, db_session):
    post = make.post(State.scheduled)
    assert insert_rows(db_session.connection(), MESSAGES, [], returning=MESSAGES.c.id) == []
    [id_] = insert_rows(db_session.connection(), MESSAGES, _rows(post, ["only"]), returning=MESSAGES.c.id,
                        by=MESSAGES.c.idempotency_key)
    assert db_session.scalar(select(MESSAGES.c.idempotency_key).where(MESSAGES.c.id == id_)) == "only"


# PostgreSQL alone: SQLite keeps a longer text whatever the column's length.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_a_value_longer_than_its_column_is_refused_not_cut(make, db_session):
    post = make.post(State.scheduled)
    with pytest.raises(DataError):
        insert_rows(db_session.connection(), MESSAGES, _rows(post, ["short", "k" * 80]), returning=MESSAGES.c.id,
                    by=MESSAGES.c.idempotency_key)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_a_batch_read_back_needs_a_column_that_tells_its_rows_apart(make, db_session):
    post = make.post(State.scheduled)
    with pytest.raises(ValueError, match="tells its rows apart"):
        insert_rows(db_session.connection(), MESSAGES, _rows(post, ["a", "b"]), returning=MESSAGES.c.id)


def test_among_finds_the_same_rows_on_each_backend_with_one_text_whatever_the_length(make, db_session, backend):
    """``bulk.among``: an expanding ``IN`` on SQLite; on PostgreSQL ``= ANY`` of one array, whose statement's text
    (prepared once) is the same for lists of any length, an empty one included."""
    ids = [make.post(State.scheduled).id for _ in range(3)]
    chosen = select(Post.id).where(among(Post.id, "wanted", backend == "postgresql")).order_by(Post.id)
    texts: set[str] = set()
    bind = db_session.get_bind()

    def note(_conn, _cursor, statement, _params, _context, _many):  # noqa: ANN001, ANN202
        texts.add(statement)

    event.listen(bind, "before_cursor_execute", note)
    try:
        for wanted in (ids, ids[:1], [], [ids[2], -1]):
            assert db_session.scalars(chosen, {"wanted": wanted}).all() == sorted(set(wanted) & set(ids))
    finally:
        event.remove(bind, "before_cursor_execute", note)
    if backend == "postgresql":
        assert len(texts) == 1 and "= ANY (" in texts.pop()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_among_compares_a_string_longer_than_its_column_whole(make, db_session):
    """The array's strings are texts: a value longer than the column matches nothing (cast to the column's
    ``VARCHAR(n)[]``, it was cut to its first n characters, and matched the row holding them)."""
    post = make.post(State.scheduled)
    key = "k" * 64
    insert_rows(db_session.connection(), MESSAGES, _rows(post, [key]))
    found = select(MESSAGES.c.idempotency_key).where(among(MESSAGES.c.idempotency_key, "keys", True))
    assert db_session.scalars(found, {"keys": [key]}).all() == [key]
    assert db_session.scalars(found, {"keys": [key + "x"]}).all() == []
