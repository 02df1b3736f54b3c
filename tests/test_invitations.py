"""Invitations and "Forgot your password?" (approval.password_links, approval.password_mail): an admin invites a new
user by e-mail (or, with e-mail off, gets the link once to pass on); a user who forgot their password asks for a
link. Through the real mail path (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL: each link works once and for its
time only, a newer one ends the older, an unknown or deactivated address gets nothing and the same answer, the asks
are throttled, and no token of any shape is a 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from approval import password_mail
from approval.db import make_engine, utcnow
from approval.models import AdminLogEntry, User
from approval.models import users as users_module
from approval.password_links import Purpose, make_token
from approval.workflow.states import Role
from conftest import PASSWORD, WebClient
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


def choose(app, path: str, password: str = NEW_PASSWORD, again: str | None = None):  # noqa: ANN001, ANN201
    """Open the link's page on a browser of its own and send the new password (twice)."""
    web = WebClient(app.test_client())
    web.refresh_token(path)
    return web.post(path, {"new_password": password, "confirm_password": password if again is None else again})


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

    page = WebClient(app.test_client()).get(link_path(link))
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
    assert WebClient(app.test_client()).get(f"/invitation/{recent}").status_code == 200
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


def test_an_invited_user_is_told_apart_from_others_no_sooner_at_login(app, make, db_session, monkeypatch):
    invited = make.user(Role.community_manager)
    invited.forget_password()
    db_session.flush()
    checks = []
    real = users_module._hasher

    class CountingHasher:
        def __getattr__(self, name):  # noqa: ANN001, ANN204
            return getattr(real, name)

        def verify(self, hashed, password):  # noqa: ANN001, ANN201
            checks.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(users_module, "_hasher", CountingHasher())
    assert log_in(app, invited.email, "anything at all")[1].status_code == 200
    assert len(checks) == 1 and checks[0].startswith("$argon2")


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

    page = web.get(link_path(link))
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
    web.refresh_token(f"/password/reset/{token}")
    chosen = web.post(f"/password/reset/{token}", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
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


def test_the_command_line_invites_by_mail_or_prints_the_link(cli_in_process, smtp):
    cli = cli_in_process
    cli("db", "upgrade")
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
        assert site.test_client().get(link_path(lines[-1])).status_code == 200
        assert site.test_client().get(link_path(the_link(message))).status_code == 200
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
    assert WebClient(app.test_client()).get(f"/password/reset/{token}").status_code == 200
    camille.active = False
    db_session.flush()
    camille.active = True
    db_session.flush()
    assert WebClient(app.test_client()).get(f"/password/reset/{token}").status_code == 410
