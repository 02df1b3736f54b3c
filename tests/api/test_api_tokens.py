"""Personal API tokens: made on the profile page or by the command line, stored as a hash, revoked at once; a token
opens the API and nothing else, and the session cookie never opens the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import run_in_process
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval.api.tokens import issue_token
from approval.db import make_engine, utcnow
from approval.models import ApiToken, Post
from approval.models.tokens import token_sha256
from approval.workflow.states import Role

from .contract import ApiClient, assert_error

SECRET = re.compile(r"apv1_[A-Za-z0-9_-]{43}")


def _token_from_page(html: str) -> str:
    match = re.search(r'<code class="secret">([^<]+)</code>', html)
    assert match, html[-2000:]
    return match.group(1)


def test_the_profile_page_makes_a_token_shown_once_and_kept_as_a_hash(app, make, web, db_session):
    user = make.user(Role.community_manager)
    web.login(user)
    page = web.get("/posts").get_data(as_text=True)
    assert 'href="/profile"' in page  # the top bar links to it

    web.refresh_token("/profile")
    created = web.post("/profile/tokens", {"name": "Publishing script"})
    assert created.status_code == 200
    secret = _token_from_page(created.get_data(as_text=True))
    assert SECRET.fullmatch(secret)
    stored = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.token_hash == token_sha256(secret) and secret not in (stored.token_hash, stored.prefix)
    assert stored.name == "Publishing script" and stored.last_used_at is None

    profile = web.get("/profile").get_data(as_text=True)
    assert secret not in profile  # never shown again
    assert "Publishing script" in profile and stored.prefix in profile and "never" in profile

    me = ApiClient(app, secret).get("/me")
    assert me.status_code == 200 and me.json["email"] == user.email
    db_session.refresh(stored)
    assert stored.last_used_at is not None  # the profile shows the last use
    assert "never" not in web.get("/profile").get_data(as_text=True)

    refused = web.post("/profile/tokens", {"name": ""})
    assert refused.status_code == 422
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == [stored]


def test_a_revoked_token_is_refused_at_once(app, make, web, db_session):
    user = make.user(Role.community_manager)
    _token, secret = issue_token(db_session, user, "script")
    db_session.flush()
    client = ApiClient(app, secret)
    assert client.get("/me").status_code == 200

    web.login(user)
    web.refresh_token("/profile")
    response = web.post("/profile/tokens/revoke", {"token_id": _token.id})
    assert response.status_code == 302
    body = assert_error(client.get("/me"), 401)
    assert "revoked" in body["message"]
    assert "revoked" in web.get("/profile").get_data(as_text=True)


def test_a_user_revokes_only_their_own_tokens(app, make, web, db_session):
    owner, other = make.user(Role.community_manager), make.user(Role.community_manager)
    token, secret = issue_token(db_session, owner, "script")
    db_session.flush()
    web.login(other)
    web.refresh_token("/profile")
    assert web.post("/profile/tokens/revoke", {"token_id": token.id}).status_code == 404
    assert ApiClient(app, secret).get("/me").status_code == 200


def test_a_deactivated_users_tokens_stop_working(app, make, db_session):
    user = make.user(Role.community_manager)
    _token, secret = issue_token(db_session, user, "script")
    db_session.flush()
    client = ApiClient(app, secret)
    assert client.get("/me").status_code == 200
    admin.deactivate_user(db_session, user, make.user(Role.admin))
    db_session.flush()
    assert_error(client.get("/me"), 401)
    admin.reactivate_user(db_session, user)
    db_session.flush()
    assert_error(client.get("/me"), 401)  # deactivation revoked them: reactivating brings no token back


def test_no_token_or_a_wrong_one_is_a_401_with_a_bearer_challenge(app, make, db_session):
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer apv1_" + "x" * 43}, {"Authorization": "Bearer " + "é" * 3000}):
        response = app.test_client().get("/api/v1/posts", headers=headers)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_token_never_opens_an_html_page(app, make, db_session):
    user = make.user(Role.project_manager)
    _token, secret = issue_token(db_session, user, "script")
    db_session.flush()
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    for url in ("/posts", "/review", "/profile", "/posts/new"):
        response = client.get(url, headers=bearer)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.post("/profile/tokens", data={"name": "more"}, headers=bearer).status_code == 400  # no CSRF token


def test_the_session_cookie_never_opens_the_api(make, web, db_session):
    user = make.user(Role.community_manager)
    account = make.account(user.markets[0])
    web.login(user)
    assert web.get("/posts").status_code == 200  # logged in on the pages
    assert_error(web.get("/api/v1/me"), 401)
    assert_error(web.client.post("/api/v1/posts", json={"account_id": account.id, "body": "Bonjour."}), 401)
    assert web.post("/api/v1/posts", {"account_id": account.id, "body": "Bonjour."}).status_code == 400  # a form
    db_session.expire_all()
    assert db_session.scalars(select(Post)).all() == []


def test_approval_token_create_prints_the_token_alone(backend, databases, tmp_path):
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        admin.create_user(session, "camille@helio.example", "Camille", Role.community_manager, "secret-password",
                          markets=[france])
        gone = admin.create_user(session, "gone@helio.example", "Gone", Role.community_manager, "secret-password",
                                 markets=[france])
        gone.active = False
        session.commit()
    env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}

    def run(*args: str) -> subprocess.CompletedProcess:  # the refusals: in this process, through the script's group
        return run_in_process(["token", "create", *args], env)

    # What a script captures (``TOKEN=$(approval token create ...)``): the stdout of a process of its own.
    made = subprocess.run([sys.executable, "-m", "approval.cli", "token", "create", "Camille@helio.example", "--name",
                           "Nightly export"], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert SECRET.fullmatch(made.stdout.rstrip("\n")), made.stdout  # the token alone
    assert run("nobody@helio.example").returncode == 2
    assert run("gone@helio.example").returncode == 1
    with Session(engine) as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.name == "Nightly export" and token.token_hash == token_sha256(made.stdout.strip())
        assert token.created_at <= utcnow()
    engine.dispose()


def test_a_token_carries_all_its_users_markets(make, api, db_session):
    france, kenya, poland = (make.market(code) for code in ("FR", "KE", "PL"))
    manager = make.user(Role.project_manager, markets=[france, kenya, poland])
    client = api(manager)
    for market in (france, kenya, poland):
        post = make.post("in_review", account=make.account(market))
        assert client.act(post, "approve").status_code == 200, market.code
    assert client.get("/me").json["markets"] == ["FR", "KE", "PL"]


def test_a_program_asks_for_its_language_and_gets_its_users_otherwise(api, make, db_session):
    """The token's user reads the pages in French; their script asks for English and gets it, and one that asks for
    nothing gets their language."""
    reader = make.user(Role.community_manager)
    reader.locale = "fr"
    db_session.flush()
    client = api(reader)
    english = client.get("/posts/999999", headers={"Accept-Language": "en"}).get_json()["message"]
    french = client.get("/posts/999999").get_json()["message"]
    assert english == "Not found." and french != english, (english, french)
    assert client.get("/posts/999999", headers={"Accept-Language": "fr"}).get_json()["message"] == french


@pytest.mark.parametrize("path", ["/posts?limit=500", "/notifications?limit=500", "/posts?limit=x",
                                  "/notifications?limit=x", "/stops?all=maybe"])
def test_a_query_argument_refused_is_said_in_the_readers_language(api, make, db_session, path):
    """marshmallow's own messages are English: every argument a list takes says its refusal through the catalogue
    ("Must be greater than or equal to 1…" reached a French reader of /notifications)."""
    reader = make.user(Role.project_manager)
    reader.locale = "fr"
    db_session.flush()
    answer = api(reader).get(path)
    assert answer.status_code in (400, 422), answer.json
    said = " ".join(message for messages in answer.json["errors"].values() for message in messages)
    english = api(reader).get(path, headers={"Accept-Language": "en"}).json
    assert said and said != " ".join(m for ms in english["errors"].values() for m in ms), said
