"""What one claim asks the database, on each backend: the worker's throughput is in its statements (issue 9's
benchmark), and these tests keep the ones a claim no longer needs from coming back. A claim of outbox posts
without media runs in one transaction; it loads the posts it takes and no others; each post's last audit link
and whether a stop switch covers it come with the post, so the trails and the switches are not read again.

What the claim decides (holds, refusals, the chain of the audit rows) is tested in tests/test_worker.py,
tests/test_audit_chain.py and tests/test_media_worker.py.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from approval.db import utcnow
from approval.models import Account, OutboxMessage, Outcome, Post, PublicationAttempt, StopScope, StopSwitch, audit
from approval.models.notifications import Notification
from approval.models.notifications import NotificationKind as Kind
from approval.publishing import controls
from approval.publishing.worker import PassReport, Worker
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):
    """An app on a database of its own (the worker commits)."""
    return committed_app(databases, backend, tmp_path_factory, PUBLISH_QUOTAS={})


@pytest.fixture()
def session(world):
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    return numbered_factory(session, _TESTS, 41)


def due_on_accounts(make: Factory, session, count: int, slot, *, sealed: bool = True,  # noqa: ANN001
                    network: str = "facebook") -> list[Post]:
    """``count`` posts scheduled at ``slot``, each on an account of its own (outbox), in a market of their own;
    without ``sealed``, as if scheduled before the gate's seal was kept: the claim loads them to check them."""
    market = make.market(None, timezone="Europe/Paris")
    cm = make.user(Role.community_manager, markets=[market])
    pm = make.user(Role.project_manager, markets=[market])
    posts = []
    for _ in range(count):
        account = make.account(market, network)
        controls.connect_account(session, account, "outbox")
        post = make.post(State.approved, account=account, author=cm, body=BODY, reviewer=pm)
        make.act(post, Action.schedule, pm, scheduled_at=slot)
        if not sealed:
            post.gate_seal = None
        posts.append(post)
    session.commit()
    return posts


@contextmanager
def watched(app) -> Iterator[dict[str, list]]:  # noqa: ANN001
    """The statements the application's engine runs, the transactions it begins and the posts it loads, meanwhile."""
    engine = app.extensions["approval.db"]["engine"]
    seen: dict[str, list] = {"statements": [], "parameters": [], "begins": [], "posts": []}

    def statement(_conn, _cursor, sql, parameters, *_args) -> None:  # noqa: ANN001
        seen["statements"].append(" ".join(sql.split()))
        seen["parameters"].append(parameters)

    def begin(_conn) -> None:  # noqa: ANN001
        seen["begins"].append(1)

    def loaded(post, _context) -> None:  # noqa: ANN001
        seen["posts"].append(post.id)

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    event.listen(Post, "load", loaded)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)
        event.remove(Post, "load", loaded)


def claim(app, session, now, batch: int) -> tuple[PassReport, dict[str, list]]:  # noqa: ANN001
    session.commit()  # SQLite: the test's open transaction would hold the lock the claim needs
    worker = Worker(app, clock=lambda: now, batch=batch)
    report = PassReport()
    with app.app_context(), watched(app) as seen:
        assert worker.claim(report) == []  # the outbox publishes in the claim itself
    return report, seen


def selects(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT")]


def test_a_claim_without_media_is_one_transaction_that_reads_no_trail_and_no_switch_again(world, session, make):
    """Before, a claim began with a transaction of its own looking for the due posts' media (none here), read the
    posts' last audit links in a statement of its own before writing their rows, and read the stop switches even
    with none on: three round trips a batch, each paid by every post."""
    slot = utcnow() + timedelta(minutes=5)
    posts = due_on_accounts(make, session, 3, slot)
    report, seen = claim(world, session, slot + timedelta(seconds=1), batch=16)
    assert report.published == 3
    assert len(seen["begins"]) == 1, "one transaction: the claim's"
    read = selects(seen["statements"])
    assert len(read) == 2, f"the due posts, the posts taken (their accounts locked) with what the checks read: {read}"
    # On PostgreSQL the first statement takes the stop switches' lock (holds.reading_stops), in no trip of its own.
    locks = [sql for sql in read if "pg_advisory_xact_lock_shared" in sql]
    postgres = world.extensions["approval.db"]["engine"].dialect.name == "postgresql"
    assert [sql.startswith("SELECT posts.id, posts.account_id, (SELECT pg_advisory_xact_lock_shared")
            for sql in locks] == ([True] if postgres else [])
    assert read[-1].endswith("FOR UPDATE OF accounts SKIP LOCKED") == postgres
    assert not [sql for sql in read if sql.startswith(("SELECT stop_switches", "SELECT revision_media"))]
    for post in posts:  # and the rows written chain on the right links
        session.expire_all()
        trail = session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.post_id == post.id)
                                .order_by(audit.AuditEntry.id)).all()
        assert trail[-1].action == Action.publish
        assert trail[-1].chain_hash == audit.link_hash(trail[-2].chain_hash, vars(trail[-1]))
    assert audit.verify_chain(session).broken is None


def test_a_claims_writes_are_two_statements_on_postgresql_and_agree(world, session, make):
    """What a claim of outbox posts writes: on PostgreSQL the publications with the attempts that record them, then
    the posts with their audit rows and the notices, one statement each (a round trip each cost every pass as much
    as the writing: issue 9's benchmark); on SQLite, a statement a table. Either way, each attempt names its
    publication's row, the post and its audit row name the attempt, the feed's line carries the row's id and key,
    and the author is told, the notice of the slot superseded and what the post left behind settled."""
    slot = utcnow() + timedelta(minutes=5)
    posts = due_on_accounts(make, session, 3, slot)
    # A refusal told of the first (a policy saved since) to its author, which its publication settles.
    session.add(Notification(user_id=posts[0].created_by_id, kind=Kind.policy_refuses, post_id=posts[0].id))
    report, seen = claim(world, session, slot + timedelta(seconds=1), batch=16)
    assert report.published == 3
    # Each statement by what it begins with; a row at a time where SQLite's driver takes them so, as one.
    writes = [head for head, _rows in itertools.groupby(
        re.match(r"WITH \w+|INSERT INTO \w+|UPDATE \w+|BEGIN IMMEDIATE", sql).group()
        for sql in seen["statements"] if not sql.startswith("SELECT"))]
    if world.extensions["approval.db"]["engine"].dialect.name == "postgresql":
        assert writes == ["WITH written", "WITH trail"], writes
    else:
        assert writes == ["BEGIN IMMEDIATE", "INSERT INTO outbox_messages", "INSERT INTO publication_attempts",
                          "UPDATE posts", "INSERT INTO audit_entries", "UPDATE notifications",
                          "INSERT INTO notifications", "UPDATE notifications"], writes
    feed = {line["idempotency_key"]: line for line in map(json.loads, (Path(world.instance_path) / "outbox.jsonl")
                                                          .read_text(encoding="utf-8").splitlines())}
    session.expire_all()
    for post in posts:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).one()
        attempt = session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)).one()
        assert (attempt.outcome, attempt.remote_id, attempt.url, attempt.idempotency_key, attempt.connector) == (
            Outcome.published, f"outbox-{message.id}", f"outbox:{message.id}", message.idempotency_key, "outbox")
        assert (attempt.revision_id, attempt.account_id) == (post.current_revision_id, post.account_id)
        assert (post.state, post.published_url) == (State.published, attempt.url)
        last = session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.post_id == post.id)
                               .order_by(audit.AuditEntry.id.desc()).limit(1)).one()
        assert (last.action, last.payload["attempt"]) == (Action.publish, attempt.id)
        assert (feed[message.idempotency_key]["id"], feed[message.idempotency_key]["post_id"]) == (message.id, post.id)
        # Its author told that it was published, the notice that it was scheduled superseded; the refusal settled.
        told = session.execute(select(Notification.kind, Notification.read_at.is_(None)).where(
            Notification.post_id == post.id, Notification.user_id == post.created_by_id,
            Notification.kind.in_([Kind.policy_refuses, Kind.scheduled, Kind.published]))
            .order_by(Notification.id)).all()
        assert told == [(Kind.scheduled, False), *([(Kind.policy_refuses, False)] if post is posts[0] else []),
                        (Kind.published, True)]


def test_a_claim_loads_only_the_posts_it_takes(world, session, make):
    """The due window is twice a batch (an account's posts go one a pass); the posts past the batch stay due and
    were loaded, with their accounts, revisions and campaigns, for nothing."""
    slot = utcnow() + timedelta(minutes=5)
    posts = due_on_accounts(make, session, 4, slot, sealed=False)
    report, seen = claim(world, session, slot + timedelta(seconds=1), batch=2)
    assert report.published == 2
    assert sorted(seen["posts"]) == sorted(post.id for post in posts[:2])
    session.expire_all()
    assert [session.get(Post, post.id).state for post in posts] == [State.published] * 2 + [State.scheduled] * 2
    report, seen = claim(world, session, slot + timedelta(seconds=2), batch=2)  # the next pass takes the others
    assert report.published == 2 and sorted(seen["posts"]) == sorted(post.id for post in posts[2:])


def test_a_claim_of_sealed_posts_loads_none_and_reads_the_rows_of_those_it_takes_only(world, session, make):
    """Posts whose rows answer every check (``Worker._sealed``) are read as rows, in one statement given the first
    due post of each account and returning the batch's alone, and never loaded as objects."""
    slot = utcnow() + timedelta(minutes=5)
    posts = due_on_accounts(make, session, 4, slot)
    report, seen = claim(world, session, slot + timedelta(seconds=1), batch=2)
    assert report.published == 2 and seen["posts"] == []
    [(sql, parameters)] = [(sql, parameters) for sql, parameters in zip(seen["statements"], seen["parameters"],
                                                                          strict=True)
                           if sql.startswith("SELECT posts.id, posts.current_revision_id, revisions_1.sha256")]
    if isinstance(parameters, dict):  # PostgreSQL: the posts as one array (``bulk.among``)
        assert re.search(r"WHERE posts\.id = ANY \(", sql)
        assert sorted(parameters["posts"]) == sorted(post.id for post in posts), "each account's first due post"
    else:
        assert re.search(r"WHERE posts\.id IN \((.*?)\) AND", sql)[1].count(",") == 3, "each account's first"
    assert re.search(r"ORDER BY posts\.scheduled_at, posts\.id LIMIT", sql), "the batch: the first two due"
    report, seen = claim(world, session, slot + timedelta(seconds=2), batch=2)  # the next pass takes the others
    assert report.published == 2 and seen["posts"] == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")
def test_a_batch_is_filled_past_an_account_another_worker_holds(world, session, make):
    """The posts taken are the first ``batch`` whose accounts this claim could lock: one another transaction holds
    (a worker recording a post of it) is skipped, and the next account's post is taken in its place; the posts past
    the batch stay due."""
    slot = utcnow() + timedelta(minutes=5)
    posts = due_on_accounts(make, session, 4, slot)
    engine = world.extensions["approval.db"]["engine"]
    with engine.connect() as other:
        # The lock an UPDATE of the account takes (a worker setting its post in flight).
        other.execute(select(Account.id).where(Account.id == posts[0].account_id).with_for_update(key_share=True))
        report, _seen = claim(world, session, slot + timedelta(seconds=1), batch=2)
        other.rollback()
    assert report.published == 2
    session.expire_all()
    assert [session.get(Post, post.id).state for post in posts] == [
        State.scheduled, State.published, State.published, State.scheduled]
    report, _seen = claim(world, session, slot + timedelta(seconds=2), batch=2)  # the account free again: the rest
    assert report.published == 2


def test_the_quotas_of_a_claims_accounts_are_counted_in_one_statement(world, session, make):
    """X counts its posts per account and window: the claim counts the attempts of all its accounts at once, not one
    statement per post."""
    slot = utcnow() + timedelta(minutes=5)
    posts = due_on_accounts(make, session, 3, slot, network="x")
    report, seen = claim(world, session, slot + timedelta(seconds=1), batch=16)
    assert report.published == 3 and seen["posts"] == []
    counted = [sql for sql in selects(seen["statements"]) if "FROM publication_attempts" in sql and "count(" in sql]
    assert len(counted) == 1, counted
    session.expire_all()
    assert {session.get(Post, post.id).state for post in posts} == {State.published}


def test_a_stop_switch_on_is_read_when_it_covers_a_claimed_post(world, session, make):
    """The switches are read when one covers a post of the claim (the post is held, and says by which), not
    otherwise: a switch over another market leaves the claim as it was."""
    slot = utcnow() + timedelta(minutes=5)
    covered, elsewhere = due_on_accounts(make, session, 1, slot)[0], due_on_accounts(make, session, 1, slot)[0]
    stop = StopSwitch(scope=StopScope.market, market_id=covered.account.market_id, reason="match perdu",
                      turned_on_at=utcnow())
    session.add(stop)
    session.commit()
    try:
        report, seen = claim(world, session, slot + timedelta(seconds=1), batch=16)
        assert (report.held, report.published) == (1, 1)
        assert [sql for sql in selects(seen["statements"]) if sql.startswith("SELECT stop_switches")]
        session.expire_all()
        assert session.get(Post, covered.id).held_by_stop_id == stop.id
        assert session.get(Post, elsewhere.id).state is State.published
    finally:
        stop.turned_off_at = utcnow()
        session.commit()
