"""What a brand deploying from nothing met in the administration (/tmp/w/reports/onboarding.md): a market's name cut
inside a word ("Franc|e"), staffing counts that led to every user of the role, accounts created connected to nothing
and connected one by one on another page, a change log that read "— → outbox", a review queue that painted "1 minute"
as late, "All markets" offered to a cabinet member, and disabled inputs that looked enabled."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_admin import assert_form_error, assert_redirect, count, text
from test_admin_walk_fixes import _BROKEN_WORDS
from test_browser import PASSWORD as BROWSER_PASSWORD
from test_browser import chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.db import utcnow
from approval.models import Account, AdminLogEntry, Market, User, WallSettings
from approval.publishing import controls
from approval.workflow.states import Role, State


def squeezed(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", text(response))


def _admin(engine) -> None:  # noqa: ANN001
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, BROWSER_PASSWORD)
        session.commit()


def _to_french(page) -> None:  # noqa: ANN001
    page.click("header button[name=language][value=fr]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "fr"


# #2: a market's name is never cut inside a word -----------------------------------------------------------------------


@pytest.mark.browser
def test_the_markets_list_keeps_short_names_whole_at_1366_px(chromium, live_server):  # noqa: F811
    """France, India and Kenya with their accounts and people, as the probe set them up: "Franc|e" at 1366 px, in
    English and in French. A long country name stays whole too; a 120-character one still wraps (the admin walk's
    test), and no page is wider than the window."""
    base, engine = live_server
    _admin(engine)
    with Session(engine) as session:
        france = session.scalar(select(Market).where(Market.code == "FR"))
        india = admin.create_market(session, "IN", "India", "Asia/Kolkata", ["en", "hi"])
        kenya = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en", "sw"])
        for market, handle in ((india, "GlobexIndia"), (kenya, "GlobexKenya"), (france, "GlobexFrance")):
            for network in ("facebook", "instagram", "linkedin"):
                admin.create_account(session, market, network, handle.lower() if network == "instagram" else handle,
                                     "Globex")
        admin.create_user(session, "pm@globex.example", "Priya Menon", Role.project_manager, BROWSER_PASSWORD,
                          markets=[france, kenya, india])
        admin.create_user(session, "cm.ke@globex.example", "Wanjiru Kamau", Role.community_manager, BROWSER_PASSWORD,
                          markets=[kenya])
        session.commit()
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    sign_in(page, base, "ada@helio.example")
    for language_ in ("en", "fr"):
        if language_ == "fr":
            _to_french(page)
        for path in ("/admin/markets", "/admin/accounts", "/admin/users"):
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366, (language_, path)
            assert page.evaluate(_BROKEN_WORDS, "table th, table td") == [], (language_, path)  # ["France"]
    with Session(engine) as session:  # a longer name: it was the one cut then ("Liechtenste|in")
        admin.create_market(session, "LI", "Liechtenstein", "Europe/Vaduz", ["de"])
        session.commit()
    for language_ in ("fr", "en"):
        page.click(f"header button[name=language][value={language_}]")
        page.wait_for_load_state()
        page.goto(base + "/admin/markets")
        assert page.evaluate(_BROKEN_WORDS, "table th, table td") == [], language_
    context.close()


# #3: the staffing counts lead to that market's people, or to a new one ------------------------------------------------


def _staffing_links(page: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr> ?<th scope="row">{code}</th>(.*?)</tr>', page)
    assert row, page[-3000:]
    return {column: html.unescape(re.search(rf'<td data-label="{column}"><a href="([^"]+)"', row.group(1)).group(1))
            for column in ("Project managers", "Community managers")}


def test_a_market_s_staffing_counts_link_to_its_people_or_to_a_new_user_of_that_role(admin_web, make):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en", "sw"))
    make.user(Role.project_manager, markets=[france])
    make.user(Role.community_manager, markets=[france])

    page = squeezed(admin_web.get("/admin/markets"))

    assert _staffing_links(page, "FR") == {"Project managers": "/admin/users?role=project_manager&market=FR",
                                           "Community managers": "/admin/users?role=community_manager&market=FR"}
    assert _staffing_links(page, "KE") == {
        "Project managers": f"/admin/users/new?role=project_manager&market_id={kenya.id}",
        "Community managers": f"/admin/users/new?role=community_manager&market_id={kenya.id}"}
    # A screen reader hears where the zero leads; the page still says the market has nobody to approve.
    assert "0<span class=\"visually-hidden\"> (new project manager for KE)</span></a> <span class=\"error\">no " \
           "reviewer</span>" in page


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<td data-label="E-mail" class="typed">([^<]+)</td>', text(response))


def test_the_users_list_takes_a_market_its_people_and_those_of_every_market(admin_web, make, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en", "sw"))
    of_france = make.user(Role.project_manager, markets=[france])
    of_kenya = make.user(Role.project_manager, markets=[kenya])
    everywhere = make.user(Role.project_manager, all_markets=True)
    writer = make.user(Role.community_manager, markets=[france, kenya])
    make.user(Role.cabinet)
    db_session.flush()

    assert sorted(_listed(admin_web.get("/admin/users?role=project_manager&market=FR"))) == sorted(
        [of_france.email, everywhere.email])
    assert sorted(_listed(admin_web.get("/admin/users?market=fr"))) == sorted(
        [of_france.email, everywhere.email, writer.email])
    page = squeezed(admin_web.get("/admin/users?role=project_manager&market=KE"))
    assert of_kenya.email in page and of_france.email not in page
    # The role tabs keep the market, and count its people; the market tabs keep the role.
    assert '<a href="/admin/users?role=community_manager&amp;market=KE" class="">community manager <span ' \
           'class="count">1</span></a>' in page
    assert '<a href="/admin/users?role=project_manager&amp;market=FR" class="" title="Market FR">FR</a>' in page
    # Its "New user" starts with that role and market.
    assert f'href="/admin/users/new?role=project_manager&amp;market_id={kenya.id}"' in page


@pytest.mark.parametrize("market", ["ZZ", "france", "F", "ß", "9" * 5000])
def test_a_market_that_is_none_is_ignored_as_a_role_that_is_none_is(admin_web, make, db_session, market):
    make.user(Role.community_manager, markets=[make.market("FR")])
    everyone = {user.email for user in db_session.scalars(select(User))}
    assert set(_listed(admin_web.get("/admin/users", query_string={"market": market}))) == everyone
    assert set(_listed(admin_web.get("/admin/users", query_string={"role": "superadmin"}))) == everyone
    # A control character is refused before any list reads it, in either.
    assert admin_web.get("/admin/users", query_string={"market": "FR\x00"}).status_code == 422
    assert admin_web.get("/admin/users", query_string={"role": "admin\x00"}).status_code == 422


def test_a_new_user_s_form_opens_with_the_role_and_market_it_was_asked_for(admin_web, make):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en", "sw"))

    page = squeezed(admin_web.get(f"/admin/users/new?role=project_manager&market_id={kenya.id}"))

    assert '<option selected value="project_manager">' in page
    assert re.search(rf'<input checked id="market_ids-\d+" name="market_ids" type="checkbox" value="{kenya.id}">',
                     page), page
    assert not re.search(rf'<input checked[^>]* value="{france.id}">', page)
    # What is none of the choices opens the form as ever.
    page = squeezed(admin_web.get("/admin/users/new?role=superadmin&market_id=99999"))
    # (How the user gets in is one of two radio buttons: one is always chosen.)
    assert "<option selected" not in page and not re.search(r'<input checked[^>]*type="checkbox"', page)


# #4: an account publishes from its creation ---------------------------------------------------------------------------


def _new_account(market: Market, handle: str, **fields: str) -> dict:
    return {"market_id": str(market.id), "network": "facebook", "handle": handle, "brand": "Globex", "kind": "brand",
            "executive_id": "", **fields}


def _log_rows(db_session, account: Account) -> list[AdminLogEntry]:
    db_session.expire_all()
    return list(db_session.scalars(select(AdminLogEntry).where(AdminLogEntry.subject == "account",
                                                               AdminLogEntry.subject_id == account.id)))


def test_a_new_account_publishes_through_the_outbox_chosen_on_its_form(admin_web, make, db_session):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))

    answer = admin_web.post("/admin/accounts/new", _new_account(kenya, "GlobexKenya", connector="outbox"))

    assert_redirect(answer, "/admin/accounts?market=KE")
    account = db_session.scalars(select(Account)).one()
    assert (account.connector, account.connector_url, account.connector_secret) == ("outbox", None, None)
    listed = squeezed(admin_web.get(answer.headers["Location"]))
    assert "Account Facebook @GlobexKenya created: it publishes through the outbox." in listed
    assert "not connected to a publisher yet" not in listed
    # One change, as on the publishing settings: audited in the change log, with the account.
    [created] = _log_rows(db_session, account)
    assert created.action == "created" and created.changes["connector"] == [None, "outbox"]


def test_a_new_account_publishes_through_a_webhook_checked_as_the_publishing_settings_check_it(admin_web, make,
                                                                                                db_session):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))

    answer = admin_web.post("/admin/accounts/new", _new_account(
        kenya, "GlobexKenya", connector="webhook", url=" https://hooks.example/globex ",
        secret="a-secret-never-shown-again"))

    assert_redirect(answer)
    account = db_session.scalars(select(Account)).one()
    assert (account.connector, account.connector_url, account.connector_secret) == (
        "webhook", "https://hooks.example/globex", "a-secret-never-shown-again")
    [created] = _log_rows(db_session, account)
    assert created.changes["connector"] == [None, "webhook"]
    assert created.changes["connector_secret"] == [False, True]  # never its value
    assert "a-secret-never-shown-again" not in str(created.changes)
    assert "it publishes through a webhook." in squeezed(admin_web.get(answer.headers["Location"]))


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"connector": "webhook", "url": "", "secret": "s" * 20}, "url", "Give the webhook's address (http or https)."),
    ({"connector": "webhook", "url": "ftp://hooks.example/x", "secret": "s" * 20}, "url",
     "Give the webhook's address (http or https)."),
    ({"connector": "webhook", "url": "https://u:p@hooks.example/x", "secret": "s" * 20}, "url",
     "Put no user name or password in the address: the receiver checks the X-Approval-Signature header instead."),
    ({"connector": "webhook", "url": "https://hooks.example/x", "secret": ""}, "secret",
     "Give the secret that signs each call."),
    ({"connector": "webhook", "url": "https://hooks.example/x", "secret": "short"}, "secret",
     "The secret has 16 to 200 characters."),
    ({"connector": ""}, "connector", "Choose how it publishes: the outbox, a webhook, or not connected yet."),
    ({"connector": "carrier-pigeon"}, "connector", "Not a valid choice."),
])
def test_a_connector_refused_creates_no_account_and_says_why_on_its_field(admin_web, make, db_session, fields, field,
                                                                          message):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))

    answer = admin_web.post("/admin/accounts/new", _new_account(kenya, "GlobexKenya", **fields))

    assert_form_error(answer, message)
    assert re.search(rf'id="{field}-errors"><p class="error">{re.escape(message)}</p>',
                     squeezed(answer).replace("&#39;", "'")), squeezed(answer)[-3000:]
    assert count(db_session, Account) == 0
    assert db_session.scalar(select(AdminLogEntry).where(AdminLogEntry.subject == "account")) is None


def test_a_refused_handle_and_a_refused_webhook_are_told_in_one_round(admin_web, make, db_session):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))
    make.account(kenya, "x").handle = "globex_ke"
    db_session.flush()

    answer = admin_web.post("/admin/accounts/new", {**_new_account(kenya, "@Globex_KE", connector="webhook",
                                                                   url="hooks.example", secret="short"),
                                                    "network": "x"})

    page = squeezed(answer).replace("&#39;", "'")
    assert answer.status_code == 422
    assert "X already has the account @globex_ke." in page
    assert "Give the webhook's address (http or https)." in page
    assert count(db_session, Account) == 1


def test_not_connected_yet_is_a_choice_and_says_where_it_is_connected_later(admin_web, make, db_session):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))

    answer = admin_web.post("/admin/accounts/new", _new_account(kenya, "GlobexKenya", connector="none",
                                                                url="https://hooks.example/ignored"))

    assert_redirect(answer)
    account = db_session.scalars(select(Account)).one()
    assert (account.connector, account.connector_url) == (None, None)
    assert "not connected to a publisher yet" in squeezed(admin_web.get(answer.headers["Location"]))


def _chosen_connector(page: str) -> str | None:
    select_ = re.search(r'<select[^>]* name="connector"[^>]*>(.*?)</select>', page)
    assert select_, page[-3000:]
    chosen = re.search(r'<option selected value="([^"]*)">', select_.group(1))
    return chosen.group(1) if chosen else None


def test_the_choice_starts_on_the_connector_every_account_shares_else_on_none(admin_web, make, db_session):
    """Never the outbox on its own: a post published into an outbox nobody reads is told "published" and never goes
    out. When every account connected so far shares one connector, a new one starts on it."""
    france = make.market("FR")
    assert _chosen_connector(squeezed(admin_web.get("/admin/accounts/new"))) == ""  # the first account: chosen
    first, second, gone = make.account(france, "x"), make.account(france, "facebook"), make.account(france, "linkedin")
    make.account(france, "instagram")  # not connected yet: says nothing of the others
    for account in (first, second):
        controls.connect_account(db_session, account, "outbox")
    controls.connect_account(db_session, gone, "webhook", url="https://hooks.example/x", secret="s" * 20)
    gone.active = False  # a deactivated account's connector is no example
    db_session.flush()
    assert _chosen_connector(squeezed(admin_web.get("/admin/accounts/new"))) == "outbox"

    gone.active = True
    db_session.flush()
    assert _chosen_connector(squeezed(admin_web.get("/admin/accounts/new"))) == ""


def test_the_account_s_own_page_changes_no_connector(admin_web, make):
    account = make.account(make.market("FR"))
    page = squeezed(admin_web.get(f"/admin/accounts/{account.id}/edit"))
    assert 'name="connector"' not in page and 'name="secret"' not in page  # the publishing settings do


# #14: the change log names the connector in the reader's words -----------------------------------------------------


def test_the_change_log_names_the_connector_in_the_reader_s_language(admin_web, make, db_session):
    account = make.account(make.market("FR"))
    controls.connect_account(db_session, account, "outbox")
    db_session.flush()
    controls.connect_account(db_session, account, "webhook", url="https://hooks.example/x", secret="s" * 20)
    db_session.flush()

    page = squeezed(admin_web.get("/admin/log"))
    assert "<dt>Publishes through</dt><dd><del>—</del> → <ins>the outbox</ins></dd>" in page, page[-4000:]
    assert "<dt>Publishes through</dt><dd><del>the outbox</del> → <ins>a webhook</ins></dd>" in page
    assert ">outbox<" not in page and ">webhook<" not in page  # the stored words, never shown

    admin_web.post("/language", {"language": "fr", "next": "/admin"})
    page = squeezed(admin_web.get("/admin/log"))
    assert "<dt>Publie par</dt><dd><del>—</del> → <ins>la boîte d’envoi</ins></dd>" in page, page[-4000:]
    assert "<dt>Publie par</dt><dd><del>la boîte d’envoi</del> → <ins>un webhook</ins></dd>" in page


# #8: the review queue's waits, on the wall's thresholds ---------------------------------------------------------------


def _ages(response) -> dict[str, str]:
    """Each post's "Waiting for" cell's classes, by post number."""
    page = squeezed(response)
    return dict(re.findall(r'<a href="/posts/(\d+)[^"]*">#\d+</a>.*?<td class="([^"]*)" data-label="Waiting for"',
                           page))


def test_the_review_queue_paints_a_wait_as_the_wall_does(web, make, db_session):
    france = make.market("FR")
    web.login(make.user(Role.project_manager, markets=[france]))
    now = utcnow()
    waits = {}
    for minutes in (1, 119, 121, 479, 481):
        post = make.post(State.in_review, account=make.account(france))
        post.submitted_at = now - timedelta(minutes=minutes)
        waits[str(post.id)] = minutes
    db_session.flush()

    seen = {waits[number]: classes for number, classes in _ages(web.get("/review")).items()}
    assert seen == {1: "age", 119: "age", 121: "age amber", 479: "age amber", 481: "age red"}

    db_session.add(WallSettings(review_amber_minutes=1, review_red_minutes=120))  # as the admins set them
    db_session.flush()
    seen = {waits[number]: classes for number, classes in _ages(web.get("/review")).items()}
    assert seen == {1: "age amber", 119: "age amber", 121: "age red", 479: "age red", 481: "age red"}


# #20: "All markets" is not offered to a cabinet member ----------------------------------------------------------------


def test_a_cabinet_member_sent_with_all_markets_is_saved_as_before(admin_web, make, db_session):
    """What the server does when the box comes ticked for a cabinet member (the command line's --all-markets, the API,
    a page without its script): it saves it, as before; the member still sees only their executives' messages, and
    their filters list every market. The page's script no longer offers it to a new one."""
    ceo = make.executive("Hélène Marchand")
    answer = admin_web.post("/admin/users/new", {"email": "cab@helio.example", "name": "Cab", "role": "cabinet",
                                                 "all_markets": "y", "executive_ids": [ceo.id],
                                                 "password": "a long secret"})
    assert_redirect(answer)
    cabinet = db_session.scalar(select(User).where(User.email == "cab@helio.example"))
    assert (cabinet.role, cabinet.all_markets) == (Role.cabinet, True)


@pytest.mark.browser
def test_all_markets_is_hidden_for_a_new_cabinet_member_and_kept_in_sight_for_one_who_has_it(chromium,  # noqa: F811
                                                                                          live_server):  # noqa: F811
    base, engine = live_server
    _admin(engine)
    with Session(engine) as session:
        sophie = session.scalar(select(User).where(User.email == "sophie@helio.example"))
        everywhere = admin.create_user(session, "wide@helio.example", "Wide Cabinet", Role.cabinet, BROWSER_PASSWORD,
                                       all_markets=True, executives=list(sophie.executives))
        session.commit()
        sophie_id, everywhere_id = sophie.id, everywhere.id
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "ada@helio.example")
    box = "input[name=all_markets]"

    page.goto(base + "/admin/users/new")
    for role, offered in (("community_manager", True), ("cabinet", False), ("project_manager", True),
                          ("cabinet", False), ("admin", False)):
        page.select_option("select[name=role]", role)
        assert (page.is_visible(box), page.is_enabled(box)) == (offered, offered), role

    page.goto(f"{base}/admin/users/{sophie_id}/edit")
    assert not page.is_visible(box) and not page.is_enabled(box)
    # One saved with it keeps it in sight, ticked: their admin sees it, and may untick it.
    page.goto(f"{base}/admin/users/{everywhere_id}/edit")
    assert page.is_visible(box) and page.is_enabled(box) and page.is_checked(box)
    page.uncheck(box)
    page.click("main form.card button[type=submit]")
    page.wait_for_load_state()
    with Session(engine) as session:
        assert session.get(User, everywhere_id).all_markets is False
    context.close()


# #22: a disabled input looks disabled ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_webhook_s_inputs_on_an_outbox_row_look_disabled(chromium, live_server):  # noqa: F811
    base, engine = live_server
    _admin(engine)
    with Session(engine) as session:
        outbox, hooked = session.scalars(select(Account).order_by(Account.id)).all()
        controls.connect_account(session, outbox, "outbox")
        controls.connect_account(session, hooked, "webhook", url="https://hooks.example/x", secret="s" * 20)
        session.commit()
        rows = f"#account-{outbox.id}", f"#account-{hooked.id}"
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "ada@helio.example")
    page.goto(base + "/publishing/settings")
    looks = """(input) => { const style = getComputedStyle(input);
        return {disabled: input.disabled, background: style.backgroundColor, color: style.color,
                border: style.borderColor, cursor: style.cursor}; }"""
    for name in ("url", "secret"):
        off = page.eval_on_selector(f"{rows[0]} input[name={name}]", looks)
        on = page.eval_on_selector(f"{rows[1]} input[name={name}]", looks)
        assert (off["disabled"], on["disabled"]) == (True, False)
        assert off["background"] != on["background"] and off["border"] != on["border"], (off, on)
        assert off["cursor"] == "not-allowed"
    context.close()
