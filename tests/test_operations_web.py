"""The web process as an operator runs it (the operator's walk): a health check a load balancer can ask (M6), a
throttles' store that is down does not lock everyone out (M3), a media store without its bucket is a 503 that says so
(m2), and a login refused over plain HTTP names the cause (m1)."""

from __future__ import annotations

import logging
import secrets
import socket
from pathlib import Path

import boto3
import pytest
from flask import Flask
from moto.server import ThreadedMotoServer

from approval import create_app
from approval.media.storage import S3Storage
from approval.migrate import upgrade

from conftest import PASSWORD
from test_media import api_for, desk  # noqa: F401  (fixtures)
from test_media_samples import jpeg


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():  # noqa: ANN201
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def s3_client(s3_endpoint, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return boto3.client("s3", endpoint_url=s3_endpoint)


def _fresh_app(databases, tmp_path: Path, **config: object) -> Flask:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'app.db'}"
    databases.migrate(url)
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "health", **config})


# M6. /healthz -------------------------------------------------------------------------------------------------------


def test_the_health_check_says_ok_without_a_session_a_throttle_or_a_policy(databases, tmp_path):
    app = _fresh_app(databases, tmp_path, THROTTLING=True, MEDIA_URL=str(tmp_path / "media"))
    client = app.test_client()
    for _ in range(100):  # a load balancer asks every few seconds, from one address: never throttled
        answer = client.get("/healthz")
        assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"database": "ok", "media": "ok"}
    assert "Set-Cookie" not in answer.headers and "Content-Security-Policy" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    assert client.head("/healthz").status_code == 200


def test_the_health_check_says_what_failed(databases, tmp_path, monkeypatch, caplog):
    # The database out of reach: 503, and the details in the log (not to whoever asks).
    down = create_app({"TESTING": True, "SECRET_KEY": "health", "MEDIA_URL": str(tmp_path / "media"),
                       "DATABASE_URL": f"postgresql+psycopg://approval@127.0.0.1:{_closed_port()}/approval"})
    with caplog.at_level(logging.WARNING):
        answer = down.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.get_json() == {"database": "unreachable", "media": "ok"}
    assert any("health check: the database" in r.getMessage() for r in caplog.records), caplog.text
    # Behind the code: the web would answer 500s on every page that reads what the missing migration adds.
    old = tmp_path / "old.db"
    from test_operations_start import _previous_revision

    upgrade(f"sqlite:///{old}", _previous_revision())
    behind = create_app({"TESTING": True, "SECRET_KEY": "health", "DATABASE_URL": f"sqlite:///{old}",
                         "MEDIA_URL": str(tmp_path / "media")})
    answer = behind.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["database"].startswith(f"at {_previous_revision()}, this version needs ")
    # A media folder that cannot be written.
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    (tmp_path / "f").mkdir()
    app = _fresh_app(databases, tmp_path / "f", MEDIA_URL=str(blocked / "media"))
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.get_json() == {"database": "ok", "media": "unavailable"}


def test_the_health_check_asks_the_bucket(databases, tmp_path, s3_client, s3_endpoint, monkeypatch):
    monkeypatch.setenv("APPROVAL_MEDIA_S3_ENDPOINT", s3_endpoint)
    bucket = f"health-{secrets.token_hex(4)}"
    app = _fresh_app(databases, tmp_path, MEDIA_URL=f"s3://{bucket}/media")
    assert app.test_client().get("/healthz").get_json() == {"database": "ok", "media": "unavailable"}
    s3_client.create_bucket(Bucket=bucket)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"database": "ok", "media": "ok"}


# m2. A bucket that is not there --------------------------------------------------------------------------------------


def test_an_upload_to_a_bucket_that_is_not_there_is_a_503_saying_so(app, make, desk, api_for, s3_client,  # noqa: F811
                                                                      monkeypatch, caplog):
    store = S3Storage(f"missing-{secrets.token_hex(4)}", "media", client=s3_client)
    monkeypatch.setitem(app.extensions.setdefault("approval.media", {}), "storage", store)
    account, writer, _reviewer = desk
    post = make.post(account=account, author=writer, body="Une photo du stade.")
    with caplog.at_level(logging.WARNING):
        answer = api_for(writer).upload(post.id, jpeg((120, 90)), "stade.jpg", alt="Le stade")
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["message"] == ("The media store is unavailable: retry in a moment, or tell an "
                                            "administrator.")
    warned = [r for r in caplog.records if "media store" in r.getMessage()]
    assert warned and warned[0].levelno == logging.WARNING and not warned[0].exc_info, caplog.text
    assert "NoSuchBucket" in warned[0].getMessage()


# M3. The throttles' store down -------------------------------------------------------------------------------------


def test_logins_go_on_when_the_throttles_store_is_down(databases, tmp_path, caplog):
    """Redis unreachable: every POST /login was a 500, whatever the password. The throttles fall back to counting
    in the process's memory, with a warning, and still lock an address after 5 failures."""
    app = _fresh_app(databases, tmp_path, THROTTLING=True, WTF_CSRF_ENABLED=False,
                     RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_closed_port()}")
    from approval import administration as admin
    from approval.db import db
    from approval.workflow.states import Role

    with app.app_context(), db.transaction() as session:
        admin.create_user(session, "camille@helio.example", "Camille", Role.admin, PASSWORD)
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        right = client.post("/login", data={"email": "camille@helio.example", "password": PASSWORD})
        assert right.status_code == 302, right.get_data(as_text=True)
        for _ in range(5):
            wrong = client.post("/login", data={"email": "nobody@helio.example", "password": "wrong"})
            assert wrong.status_code == 200
    assert client.post("/login", data={"email": "nobody@helio.example", "password": "x"}).status_code == 429
    assert any(r.levelno == logging.WARNING and "storage" in r.getMessage().lower() for r in caplog.records)
    bad_token = client.get("/api/v1/me", headers={"Authorization": "Bearer apv1_guess"})
    assert bad_token.status_code == 401


# m1. A login over plain HTTP with Secure cookies --------------------------------------------------------------------


def test_a_form_refused_over_plain_http_with_secure_cookies_names_the_cause(databases, tmp_path, caplog):
    app = _fresh_app(databases, tmp_path, SESSION_COOKIE_SECURE=True)
    page = app.test_client().get("/login")
    session_cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in session_cookie  # a browser never sends it back over plain HTTP
    browser = app.test_client(use_cookies=False)  # Werkzeug's test client would: this one, as the browser, does not
    with caplog.at_level(logging.WARNING):
        refused = browser.post("/login", data={"email": "a@helio.example", "password": "x", "csrf_token": "t"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Serve the application over HTTPS, or set APPROVAL_SECURE_COOKIES=0 on a trusted network" in page, page
    assert any("APPROVAL_SECURE_COOKIES=0" in r.getMessage() for r in caplog.records), caplog.text
    # Over HTTPS the cookie comes back: a stale form is only that.
    secure = app.test_client()
    secure.get("/login", base_url="https://localhost")
    stale = secure.post("/login", base_url="https://localhost", data={"email": "a@helio.example", "password": "x",
                                                                      "csrf_token": "t"})
    assert stale.status_code == 400 and "APPROVAL_SECURE_COOKIES" not in stale.get_data(as_text=True)
