"""The administration log (approval.admin_log): who changed which setting, when, from what to what; append-only."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from test_audit import refused_by_the_database

from approval import admin_log
from approval import administration as admin
from approval.models import AdminLogEntry
from approval.workflow.states import Role


@pytest.fixture(autouse=True)
def _log_start(db_session):  # noqa: ANN001, ANN202
    """The log's last row before the test: rows committed by other tests stay (the log is append-only), and SQLite
    gives a deleted market's id to the next one (tests/test_transaction_boundary.py deletes its market)."""
    global LOG_START
    LOG_START = db_session.scalar(select(func.max(AdminLogEntry.id))) or 0


LOG_START = 0


def entries(db_session, subject: str | None = None, subject_id: int | None = None) -> list[AdminLogEntry]:
    """The log's rows written by this test, oldest first."""
    db_session.expire_all()
    query = select(AdminLogEntry).where(AdminLogEntry.id > LOG_START).order_by(AdminLogEntry.id)
    if subject is not None:
        query = query.where(AdminLogEntry.subject == subject)
    if subject_id is not None:
        query = query.where(AdminLogEntry.subject_id == subject_id)
    return list(db_session.scalars(query))


def test_a_command_s_changes_are_logged_with_the_unix_user_and_the_values_before_and_after(make, db_session):
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    account = make.account(france, network="x")
    first_handle = account.handle
    admin.update_account(db_session, account, kenya, "x", "helio_ke", "Helio")
    db_session.flush()

    created, changed = entries(db_session, "account", account.id)
    assert created.action == "created" and created.actor_id is None
    assert created.actor_label.startswith("command line (")
    assert created.changes["market"] == [None, "FR"] and created.changes["network"] == [None, "x"]
    assert changed.action == "changed"
    assert changed.changes == {"handle": [first_handle, "helio_ke"], "market": ["FR", "KE"]}
    assert changed.subject_label == "X @helio_ke"


def test_a_connector_s_secret_is_never_logged_only_that_it_changed(make, db_session):
    from approval.publishing import controls

    account = make.account(make.market("FR"))
    controls.connect_account(db_session, account, "webhook", url="https://hooks.example/p",
                             secret="a-secret-never-shown-again")
    db_session.flush()
    controls.connect_account(db_session, account, "webhook", url="https://hooks.example/q",
                             secret="another-secret-never-shown")
    db_session.flush()
    controls.disconnect_account(db_session, account)
    db_session.flush()

    connected, moved, disconnected = entries(db_session, "account", account.id)[1:]
    assert connected.changes == {"connector": [None, "webhook"], "connector_url": [None, "https://hooks.example/p"],
                                 "connector_secret": [False, True]}
    assert moved.changes == {"connector_url": ["https://hooks.example/p", "https://hooks.example/q"],
                             "connector_secret": [True, True]}
    assert disconnected.changes == {"connector": ["webhook", None], "connector_url": ["https://hooks.example/q", None],
                                    "connector_secret": [True, False]}
    logged = repr([e.changes for e in entries(db_session)])
    assert "secret-never" not in logged


def test_a_user_s_role_markets_deactivation_and_password(make, db_session):
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    boss = make.user(Role.admin)
    user = make.user(Role.community_manager, markets=[france])
    admin.update_user(db_session, user, boss, user.name, Role.project_manager, markets=[france, kenya])
    admin.deactivate_user(db_session, user, boss)
    admin.reactivate_user(db_session, user)
    admin.set_user_password(db_session, user, "a-new-password-1")

    created, promoted, deactivated, reactivated, password = entries(db_session, "user", user.id)
    assert created.changes["role"] == [None, "community_manager"] and created.changes["markets"] == [None, ["FR"]]
    assert created.changes["password_hash"] == [False, True]
    assert promoted.changes == {"role": ["community_manager", "project_manager"], "markets": [["FR"], ["FR", "KE"]]}
    assert (deactivated.action, reactivated.action, password.action) == ("deactivated", "reactivated",
                                                                          "password_set")
    assert password.changes == {"password_hash": [True, True]}
    assert user.password_hash not in repr(password.changes)


def test_a_campaign_s_embargo_and_a_market_s_grace_period(make, db_session):
    from datetime import UTC, datetime

    france = make.market("FR")
    campaign = admin.create_campaign(db_session, "Rapport annuel", france, "#Rapport")
    campaign.embargo_until = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)
    france.grace_minutes = 5
    db_session.flush()

    assert entries(db_session, "campaign", campaign.id)[-1].changes == {
        "embargo_until": [None, "2027-03-10T07:00:00Z"]}
    assert entries(db_session, "market", france.id)[-1].changes == {"grace_minutes": [15, 5]}


def test_what_no_watched_field_shows_is_not_logged(make, db_session):
    user = make.user(Role.community_manager)
    account = make.account()
    before = len(entries(db_session))
    user.end_sessions()  # a logout: the user's own, not a setting
    user.locale = "fr"
    db_session.flush()
    assert len(entries(db_session)) == before
    admin_log.note(db_session, user, "sessions_ended")
    assert [e.action for e in entries(db_session, "user", user.id)][-1] == "sessions_ended"
    assert account.id is not None


def test_a_change_rolled_back_leaves_no_log(make, db_session):
    france = make.market("FR")
    before = len(entries(db_session))
    with pytest.raises(admin.Refused):
        admin.create_market(db_session, "FR", "Encore la France", "Europe/Paris", ["fr"])  # the code is taken
    savepoint = db_session.begin_nested()
    france.name = "France métropolitaine"
    db_session.flush()
    savepoint.rollback()
    assert len(entries(db_session)) == before


def test_acting_as_names_the_author(make, db_session):
    with admin_log.acting_as(db_session, "the demo"):
        market = make.market("FR")
    assert entries(db_session, "market", market.id)[0].actor_label == "the demo"


def test_the_log_is_append_only(make, db_session):
    market = make.market("FR")
    entry = entries(db_session, "market", market.id)[0]
    for statement in ("UPDATE admin_log_entries SET actor_label = 'someone else' WHERE id = :id",
                      "DELETE FROM admin_log_entries WHERE id = :id"):
        refusal = refused_by_the_database(db_session, statement, id=entry.id)
        assert "append-only" in str(refusal)
    assert entries(db_session, "market", market.id)[0].actor_label == entry.actor_label


# The page ----------------------------------------------------------------------------------------------------------


def test_the_page_says_who_changed_an_account_s_connector_and_never_its_secret(make, admin_web, admin_user,
                                                                                 db_session):
    account = make.account(make.market("FR"))
    db_session.flush()
    saved = admin_web.post(f"/publishing/settings/accounts/{account.id}", {
        "connector": "webhook", "url": "https://hooks.example/p", "secret": "a-secret-never-shown-again"})
    assert saved.status_code == 302

    entry = entries(db_session, "account", account.id)[-1]
    assert (entry.actor_id, entry.actor_label) == (admin_user.id, admin_user.email)
    page = admin_web.get(f"/admin/log?subject=account&id={account.id}").get_data(as_text=True)
    assert "https://hooks.example/p" in page and "a-secret-never-shown-again" not in page
    assert "Publishes through" in page and "Signing secret" in page and admin_user.email in page
    assert f'href="/admin/accounts/{account.id}/edit"' in page
    # The account's page links to its history.
    assert f"/admin/log?subject=account&amp;id={account.id}" in admin_web.get(
        f"/admin/accounts/{account.id}/edit").get_data(as_text=True)


def test_ending_sessions_and_unlocking_a_login_are_logged(make, admin_web, admin_user, db_session):
    user = make.user(Role.community_manager)
    db_session.flush()
    assert admin_web.post(f"/admin/users/{user.id}/sessions/end").status_code == 303
    assert admin_web.post(f"/admin/users/{user.id}/unlock").status_code == 303
    assert [e.action for e in entries(db_session, "user", user.id)][-2:] == ["sessions_ended", "login_unlocked"]
    page = admin_web.get(f"/admin/log?subject=user&id={user.id}").get_data(as_text=True)
    assert "Sessions ended" in page and "Login unlocked" in page


def test_the_log_pages_and_filters(make, admin_web, admin_user, db_session, monkeypatch):
    from approval.views import admin as admin_views

    monkeypatch.setattr(admin_views, "LOG_PAGE", 3)
    markets = [make.market(code) for code in ("BE", "BG", "CH", "DE")]
    db_session.flush()
    first = admin_web.get("/admin/log?subject=market")
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and page.count('<tr data-id="') == 3 and "DE — Market DE" in page
    older = re.search(r'href="([^"]+)" class="next"', page)
    assert older and "BE — Market BE" in admin_web.get(html.unescape(older.group(1))).get_data(as_text=True)
    mine = admin_web.get(f"/admin/log?actor={admin_user.email.upper()}").get_data(as_text=True)
    assert "No change matches." in mine  # the markets were made by a command, not by this admin
    one = admin_web.get(f"/admin/log?subject=market&id={markets[1].id}").get_data(as_text=True)
    assert one.count('<tr data-id="') == 1 and "BG — Market BG" in one


@pytest.mark.parametrize("query", ["subject=posts", "id=abc", "id=%C2%B2", "before=-1", "before=1e3"])
def test_a_bad_filter_is_a_400(admin_web, query):
    assert admin_web.get(f"/admin/log?{query}").status_code == 400


def test_only_admins_read_the_log(make, web):
    web.login(make.user(Role.project_manager, all_markets=True))
    assert web.get("/admin/log").status_code == 403


def test_a_command_is_logged_under_its_name_and_the_unix_user(cli_in_process, databases):
    import subprocess
    import sys

    from sqlalchemy import text

    from approval.db import make_engine

    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr").stdout.split()[-1]
    # The change read below made by the script in a process of its own, as an operator runs it.
    connected = subprocess.run([sys.executable, "-m", "approval.cli", "account", "connect", account_id, "--connector",
                                "webhook", "--url", "https://hooks.example/p", "--secret", "a-secret-of-enough-length"],
                               env=cli.env, capture_output=True, text=True, timeout=120)
    assert connected.returncode == 0, connected.stderr
    engine = make_engine(cli.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT subject, action, actor_label, changes FROM admin_log_entries "
                                           "ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [(subject, action) for subject, action, _label, _changes in rows] == [
        ("market", "created"), ("account", "created"), ("account", "changed")]
    assert rows[2].actor_label.startswith("approval account connect (")
    assert "a-secret-of-enough-length" not in repr(rows)
    # The log on the command line, newest last.
    printed = cli("audit", "changes", "--subject", "account", "--id", account_id).stdout
    assert printed.index("created account") < printed.index("changed account")
    assert "connector: - -> webhook" in printed and "connector_secret: set" in printed
    assert "a-secret-of-enough-length" not in printed
    assert cli("audit", "changes", "--subject", "post", check=False).returncode == 2


def test_kiosk_links_and_api_tokens_are_logged_when_made_and_revoked(make, admin_web, admin_user, db_session):
    france = make.market("FR")
    db_session.flush()
    assert admin_web.post("/hub/kiosks", {"name": "Salle Social Hub", "markets": france.code}).status_code == 303
    kiosk = entries(db_session, "kiosk")[-1]
    assert kiosk.changes == {"name": [None, "Salle Social Hub"], "markets": [None, ["FR"]]}
    assert admin_web.post("/hub/kiosks/revoke", {"kiosk_id": str(kiosk.subject_id)}).status_code == 303
    assert entries(db_session, "kiosk")[-1].action == "revoked"
    assert admin_web.post("/profile/tokens", {"name": "Planning script"}).status_code in (200, 302, 303)
    token = entries(db_session, "api_token")[-1]
    assert (token.action, token.actor_label, token.changes) == ("created", admin_user.email,
                                                                {"name": [None, "Planning script"]})


def test_an_outbox_connection_over_nothing_says_nothing_of_a_secret(make, db_session):
    from approval.publishing import controls

    account = make.account(make.market("FR"))
    controls.connect_account(db_session, account, "outbox")
    db_session.flush()
    assert entries(db_session, "account", account.id)[-1].changes == {"connector": [None, "outbox"]}


def test_a_cabinet_member_added_and_removed_is_logged(make, db_session):
    """On the executive's page (its cabinet), and on the user's when the user's page gave their executives."""
    ceo = make.executive("Hélène Marchand")
    member = make.user(Role.cabinet, executives=[])
    db_session.flush()
    db_session.expire_all()  # as a request finds them: nothing loaded
    ceo, member = db_session.get(type(ceo), ceo.id), db_session.get(type(member), member.id)
    admin.add_cabinet_member(db_session, ceo, member)
    admin.remove_cabinet_member(db_session, ceo, member)
    added, removed = entries(db_session, "executive", ceo.id)[-2:]
    assert added.changes == {"cabinet": [[], [member.email]]}
    assert removed.changes == {"cabinet": [[member.email], []]}
    boss = make.user(Role.admin)
    admin.update_user(db_session, member, boss, member.name, Role.cabinet, executives=[ceo])
    assert entries(db_session, "user", member.id)[-1].changes == {"executives": [[], ["Hélène Marchand"]]}


def test_a_webhook_address_s_token_never_reaches_the_log(make, db_session):
    """The log is append-only: a token kept in it could never be removed. Only the address as the trail shows it."""
    from approval.publishing import controls

    account = make.account(make.market("FR"))
    token_url = "https://hooks.slack.example/services/T0000AAAA/B0000BBBB/abcdefghijklmnop1234XYZ?key=s3cr3t"
    controls.connect_account(db_session, account, "webhook", url=token_url, secret="a-secret-never-shown-again")
    db_session.flush()
    controls.connect_account(db_session, account, "webhook", url=token_url.replace("XYZ", "XYW"))
    db_session.flush()
    connected, changed = entries(db_session, "account", account.id)[-2:]
    assert connected.changes["connector_url"] == [None, "https://hooks.slack.example/services/T0000AAAA/B0000BBBB/abcd…"]
    assert "connector_url" in changed.changes  # a changed token is still a change, shown masked
    logged = repr([e.changes for e in entries(db_session)])
    assert "abcdefghijklmnop" not in logged and "s3cr3t" not in logged


def test_tokens_revoked_with_their_user_are_logged(make, db_session):
    from approval.api.tokens import issue_token

    user = make.user(Role.community_manager)
    boss = make.user(Role.admin)
    token, _secret = issue_token(db_session, user, "Planning script")
    db_session.flush()
    admin.deactivate_user(db_session, user, boss)
    revoked = entries(db_session, "api_token", token.id)[-1]
    assert revoked.action == "revoked" and revoked.subject_label.startswith("Planning script (")
