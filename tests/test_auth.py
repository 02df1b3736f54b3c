"""Logging in and out: hashed passwords, a new session at login, safe redirects, sessions that end when they must."""

from __future__ import annotations

from approval import administration as admin
from approval.workflow.states import Role


def test_password_is_hashed_with_argon2(make):
    user = make.user(Role.community_manager)
    assert user.password_hash.startswith("$argon2")
    assert "correct horse" not in user.password_hash
    assert user.check_password("correct horse battery") and not user.check_password("wrong")


def test_login_renews_the_session_and_sends_each_role_to_its_desk(make, web):
    desks = {Role.community_manager: "/posts", Role.project_manager: "/review", Role.cabinet: "/cabinet",
             Role.admin: "/admin"}
    for role, desk in desks.items():
        web.refresh_token("/login")
        with web.client.session_transaction() as session:
            session["planted"] = "by an attacker"
        response = web.login(make.user(role))
        with web.client.session_transaction() as session:
            assert "planted" not in session  # nothing from before the login survives
        assert web.get(response.headers["Location"]).headers["Location"].endswith(desk)


def test_next_parameter_stays_on_this_site(make, web):
    user = make.user(Role.community_manager)
    web.refresh_token("/login")
    data = {"email": user.email, "password": "correct horse battery"}
    response = web.post("/login?next=https://evil.example/phish", data)
    assert response.headers["Location"] == "/"
    web.refresh_token("/login")
    response = web.post("/login?next=/posts?state=draft", data)
    assert response.headers["Location"] == "/posts?state=draft"


def test_logout_ends_the_session(make, web):
    web.login(make.user(Role.community_manager))
    assert web.get("/posts").status_code == 200
    assert web.post("/logout").status_code == 302
    assert web.get("/posts").status_code == 302


def test_new_password_or_deactivation_ends_open_sessions(make, web, db_session):
    user = make.user(Role.community_manager)
    web.login(user)
    admin.set_user_password(db_session, user, "another secret password")
    db_session.flush()
    response = web.get("/posts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    web.login(user, password="another secret password")
    assert web.get("/posts").status_code == 200
    user.active = False
    db_session.flush()
    assert web.get("/posts").status_code == 302


def test_the_interface_speaks_french_on_request(make, web):
    web.login(make.user(Role.community_manager))
    web.post("/language", {"language": "fr", "next": "/posts"})
    assert 'lang="fr"' in web.get("/posts").get_data(as_text=True)


def test_a_login_saves_no_language_and_keeps_a_chosen_one(make, web, db_session):
    """The browser's language at a first login became the user's for good: one login from an English browser kept
    a French reader in English on every device, mails included. A login saves none (a choice does: see
    test_language_choice.py); one chosen stays."""
    reader = make.user(Role.project_manager)
    chosen = make.user(Role.project_manager)
    chosen.locale = "en"
    db_session.flush()
    web.refresh_token("/login")
    web.client.post("/login", data={"email": reader.email, "password": "correct horse battery",
                                     "csrf_token": web.token}, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    db_session.expire_all()
    assert reader.locale is None
    web.client.post("/logout", data={"csrf_token": web.refresh_token("/posts")})
    web.refresh_token("/login")
    web.client.post("/login", data={"email": chosen.email, "password": "correct horse battery",
                                    "csrf_token": web.token}, headers={"Accept-Language": "fr-FR"})
    db_session.expire_all()
    assert chosen.locale == "en"
