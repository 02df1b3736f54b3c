"""Concurrency over HTTP: ETags and If-Match (412 stale, 428 missing), and Idempotency-Key (a replay returns the first
answer and does nothing more; the same key with another request is a 422)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import row_counts
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import create_app
from approval.api.idempotency import RETENTION
from approval.api.tokens import issue_token
from approval.db import make_engine, utcnow
from approval.models import AuditEntry, IdempotencyKey, Post, Revision
from approval.workflow.states import Role, State

from .contract import assert_error

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Post, Revision, AuditEntry, IdempotencyKey)


def test_the_etag_changes_with_every_change(make, api, db_session):
    market = make.market("FR")
    cm, pm = make.user(Role.community_manager, markets=[market]), make.user(Role.project_manager, markets=[market])
    created = api(cm).post("/posts", {"account_id": make.account(market).id, "body": BODY})
    tags = [created.headers["ETag"]]
    tags.append(api(cm).act(created.json, "submit", etag=tags[-1]).headers["ETag"])
    assert api(pm).post(f"/posts/{created.json['id']}/comments", {"body": "Joli."}).status_code == 201
    tags.append(api(pm).get(f"/posts/{created.json['id']}").headers["ETag"])
    tags.append(api(pm).act(created.json, "approve", etag=tags[-1]).headers["ETag"])
    assert tags[1] != tags[0] and tags[3] != tags[1]
    assert tags[2] == tags[1]  # a comment is not a change of the post


def test_stale_if_match_is_412_and_missing_is_428(make, api, db_session):
    market = make.market("FR")
    cm = make.user(Role.community_manager, markets=[market])
    post = make.post(State.draft, account=make.account(market), author=cm)
    client = api(cm)
    first = client.get(f"/posts/{post.id}").headers["ETag"]
    assert client.patch(f"/posts/{post.id}", {"body": BODY + " Bis."}, if_match=first).status_code == 200
    before = _counts(db_session)

    assert_error(client.patch(f"/posts/{post.id}", {"body": BODY + " Ter."}, if_match=first), 412)
    assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=first), 412)
    assert_error(client.patch(f"/posts/{post.id}", {"body": BODY + " Ter."}), 428)
    assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}), 428)
    for foreign in (f'"post-{post.id + 1}-v{post.version}"', f'"post-{post.id}-v9999999999"'):
        assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=foreign), 412)
    # Not a post's ETag at all (the document's pattern): a malformed request (400); empty: no precondition (428).
    for malformed in ('"something-else"', f'"post-{post.id}-v99999999999"'):
        assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=malformed), 400)
    assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=""), 428)
    # "Whatever it is now" would let an edit overwrite another person's unseen: an edit needs the real ETag.
    assert_error(client.patch(f"/posts/{post.id}", {"body": BODY + " Quater."}, if_match="*"), 428)
    assert _counts(db_session) == before

    current = client.get(f"/posts/{post.id}").headers["ETag"]
    # If-Match compares strongly (RFC 9110): the weak form of the current tag matches nothing.
    assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=f"W/{current}"), 412)
    listed = f'"post-{post.id}-v1", {current}'  # a list is understood
    assert client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=listed).status_code == 200



@pytest.mark.parametrize("action", ["approve", "reject", "request_changes"])
def test_a_decision_needs_the_etag_its_sender_read(make, api, db_session, action):
    """A reviewer read revision 1; its author saved revision 2. ``If-Match: *`` would land the decision on a text
    the reviewer never saw (a rejection is final): only the actions that decide nothing take it."""
    market = make.market("FR")
    cm = make.user(Role.community_manager, markets=[market])
    pm = make.user(Role.project_manager, markets=[market])
    post = make.post(State.in_review, account=make.account(market), author=cm)
    assert api(cm).patch(f"/posts/{post.id}", {"body": BODY + " Bis."},
                         if_match=api(cm).get(f"/posts/{post.id}").headers["ETag"]).status_code == 200
    before = _counts(db_session)
    answer = api(pm).post(f"/posts/{post.id}/transitions", {"action": action, "comment": "Non."}, if_match="*")
    assert_error(answer, 428)
    assert _counts(db_session) == before
    recalled = api(cm).post(f"/posts/{post.id}/transitions", {"action": "recall"}, if_match="*")
    assert recalled.status_code == 200 and recalled.json["state"] == "draft"
    assert_error(api(cm).post(f"/posts/{post.id}/transitions", {"action": "withdraw"}, if_match="*"), 428)

def test_idempotent_create_replays_the_first_answer(make, api, db_session):
    market = make.market("FR")
    cm = make.user(Role.community_manager, markets=[market])
    account = make.account(market)
    client = api(cm)
    first = client.post("/posts", {"account_id": account.id, "body": BODY}, key="create-1")
    assert first.status_code == 201
    after_first = _counts(db_session)

    replay = client.post("/posts", {"account_id": account.id, "body": BODY}, key="create-1")
    assert (replay.status_code, replay.json) == (201, first.json)
    assert replay.headers["ETag"] == first.headers["ETag"] and replay.headers["Location"] == first.headers["Location"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert _counts(db_session) == after_first  # nothing more

    assert_error(client.post("/posts", {"account_id": account.id, "body": BODY + " Autre."}, key="create-1"), 422,
                 "Idempotency-Key")
    assert _counts(db_session) == after_first
    # Keys are per user: another user's same key is a new request.
    other = api(make.user(Role.community_manager, markets=[market]))
    assert other.post("/posts", {"account_id": account.id, "body": BODY}, key="create-1").json["id"] != first.json["id"]


def test_idempotent_transition_replays_even_after_the_post_moved_on(make, api, db_session):
    market = make.market("FR")
    cm, pm = make.user(Role.community_manager, markets=[market]), make.user(Role.project_manager, markets=[market])
    post = make.post(State.draft, account=make.account(market), author=cm)
    client = api(cm)
    etag = client.get(f"/posts/{post.id}").headers["ETag"]
    submitted = client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=etag, key="submit-1")
    assert submitted.status_code == 200
    assert api(pm).act(post, "approve").status_code == 200
    after = _counts(db_session)

    # The client never saw the answer and retries with the same If-Match: the first answer, not a 412.
    replay = client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=etag, key="submit-1")
    assert (replay.status_code, replay.json) == (200, submitted.json)
    assert replay.headers["ETag"] == submitted.headers["ETag"]
    assert _counts(db_session) == after
    assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "recall"}, if_match=etag, key="submit-1"),
                 422, "Idempotency-Key")
    # The same key on another post's transitions is another request.
    other = make.post(State.draft, account=post.account, author=cm)
    assert_error(client.post(f"/posts/{other.id}/transitions", {"action": "submit"},
                             if_match=client.get(f"/posts/{other.id}").headers["ETag"], key="submit-1"),
                 422, "Idempotency-Key")


def test_a_refused_request_keeps_no_key_and_its_retry_runs_again(make, api, db_session):
    market = make.market("FR")
    cm = make.user(Role.community_manager, markets=[market])
    post = make.post(State.draft, account=make.account(market), author=cm, body="pas de majuscule")
    client = api(cm)
    etag = client.get(f"/posts/{post.id}").headers["ETag"]
    assert_error(client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=etag, key="k"), 422,
                 "body")
    edited = client.patch(f"/posts/{post.id}", {"body": BODY}, if_match=etag)
    retried = client.post(f"/posts/{post.id}/transitions", {"action": "submit"}, if_match=edited.headers["ETag"],
                          key="k")
    assert retried.status_code == 200 and retried.json["state"] == "in_review"


@pytest.fixture()
def live_app(backend, databases):
    """An app on its own committed database: requests racing on real connections (not one test transaction)."""
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "x", "helio_fr", "Helio")
        user = admin.create_user(session, "camille@helio.example", "Camille", Role.community_manager, "password",
                                 markets=[market])
        _token, secret = issue_token(session, user, "race")
        session.commit()
        account_id = account.id
    yield create_app({"DATABASE_URL": url, "SECRET_KEY": "race", "TESTING": True}), engine, secret, account_id
    engine.dispose()


def test_racing_retries_with_one_key_create_one_post(live_app):
    app, engine, secret, account_id = live_app
    answers = []

    def send() -> None:
        response = app.test_client().post("/api/v1/posts", json={"account_id": account_id, "body": BODY},
                                          headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "race"})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 4 and {status for status, _body in answers} == {201}
    assert len({body["id"] for _status, body in answers}) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 1
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_a_key_is_kept_a_day_then_runs_again_and_expired_keys_are_deleted(make, api, db_session):
    market = make.market("FR")
    cm, other = (make.user(Role.community_manager, markets=[market]) for _ in range(2))
    account = make.account(market)
    first = api(cm).post("/posts", {"account_id": account.id, "body": BODY}, key="create-1")
    api(cm).post("/posts", {"account_id": account.id, "body": BODY}, key="create-2")
    api(other).post("/posts", {"account_id": account.id, "body": BODY}, key="create-1")
    almost_a_day = utcnow() - RETENTION + timedelta(minutes=1)
    db_session.execute(update(IdempotencyKey).values(created_at=almost_a_day))

    replay = api(cm).post("/posts", {"account_id": account.id, "body": BODY}, key="create-1")
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == first.json

    db_session.execute(update(IdempotencyKey).values(created_at=almost_a_day - timedelta(minutes=2)))
    again = api(cm).post("/posts", {"account_id": account.id, "body": BODY}, key="create-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json["id"] != first.json["id"]  # a new request: a new post
    db_session.expire_all()
    kept = db_session.execute(select(IdempotencyKey.user_id, IdempotencyKey.key).order_by(IdempotencyKey.id)).all()
    assert kept == [(other.id, "create-1"), (cm.id, "create-1")]  # cm's expired keys went, the other user's wait
