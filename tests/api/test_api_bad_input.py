"""Bad input over the API: a 4xx in the contract's shape with the field at fault, never a 500, never a write."""

from __future__ import annotations

import json

import pytest
from conftest import row_counts

from approval.api.schemas import MAX_LINT_TEXT
from approval.models import AuditEntry, Comment, Post, Revision
from approval.workflow.states import Role, State

from .contract import assert_error


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Post, Revision, Comment, AuditEntry)


@pytest.fixture()
def setting(make, api, db_session):
    market = make.market("FR")
    account = make.account(market)
    cm = make.user(Role.community_manager, markets=[market])
    post = make.post(State.approved, account=account, author=cm)
    return api(make.user(Role.project_manager, markets=[market])), account, post


ACCOUNT = object()  # stands for the account's id
BAD_CREATES = [
    ({}, ("account_id", "body")),
    ({"account_id": "1", "body": "Bonjour."}, ("account_id",)),  # a string is not an id
    ({"account_id": 1.5, "body": "Bonjour."}, ("account_id",)),
    ({"account_id": True, "body": "Bonjour."}, ("account_id",)),
    ({"account_id": 10**40, "body": "Bonjour."}, ("account_id",)),
    ({"account_id": -1, "body": "Bonjour."}, ("account_id",)),
    ({"account_id": None, "body": "Bonjour."}, ("account_id",)),
    ({"account_id": ACCOUNT, "body": ["Bonjour."]}, ("body",)),
    ({"account_id": ACCOUNT, "body": ""}, ("body",)),
    ({"account_id": ACCOUNT, "body": "x" * 70000}, ("body",)),
    ({"account_id": ACCOUNT, "body": "Nul\x00byte."}, ("body",)),
    ({"account_id": ACCOUNT, "body": "Lone \ud800 surrogate."}, ("body",)),
    ({"account_id": ACCOUNT, "body": "Bonjour.", "campaign_id": "x"}, ("campaign_id",)),
    ({"account_id": ACCOUNT, "body": "Bonjour.", "state": "approved"}, ("state",)),  # unknown fields are refused
]


@pytest.mark.parametrize(("payload", "fields"), BAD_CREATES, ids=range(len(BAD_CREATES)))
def test_bad_post_fields_are_422_by_field(setting, db_session, payload, fields):
    client, account, _post = setting
    payload = {k: (account.id if v is ACCOUNT else v) for k, v in payload.items()}
    before = _counts(db_session)
    assert_error(client.post("/posts", payload), 422, *fields)
    assert _counts(db_session) == before


RAW_BODIES = [
    (b"{not json", "application/json", 422),
    (b'{"account_id": 1, "body": "Bonjour."', "application/json", 422),
    (b"\xff\xfe\x00garbage", "application/json", 422),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 422),
    (b"[]", "application/json", 422),
    (b'"text"', "application/json", 422),
    (b"null", "application/json", 422),
    (b"", "application/json", 422),
    (b'{"account_id": NaN, "body": Infinity}', "application/json", 422),
    (b"account_id=1&body=Bonjour.", "application/x-www-form-urlencoded", 400),
    (b"Bonjour.", "text/plain", 400),
    (b"x" * (2 * 1024 * 1024), "application/json", 413),
]


@pytest.mark.parametrize(("raw", "content_type", "status"), RAW_BODIES, ids=range(len(RAW_BODIES)))
def test_malformed_bodies_never_break_the_server(setting, db_session, raw, content_type, status):
    client, _account, post = setting
    before = _counts(db_session)
    etag = client.get(f"/posts/{post.id}").headers["ETag"]
    for method, path in (("POST", "/posts"), ("POST", f"/posts/{post.id}/transitions"),
                         ("PATCH", f"/posts/{post.id}"), ("POST", "/lint")):
        response = client.request(method, path, data=raw, content_type=content_type, if_match=etag)
        assert_error(response, status)
    assert _counts(db_session) == before


BAD_TRANSITIONS = [
    ({"action": "schedule", "scheduled_at": "tomorrow"}, ("scheduled_at",)),
    ({"action": "schedule", "scheduled_at": "9999-12-31T23:59:59-12:00"}, ("scheduled_at",)),
    ({"action": "schedule", "scheduled_at": "0001-01-01T00:00:00+14:00"}, ("scheduled_at",)),
    ({"action": "schedule", "scheduled_at": 1735689600}, ("scheduled_at",)),
    ({"action": "schedule", "local_time": "2099-02-30T10:00"}, ("local_time",)),
    ({"action": "schedule", "local_time": "2099-06-01T10:00:00"}, ("local_time",)),
    ({"action": "schedule", "local_time": "２０９９-06-01T10:00"}, ("local_time",)),  # fullwidth digits
    ({"action": "schedule", "local_time": "0001-01-01T00:00"}, ("local_time", "scheduled_at")),
    ({"action": "schedule", "local_time": "9999-12-31T23:59"}, ("local_time",)),  # it exists, but a year at most
    ({"action": 7}, ("action",)),
    ({"action": "mark_published", "url": "javascript:alert(1)"}, ("url",)),
    ({"action": "mark_published", "url": "https://" + "x" * 3000}, ("url",)),
    ({"action": "request_changes", "comment": {"text": "x"}}, ("comment",)),
]


@pytest.mark.parametrize(("payload", "fields"), BAD_TRANSITIONS, ids=range(len(BAD_TRANSITIONS)))
def test_bad_transition_fields_are_422_by_field(setting, db_session, payload, fields):
    client, _account, post = setting
    before = _counts(db_session)
    response = client.post(f"/posts/{post.id}/transitions", payload,
                           if_match=client.get(f"/posts/{post.id}").headers["ETag"])
    if not fields:
        assert response.status_code == 200, response.json
        return
    body = assert_error(response, 422)
    assert set(fields) & set(body["errors"]), body
    assert _counts(db_session) == before


@pytest.mark.parametrize("path", [
    "/posts/0", "/posts/-1", "/posts/99999999999999999999", "/posts/abc", "/posts/1.5",
    "/posts/2147483647/revisions/99999999999", "/nothing/here",
])
def test_impossible_ids_are_404(setting, path):
    client, _account, _post = setting
    assert_error(client.get(path), 404)


def test_headers_out_of_shape_are_422(setting, db_session):
    client, account, _post = setting
    before = _counts(db_session)
    assert_error(client.post("/posts", {"account_id": account.id, "body": "Bonjour."}, key="k" * 300), 422,
                 "Idempotency-Key")
    assert _counts(db_session) == before


def test_the_longest_valid_text_fits_the_body_limit_however_it_is_escaped(setting):
    client, _account, _post = setting
    longest = json.dumps({"text": "😍" * MAX_LINT_TEXT}, ensure_ascii=True).encode()  # 12 bytes a character
    assert client.post("/lint", data=longest, content_type="application/json").status_code == 200
    too_long = json.dumps({"text": "x" * (MAX_LINT_TEXT + 1)}).encode()
    assert_error(client.post("/lint", data=too_long, content_type="application/json"), 422, "text")
