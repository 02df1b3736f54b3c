"""Invitations and "Forgot your password?" (approval.password_links, approval.password_mail): an admin invites a new
user by e-mail (or, with e-mail off, gets the link once to pass on); a user who forgot their password asks for a
link. Through the real mail path (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL: each link works once and for its
time only, a newer one ends the older, an unknown or deactivated address gets nothing and the same answer, the asks
are throttled, and no token of any shape is a 500."""

from __future__ import annotations

import html
import http.cookiejar
import logging
import re
import threading
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import administration as admin
from approval import password_mail
from approval.db import make_engine, utcnow
from approval.models import AdminLogEntry, User
from approval.password_links import Purpose, make_token
from approval.workflow.states import Role
from conftest import ONE_BACKEND, PASSWORD, WebClient, committed_app
from tests.notification_helpers import Received, SmtpServer, free_port

NEW_PASSWORD = "a password of my own"
REFUSED = "This link no longer works"
SENT_OR_NOT = "If an account uses this address, a link to choose a new password is on its way."
LINK = re.compile(r"https?://[^\s\"<>]+/(?:invitation|password/reset)/[A-Za-z0-9_.\-]+")


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture()
def mail(app, smtp, monkeypatch):
    """E-mail on, through the module's SMTP server, its inbox empty (an earlier test's mails all delivered)."""
    monkeypatch.setitem(app.config, "SMTP_URL", smtp.url)
    password_mail.wait_for_mail(app)
    smtp.take()
    smtp.refuse(0)
    return smtp


@pytest.fixture()
def no_mail(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)


@pytest.fixture()
def throttled(app, monkeypatch):
    """The app with its throttles on (the suite runs them off), counters empty before and after."""
    limiter = app.extensions["approval.limiter"]
    monkeypatch.setitem(app.config, "THROTTLING", True)
    limiter.reset()
    yield limiter
    limiter.reset()


def page_text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def the_link(message: Received) -> str:
    found = LINK.findall(message.part("plain"))
    assert len(found) == 1, message.part("plain")
    assert found[0] in message.part("html")
    return found[0]


def invite(admin_web, db_session, market, **fields: str) -> tuple[User, object]:  # noqa: ANN001
    """A project manager of ``market`` invited on the admin's New user page: the user, and the page's answer."""
    data = {"email": "noor@helio.example", "name": "Noor Haddad", "role": "project_manager",
            "market_ids": str(market.id), "how": "invite", **fields}
    response = admin_web.post("/admin/users/new", data)
    assert response.status_code in (200, 303), page_text(response)[-1500:]
    db_session.expire_all()
    return db_session.scalar(select(User).where(User.email == data["email"])), response


def log_in(app, email: str, password: str):  # noqa: ANN001, ANN201
    web = WebClient(app.test_client())
    web.refresh_token("/login")
    return web, web.client.post("/login", data={"email": email, "password": password, "csrf_token": web.token})


def choose(app, path: str, password: str = NEW_PASSWORD, again: str | None = None,  # noqa: ANN001, ANN201
           web: WebClient | None = None):
    """Open the link on a browser of its own (``web``: that one), which leads to its page at an address without the
    token when the link works, and send the new password (twice) from the page it led to."""
    web = web or WebClient(app.test_client())
    page = web.get(path, follow_redirects=True).request.path
    web.refresh_token(page)
    return web.post(page, {"new_password": password, "confirm_password": password if again is None else again})


def from_address(app, address: str) -> WebClient:  # noqa: ANN001
    """A browser on another connection (the throttles count per client address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return WebClient(client)


def ask_for_a_link(web: WebClient, email: str):  # noqa: ANN201
    web.refresh_token("/password/forgot")
    return web.post("/password/forgot", {"email": email})


# Invitations -----------------------------------------------------------------------------------------------------


def test_an_invitation_is_mailed_and_its_link_works_once(app, admin_web, admin_user, make, db_session, mail):
    market = make.market("FR", languages=("en",))
    form = page_text(admin_web.get("/admin/users/new"))
    assert "Send an invitation by e-mail" in form
    assert re.search(r'value="invite"[^>]*checked|checked[^>]*value="invite"',
                     admin_web.get("/admin/users/new").get_data(as_text=True))  # the default with e-mail on

    noor, created = invite(admin_web, db_session, market)
    assert created.status_code == 303
    told = page_text(admin_web.get(created.headers["Location"]))
    assert "The invitation is sent to noor@helio.example. Its link works once, for 72 hours." in told
    assert "Invited, not signed in yet" in told and "Send the invitation again" in told
    assert not noor.has_password and not noor.must_change_password

    [message] = mail.take()
    assert message.to == ("noor@helio.example",)
    assert message.subject == "Ada Admin invites you to approval"
    assert message.message["Content-Language"] == "en"  # her market's language
    plain = message.part("plain")
    assert f"Ada Admin ({admin_user.email}) invites you to approval" in plain
    assert "Your role: project manager" in plain and "Your markets: FR · Market FR" in plain
    assert "noor@helio.example" in plain and "72 hours" in plain
    link = the_link(message)

    # Nobody logs in to the account before she chooses her password, whatever they type.
    for attempt in ("", PASSWORD, noor.password_hash):
        assert log_in(app, noor.email, attempt)[1].status_code == 200

    page = WebClient(app.test_client()).get(link_path(link), follow_redirects=True)
    assert page.status_code == 200 and "Choose your password" in page_text(page)
    assert "Welcome, Noor Haddad." in page_text(page)
    chosen = choose(app, link_path(link))
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/login"
    db_session.expire_all()
    assert noor.has_password and noor.check_password(NEW_PASSWORD) and not noor.must_change_password

    web, logged = log_in(app, noor.email, NEW_PASSWORD)
    assert logged.status_code == 302
    assert web.get("/review").status_code == 200  # her pages are open: the password is her own

    again = WebClient(app.test_client()).get(link_path(link))
    assert again.status_code == 410 and REFUSED in page_text(again)
    assert "This invitation has been used" in page_text(again)
    assert choose(app, link_path(link), "yet another password").status_code == 410
    db_session.expire_all()
    assert noor.check_password(NEW_PASSWORD)

    rows = db_session.scalars(select(AdminLogEntry).where(AdminLogEntry.subject == "user",
                                                          AdminLogEntry.subject_id == noor.id)
                              .order_by(AdminLogEntry.id)).all()
    assert [(row.action, row.actor_label) for row in rows] == [
        ("created", admin_user.email), ("invited", admin_user.email), ("password_set", "noor@helio.example")]
    assert "password_hash" not in rows[0].changes  # the "no password" of an invitation is no password set
    assert rows[1].changes == {"delivery": [None, "mail"]}
    log = page_text(admin_web.get(f"/admin/log?subject=user&id={noor.id}"))
    assert "Invitation" in log and "by e-mail" in log


def test_the_invitation_is_written_in_the_language_of_the_user_s_market(app, admin_web, make, db_session, mail):
    invite(admin_web, db_session, make.market("FR", languages=("fr",)))
    [message] = mail.take()
    assert message.message["Content-Language"] == "fr"
    assert message.part("plain").startswith("Bonjour Noor Haddad")
    assert '<html lang="fr">' in message.part("html")


def test_the_user_page_and_the_list_show_who_has_not_signed_in_yet(app, admin_web, make, db_session, mail):
    market = make.market("FR")
    noor, _created = invite(admin_web, db_session, market)
    listed = page_text(admin_web.get("/admin/users"))
    assert listed.count("Invited, not signed in yet") == 1 and "Send the invitation again" in listed
    choose(app, link_path(the_link(mail.take()[0])))
    assert "Invited, not signed in yet" not in page_text(admin_web.get("/admin/users"))
    assert "Invited, not signed in yet" not in page_text(admin_web.get(f"/admin/users/{noor.id}/edit"))
    refused = admin_web.post(f"/admin/users/{noor.id}/invitation")
    assert refused.status_code == 303 and not mail.take()
    assert "has chosen their password already" in page_text(admin_web.get(refused.headers["Location"]))


def test_an_expired_invitation_says_so_and_how_to_get_another(app, admin_web, make, db_session, mail):
    noor, _created = invite(admin_web, db_session, make.market("FR"))
    mail.take()
    with app.test_request_context():
        old = make_token(noor, Purpose.invitation, at=utcnow() - timedelta(hours=72, minutes=1))
        recent = make_token(noor, Purpose.invitation, at=utcnow() - timedelta(hours=71, minutes=59))
        future = make_token(noor, Purpose.invitation, at=utcnow() + timedelta(hours=1))
    expired = WebClient(app.test_client()).get(f"/invitation/{old}")
    assert expired.status_code == 410
    said = page_text(expired)
    assert REFUSED in said and "It worked for 72 hours after it was sent" in said
    assert "ask the admin who invited you to send the invitation again" in said
    assert "Get a new link by e-mail" in said
    assert choose(app, f"/invitation/{old}").status_code == 410
    assert WebClient(app.test_client()).get(f"/invitation/{future}").status_code == 410
    assert WebClient(app.test_client()).get(f"/invitation/{recent}", follow_redirects=True).status_code == 200
    db_session.expire_all()
    assert not noor.has_password


def test_sending_the_invitation_again_ends_the_first_link(app, admin_web, make, db_session, mail):
    noor, _created = invite(admin_web, db_session, make.market("FR"))
    first = the_link(mail.take()[0])
    resent = admin_web.post(f"/admin/users/{noor.id}/invitation")
    assert resent.status_code == 303 and resent.headers["Location"].endswith(f"/admin/users/{noor.id}/edit")
    second = the_link(mail.take()[0])
    assert first != second
    assert WebClient(app.test_client()).get(link_path(first)).status_code == 410
    assert choose(app, link_path(first)).status_code == 410
    assert choose(app, link_path(second)).status_code == 303
    actions = db_session.scalars(select(AdminLogEntry.action).where(AdminLogEntry.subject_id == noor.id,
                                                                    AdminLogEntry.subject == "user")).all()
    assert actions.count("invited") == 2 and actions.count("password_set") == 1  # a new "no password" is no password


def test_a_mail_server_that_refuses_is_told_to_the_admin_and_the_user_stays_invited(app, admin_web, make,
                                                                                   db_session, mail):
    mail.refuse(1)
    noor, created = invite(admin_web, db_session, make.market("FR"))
    assert created.status_code == 303 and not mail.take()
    told = page_text(admin_web.get(created.headers["Location"]))
    assert "The invitation to noor@helio.example could not be sent (the mail server: " in told
    assert noor is not None and not noor.has_password
    assert admin_web.post(f"/admin/users/{noor.id}/invitation").status_code == 303
    assert len(mail.take()) == 1


def test_a_refused_new_user_form_mails_nobody(app, admin_web, make, db_session, mail):
    market = make.market("FR")
    refused = admin_web.post("/admin/users/new", {"email": "not an address", "name": "Noor", "role": "project_manager",
                                                  "market_ids": str(market.id), "how": "invite"})
    assert refused.status_code == 422 and not mail.take()
    typo = admin_web.post("/admin/users/new", {"email": "noor@helio.example", "name": "Noor", "role": "admin",
                                               "how": "sideways"})
    assert typo.status_code == 422 and "Not a valid choice." in page_text(typo) and not mail.take()
    # A first password chosen, and none typed: said on the field.
    bare = admin_web.post("/admin/users/new", {"email": "noor@helio.example", "name": "Noor", "role": "admin",
                                               "how": "password"})
    assert bare.status_code == 422 and "This field is required." in page_text(bare)


def test_without_e_mail_the_admin_gets_the_link_once_to_pass_on(app, admin_web, make, db_session, no_mail):
    market = make.market("FR")
    form = admin_web.get("/admin/users/new")
    said = page_text(form)
    assert "Create an invitation link to pass on (e-mail is not set up here)" in said
    assert re.search(r'checked[^>]*value="password"|value="password"[^>]*checked', form.get_data(as_text=True))

    noor, shown = invite(admin_web, db_session, market)
    assert shown.status_code == 200
    [link] = LINK.findall(shown.get_data(as_text=True))
    assert "Copy it now and pass it on to them: it will not be shown again." in page_text(shown)
    assert link not in admin_web.get(f"/admin/users/{noor.id}/edit").get_data(as_text=True)  # once
    assert link.startswith("http://localhost/invitation/")  # the address the admin's browser opened

    # Again: a new link, shown once; the first one ends.
    again = admin_web.post(f"/admin/users/{noor.id}/invitation")
    assert again.status_code == 200
    [second] = LINK.findall(again.get_data(as_text=True))
    assert second != link
    assert WebClient(app.test_client()).get(link_path(link)).status_code == 410
    assert choose(app, link_path(second)).status_code == 303
    log = db_session.scalars(select(AdminLogEntry.changes).where(AdminLogEntry.action == "invited",
                                                                 AdminLogEntry.subject_id == noor.id)).all()
    assert log == [{"delivery": [None, "link"]}] * 2


def test_the_first_password_way_is_kept(app, admin_web, make, db_session, mail):
    noor, created = invite(admin_web, db_session, make.market("FR"), how="password", password=PASSWORD)
    assert created.status_code == 303 and not mail.take()
    assert noor.has_password and noor.must_change_password


def test_only_admins_invite(app, web, make, db_session, mail):
    market = make.market("FR")
    pending = make.user(Role.community_manager, markets=[market])
    pending.forget_password()
    db_session.flush()
    anonymous = app.test_client()
    assert anonymous.post(f"/admin/users/{pending.id}/invitation").status_code in (302, 400)
    web.login(make.user(Role.project_manager, markets=[market]))
    assert web.post(f"/admin/users/{pending.id}/invitation").status_code == 403
    assert web.post("/admin/users/new", {"email": "x@helio.example", "name": "X", "role": "admin",
                                         "how": "invite"}).status_code == 403
    assert not mail.take()
    db_session.expire_all()
    assert db_session.scalar(select(User).where(User.email == "x@helio.example")) is None


def test_an_invited_user_is_told_apart_from_others_no_sooner_at_login(app, make, db_session, password_checks):
    invited = make.user(Role.community_manager)
    invited.forget_password()
    db_session.flush()
    assert log_in(app, invited.email, "anything at all")[1].status_code == 200
    assert len(password_checks) == 1 and password_checks[0].startswith("$argon2")


# Forgot your password? -----------------------------------------------------------------------------------------


def test_a_reset_link_works_once_ends_the_sessions_and_clears_the_login_lock(app, web, make, db_session, mail,
                                                                            throttled):
    camille = make.user(Role.community_manager, name="Camille Martin")
    camille.must_change_password = True
    camille.locale = "en"  # her market speaks French: her mails would be in French otherwise
    db_session.flush()
    elsewhere, _logged = log_in(app, camille.email, PASSWORD)
    assert elsewhere.get("/profile").status_code == 200
    for _attempt in range(5):
        log_in(app, camille.email, "wrong password")
    assert log_in(app, camille.email, PASSWORD)[1].status_code == 429  # locked

    login_page = page_text(web.get("/login"))
    assert "Forgot your password?" in login_page
    asked = ask_for_a_link(web, camille.email.upper())
    assert asked.status_code == 303 and asked.headers["Location"] == "/login"
    assert SENT_OR_NOT in page_text(web.get("/login"))
    password_mail.wait_for_mail(app)
    [message] = mail.take()
    assert message.to == (camille.email,) and message.subject == "Choose a new password for approval"
    assert "The link works once, for 60 minutes." in message.part("plain")
    link = the_link(message)
    assert "/password/reset/" in link

    page = web.get(link_path(link), follow_redirects=True)
    assert page.status_code == 200 and "Choose a new password" in page_text(page)
    chosen = choose(app, link_path(link))
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/login"
    db_session.expire_all()
    assert camille.check_password(NEW_PASSWORD) and not camille.must_change_password
    assert elsewhere.get("/profile").status_code == 302  # her other session is ended

    used = choose(app, link_path(link), "yet another password")  # once
    assert used.status_code == 410 and "It has been used" in page_text(used)
    _web, logged = log_in(app, camille.email, NEW_PASSWORD)  # the lock is gone
    assert logged.status_code == 302


def test_the_login_page_after_a_reset_has_the_address_filled_in(app, make, db_session, mail):
    camille = make.user(Role.community_manager)
    db_session.flush()
    with app.test_request_context():
        token = make_token(camille, Purpose.reset)
    web = WebClient(app.test_client())
    chosen = choose(app, f"/password/reset/{token}", web=web)
    assert chosen.status_code == 303
    login = web.get("/login")
    assert f'value="{camille.email}"' in login.get_data(as_text=True)
    assert "Your new password is saved, and your sessions on other devices are ended." in page_text(login)


def test_an_unknown_address_gets_nothing_and_the_same_answer_after_the_same_work(app, web, make, db_session, mail,
                                                                                monkeypatch):
    camille = make.user(Role.community_manager)
    db_session.flush()
    written = []
    real = password_mail.reset_mail

    def counting(user, link):  # noqa: ANN001, ANN202
        written.append(user.email)
        return real(user, link)

    monkeypatch.setattr("approval.views.auth.reset_mail", counting)
    answers = []
    for address in (camille.email, "nobody@helio.example"):
        client = WebClient(app.test_client())
        response = ask_for_a_link(client, address)
        page = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "", page_text(client.get("/login")))
        answers.append((response.status_code, response.headers.get("Location"), page))
    assert answers[0] == answers[1] and SENT_OR_NOT in answers[0][2]
    assert written == [camille.email, "nobody@helio.example"]  # a mail written for each: the same work
    password_mail.wait_for_mail(app)
    assert [message.to for message in mail.take()] == [(camille.email,)]


def test_a_deactivated_user_gets_nothing_and_their_links_stop(app, admin_web, make, db_session, mail):
    camille = make.user(Role.community_manager)
    db_session.flush()
    with app.test_request_context():
        token = make_token(camille, Purpose.reset)
    assert admin_web.post(f"/admin/users/{camille.id}/deactivate").status_code == 303
    asked = ask_for_a_link(WebClient(app.test_client()), camille.email)
    assert asked.status_code == 303
    password_mail.wait_for_mail(app)
    assert not mail.take()
    refused = WebClient(app.test_client()).get(f"/password/reset/{token}")
    assert refused.status_code == 410 and "The account it was for is deactivated" in page_text(refused)
    assert choose(app, f"/password/reset/{token}").status_code == 410
    db_session.expire_all()
    assert camille.check_password(PASSWORD)


def test_asking_for_links_is_throttled_per_address_and_per_client(app, make, db_session, mail, throttled):
    camille = make.user(Role.community_manager)
    db_session.flush()
    web = WebClient(app.test_client())
    for _ask in range(3):
        assert ask_for_a_link(web, camille.email).status_code == 303
    locked = ask_for_a_link(web, camille.email)
    assert locked.status_code == 429 and locked.headers.get("Retry-After")
    assert "Too many links asked for this address" in page_text(locked)
    # From another connection, the address stays locked; an unknown address is locked the same way.
    other = from_address(app, "192.0.2.7")
    assert ask_for_a_link(other, camille.email).status_code == 429
    for _ask in range(3):
        assert ask_for_a_link(other, "nobody@helio.example").status_code == 303
    assert ask_for_a_link(other, "nobody@helio.example").status_code == 429
    password_mail.wait_for_mail(app)
    assert len(mail.take()) == 3
    # One connection asking for many addresses.
    busy = from_address(app, "192.0.2.8")
    for n in range(20):
        assert ask_for_a_link(busy, f"guess{n}@helio.example").status_code == 303
    crowded = ask_for_a_link(busy, "guess99@helio.example")
    assert crowded.status_code == 429 and "Too many links asked from your connection" in page_text(crowded)
    # A refused form (no address) asks for nothing and counts nothing.
    quiet = from_address(app, "192.0.2.9")
    for _ask in range(5):
        assert ask_for_a_link(quiet, "").status_code == 422
    assert ask_for_a_link(quiet, "someone@helio.example").status_code == 303


def test_without_e_mail_the_page_says_to_ask_an_admin(app, web, no_mail):
    said = page_text(web.get("/password/forgot"))
    assert "This site sends no e-mail" in said and 'name="email"' not in web.get("/password/forgot").get_data(
        as_text=True)


def test_the_new_password_follows_the_profile_s_rules(app, make, db_session):
    camille = make.user(Role.community_manager)
    camille.must_change_password = True  # an admin typed PASSWORD: it is not hers to keep
    db_session.flush()
    with app.test_request_context():
        path = f"/password/reset/{make_token(camille, Purpose.reset)}"
    short = choose(app, path, "short")
    assert short.status_code == 422 and "At least 8 characters." in page_text(short)
    differ = choose(app, path, NEW_PASSWORD, again="another password")
    assert differ.status_code == 422 and "The two new passwords differ." in page_text(differ)
    given = choose(app, path, PASSWORD)
    assert given.status_code == 422 and "Choose a password of your own, not the one you were given." in page_text(given)
    long = choose(app, path, "x" * 1025)
    assert long.status_code == 422
    db_session.expire_all()
    assert camille.check_password(PASSWORD)
    assert choose(app, path).status_code == 303  # the refusals did not spend the link


# Isolation and hostile links ---------------------------------------------------------------------------------------


def test_a_link_for_one_user_never_changes_another(app, make, db_session):
    camille, pierre = make.user(Role.community_manager), make.user(Role.project_manager)
    db_session.flush()
    with app.test_request_context():
        token = make_token(camille, Purpose.reset)
        invitation = make_token(camille, Purpose.invitation)
    payload, _dot, signature = token.partition(".")
    # Another's id in the payload breaks the signature.
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps([pierre.id, "x" * 32]).encode()).decode().rstrip("=")
    assert choose(app, f"/password/reset/{forged}.{signature}").status_code == 404
    # An invitation's token opens no reset page, nor the other way round.
    assert choose(app, f"/password/reset/{invitation}").status_code == 404
    assert choose(app, f"/invitation/{token}").status_code == 404
    assert choose(app, f"/password/reset/{token}").status_code == 303
    db_session.expire_all()
    assert camille.check_password(NEW_PASSWORD) and pierre.check_password(PASSWORD)


HOSTILE = ["x", "%00", "a%0D%0Ab", "9" * 5000, "..%2F..%2Fetc", "%C3%A9t%C3%A9", "a.b.c", "....", "e30.e30.e30",
           "WzEsIngiXQ.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA", "%F0%9F%98%80" * 40, "%FF%FE", "-_-_"]


@pytest.mark.parametrize("route", ["/invitation/", "/password/reset/"])
def test_a_token_of_any_shape_is_a_clear_refusal(app, route, db_session):
    web = WebClient(app.test_client())
    web.refresh_token("/login")
    with app.test_request_context():
        from itsdangerous import URLSafeTimedSerializer

        salt = "approval.password-link." + ("invitation" if "invitation" in route else "reset")
        odd = [URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt).dumps(value)
               for value in ({"id": 1}, [1], ["1", "x"], [2**63, "x"], [True, "x"], None)]
    for token in HOSTILE + odd:
        for method in ("GET", "POST"):
            response = (web.get(route + token) if method == "GET" else
                        web.post(route + token, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}))
            said = page_text(response)
            if any(mark in token for mark in ("%2F", "%00", "%0D")):
                # A control character in the address is refused as in any field (422); a slash: no such page.
                assert response.status_code in (404, 422), (method, token[:40], response.status_code)
                assert "<h1>" in response.get_data(as_text=True), (method, token[:40])
            else:  # the link's own page, saying why it opens nothing and how to get another
                assert response.status_code in (404, 410), (method, token[:40], response.status_code)
                assert REFUSED in said and "Back to logging in" in said, (method, token[:40])


def test_the_forgot_form_takes_any_input_without_a_500(app, web, mail):
    for value in ("\x00", "a\r\nb", "x" * 5000, "é@é", "<script>@x", " "):
        response = ask_for_a_link(web, value)
        assert response.status_code in (303, 400, 422), (value[:20], response.status_code)
    password_mail.wait_for_mail(app)
    assert not mail.take()


# The command line ----------------------------------------------------------------------------------------------


def test_the_command_line_invites_by_mail_or_prints_the_link(cli_in_process, smtp, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    both = cli("user", "create", "a@helio.example", "--name", "A", "--role", "admin", "--invite", "--password", "x",
               check=False)
    assert both.returncode == 2 and "--invite or --password" in both.stderr

    printed = cli("user", "create", "noor@helio.example", "--name", "Noor", "--role", "project_manager", "--market",
                  "FR", "--invite")
    lines = printed.stdout.strip().splitlines()
    assert lines[0] == "User noor@helio.example created (project_manager)."
    assert "E-mail is off" in printed.stdout
    assert LINK.fullmatch(lines[-1]) and lines[-1].startswith("http://127.0.0.1:5000/invitation/")

    smtp.take()
    cli.env["APPROVAL_SMTP_URL"] = smtp.url
    mailed = cli("user", "create", "lucile@helio.example", "--name", "Lucile", "--role", "admin", "--invite")
    assert "Invitation sent to lucile@helio.example" in mailed.stdout
    [message] = smtp.take()
    assert message.to == ("lucile@helio.example",) and message.subject == "You are invited to approval"

    # A server that refuses the connection: said on stderr, the link printed instead, exit 1; the user is saved.
    cli.env["APPROVAL_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    refused = cli("user", "create", "piotr@helio.example", "--name", "Piotr", "--role", "admin", "--invite",
                  check=False)
    assert refused.returncode == 1 and "The invitation could not be sent (" in refused.stderr
    assert LINK.fullmatch(refused.stdout.strip().splitlines()[-1])

    # The printed link opens the page on the database the command wrote, with the key it made.
    from approval import create_app

    key = (Path(cli.env["APPROVAL_INSTANCE_PATH"]) / "secret_key").read_text().strip()
    site = create_app({"TESTING": True, "DATABASE_URL": cli.url, "SECRET_KEY": key})
    try:
        assert site.test_client().get(link_path(lines[-1]), follow_redirects=True).status_code == 200
        assert site.test_client().get(link_path(the_link(message)), follow_redirects=True).status_code == 200
    finally:
        site.extensions["approval.db"]["engine"].dispose()
    engine = make_engine(cli.url)
    try:
        with Session(engine) as session:
            invited = session.scalars(select(User).order_by(User.email)).all()
            assert [(user.email, user.has_password, user.must_change_password) for user in invited] == [
                ("lucile@helio.example", False, False), ("noor@helio.example", False, False),
                ("piotr@helio.example", False, False)]
        with engine.connect() as connection:
            logged = connection.execute(text("SELECT action, changes FROM admin_log_entries WHERE subject = 'user' "
                                             "ORDER BY id")).all()
        assert [action for action, _changes in logged] == ["created", "invited"] * 3
    finally:
        engine.dispose()


def test_asking_for_links_never_locks_logging_in(app, make, db_session, mail, throttled):
    """The asks' counters are not the login's: asking for links (to the limit) leaves logging in open."""
    camille = make.user(Role.community_manager)
    db_session.flush()
    web = WebClient(app.test_client())
    for _ask in range(4):
        ask_for_a_link(web, camille.email)
    assert log_in(app, camille.email, PASSWORD)[1].status_code == 302
    password_mail.wait_for_mail(app)
    assert len(mail.take()) == 3  # the fourth was refused


def test_a_link_sent_before_a_deactivation_stays_dead_once_the_user_is_reactivated(app, make, db_session):
    """A reset link asked, then the user deactivated (their links refused) and reactivated: the link worked again.
    Deactivating ends the user's sessions, and their links with them."""
    camille = make.user(Role.community_manager, name="Camille Martin")
    db_session.flush()
    with app.test_request_context():
        token = make_token(camille, Purpose.reset)
    assert WebClient(app.test_client()).get(f"/password/reset/{token}", follow_redirects=True).status_code == 200
    camille.active = False
    db_session.flush()
    camille.active = True
    db_session.flush()
    assert WebClient(app.test_client()).get(f"/password/reset/{token}").status_code == 410


# The token out of the address ------------------------------------------------------------------------------------


def held_link(web: WebClient) -> object:
    """What the browser's session keeps of a link (none: no key of the link's in it)."""
    with web.client.session_transaction() as held:
        return {key: value for key, value in held.items() if "link" in key}


def test_a_link_leads_to_its_page_at_an_address_without_its_token(app, make, db_session):
    """As Django's PasswordResetConfirmView: the link as mailed is checked, its token kept in the browser's session,
    and the browser sent on to the page at an address without it: the page, its form's answer and what it loads
    (its Referer) carry no token. Once the password is chosen the session holds no token, and the form sent again
    (a second tab, the back button) is refused."""
    camille = make.user(Role.community_manager)
    db_session.flush()
    with app.test_request_context():
        token = make_token(camille, Purpose.reset)
    web = WebClient(app.test_client())
    opened = web.get(f"/password/reset/{token}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/password/reset/set"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    page = web.get("/password/reset/set")
    assert page.status_code == 200 and "Choose a new password" in page_text(page) and camille.email in page_text(page)
    assert token not in page.get_data(as_text=True)
    assert '<form method="post" novalidate>' in page.get_data(as_text=True)  # sent to the page's own address
    assert page.headers["Referrer-Policy"] in ("same-origin", "strict-origin", "no-referrer")

    web.refresh_token("/password/reset/set")
    cookie = app.config["SESSION_COOKIE_NAME"]
    tab = web.client.get_cookie(cookie).value  # a second tab's, sent at the same time as the first
    chosen = web.post("/password/reset/set", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/login"
    assert not held_link(web)
    db_session.expire_all()
    assert camille.check_password(NEW_PASSWORD)

    # Sent again from the page, with the session that had the token (a second tab): the link is used.
    web.client.set_cookie(cookie, tab)
    replayed = web.post("/password/reset/set", {"new_password": "another password", "confirm_password":
                                                "another password"})
    assert replayed.status_code == 410 and "It has been used" in page_text(replayed)
    assert not held_link(web)
    # Sent again with the session after the password was chosen: no link in it any more.
    web.client.delete_cookie(cookie)
    web.refresh_token("/login")
    after = web.post("/password/reset/set", {"new_password": "another password", "confirm_password":
                                             "another password"})
    assert after.status_code == 404 and REFUSED in page_text(after)
    assert "open the link again" in page_text(after)
    db_session.expire_all()
    assert camille.check_password(NEW_PASSWORD)


def test_the_page_opened_without_its_link_says_how_to_open_it(app, web):
    for path in ("/password/reset/set", "/invitation/set"):
        response = web.get(path)
        said = page_text(response)
        assert response.status_code == 404 and REFUSED in said and "open the link again" in said
        assert "Back to logging in" in said


def test_a_link_that_no_longer_works_is_refused_at_its_own_address_and_leaves_no_referer(app, make, db_session):
    camille = make.user(Role.community_manager)
    db_session.flush()
    with app.test_request_context():
        old = make_token(camille, Purpose.reset, at=utcnow() - timedelta(hours=2))
    web = WebClient(app.test_client())
    refused = web.get(f"/password/reset/{old}")
    assert refused.status_code == 410 and "It worked for 1 hour" in page_text(refused)
    # Its page's forms (the language switch) keep the Referer an HTTPS CSRF check wants: the origin, no path.
    assert refused.headers["Referrer-Policy"] in ("no-referrer", "strict-origin")
    assert not held_link(web)


def test_a_newer_link_opened_in_the_same_browser_is_the_one_its_page_uses(app, make, db_session):
    camille, pierre = make.user(Role.community_manager), make.user(Role.project_manager)
    db_session.flush()
    with app.test_request_context():
        hers, his = make_token(camille, Purpose.reset), make_token(pierre, Purpose.reset)
    web = WebClient(app.test_client())
    web.get(f"/password/reset/{hers}")
    assert web.get(f"/password/reset/{his}").status_code == 302
    assert pierre.email in page_text(web.get("/password/reset/set"))
    assert choose(app, f"/password/reset/{his}", web=web).status_code == 303
    db_session.expire_all()
    assert pierre.check_password(NEW_PASSWORD) and camille.check_password(PASSWORD)


def test_a_link_held_in_the_session_ends_as_the_link_does(app, make, db_session):
    """The invitation sent again after its first link was opened: the page, opened with the first, is refused; the
    second link opened in the same browser takes its place."""
    noor = make.user(Role.project_manager)
    noor.forget_password()
    db_session.flush()
    with app.test_request_context():
        first = make_token(noor, Purpose.invitation)
    web = WebClient(app.test_client())
    assert web.get(f"/invitation/{first}").status_code == 302
    assert web.get("/invitation/set").status_code == 200
    noor.forget_password()  # the invitation sent again
    db_session.flush()
    with app.test_request_context():
        second = make_token(noor, Purpose.invitation)
    ended = web.get("/invitation/set")
    assert ended.status_code == 410 and "a newer one was sent since" in page_text(ended)
    assert not held_link(web)
    assert choose(app, f"/invitation/{second}", web=web).status_code == 303
    db_session.expire_all()
    assert noor.check_password(NEW_PASSWORD)


def test_a_link_held_for_one_purpose_opens_no_page_of_the_other(app, make, db_session):
    camille = make.user(Role.community_manager)
    db_session.flush()
    with app.test_request_context():
        reset, invitation = make_token(camille, Purpose.reset), make_token(camille, Purpose.invitation)
    for link, other in ((f"/password/reset/{reset}", "/invitation/set"),
                        (f"/invitation/{invitation}", "/password/reset/set")):
        web = WebClient(app.test_client())
        assert web.get(link).status_code == 302
        assert web.get(other).status_code == 404
        web.refresh_token("/login")
        sent = web.post(other, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
        assert sent.status_code == 404 and REFUSED in page_text(sent)
        assert web.get(link.rsplit("/", 1)[0] + "/set").status_code == 200  # its own page still opens
    db_session.expire_all()
    assert camille.check_password(PASSWORD)


@ONE_BACKEND
def test_from_the_login_page_to_a_new_password_the_access_log_has_the_token_once(databases, backend,
                                                                                 tmp_path_factory, smtp, caplog):
    """The whole way on a real server (werkzeug's, whose access log ``approval run`` prints): the login page, "Forgot
    your password?", the mail, the link, the page, the new password, logging in with it. The link's own request
    carries its token (it is the link); no other request's line, and no page's Referer, does."""
    site = committed_app(databases, backend, tmp_path_factory, SMTP_URL=smtp.url)
    with site.app_context(), site.extensions["approval.db"]["sessionmaker"]() as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        admin.create_user(session, "camille@helio.example", "Camille", Role.community_manager, PASSWORD,
                          markets=[france])
        session.commit()
    server = make_server("127.0.0.1", 0, site, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    smtp.take()
    caplog.set_level(logging.INFO, logger="werkzeug")

    def fetch(path: str, form: dict | None = None) -> tuple[str, str]:
        """The page ``path`` leads to (its address, its text); ``form``: sent with the page's CSRF token."""
        data = None if form is None else urllib.parse.urlencode(form).encode()
        with browser.open(base + path, data, timeout=30) as response:
            return response.url, response.read().decode()

    def csrf(page: str) -> str:
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    try:
        _at, login = fetch("/login")
        assert 'href="/password/forgot"' in login
        _at, forgot = fetch("/password/forgot")
        at, answer = fetch("/password/forgot", {"email": "camille@helio.example", "csrf_token": csrf(forgot)})
        assert at == base + "/login" and SENT_OR_NOT in html.unescape(answer)
        password_mail.wait_for_mail(site)
        [message] = smtp.take()
        link = link_path(the_link(message))
        token = link.rsplit("/", 1)[1]
        at, page = fetch(link)
        assert at == base + "/password/reset/set" and "Choose a new password" in page and token not in page
        at, login = fetch("/password/reset/set", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
                                                  "csrf_token": csrf(page)})
        assert at == base + "/login" and 'value="camille@helio.example"' in login
        at, _home = fetch("/login", {"email": "camille@helio.example", "password": NEW_PASSWORD,
                                     "csrf_token": csrf(login)})
        assert at == base + "/posts"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        site.extensions["approval.db"]["engine"].dispose()
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage()) for record in caplog.records  # its colours too
             if record.name == "werkzeug"]
    requests = [line.split('"')[1] for line in lines if '"' in line]
    assert f"GET {link} HTTP/1.1" in requests
    assert "GET /password/reset/set HTTP/1.1" in requests and "POST /password/reset/set HTTP/1.1" in requests
    assert [line for line in lines if token in line] == [next(line for line in lines if f"GET {link}" in line)]


def test_asking_for_a_link_reads_the_same_whether_the_address_has_an_account_or_not(app, make, db_session, mail):
    """The answer takes as long: the same statements, whether the address is an account's (whose mail is written
    in its market's language, or its executives' markets' for a cabinet member), a deactivated one's or nobody's."""
    market = make.market("KE", languages=("en",))
    camille = make.user(Role.community_manager, markets=[market])
    executive = make.executive()
    make.account(market, executive=executive)
    cabinet = make.user(Role.cabinet, executives=[executive])
    gone = make.user(Role.community_manager)
    gone.active = False
    db_session.flush()
    assert camille.locale is None and cabinet.locale is None
    engine = app.extensions["approval.db"]["engine"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    read = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for address in (camille.email, cabinet.email, gone.email, "nobody@helio.example"):
            web = WebClient(app.test_client())
            web.refresh_token("/password/forgot")
            statements.clear()
            assert web.post("/password/forgot", {"email": address}).status_code == 303
            read[address] = [re.sub(r"sa_savepoint_\d+", "sa_savepoint", done) for done in statements]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len({tuple(done) for done in read.values()}) == 1, read
    password_mail.wait_for_mail(app)
    assert sorted(message.to[0] for message in mail.take()) == sorted([camille.email, cabinet.email])
