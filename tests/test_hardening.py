"""Issue 10, the defects found under attack: each has its test here, on SQLite and on PostgreSQL.

Dates the database holds never break a page; one input policy refuses control characters; ids the database cannot
hold are 404s; sessions end server-side; decisions need a real ETag; logins and tokens are throttled and answered in
constant time; security headers; safe redirects; oversized numbers and bodies; any address logs in; and the
localized error pages.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from approval import create_app
from approval.api.tokens import issue_token
from approval.localtime import in_zone
from approval.models import ApiToken, User
from approval.workflow.states import Role, State

from conftest import PASSWORD

BIG_ID = 2**31
HUGE_ID = 2**63


def api_get(app: Flask, path: str, token: str, **kwargs):  # noqa: ANN003, ANN201
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def token_for(db_session, user: User) -> str:
    _token, secret = issue_token(db_session, user, "tests")
    db_session.flush()
    return secret


# 1. No date the database holds breaks a page ----------------------------------------------------------------------


@pytest.mark.parametrize(("instant", "zone"), [
    (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "Pacific/Kiritimati"),  # UTC+14 would pass year 9999
    (datetime(1, 1, 1, 0, 0, tzinfo=UTC), "America/Los_Angeles"),  # UTC-8 would fall before year 1
])
def test_a_time_out_of_the_zone_range_is_shown_in_utc(instant, zone):
    assert in_zone(instant, zone).startswith(instant.strftime("%Y-%m-%d %H:%M"))


@pytest.mark.parametrize("year", [1, 9999])
def test_far_dates_in_the_database_do_not_break_the_post_page_or_the_queue(make, web, db_session, year):
    market = make.market("NZ", "Pacific/Auckland", ("en",))
    post = make.post(State.scheduled, account=make.account(market))
    post.scheduled_at = datetime(year, 12 if year == 9999 else 1, 31 if year == 9999 else 1, 12, tzinfo=UTC)
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[market]))
    for page in (f"/posts/{post.id}", "/review", "/posts", "/posts?state=scheduled", "/hub", "/hub/dashboard",
                 "/publishing", "/calendar", "/notifications", "/reports"):
        response = web.get(page)
        assert response.status_code in (200, 302), (page, response.status_code)


# 2. One input policy: no NUL or other control character, in forms, query strings and the API --------------------


def test_control_characters_in_form_fields_and_query_strings_are_refused_with_a_message(make, web, db_session):
    market = make.market("FR")
    account = make.account(market)
    post = make.post(State.in_review, account=account)
    web.login(make.user(Role.project_manager, markets=[market]))
    attempts = [
        ("/posts/new", {"account_id": account.id, "body": "Bonjour\x00."}),
        (f"/posts/{post.id}/edit", {"body": "Bonjour\x00.", "version": post.version}),
        (f"/posts/{post.id}/comments", {"body": "Vu\x00"}),
        (f"/posts/{post.id}/actions/request_changes", {"version": post.version, "comment": "Non\x01"}),
        ("/profile/tokens", {"name": "script\x00"}),
        ("/posts/check", {"account_id": account.id, "body": "x\x1b[31m"}),
    ]
    for url, data in attempts:
        response = web.post(url, data)
        assert response.status_code == 422, (url, response.status_code)
        assert "control character" in response.get_data(as_text=True), url
    for url in ("/posts?market=%00", "/posts?state=draft%00", "/review?x=%07"):
        response = web.get(url)
        assert response.status_code == 422, url
    # Tabs and line breaks are text.
    assert web.post(f"/posts/{post.id}/comments", {"body": "Ligne 1\r\n\tLigne 2"}).status_code == 302
    db_session.refresh(post)
    assert post.state is State.in_review


def test_the_api_applies_the_same_policy(app, make, db_session):
    user = make.user(Role.community_manager)
    token = token_for(db_session, user)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/posts?market=%00", headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"]["market"]
    account = make.account(user.markets[0])
    response = client.post("/api/v1/posts", json={"account_id": account.id, "body": "Bonjour\x0b."}, headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"]["body"]


def test_a_login_with_a_nul_byte_is_refused_not_a_500(web):
    web.refresh_token("/login")
    response = web.post("/login", {"email": "a\x00@b.c", "password": "x"})
    assert response.status_code == 422


# 3. Ids the database cannot hold --------------------------------------------------------------------------------


def test_ids_past_the_database_integer_are_404_on_pages(make, web, db_session):
    web.login(make.user(Role.project_manager))
    for big in (BIG_ID, HUGE_ID):
        assert web.get(f"/posts/{big}").status_code == 404
        assert web.get(f"/posts/{big}/edit").status_code == 404
        assert web.post(f"/posts/{big}/actions/approve", {"version": 1}).status_code == 404
        assert web.post(f"/posts/{big}/comments", {"body": "Vu."}).status_code == 404
    assert web.get("/posts/0").status_code == 404


def test_ids_past_the_database_integer_in_forms_are_refused_or_ignored(make, web, db_session):
    user = make.user(Role.community_manager)
    web.login(user)
    assert web.post("/profile/tokens/revoke", {"token_id": BIG_ID}).status_code == 422
    response = web.post("/posts/check", {"account_id": BIG_ID, "campaign_id": HUGE_ID, "body": "Bonjour."})
    assert response.status_code == 200  # no account: the house rules only


def test_ids_past_the_database_integer_are_404_on_admin_pages(admin_web, make):
    for path in (f"/admin/users/{BIG_ID}/edit", f"/admin/markets/{BIG_ID}/edit", f"/admin/accounts/{HUGE_ID}/edit",
                 f"/campaigns/{BIG_ID}/edit", f"/admin/executives/{BIG_ID}/edit"):
        assert admin_web.get(path).status_code == 404, path
    assert admin_web.post(f"/admin/users/{BIG_ID}/deactivate").status_code == 404


# 4. Sessions end server-side ----------------------------------------------------------------------------------


def _session_cookie(web) -> str:  # noqa: ANN001
    return web.client.get_cookie("session").value


def test_a_cookie_saved_before_logout_opens_nothing_after_it(make, web, db_session):
    user = make.user(Role.community_manager)
    web.login(user)
    saved = _session_cookie(web)
    assert web.post("/logout").status_code == 302

    web.client.set_cookie("session", saved)
    response = web.get("/posts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = web.post("/profile/tokens", {"name": "stolen"})  # the CSRF token of the saved session
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_deactivation_ends_sessions_and_tokens_and_reactivation_brings_none_back(make, web, app, db_session):
    user = make.user(Role.community_manager)
    token = token_for(db_session, user)
    web.login(user)
    assert api_get(app, "/api/v1/me", token).status_code == 200

    user.active = False
    db_session.flush()
    user.active = True
    db_session.flush()
    response = web.get("/posts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert api_get(app, "/api/v1/me", token).status_code == 401
    web.login(user)  # they log in again, as anyone would
    assert web.get("/posts").status_code == 200


def test_an_admin_ends_all_sessions_and_tokens_and_a_password_reset_does_too(make, web, app, db_session):
    user = make.user(Role.community_manager)
    admin = make.user(Role.admin)
    admin_client = type(web)(app.test_client())
    admin_client.login(admin)

    first = token_for(db_session, user)
    web.login(user)
    page = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "End all sessions and tokens" in page
    assert admin_client.post(f"/admin/users/{user.id}/sessions/end").status_code == 303
    assert web.get("/posts").status_code == 302
    assert api_get(app, "/api/v1/me", first).status_code == 401

    second = token_for(db_session, user)
    response = admin_client.post(f"/admin/users/{user.id}/password", {"password": "a brand new password"})
    assert response.status_code == 303
    assert api_get(app, "/api/v1/me", second).status_code == 401
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "API tokens and calendar feed link revoked" in page


def test_self_service_password_change_needs_the_current_one_and_ends_other_sessions(make, web, app, db_session):
    user = make.user(Role.community_manager)
    token = token_for(db_session, user)
    other_device = type(web)(app.test_client())
    other_device.login(user)
    web.login(user)

    refused = web.post("/profile/password", {"current_password": "not it", "new_password": "a new long password",
                                             "confirm_password": "a new long password"})
    assert refused.status_code == 422 and "not your current password" in refused.get_data(as_text=True)
    short = web.post("/profile/password", {"current_password": PASSWORD, "new_password": "short",
                                           "confirm_password": "short"})
    assert short.status_code == 422 and "At least 8 characters" in short.get_data(as_text=True)

    done = web.post("/profile/password", {"current_password": PASSWORD, "new_password": "a new long password",
                                          "confirm_password": "a new long password"})
    assert done.status_code == 302
    assert web.get("/posts").status_code == 200  # this session goes on
    assert other_device.get("/posts").status_code == 302  # the other one ended
    assert api_get(app, "/api/v1/me", token).status_code == 200  # tokens are not sessions
    db_session.refresh(user)
    assert user.check_password("a new long password")


# 6. Decisions need a real ETag -----------------------------------------------------------------------------------


def test_if_match_star_is_a_428_for_decisions_only(app, make, db_session):
    market = make.market("FR")
    reviewer = make.user(Role.project_manager, markets=[market])
    token = token_for(db_session, reviewer)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    in_review = make.post(State.in_review, account=make.account(market))
    response = client.post(f"/api/v1/posts/{in_review.id}/transitions", json={"action": "approve"}, headers=headers)
    assert response.status_code == 428 and "ETag" in response.get_json()["message"]
    approved = make.post(State.approved, account=make.account(market))
    for action, extra in (("schedule", {"local_time": "2099-06-01T09:00"}),
                          ("mark_published", {"url": "https://x.com/helio/status/2"})):
        response = client.post(f"/api/v1/posts/{approved.id}/transitions", json={"action": action, **extra},
                               headers=headers)
        assert response.status_code == 428, action
    # Sending back and rejecting are decisions too; recalling one's own post decides nothing.
    for action in ("request_changes", "reject"):
        response = client.post(f"/api/v1/posts/{in_review.id}/transitions",
                               json={"action": action, "comment": "Plus court."}, headers=headers)
        assert response.status_code == 428, action
    author = in_review.created_by
    response = client.post(f"/api/v1/posts/{in_review.id}/transitions", json={"action": "recall"},
                           headers={**headers, "Authorization": f"Bearer {token_for(db_session, author)}"})
    assert response.status_code == 200


# 7. Throttling and constant-time answers -------------------------------------------------------------------------


@pytest.fixture()
def throttled(app, monkeypatch):
    """The app with its throttles on (the suite runs them off), counters empty before and after."""
    limiter = app.extensions["approval.limiter"]
    monkeypatch.setitem(app.config, "THROTTLING", True)
    limiter.reset()
    yield limiter
    limiter.reset()


def _login_attempt(web, email: str, password: str):  # noqa: ANN001, ANN202
    web.refresh_token("/login")
    return web.post("/login", {"email": email, "password": password})


def test_wrong_passwords_lock_the_address_with_a_clear_message_until_an_admin_unlocks(make, web, app, throttled):
    user = make.user(Role.community_manager)
    for _attempt in range(5):
        assert _login_attempt(web, user.email, "wrong password").status_code == 200
    locked = _login_attempt(web, user.email, PASSWORD)  # even the right password now
    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.get_data(as_text=True)
    assert locked.headers.get("Retry-After")
    # An unknown address is counted and locked the same way: the answer says nothing about who has an account.
    for _attempt in range(5):
        assert _login_attempt(web, "nobody@helio.example", "wrong password").status_code == 200
    assert _login_attempt(web, "nobody@helio.example", "x").status_code == 429
    # Another address from the same client still logs in.
    assert web.login(make.user(Role.community_manager)).status_code == 302

    admin_client = type(web)(app.test_client())
    admin_client.login(make.user(Role.admin))
    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 303
    assert _login_attempt(web, user.email, PASSWORD).status_code == 302


def test_many_failures_from_one_client_are_capped(make, web, throttled):
    for n in range(30):
        assert _login_attempt(web, f"guess{n}@helio.example", "wrong").status_code == 200
    assert _login_attempt(web, "guess99@helio.example", "wrong").status_code == 429


def test_an_unknown_address_costs_a_password_check_as_a_known_one_does(make, web, password_checks):
    user = make.user(Role.community_manager)
    _login_attempt(web, user.email, "wrong")
    _login_attempt(web, "nobody@helio.example", "wrong")
    user.active = False
    _login_attempt(web, user.email, PASSWORD)
    assert len(password_checks) == 3 and all(hashed.startswith("$argon2") for hashed in password_checks)


def test_failed_api_tokens_are_capped_per_client(app, make, db_session, throttled):
    good = token_for(db_session, make.user(Role.community_manager))
    client = app.test_client()
    for _n in range(80):  # presenting no token guesses none: not counted
        assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for n in range(60):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer apv1_guess{n}"}).status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer apv1_guess60"})
    assert response.status_code == 429 and response.mimetype == "application/json"
    # A valid token from the same client is never locked out: another integration behind the same address.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200

    def upload(token: str):  # noqa: ANN202
        return client.post("/api/v1/posts/1/media", data={"file": (io.BytesIO(b"GIF89a"), "a.gif")},
                           content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})

    # An upload's guesses count as well (its checks once ran before the limiter's, and escaped it).
    for n in range(60):
        assert upload(f"apv1_upload{n}").status_code == 401
    assert upload("apv1_upload60").status_code == 429
    assert upload(good).status_code != 429


# 8. Security headers and cookies ---------------------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy_and_the_other_headers(make, web):
    web.login(make.user(Role.community_manager))
    for response in (web.get("/posts"), web.get("/login"), web.get("/api/v1/openapi.json")):
        policy = response.headers["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "unsafe-inline" not in script and "unsafe-eval" not in script
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    assert "max-age=" in web.client.get("/login", base_url="https://approval.example").headers[
        "Strict-Transport-Security"]


def test_the_api_documentation_runs_without_inline_script(app):
    page = app.test_client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in re.search(r"script-src ([^;]*)", policy).group(1)


def test_no_template_holds_an_inline_script_or_event_handler():
    from approval.config import PROJECT_ROOT

    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        html = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), template
        assert not re.search(r"\son[a-z]+\s*=", html), template
        assert "javascript:" not in html, template


def _cookie_flags(app: Flask, **environ) -> str:  # noqa: ANN003
    client = app.test_client()
    response = client.get("/login", environ_overrides=environ)
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))


def test_the_session_cookie_is_secure_outside_the_development_server(database_url, monkeypatch):
    monkeypatch.delenv("APPROVAL_SECURE_COOKIES", raising=False)
    production = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "cookies"})
    assert "Secure" in _cookie_flags(production, SERVER_SOFTWARE="gunicorn/23.0.0")
    # `approval run` on http://127.0.0.1: the browser must get the cookie back, or nobody can log in.
    assert "Secure" not in _cookie_flags(production, SERVER_SOFTWARE="Werkzeug/3.1.9")
    monkeypatch.setenv("APPROVAL_SECURE_COOKIES", "0")
    plain = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "cookies"})
    assert "Secure" not in _cookie_flags(plain, SERVER_SOFTWARE="gunicorn/23.0.0")


# 9. Redirects: CR/LF in next -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/posts\r\nSet-Cookie: planted=1", "/posts\nplanted", "/\\evil.example",
                                    "//evil.example", "/posts\ttab"])
def test_a_next_with_line_breaks_or_another_host_falls_back_to_a_local_page(make, web, target):
    user = make.user(Role.community_manager)
    web.refresh_token("/login")
    response = web.client.post("/login", query_string={"next": target},
                               data={"email": user.email, "password": PASSWORD, "csrf_token": web.token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "planted" not in response.get_data(as_text=True) and "evil" not in response.get_data(as_text=True)
    web.refresh_token("/posts")
    response = web.post("/language", {"language": "fr", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "planted" not in response.get_data(as_text=True)


# 10 and 11. Numbers and bodies too large ------------------------------------------------------------------------


def test_a_json_integer_of_5000_digits_is_a_422_even_in_an_unknown_field(app, make, db_session):
    token = token_for(db_session, make.user(Role.community_manager))
    client = app.test_client()
    body = '{"text": "Bonjour.", "unknown": ' + "9" * 5000 + "}"
    response = client.post("/api/v1/lint", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and response.mimetype == "application/json"


def test_a_chunked_body_past_the_limit_is_a_413(app, make, db_session):
    token = token_for(db_session, make.user(Role.community_manager))
    client = app.test_client()
    chunked = {"wsgi.input_terminated": True}
    body = b'{"text": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/lint", input_stream=io.BytesIO(body), environ_overrides=chunked,
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"})
    assert response.status_code == 413 and response.mimetype == "application/json"
    form = b"email=" + b"a" * (50 * 1024 * 1024)
    response = client.post("/login", input_stream=io.BytesIO(form), environ_overrides=chunked,
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Transfer-Encoding": "chunked"})
    assert response.status_code == 413
    response = client.post("/login", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_chunked_body_is_spooled_to_disk_not_held_in_memory(app):
    """A body without a length is measured before the application reads it: it was read whole into memory (up to
    the 16 MiB limit) by anyone, logged in or not. It now waits on disk past its first megabyte."""
    import tracemalloc

    client = app.test_client()
    body = b'{"text": "' + b"a" * (12 * 1024 * 1024) + b'"}'
    stream = io.BufferedReader(io.BytesIO(body))  # allocated before measuring: only the server's copies count
    tracemalloc.start()
    try:
        response = client.post("/api/v1/lint", input_stream=stream, environ_overrides={"wsgi.input_terminated": True},
                               headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413  # past the API's limit for JSON, and the body never held whole
    assert peak < 4 * 1024 * 1024, peak


# 13. Logging in looks the address up, it does not judge it --------------------------------------------------------


def test_an_address_in_a_private_domain_logs_in(make, web, db_session):
    user = make.user(Role.community_manager)
    user.email = "x@corp.test"
    db_session.flush()
    web.refresh_token("/login")
    response = web.post("/login", {"email": " X@corp.test ", "password": PASSWORD})
    assert response.status_code == 302


# Error pages in the user's language, JSON under /api/v1 ---------------------------------------------------------


def test_error_pages_speak_the_readers_language(make, web, app):
    french = {"Accept-Language": "fr"}
    not_found = web.get("/nowhere", headers=french)
    assert not_found.status_code == 404 and 'lang="fr"' in not_found.get_data(as_text=True)
    assert "Introuvable" in not_found.get_data(as_text=True)
    wrong_method = web.get("/logout", headers=french)
    assert wrong_method.status_code == 405 and "n’accepte pas" in wrong_method.get_data(as_text=True)
    assert "The method is not allowed" not in wrong_method.get_data(as_text=True)
    too_large = web.client.post("/login", data=b"x" * (3 * 1024 * 1024), headers=french,
                                content_type="application/x-www-form-urlencoded")
    assert too_large.status_code == 413 and "trop grande" in too_large.get_data(as_text=True)
    api = app.test_client().get("/api/v1/nowhere")
    assert api.status_code == 404 and api.mimetype == "application/json"
    api = app.test_client().delete("/api/v1/openapi.json")
    assert api.status_code == 405 and api.mimetype == "application/json"


def test_an_unexpected_error_is_a_localized_500_page(database_url):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "errors"})

    @app.get("/boom")
    def boom():  # noqa: ANN202
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom", headers={"Accept-Language": "fr"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Internal Server Error" not in page and "Une erreur" in page


# 5. A locked read that waited behind an edit sees that edit's revision ------------------------------------------


@pytest.fixture()
def committed_database(backend, databases):
    """A database of its own, committed for real: concurrency needs two connections, not one rolled-back one."""
    from sqlalchemy.orm import sessionmaker

    from approval.db import make_engine

    url = databases.migrated_url(backend)
    engine = make_engine(url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def test_a_locked_load_after_a_concurrent_edit_has_the_new_revision(committed_database):
    import threading

    from approval import administration as admin
    from approval import operations as ops

    Session_ = committed_database
    with Session_() as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "x", "helio_fr")
        writer = admin.create_user(session, "w@helio.example", "Writer", Role.community_manager, "password1",
                                   markets=[market])
        reviewer = admin.create_user(session, "r@helio.example", "Reviewer", Role.project_manager, "password1",
                                     markets=[market])
        post = ops.create_post(session, writer, account, "Première version.")
        ops.act_on_post(session, post, "submit", writer, expected_version=post.version)
        session.commit()
        post_id, writer_id, reviewer_id = post.id, writer.id, reviewer.id

    editing = Session_()
    editor = editing.get(User, writer_id)
    locked = ops.load_post(editing, editor, post_id, for_update=True)
    ops.edit_post(editing, locked, editor, "Seconde version.", expected_version=locked.version)
    seen: dict[str, object] = {}

    def review() -> None:
        with Session_() as session:
            user = session.get(User, reviewer_id)
            waiting = ops.load_post(session, user, post_id, for_update=True)  # waits for the edit's commit
            revision = waiting.current_revision
            seen.update(revision_id=waiting.current_revision_id, revision=revision and revision.id,
                        body=revision and revision.body, author=revision and revision.author_id)
            session.rollback()

    thread = threading.Thread(target=review)
    thread.start()
    thread.join(timeout=1)  # it is waiting for the row
    editing.commit()
    editing.close()
    thread.join(timeout=30)
    assert seen["revision"] == seen["revision_id"] and seen["body"] == "Seconde version.", seen
    assert seen["author"] == writer_id


# 14. A lost database connection is a 503 with Retry-After, and the next request works ----------------------------


def test_a_lost_database_connection_is_a_503_and_the_next_request_succeeds(databases):
    from sqlalchemy import create_engine, text

    from approval import administration as admin
    from approval.db import db
    from conftest import POSTGRES_ADMIN_URL

    url = databases.migrated_url("postgresql")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "lost", "TESTING": True, "PROPAGATE_EXCEPTIONS": False})
    with app.app_context():
        user = admin.create_user(db.session, "a@helio.example", "A", Role.community_manager, "password1",
                                 markets=[admin.create_market(db.session, "FR", "France", "Europe/Paris", ["fr"])])
        _token, secret = issue_token(db.session, user, "tests")
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)  # kept, detached, for its e-mail
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/login").status_code == 200

    name = url.rsplit("/", 1)[1]
    killer = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        killed = connection.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                        "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    killer.dispose()
    assert killed >= 1

    lost = client.get("/api/v1/me", headers=headers)
    assert lost.status_code == 503 and lost.headers["Retry-After"] and lost.mimetype == "application/json"
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    from conftest import WebClient

    web = WebClient(app.test_client())
    web.login(user, password="password1")
    with killer.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    killer.dispose()
    page = web.get("/posts", headers={"Accept-Language": "fr"})
    assert page.status_code == 503 and page.headers["Retry-After"] and page.mimetype == "text/html"
    assert "momentanément indisponible" in page.get_data(as_text=True)
    assert web.get("/posts").status_code == 200
    app.extensions["approval.db"]["engine"].dispose()


def test_behind_a_proxy_the_client_throttled_is_the_one_it_names(database_url, monkeypatch):
    """With APPROVAL_PROXIES=1, X-Forwarded-For names the client: one client's failures do not lock out the others
    that reach the application through the same proxy."""
    monkeypatch.setenv("APPROVAL_PROXIES", "1")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "proxy", "TESTING": True, "THROTTLING": True,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()

    def attempt(address: str, email: str):  # noqa: ANN202
        return client.post("/login", data={"email": email, "password": "wrong"},
                           headers={"X-Forwarded-For": address})

    for n in range(30):
        assert attempt("203.0.113.7", f"guess{n}@helio.example").status_code == 200
    assert attempt("203.0.113.7", "guess99@helio.example").status_code == 429
    assert attempt("198.51.100.2", "someone@helio.example").status_code == 200
    https = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in https.headers


def test_a_request_without_a_body_keeps_its_answer_as_the_server_sends_it(app):
    """Gunicorn marks every request's input terminated: each GET went through the body's spool, and its answer was
    wrapped, so a file was no longer handed to the server to send itself (zero-copy)."""
    from werkzeug.test import EnvironBuilder

    class ServerSends:  # the server's wsgi.file_wrapper: what the application gives back is this, untouched
        def __init__(self, file, block_size=8192):  # noqa: ANN001, ANN204
            self.file = file

        def __iter__(self):  # noqa: ANN204
            return iter(())

        def close(self) -> None:
            self.file.close()

    environ = EnvironBuilder(path="/static/app.css", method="GET").get_environ()
    environ.update({"wsgi.input_terminated": True, "wsgi.file_wrapper": ServerSends})
    environ.pop("CONTENT_LENGTH", None)
    answer = app.wsgi_app(environ, lambda status, headers, exc_info=None: None)
    try:
        assert isinstance(answer, ServerSends), type(answer)
    finally:
        answer.close()
