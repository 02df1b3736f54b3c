"""The publishing worker and media, end to end on a committed database (issue 11): the approved revision's files go
out in order with their digests and alternative texts; a revision whose media changed behind the workflow's back is
refused and never sent."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from approval import create_app
from approval.db import utcnow
from approval.media import samples
from approval.media.storage import storage
from approval.models import AuditEntry, OutboxMessage, Post, RevisionMedia
from approval.publishing import controls
from approval.publishing.worker import Worker
from approval.workflow.states import Action, Role, State

from conftest import Factory

_TESTS = itertools.count(1)


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):  # noqa: ANN001, ANN201
    url = databases.migrated_url(backend)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "media", "PUBLISH_QUOTAS": {}})
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    return app


@pytest.fixture()
def scene(world):  # noqa: ANN001, ANN201
    with world.app_context():
        with world.extensions["approval.db"]["sessionmaker"]() as session:
            make = Factory(session)
            make.counter = next(_TESTS) * 41
            market = make.market(None)
            account = make.account(market, "linkedin")
            controls.connect_account(session, account, "outbox")
            cm = make.user(Role.community_manager, markets=[market])
            pm = make.user(Role.project_manager, markets=[market])
            session.commit()
            yield world, session, make, account, cm, pm


def _scheduled_with_two_pictures(scene, slot):  # noqa: ANN001, ANN202
    world, session, make, account, cm, pm = scene
    post = make.post(State.draft, account=account, author=cm, body="Deux photos du stade.")
    samples.attach_bytes(session, post, cm, samples.draw_picture((400, 300), "1", samples.COLORS[1]), "un.jpg", "Un")
    samples.attach_bytes(session, post, cm, samples.draw_picture((400, 300), "2", samples.COLORS[2]), "deux.jpg",
                         "Deux")
    for action, actor, params in ((Action.submit, cm, {}), (Action.approve, pm, {}),
                                  (Action.schedule, pm, {"scheduled_at": slot})):
        make.act(post, action, actor, **params)
    session.commit()
    return post


def _run(world, session, now) -> None:  # noqa: ANN001
    session.commit()
    Worker(world, clock=lambda: now).run(once=True)
    session.expire_all()


def test_the_approved_media_go_out_in_order_with_their_digests(scene):
    world, session, *_ = scene
    slot = utcnow() + timedelta(minutes=5)
    post = _scheduled_with_two_pictures(scene, slot)
    approved = post.current_revision
    expected = [(m.file.sha256, m.alt) for m in approved.media]
    _run(world, session, slot + timedelta(seconds=1))
    post = session.get(Post, post.id)
    assert post.state is State.published
    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).all()
    assert [(m["sha256"], m["alt"]) for m in message.body["media"]] == expected
    assert message.body["revision"]["sha256"] == approved.sha256


def test_each_file_goes_out_with_a_signed_link_its_receiver_opens_without_an_account(scene):
    """A webhook's receiver or the outbox's reader has no account: it fetches each file from its item's ``url``, a
    link that opens that file alone, until a week after the post's slot. The link depends on nothing else: every try
    of one publication sends the same body under its idempotency key."""
    import hashlib
    import time
    from urllib.parse import urlsplit

    from approval.media import downloads
    from approval.media.publication import describe

    world, session, *_ = scene
    slot = utcnow() + timedelta(minutes=5)
    post = _scheduled_with_two_pictures(scene, slot)
    _run(world, session, slot + timedelta(seconds=1))
    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).all()
    items = message.body["media"]
    links = [urlsplit(item["url"]).path for item in items]
    assert all(item["url"].startswith("http://127.0.0.1:5000/media/files/") for item in items)
    with world.app_context():
        post = session.get(Post, post.id)
        assert [m["url"] for m in describe(world, post.current_revision, post.scheduled_at, post.id)] == [
            item["url"] for item in items]  # the same body at the next try
    anonymous = world.test_client()
    for link, item in zip(links, items, strict=True):
        answer = anonymous.get(link)
        assert answer.status_code == 200 and answer.mimetype == item["mime"]
        assert hashlib.sha256(answer.data).hexdigest() == item["sha256"]
    first, open_until = items[0], downloads.closes(slot)
    assert open_until - time.time() > 6 * 24 * 3600
    other_app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "another key"})
    with other_app.app_context():
        forged = urlsplit(downloads.link(other_app, first["id"], first["sha256"], open_until)).path
    with world.app_context():
        other_file = urlsplit(downloads.link(world, first["id"], "0" * 64, open_until)).path
        closed = urlsplit(downloads.link(world, first["id"], first["sha256"], int(time.time()) - 1)).path
    for refused in (forged, other_file, closed, links[0][:-2], "/media/files/x", "/media/files/" + "9" * 5000):
        assert anonymous.get(refused).status_code == 404, refused


def test_a_link_past_its_week_stays_open_while_its_file_may_still_go_out(scene):
    """A retry more than a week after a key's first call sends that call's body again, links and all: they stay open
    while the post may still go out (here, scheduled), and close once it is out."""
    import time
    from urllib.parse import urlsplit

    from approval.media import downloads

    world, session, *_ = scene
    slot = utcnow() + timedelta(minutes=5)
    post = _scheduled_with_two_pictures(scene, slot)
    first = sorted(post.current_revision.media, key=lambda m: m.position)[0].file
    with world.app_context():
        closed = urlsplit(downloads.link(world, first.id, first.sha256, int(time.time()) - 1, post.id)).path
        unbound = urlsplit(downloads.link(world, first.id, first.sha256, int(time.time()) - 1)).path
        elsewhere = urlsplit(downloads.link(world, first.id, first.sha256, int(time.time()) - 1, post.id + 1)).path
        long_gone = urlsplit(downloads.link(world, first.id, first.sha256,
                                            int(time.time()) - downloads.KEPT_OPEN_DAYS * 86400 - 1, post.id)).path
    anonymous = world.test_client()
    assert anonymous.get(closed).status_code == 200
    # Only the post it was made for keeps it open (another post with the same file opened every closed link to it),
    # and not for ever.
    assert [anonymous.get(link).status_code for link in (unbound, elsewhere, long_gone)] == [404, 404, 404]
    _run(world, session, slot + timedelta(seconds=1))
    assert session.get(Post, post.id).state is State.published
    assert anonymous.get(closed).status_code == 404


def test_a_revision_whose_media_changed_is_refused_and_never_sent(scene):
    world, session, *_ = scene
    slot = utcnow() + timedelta(minutes=5)
    post = _scheduled_with_two_pictures(scene, slot)
    rows = sorted(post.current_revision.media, key=lambda m: m.position)
    # Someone swaps the pictures in the database, behind the workflow's back.
    session.execute(update(RevisionMedia).where(RevisionMedia.id == rows[0].id).values(position=7))
    session.execute(update(RevisionMedia).where(RevisionMedia.id == rows[1].id).values(position=0))
    session.execute(update(RevisionMedia).where(RevisionMedia.id == rows[0].id).values(position=1))
    _run(world, session, slot + timedelta(seconds=1))
    post = session.get(Post, post.id)
    assert post.state is State.failed
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).all() == []


def test_a_file_whose_bytes_changed_in_the_store_is_refused_and_never_sent(scene):
    """The approval binds each file's SHA-256: the worker reads every stored file again before sending, so bytes
    changed in the store after the approval (a disk, a bucket, a hand) are refused, not published under the old
    digest."""
    world, session, *_ = scene
    slot = utcnow() + timedelta(minutes=5)
    post = _scheduled_with_two_pictures(scene, slot)
    first = sorted(post.current_revision.media, key=lambda m: m.position)[0].file
    stored = storage(world).local_path(first.storage_key)
    data = bytearray(stored.read_bytes())
    data[-10] ^= 0xFF  # one byte near the end: the file still opens as a picture
    stored.write_bytes(bytes(data))
    try:
        _run(world, session, slot + timedelta(seconds=1))
        post = session.get(Post, post.id)
        assert post.state is State.failed
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).all() == []
        [failure] = session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id == post.id,
                                                                    AuditEntry.action == "fail")).all()
        assert first.sha256[:12] in failure and "not the approved ones" in failure
    finally:
        data[-10] ^= 0xFF
        stored.write_bytes(bytes(data))  # the store is shared by the module's tests


def test_the_files_are_read_before_the_claim_with_no_lock_held(scene, monkeypatch):
    """Reading a 512 MB video takes a second from a disk and longer from a bucket: the worker hashes the due posts'
    files before its claiming transaction, so the post and its account are never locked that long (another writer
    gets them at once while the files are read). The digests read then decide at the claim (a file changed in the
    store is refused: the test above)."""
    from approval.media import publication

    world, session, *_ = scene
    slot = utcnow() + timedelta(minutes=5)
    post = _scheduled_with_two_pictures(scene, slot)
    engine = world.extensions["approval.db"]["engine"]
    read_digest, free_while_read = publication.digest, []

    def digest_checking_locks(store, key):  # noqa: ANN001, ANN202
        # Another connection takes the post's row for writing, without waiting: refused if the worker held it.
        if engine.dialect.name == "sqlite":  # one writer at a time: the write lock itself
            other = engine.raw_connection()
            try:
                other.execute("PRAGMA busy_timeout = 0")
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
        else:
            with engine.connect() as other:
                other.execute(select(Post.id).where(Post.id == post.id).with_for_update(nowait=True))
                other.rollback()
        free_while_read.append(key)
        return read_digest(store, key)

    monkeypatch.setattr(publication, "digest", digest_checking_locks)
    _run(world, session, slot + timedelta(seconds=1))
    assert session.get(Post, post.id).state is State.published
    assert sorted(free_while_read) == sorted(m.file.storage_key for m in post.current_revision.media)
