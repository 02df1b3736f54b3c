"""A password an admin typed is the user's until their first login only (onboarding walk, finding 5): created on the
admin's page or with `approval user create`, or reset by an admin, it sends its user to their profile's password
change from every page, saying why, until they choose their own. Their API tokens are unaffected; the demo's users
and a password one changes oneself are never forced."""

from __future__ import annotations

import html
import re

from conftest import PASSWORD, WebClient
from sqlalchemy import select, text

from approval import administration as admin
from approval.api.tokens import issue_token
from approval.db import make_engine
from approval.migrate import downgrade, upgrade
from approval.models import User
from approval.workflow.states import Role

WHY = "Choose your own password first: the one you logged in with was set for you, and someone else knows it."
NEW_PASSWORD = "my very own password"


def page_text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def created_by_the_admin(admin_web, db_session, **fields: str) -> User:  # noqa: ANN001
    """A user made on the admin's "New user" page, as an admin makes one."""
    data = {"email": "noor@helio.example", "name": "Noor", "role": "admin", "password": PASSWORD, **fields}
    response = admin_web.post("/admin/users/new", data)
    assert response.status_code == 303, page_text(response)[-2000:]
    db_session.expire_all()
    return db_session.scalar(select(User).where(User.email == data["email"]))


def log_in_as(web, user: User, password: str = PASSWORD):  # noqa: ANN001, ANN201
    """Log ``user`` in through the form, on a client of their own: the login's answer."""
    web.refresh_token("/login")
    return web.client.post("/login", data={"email": user.email, "password": password, "csrf_token": web.token})


def follow(web, response):  # noqa: ANN001, ANN201
    location = response.headers["Location"]
    assert response.status_code in (302, 303), (response.status_code, location)
    return web.get(location)


# Set by an admin: the first login leads to the password change ------------------------------------------------------


def test_a_user_the_admin_created_is_sent_to_choose_a_password_from_every_page(app, admin_web, db_session):
    noor = created_by_the_admin(admin_web, db_session)
    assert noor.must_change_password

    noor_web = WebClient(app.test_client())
    home = follow(noor_web, log_in_as(noor_web, noor))  # the login's "/" sends her on
    assert home.status_code == 302 and home.headers["Location"].endswith("/profile#password")
    profile = noor_web.get(home.headers["Location"])
    said = page_text(profile)
    assert profile.status_code == 200 and WHY in said
    assert "The password you logged in with was set for you" in said  # the section says it too
    # Only what she may do is offered: no token, feed link or preferences that would send her back here.
    html = profile.get_data(as_text=True)
    assert 'id="tokens"' not in html and 'id="calendar-feed"' not in html and 'id="notifications"' not in html
    for path in ("/admin", "/admin/users", "/posts", "/notifications", "/notifications/preferences", "/calendar"):
        answer = noor_web.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].endswith("/profile#password"), path
    # A form sent elsewhere is not taken: it is sent to the same place (303, a GET).
    noor_web.refresh_token("/profile")
    refused = noor_web.post("/profile/tokens", {"name": "Script"})
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/profile#password")
    # A page's script asking for JSON is told why in JSON, not sent to a page.
    fetched = noor_web.get("/notifications", headers={"Accept": "application/json"})
    assert fetched.status_code == 403 and fetched.json["message"] == WHY
    # What stays open: the profile, the files pages need, the language switch, logging out.
    assert noor_web.get("/static/app.css").status_code == 200
    assert noor_web.post("/language", {"language": "fr", "next": "/profile"}).status_code == 302
    assert noor_web.post("/logout").status_code == 302
    assert noor_web.get("/admin").headers["Location"].startswith("/login")


def test_choosing_her_own_password_opens_the_pages_and_clears_the_flag(app, admin_web, db_session):
    noor = created_by_the_admin(admin_web, db_session, role="project_manager", all_markets="y")
    noor_web = WebClient(app.test_client())
    log_in_as(noor_web, noor)
    noor_web.refresh_token("/profile")
    # The password she was given is no choice of her own.
    same = noor_web.post("/profile/password", {"current_password": PASSWORD, "new_password": PASSWORD,
                                               "confirm_password": PASSWORD})
    assert same.status_code == 422
    assert "Choose a password of your own, not the one you were given." in page_text(same)
    changed = noor_web.post("/profile/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                  "confirm_password": NEW_PASSWORD})
    assert changed.status_code == 302, page_text(changed)[-2000:]
    assert changed.headers["Location"] == "/"  # on to her work, the pages open
    assert "Your password is chosen: it is yours alone now." in page_text(noor_web.get("/profile"))
    db_session.expire_all()
    assert not db_session.get(User, noor.id).must_change_password
    assert noor_web.get("/review").status_code == 200
    assert WHY not in page_text(noor_web.get("/profile"))


def test_api_tokens_are_not_held_back(app, admin_web, db_session):
    """A token made before the reset (by the operator, say) keeps working: the gate is the pages'."""
    noor = created_by_the_admin(admin_web, db_session, role="project_manager", all_markets="y")
    _token, secret = issue_token(db_session, noor, "Script")
    db_session.flush()
    answer = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.json["email"] == "noor@helio.example"


def test_an_admin_reset_of_another_s_password_asks_for_a_new_choice(app, admin_web, admin_user, make, db_session):
    camille = make.user(Role.community_manager)
    db_session.flush()
    assert not camille.must_change_password
    reset = admin_web.post(f"/admin/users/{camille.id}/password", {"password": "given by the admin"})
    assert reset.status_code == 303
    told = page_text(admin_web.get(reset.headers["Location"]))
    assert "They choose their own password when they next log in." in told
    db_session.expire_all()
    assert db_session.get(User, camille.id).must_change_password
    camille_web = WebClient(app.test_client())
    home = follow(camille_web, log_in_as(camille_web, camille, "given by the admin"))
    assert home.headers["Location"].endswith("/profile#password")
    # The admin's page says she has not chosen hers yet.
    assert "They have not chosen their own password yet" in page_text(admin_web.get(f"/admin/users/{camille.id}/edit"))

    # An admin setting their own password on that page chose it: nothing to change.
    own = admin_web.post(f"/admin/users/{admin_user.id}/password", {"password": "the admin's own choice"})
    assert own.status_code == 303
    db_session.expire_all()
    assert not db_session.get(User, admin_user.id).must_change_password


def test_a_password_one_changes_oneself_never_asks_again(make, web, db_session):
    user = make.user(Role.community_manager)
    web.login(user)
    changed = web.post("/profile/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                             "confirm_password": NEW_PASSWORD})
    assert changed.status_code == 302
    db_session.expire_all()
    assert not db_session.get(User, user.id).must_change_password
    assert web.get("/posts").status_code == 200


def test_the_use_cases_set_the_flag_only_when_asked(db_session):
    """The demo's users and the factories' keep their password (``create_user``'s default)."""
    kept = admin.create_user(db_session, "kept@helio.example", "Kept", Role.admin, PASSWORD)
    given = admin.create_user(db_session, "given@helio.example", "Given", Role.admin, PASSWORD,
                              must_change_password=True)
    assert (kept.must_change_password, given.must_change_password) == (False, True)
    admin.set_user_password(db_session, kept, "another password", must_change_password=True)
    assert kept.must_change_password


# The command line and the demo --------------------------------------------------------------------------------------


def test_a_user_the_operator_creates_from_the_command_line_chooses_their_own(cli_in_process, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("user", "create", "first@example.com", "--name", "First", "--role", "admin", input="a-long-password\n")
    engine = make_engine(cli.url)
    try:
        with engine.connect() as connection:
            flagged = connection.scalar(text("SELECT must_change_password FROM users WHERE email = :email"),
                                        {"email": "first@example.com"})
    finally:
        engine.dispose()
    assert flagged in (True, 1)


def test_the_demo_s_users_are_never_sent_to_change_their_password(cli_in_process):
    cli = cli_in_process
    cli("demo")
    engine = make_engine(cli.url)
    try:
        with engine.connect() as connection:
            flags = connection.execute(text("SELECT email, must_change_password FROM users")).all()
    finally:
        engine.dispose()
    assert flags and all(not flag for _email, flag in flags), flags


# The migration --------------------------------------------------------------------------------------------------------


def test_the_migration_keeps_every_existing_user_s_password_as_theirs(databases, backend):
    from test_migrations import database_at

    with database_at(databases, backend, "0034") as (url, engine):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO users (email, name, role, password_hash, all_markets, active, "
                                    "created_at, session_epoch) VALUES ('old@helio.example', 'Old', 'admin', 'x', "
                                    ":no, :yes, CURRENT_TIMESTAMP, 0)"), {"no": False, "yes": True})
        upgrade(url, "0035")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT must_change_password FROM users")) in (False, 0)
        downgrade(url, "0034")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM users")) == 1


def test_the_profile_says_nothing_to_a_user_who_chose_their_password(make, web):
    web.login(make.user(Role.community_manager))
    assert "The password you logged in with was set for you" not in page_text(web.get("/profile"))
