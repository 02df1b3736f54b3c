"""The administration area, through its forms: markets, accounts, executives and cabinets, users, campaigns."""

from __future__ import annotations

import html
import re

import pytest
from conftest import PASSWORD, WebClient
from sqlalchemy import func, select

from approval.models import Account, AccountKind, Campaign, Executive, Market, Network, User
from approval.workflow.states import Role, State


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


def assert_redirect(response, to: str | None = None) -> None:
    assert response.status_code == 303, text(response)[-2000:]
    if to is not None:
        assert response.headers["Location"].startswith(to), response.headers["Location"]


def edit(web: WebClient, path: str, data: dict):  # noqa: ANN201
    """An edit form sent as its page sends it: with the values the page showed (``seen``), so that the fields it
    changes are told from those someone else changed meanwhile."""
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', text(web.get(path)))
    assert seen, path
    return web.post(path, {**data, "seen": html.unescape(seen.group(1))})


def assert_form_error(response, message: str) -> None:
    assert response.status_code == 422, response.status_code
    page = re.sub(r"\s+", " ", text(response)).replace("&#39;", "'")
    assert f'<p class="error">{message}</p>' in page, page[-3000:]


# The index ---------------------------------------------------------------------------------------------------------


def test_index_links_to_each_area_with_counts(admin_web, make, db_session):
    fr = make.market("FR")
    make.account(fr)
    deactivated = make.account(fr)
    deactivated.active = False
    make.executive("Hélène Marchand")
    db_session.flush()

    response = admin_web.get("/admin")

    page = text(response)
    assert response.status_code == 200
    for area in ("/admin/markets", "/admin/accounts", "/admin/executives", "/admin/users", "/campaigns"):
        assert f'href="{area}"' in page
        assert f'href="{area}/new"' in page
    counts = re.findall(r'<td>(\d+)', page)
    assert counts == ["1", "1", "1", "1", "0"]  # markets, active accounts, executives, active users, campaigns
    assert "(and 1 deactivated)" in page


def test_lists_show_what_exists(admin_web, make):
    fr = make.market("FR")
    ceo = make.executive("Hélène Marchand")
    make.account(fr, "x", executive=ceo)
    make.user(Role.cabinet, executives=[ceo], name="Camille Cabinet")
    admin_web.post("/campaigns/new", {"name": "Euro 2028", "market_id": "", "hashtag": "#EURO2028"})

    for url, expected in [("/admin/markets", "Europe/Paris"), ("/admin/accounts", "Hélène Marchand"),
                          ("/admin/executives", "Camille Cabinet"), ("/admin/users", "Camille Cabinet"),
                          ("/campaigns", "#EURO2028"), ("/admin/users?role=cabinet", "Camille Cabinet")]:
        response = admin_web.get(url)
        assert response.status_code == 200, url
        assert expected in text(response), url


# Markets -----------------------------------------------------------------------------------------------------------


def test_create_market(admin_web, db_session):
    page = text(admin_web.get("/admin/markets/new"))
    assert '<option value="Africa/Nairobi">' in page  # the time zones are offered

    response = admin_web.post("/admin/markets/new", {"code": " ke ", "name": "Kenya", "timezone": "Africa/Nairobi",
                                                      "languages": "en, SW en"})

    assert_redirect(response, "/admin/markets")
    market = db_session.scalars(select(Market)).one()
    assert (market.code, market.name, market.timezone, market.languages) == ("KE", "Kenya", "Africa/Nairobi",
                                                                              ["en", "sw"])


def test_edit_market(admin_web, make, db_session):
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    page = text(admin_web.get(f"/admin/markets/{market.id}/edit"))
    assert 'value="Europe/Warsaw"' in page and 'value="pl"' in page

    response = edit(admin_web, f"/admin/markets/{market.id}/edit", {"code": "PL", "name": "Polska",
                                                                   "timezone": "Europe/Warsaw", "languages": "pl, en"})

    assert_redirect(response, "/admin/markets")
    db_session.expire_all()
    market = db_session.scalars(select(Market)).one()
    assert (market.name, market.languages) == ("Polska", ["pl", "en"])


def test_a_new_zone_for_a_market_says_its_scheduled_posts_now_go_out_at_other_local_times(admin_web, make):
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    make.post(State.scheduled, account=make.account(market))
    make.post(State.scheduled, account=make.account(market))
    form = {"code": "PL", "name": "Poland", "timezone": "Europe/London", "languages": "pl"}
    asked = edit(admin_web, f"/admin/markets/{market.id}/edit", form)  # first, the page lists them
    assert asked.status_code == 422 and "2 posts are scheduled in this market" in text(asked)
    confirmed = html.unescape(re.search(r'name="confirmed" value="([^"]*)"', text(asked)).group(1))
    response = edit(admin_web, f"/admin/markets/{market.id}/edit", {**form, "confirmed": confirmed})
    assert_redirect(response, "/admin/markets")
    page = text(admin_web.get("/admin/markets"))
    assert "2 scheduled posts keep their instant: in Europe/London they now go out at other local times" in page
    edit(admin_web, f"/admin/markets/{market.id}/edit", {"code": "PL", "name": "Polska", "timezone": "Europe/London",
                                                        "languages": "pl"})
    assert "keep their instant" not in text(admin_web.get("/admin/markets"))  # the zone did not change


def test_duplicate_market_code_is_a_form_error_and_writes_nothing(admin_web, make, db_session):
    make.market("FR")
    ke = make.market("KE", "Africa/Nairobi", ("en",))

    response = admin_web.post("/admin/markets/new", {"code": "fr", "name": "France bis", "timezone": "Europe/Paris",
                                                      "languages": "fr"})
    assert_form_error(response, "Market FR exists already.")
    assert count(db_session, Market) == 2

    response = edit(admin_web, f"/admin/markets/{ke.id}/edit", {"code": "FR", "name": "Kenya",
                                                               "timezone": "Africa/Nairobi", "languages": "en"})
    assert_form_error(response, "Market FR exists already.")
    db_session.expire_all()
    assert db_session.get(Market, ke.id).code == "KE"


def test_the_unique_constraint_refusing_the_write_is_the_form_error(admin_web, make, db_session):
    """No query checks a code before writing (two admins saving at once would both pass it): the database's
    constraint refuses the second, its name maps to the field's message, and nothing of the write stays."""
    make.market("FR")

    response = admin_web.post("/admin/markets/new", {"code": "FR", "name": "France bis", "timezone": "Europe/Paris",
                                                      "languages": "fr"})

    assert_form_error(response, "Market FR exists already.")
    assert count(db_session, Market) == 1
    response = admin_web.post("/admin/markets/new", {"code": "KE", "name": "Kenya", "timezone": "Africa/Nairobi",
                                                      "languages": "en"})
    assert_redirect(response)  # the transaction was rolled back cleanly: the next write goes through
    assert count(db_session, Market) == 2


@pytest.mark.parametrize("timezone", ["Europe/Pariss", "europe/paris", "Mars/Olympus_Mons", "../../etc/passwd",
                                      "Europe/Paris "])
def test_unknown_time_zone_refused(admin_web, db_session, timezone):
    response = admin_web.post("/admin/markets/new", {"code": "FR", "name": "France", "timezone": timezone,
                                                      "languages": "fr"})

    if timezone.strip() == "Europe/Paris":  # surrounding spaces are trimmed, not refused
        assert_redirect(response)
        return
    assert_form_error(response, "Not an IANA time zone: give one such as Europe/Paris or Africa/Nairobi.")
    assert count(db_session, Market) == 0


@pytest.mark.parametrize("zone", ["Factory", "localtime", "Mars/Olympus"])
def test_a_market_zone_is_a_places_zone(admin_web, db_session, zone):
    """"Factory" and "localtime" are in the zone database and no place's time (the second is the server's own)."""
    response = admin_web.post("/admin/markets/new", {"code": "IT", "name": "Italy", "timezone": zone,
                                                      "languages": "it"})
    assert_form_error(response, "Not an IANA time zone: give one such as Europe/Paris or Africa/Nairobi.")
    assert count(db_session, Market) == 0


@pytest.mark.parametrize(("code", "languages", "message"), [
    ("FRA", "fr", "Two letters (ISO 3166-1 alpha-2), e.g. FR."),
    ("F1", "fr", "Two letters (ISO 3166-1 alpha-2), e.g. FR."),
    ("FR", "", "Give at least one language code, e.g. fr."),
    ("FR", " , ", "Give at least one language code, e.g. fr."),
    ("FR", "fr, xx, french", "Unknown language code(s): xx, french."),
    ("FR", None, "Give at least one language code, e.g. fr."),  # no field at all: a 500 before
])
def test_bad_market_input_refused(admin_web, db_session, code, languages, message):
    form = {"code": code, "name": "France", "timezone": "Europe/Paris", "languages": languages}
    response = admin_web.post("/admin/markets/new", {k: v for k, v in form.items() if v is not None})

    assert_form_error(response, message)
    assert count(db_session, Market) == 0


# Accounts ----------------------------------------------------------------------------------------------------------


def test_create_brand_and_executive_accounts(admin_web, make, db_session):
    fr = make.market("FR")
    ceo = make.executive("Hélène Marchand")

    response = admin_web.post("/admin/accounts/new", {"market_id": fr.id, "network": "instagram",
                                                       "handle": "@helio.france", "brand": "Helio", "kind": "brand",
                                                       "executive_id": ceo.id})
    assert_redirect(response, "/admin/accounts?market=FR")
    response = admin_web.post("/admin/accounts/new", {"market_id": fr.id, "network": "linkedin",
                                                       "handle": "helene-marchand", "brand": "Helio",
                                                       "kind": "executive", "executive_id": ceo.id})
    assert_redirect(response)

    brand, executive = db_session.scalars(select(Account).order_by(Account.id)).all()
    assert (brand.network, brand.handle, brand.kind, brand.executive_id) == (Network.instagram, "helio.france",
                                                                             AccountKind.brand, None)
    assert (executive.kind, executive.executive_id, executive.market_id) == (AccountKind.executive, ceo.id, fr.id)
    # Told as people name them: the network's own name, the handle with its @.
    assert "Account LinkedIn @helene-marchand created." in admin_web.get("/admin/accounts").get_data(as_text=True)
    assert "LinkedIn @helene-marchand" in admin_web.get("/admin/executives").get_data(as_text=True)


def test_executive_account_needs_its_executive(admin_web, make, db_session):
    fr = make.market("FR")

    response = admin_web.post("/admin/accounts/new", {"market_id": fr.id, "network": "x", "handle": "HMarchand",
                                                       "kind": "executive", "executive_id": ""})

    assert_form_error(response, "Choose the executive whose account this is.")
    assert count(db_session, Account) == 0


def test_duplicate_handle_on_a_network_is_a_form_error(admin_web, make, db_session):
    fr, ke = make.market("FR"), make.market("KE")
    make.account(fr, "x").handle = "helio_fr"
    db_session.flush()

    response = admin_web.post("/admin/accounts/new", {"market_id": ke.id, "network": "x", "handle": "@Helio_FR",
                                                       "kind": "brand"})
    assert_form_error(response, "X already has the account @helio_fr.")
    assert count(db_session, Account) == 1

    response = admin_web.post("/admin/accounts/new", {"market_id": ke.id, "network": "facebook",
                                                       "handle": "helio_fr", "kind": "brand"})
    assert_redirect(response)  # the same handle on another network is another account
    assert count(db_session, Account) == 2


@pytest.mark.parametrize(("network", "handle", "message"), [
    ("x", "h" * 16, "At most 15 characters on X."),
    ("x", "helio.france", "Letters, digits and underscores only."),
    ("instagram", "i" * 31, "At most 30 characters on Instagram."),
    ("instagram", "helio-france", "Letters, digits, dots and underscores only."),
    ("snapchat", "s" * 16, "At most 15 characters on Snapchat."),
    ("youtube", "y" * 31, "At most 30 characters on YouTube."),
    ("facebook", "f" * 121, "At most 120 characters."),  # the form says it first
])
def test_a_handle_the_network_would_not_take_is_refused(admin_web, make, db_session, network, handle, message):
    response = admin_web.post("/admin/accounts/new", {"market_id": make.market("FR").id, "network": network,
                                                       "handle": handle, "kind": "brand"})
    assert_form_error(response, message)
    assert count(db_session, Account) == 0


def test_edit_account(admin_web, make, db_session):
    fr, ke = make.market("FR"), make.market("KE")
    ceo = make.executive("Hélène Marchand")
    account = make.account(fr, "x")
    page = text(admin_web.get(f"/admin/accounts/{account.id}/edit"))
    assert f'value="{account.handle}"' in page

    response = edit(admin_web, f"/admin/accounts/{account.id}/edit", {
        "market_id": ke.id, "network": "x", "handle": "HMarchand", "brand": "Helio", "kind": "executive",
        "executive_id": ceo.id})

    assert_redirect(response, "/admin/accounts?market=KE")
    db_session.expire_all()
    account = db_session.get(Account, account.id)
    assert (account.market_id, account.handle, account.kind, account.executive_id) == (ke.id, "HMarchand",
                                                                                       AccountKind.executive, ceo.id)


def test_account_cannot_change_hands_while_posts_await_the_cabinet(admin_web, make, db_session):
    ceo = make.executive("Hélène Marchand")
    make.user(Role.cabinet, executives=[ceo])  # someone who can accept what awaits the cabinet
    account = make.account(make.market("FR"), "x", executive=ceo)
    make.post(State.with_cabinet, account=account)

    response = edit(admin_web, f"/admin/accounts/{account.id}/edit", {
        "market_id": account.market_id, "network": "x", "handle": "renamed", "kind": "brand", "executive_id": ""})

    assert_form_error(response, "Posts of this account await the cabinet: decide them before changing whose "
                                "account it is.")
    db_session.expire_all()
    account = db_session.get(Account, account.id)
    assert account.handle != "renamed" and account.executive_id == ceo.id


def test_deactivate_and_reactivate_account(admin_web, make, db_session):
    account = make.account(make.market("FR"))

    assert_redirect(admin_web.post(f"/admin/accounts/{account.id}/deactivate"), "/admin/accounts?market=FR")
    db_session.refresh(account)
    assert account.active is False
    assert_redirect(admin_web.post(f"/admin/accounts/{account.id}/reactivate"))
    db_session.refresh(account)
    assert account.active is True


def test_deactivating_an_account_with_posts_to_go_out_asks_first_and_says_what_will_fail(admin_web, make,
                                                                                         db_session):
    """Its scheduled posts fail at their time (the worker refuses a deactivated account): the button says how many
    posts are on their way before anyone clicks, and the message after it how many will fail, and where to see them."""
    account = make.account(make.market("FR"))
    quiet = make.account(make.market("FR"))
    make.post(State.scheduled, account=account)
    make.post(State.scheduled, account=account)
    make.post(State.approved, account=account)
    make.post(State.draft, account=account)

    page = re.sub(r"\s+", " ", text(admin_web.get(f"/admin/accounts/{account.id}/edit")))
    assert re.search(r'<form method="post" action="/admin/accounts/\d+/deactivate" data-confirm="Deactivate this '
                     r'account\? 3 of its posts are scheduled or approved \(2 scheduled\): none of them can go out '
                     r'until it is reactivated\.">', page), page[-3000:]
    quiet_page = text(admin_web.get(f"/admin/accounts/{quiet.id}/edit"))
    assert 'data-confirm="Deactivate this account? No new post can be written for it until it is reactivated."' \
        in quiet_page

    answer = admin_web.post(f"/admin/accounts/{account.id}/deactivate")
    assert_redirect(answer, "/admin/accounts?market=FR")
    said = re.sub(r"\s+", " ", text(admin_web.get(answer.headers["Location"])))
    assert "2 scheduled posts of this account will fail at their time unless it is reactivated:" in said
    assert '<a href="/publishing?market=FR">the publishing desk lists them</a>' in said
    db_session.refresh(account)
    assert account.active is False

    answer = admin_web.post(f"/admin/accounts/{quiet.id}/deactivate")
    said = text(admin_web.get(answer.headers["Location"]))
    assert "no new post can be written for it" in said and "will fail" not in said


def test_accounts_filtered_by_market(admin_web, make, db_session):
    make.account(make.market("FR")).handle = "in_france"
    make.account(make.market("KE")).handle = "in_kenya"
    db_session.flush()

    page = text(admin_web.get("/admin/accounts?market=ke"))

    assert "@in_kenya" in page and "@in_france" not in page


# Executives and cabinets -------------------------------------------------------------------------------------------


def test_create_and_edit_executive(admin_web, db_session):
    response = admin_web.post("/admin/executives/new", {"name": "Hélène Marchand", "title": "CEO"})
    executive = db_session.scalars(select(Executive)).one()
    assert_redirect(response, f"/admin/executives/{executive.id}/edit")

    response = edit(admin_web, f"/admin/executives/{executive.id}/edit", {"name": "Hélène Marchand",
                                                                         "title": "Chief Executive Officer"})

    assert_redirect(response, "/admin/executives")
    db_session.refresh(executive)
    assert executive.title == "Chief Executive Officer"


def test_duplicate_executive_name_is_a_form_error(admin_web, make, db_session):
    make.executive("Hélène Marchand")

    response = admin_web.post("/admin/executives/new", {"name": "Hélène Marchand", "title": ""})

    assert_form_error(response, "An executive named Hélène Marchand exists already.")
    assert count(db_session, Executive) == 1


@pytest.mark.parametrize("twin", ["jürgen schmidt", "JÜRGEN SCHMIDT", "Ju\u0308rgen Schmidt", "ju\u0308rgen schmidt",
                                  "Jürgen Schmidt"])
def test_executive_names_that_look_alike_are_one_name(admin_web, make, db_session, twin):
    """Case, or a ü typed as u and a combining diaeresis (NFD, as some keyboards and pastes give it): two lines of
    the lists a reader cannot tell apart."""
    make.executive("Jürgen Schmidt")
    other = make.executive("Hélène Marchand")

    assert_form_error(admin_web.post("/admin/executives/new", {"name": twin, "title": ""}),
                      "An executive named Jürgen Schmidt exists already.")
    assert_form_error(edit(admin_web, f"/admin/executives/{other.id}/edit", {"name": twin, "title": ""}),
                      "An executive named Jürgen Schmidt exists already.")
    assert count(db_session, Executive) == 2


def test_an_executive_name_is_stored_composed_and_found_however_it_is_typed(admin_web, make, db_session):
    from approval import administration as admin

    assert_redirect(admin_web.post("/admin/executives/new", {"name": "Ju\u0308rgen Schmidt", "title": "CFO"}))
    executive = db_session.scalars(select(Executive)).one()
    assert executive.name == "Jürgen Schmidt"  # NFC: one character ü
    assert admin.get_or_create_executive(db_session, "JU\u0308RGEN SCHMIDT") is executive
    # Its own name, in another case: a rename, not a duplicate.
    assert_redirect(edit(admin_web, f"/admin/executives/{executive.id}/edit", {"name": "Jürgen SCHMIDT",
                                                                              "title": "CFO"}))
    db_session.expire_all()
    assert db_session.get(Executive, executive.id).name == "Jürgen SCHMIDT"


def test_assign_and_remove_cabinet_members(admin_web, make, db_session):
    ceo = make.executive("Hélène Marchand")
    camille = make.user(Role.cabinet, name="Camille Cabinet")
    page = text(admin_web.get(f"/admin/executives/{ceo.id}/edit"))
    assert f'<option value="{camille.id}">' in page

    assert_redirect(admin_web.post(f"/admin/executives/{ceo.id}/cabinet", {"user_id": camille.id}),
                    f"/admin/executives/{ceo.id}/edit")
    db_session.expire_all()
    assert [u.id for u in db_session.get(Executive, ceo.id).cabinet] == [camille.id]
    page = text(admin_web.get(f"/admin/executives/{ceo.id}/edit"))
    assert "Every active user of role cabinet already serves this executive." in page
    cfo = make.executive("Paul Durand")
    camille.active = False
    db_session.flush()
    page = text(admin_web.get(f"/admin/executives/{cfo.id}/edit"))  # nobody to add: none exists, not "all serve"
    assert "No active user has the role cabinet yet" in page and "already serves" not in page
    camille.active = True
    db_session.flush()

    assert_redirect(admin_web.post(f"/admin/executives/{ceo.id}/cabinet/{camille.id}/remove"))
    db_session.expire_all()
    assert db_session.get(Executive, ceo.id).cabinet == []


def test_only_cabinet_members_join_a_cabinet(admin_web, make, db_session):
    ceo = make.executive("Hélène Marchand")
    manager = make.user(Role.project_manager)

    response = admin_web.post(f"/admin/executives/{ceo.id}/cabinet", {"user_id": manager.id})

    assert_form_error(response, "Not a valid choice.")
    assert 'value="Hélène Marchand"' in text(response)  # the executive's own form beside it is filled
    db_session.expire_all()
    assert db_session.get(Executive, ceo.id).cabinet == []


# Users -------------------------------------------------------------------------------------------------------------


def test_create_users_of_each_kind(admin_web, make, db_session):
    fr, ke = make.market("FR"), make.market("KE")
    ceo = make.executive("Hélène Marchand")

    for data in [
        {"email": " Chloe@Helio.example ", "name": "Chloé", "role": "community_manager", "market_ids": [fr.id, ke.id]},
        {"email": "pierre@helio.example", "name": "Pierre", "role": "project_manager", "all_markets": "y"},
        {"email": "camille@helio.example", "name": "Camille", "role": "cabinet", "executive_ids": [ceo.id]},
    ]:
        response = admin_web.post("/admin/users/new", {**data, "password": "a long secret"})
        assert_redirect(response, "/admin/users")

    users = {u.email: u for u in db_session.scalars(select(User))}
    chloe, pierre, camille = (users[f"{n}@helio.example"] for n in ("chloe", "pierre", "camille"))
    assert (chloe.name, chloe.role, [m.code for m in chloe.markets]) == ("Chloé", Role.community_manager, ["FR", "KE"])
    assert pierre.all_markets and pierre.markets == []
    assert camille.role is Role.cabinet and camille.executives == [ceo]
    assert chloe.check_password("a long secret")


def test_duplicate_email_is_a_form_error_and_writes_nothing(admin_web, make, db_session):
    existing = make.user(Role.community_manager)
    before = count(db_session, User)

    response = admin_web.post("/admin/users/new", {"email": existing.email.upper(), "name": "Twin",
                                                   "role": "admin", "password": "a long secret"})

    assert_form_error(response, "A user with this e-mail exists already.")
    assert count(db_session, User) == before


def test_duplicate_email_refused_by_the_database_is_the_same_form_error(admin_web, make, db_session):
    existing = make.user(Role.community_manager)
    before = count(db_session, User)

    response = admin_web.post("/admin/users/new", {"email": existing.email, "name": "Twin", "role": "admin",
                                                   "password": "a long secret"})

    assert_form_error(response, "A user with this e-mail exists already.")
    assert count(db_session, User) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"role": "admin", "password": "short"}, "At least 8 characters."),
    ({"role": "community_manager"}, "Choose at least one market, or all markets."),
    ({"role": "project_manager", "executive_ids": "EXEC", "all_markets": "y"},
     "Only a cabinet member serves executives."),
    ({"role": "wizard"}, "Not a valid choice."),
    ({"role": "admin", "email": "not an address"}, "Invalid email address."),
])
def test_bad_user_input_refused(admin_web, make, db_session, data, message):
    ceo = make.executive()
    before = count(db_session, User)
    form = {"email": "new@helio.example", "name": "New", "password": "a long secret", **data}
    if form.get("executive_ids") == "EXEC":
        form["executive_ids"] = ceo.id

    assert_form_error(admin_web.post("/admin/users/new", form), message)
    assert count(db_session, User) == before


def test_edit_user(admin_web, make, db_session):
    fr, ke = make.market("FR"), make.market("KE")
    ceo = make.executive("Hélène Marchand")
    user = make.user(Role.community_manager, markets=[fr])
    page = text(admin_web.get(f"/admin/users/{user.id}/edit"))
    assert re.search(rf'<input checked id="market_ids-\d+" name="market_ids" type="checkbox" value="{fr.id}">', page)

    response = edit(admin_web, f"/admin/users/{user.id}/edit", {"name": "Renamed", "role": "project_manager",
                                                               "market_ids": [ke.id]})
    assert_redirect(response, "/admin/users")
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.name, user.role, [m.code for m in user.markets]) == ("Renamed", Role.project_manager, ["KE"])

    response = edit(admin_web, f"/admin/users/{user.id}/edit", {"name": "Renamed", "role": "cabinet",
                                                               "executive_ids": [ceo.id]})
    assert_redirect(response)
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.role, user.markets, [e.id for e in user.executives]) == (Role.cabinet, [], [ceo.id])

    response = edit(admin_web, f"/admin/users/{user.id}/edit", {"name": "Renamed", "role": "community_manager",
                                                               "all_markets": "y"})
    assert_redirect(response)
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.role, user.all_markets, user.executives) == (Role.community_manager, True, [])


def test_admin_cannot_change_their_own_role(admin_web, admin_user, db_session):
    response = edit(admin_web, f"/admin/users/{admin_user.id}/edit", {"name": "Ada", "role": "community_manager",
                                                                     "all_markets": "y"})

    assert_form_error(response, "You cannot change your own role: ask another admin.")
    db_session.expire_all()
    assert db_session.get(User, admin_user.id).role is Role.admin


def test_deactivated_user_cannot_log_in_and_loses_their_session(app, admin_web, make, db_session):
    user = make.user(Role.community_manager)
    theirs = WebClient(app.test_client())
    theirs.login(user)
    assert theirs.get("/posts").status_code == 200

    assert_redirect(admin_web.post(f"/admin/users/{user.id}/deactivate"), f"/admin/users/{user.id}/edit")

    db_session.expire_all()
    assert db_session.get(User, user.id).active is False
    assert theirs.get("/posts").status_code == 302  # the session they held no longer counts
    again = WebClient(app.test_client())
    again.refresh_token("/login")
    response = again.post("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "the account is deactivated" in text(response)

    assert_redirect(admin_web.post(f"/admin/users/{user.id}/reactivate"))
    assert again.login(user).status_code == 302


def test_admin_cannot_deactivate_themself(admin_web, admin_user, db_session):
    response = admin_web.post(f"/admin/users/{admin_user.id}/deactivate", follow_redirects=True)

    assert "You cannot deactivate yourself: ask another admin." in text(response)
    db_session.expire_all()
    assert db_session.get(User, admin_user.id).active is True


def test_set_a_new_password(app, admin_web, make, db_session):
    user = make.user(Role.project_manager)

    response = admin_web.post(f"/admin/users/{user.id}/password", {"password": "short"})
    assert_form_error(response, "At least 8 characters.")
    market = user.markets[0]  # the profile form beside it still shows the user as they are
    assert re.search(rf'<input checked id="market_ids-\d+" name="market_ids" type="checkbox" value="{market.id}">',
                     text(response))
    assert_redirect(admin_web.post(f"/admin/users/{user.id}/password", {"password": "a new long secret"}),
                    f"/admin/users/{user.id}/edit")

    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert user.check_password("a new long secret") and not user.check_password(PASSWORD)
    assert user.must_change_password  # the admin knows it: the user chooses their own at their next login
    web = WebClient(app.test_client())
    web.refresh_token("/login")
    logged_in = web.client.post("/login", data={"email": user.email, "password": "a new long secret",
                                                "csrf_token": web.token})
    assert logged_in.status_code == 302


# Campaigns ---------------------------------------------------------------------------------------------------------


def test_create_and_edit_campaigns(admin_web, make, db_session):
    fr = make.market("FR")

    assert_redirect(admin_web.post("/campaigns/new", {"name": "Euro 2028", "market_id": "",
                                                            "hashtag": "EURO2028", "description": "Football."}),
                    "/campaigns")
    assert_redirect(admin_web.post("/campaigns/new", {"name": "Fête de la musique", "market_id": fr.id,
                                                            "hashtag": ""}))
    euro, music = db_session.scalars(select(Campaign).order_by(Campaign.id)).all()
    assert (euro.market_id, euro.hashtag, euro.description) == (None, "#EURO2028", "Football.")
    assert (music.market_id, music.hashtag) == (fr.id, "")

    response = edit(admin_web, f"/campaigns/{euro.id}/edit", {"name": "Euro 2028 (France)", "market_id": fr.id,
                                                                   "hashtag": "#EURO2028", "description": ""})
    assert_redirect(response)
    db_session.expire_all()
    euro = db_session.get(Campaign, euro.id)
    assert (euro.name, euro.market_id, euro.description) == ("Euro 2028 (France)", fr.id, "")


def test_two_campaigns_a_market_chooses_between_never_share_a_name(admin_web, make, db_session):
    fr, ke = make.market("FR"), make.market("KE", timezone="Africa/Nairobi")
    for name, market in (("Lancement Helio X", fr), ("Rapport annuel", None), ("Lancement Helio X", ke)):
        assert_redirect(admin_web.post("/campaigns/new", {"name": name, "market_id": market.id if market else "",
                                                                "hashtag": ""}))
    response = admin_web.post("/campaigns/new", {"name": "lancement helio x", "market_id": fr.id, "hashtag": ""})
    assert_form_error(response, "A campaign named Lancement Helio X exists already (FR).")
    response = admin_web.post("/campaigns/new", {"name": "Rapport annuel", "market_id": ke.id, "hashtag": ""})
    assert_form_error(response, "A campaign named Rapport annuel exists already (group-wide).")
    kenyan = db_session.scalars(select(Campaign).where(Campaign.market_id == ke.id)).one()
    response = edit(admin_web, f"/campaigns/{kenyan.id}/edit", {"name": "Lancement Helio X", "market_id": "",
                                                                      "hashtag": ""})
    assert_form_error(response, "A campaign named Lancement Helio X exists already (FR).")
    assert count(db_session, Campaign) == 3
    response = admin_web.post("/campaigns/new", {"name": "RAPPORT ANNUEL", "market_id": "", "hashtag": ""})
    assert_form_error(response, "A campaign named Rapport annuel exists already (group-wide).")
    assert_redirect(admin_web.post("/campaigns/new", {"name": "Été 2027", "market_id": fr.id, "hashtag": ""}))
    response = admin_web.post("/campaigns/new", {"name": "été 2027", "market_id": fr.id, "hashtag": ""})
    assert_form_error(response, "A campaign named Été 2027 exists already (FR).")  # on SQLite too
    # Two that shared a name before the rule stay editable, as long as neither takes the other's name.
    twin = Campaign(name="Lancement Helio X", market=fr, hashtag="", description="")  # written before the rule
    db_session.add(twin)
    db_session.flush()
    assert_redirect(edit(admin_web, f"/campaigns/{twin.id}/edit", {"name": "Lancement Helio X",
                                                                        "market_id": fr.id, "hashtag": "#HelioX"}))


@pytest.mark.parametrize("hashtag", ["#EURO #2028", "###", "#"])
def test_bad_hashtag_refused(admin_web, db_session, hashtag):
    response = admin_web.post("/campaigns/new", {"name": "Euro", "market_id": "", "hashtag": hashtag})

    assert_form_error(response, "One hashtag, e.g. #EURO2028.")
    assert count(db_session, Campaign) == 0


def test_campaign_keeps_group_wide_while_it_has_posts_elsewhere(admin_web, make, db_session):
    fr, ke = make.market("FR"), make.market("KE")
    admin_web.post("/campaigns/new", {"name": "Euro 2028", "market_id": "", "hashtag": "#EURO2028"})
    campaign = db_session.scalars(select(Campaign)).one()
    post = make.post(account=make.account(ke))
    post.campaign = campaign
    db_session.flush()

    response = edit(admin_web, f"/campaigns/{campaign.id}/edit", {"name": "Euro 2028", "market_id": fr.id,
                                                                       "hashtag": "#EURO2028"})

    assert_form_error(response, "1 post of this campaign is in KE, not in the market chosen: leave the campaign "
                                "where it is, or make it group-wide.")
    db_session.expire_all()
    assert db_session.get(Campaign, campaign.id).market_id is None


# Who may come in ---------------------------------------------------------------------------------------------------


def admin_routes(app) -> list[tuple[str, str, dict]]:
    """Every (method, rule, id arguments) of the blueprint, so that a new route cannot escape these tests."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule, sorted(rule.arguments)))
    assert len(routes) >= 25
    return routes


def call(web: WebClient, method: str, url: str):  # noqa: ANN201
    return web.get(url) if method == "GET" else web.post(url)


def fill(rule: str, value: int) -> str:
    return re.sub(r"<(?:int|id):\w+>", str(value), rule)


@pytest.mark.parametrize("role", [Role.community_manager, Role.project_manager, Role.cabinet])
def test_other_roles_get_403_on_every_admin_route(app, web, make, db_session, role):
    market = make.market("FR")
    web.login(make.user(role, markets=[market] if role != Role.cabinet else None))

    for method, rule, _ids in admin_routes(app):
        response = call(web, method, fill(rule, 1))
        assert response.status_code == 403, (method, rule, response.status_code)
    assert count(db_session, Market) == 1


def test_anonymous_visitors_are_sent_to_log_in(app, web, db_session):
    web.refresh_token("/login")
    for method, rule, _ids in admin_routes(app):
        response = call(web, method, fill(rule, 1))
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, rule)


def test_unknown_ids_are_404(app, admin_web, make):
    executive = make.executive()
    routes = [(method, rule) for method, rule, ids in admin_routes(app) if ids]
    assert len(routes) >= 15

    for method, rule in routes:
        response = call(admin_web, method, fill(rule, 999999))
        assert response.status_code == 404, (method, rule, response.status_code)
    response = admin_web.post(f"/admin/executives/{executive.id}/cabinet/999999/remove")
    assert response.status_code == 404


# Bad input on every form -------------------------------------------------------------------------------------------


def test_a_policy_lists_at_most_a_thousand_disclosure_tags(admin_web, make, db_session):
    from approval.models import PolicyVersion

    market = make.market("FR")
    path = f"/admin/markets/{market.id}/policy"
    policy = {"based_on": "0", "forbidden": "", "sensitive": "", "capital_exceptions": "", "note": ""}
    refused = admin_web.post(path, {**policy, "disclosures": " ".join(f"#ad{n}" for n in range(1001))})
    assert_form_error(refused, "At most 1,000 tags.")
    assert count(db_session, PolicyVersion) == 0
    assert_redirect(admin_web.post(path, {**policy, "disclosures": " ".join(f"#ad{n}" for n in range(1000))}))
    assert count(db_session, PolicyVersion) == 1


def _typed_forms(make, admin_user) -> list[tuple[str, dict, str, bool]]:
    """(path, the form as typed, the field holding a control character, whether it is an edit form)."""
    france = make.market("FR")
    user = make.user(Role.community_manager, markets=[france])
    executive = make.executive("Hélène Marchand")
    account = make.account(france, "x")
    from approval import administration as admin

    campaign = admin.create_campaign(make.session, "Euro 2028", france, "#EURO2028")
    policy = {"based_on": "0", "sensitive": "", "capital_exceptions": "", "disclosures": "", "note": ""}
    return [
        ("/admin/markets/new", {"code": "PL", "name": "Pol\x00ska", "timezone": "Europe/Warsaw", "languages": "pl"},
         "name", False),
        (f"/admin/markets/{france.id}/edit", {"code": "FR", "name": "Fra\x07nce", "timezone": "Europe/Paris",
                                              "languages": "fr"}, "name", True),
        (f"/admin/markets/{france.id}/policy", {**policy, "forbidden": "concurrent* | Never\x1b."}, "forbidden",
         False),
        ("/admin/accounts/new", {"market_id": france.id, "network": "x", "handle": "helio", "brand": "Hel\x00io",
                                 "kind": "brand", "executive_id": ""}, "brand", False),
        (f"/admin/accounts/{account.id}/edit", {"market_id": france.id, "network": "x", "handle": "helio",
                                                "brand": "Hel\x00io", "kind": "brand", "executive_id": ""},
         "brand", True),
        ("/admin/executives/new", {"name": "Jürgen Schmidt", "title": "C\x00FO"}, "title", False),
        (f"/admin/executives/{executive.id}/edit", {"name": "Hélène\x00", "title": ""}, "name", True),
        ("/admin/users/new", {"email": "camille@helio.example", "name": "Ca\x00mille", "role": "admin",
                              "password": "a long secret"}, "name", False),
        (f"/admin/users/{user.id}/edit", {"name": "Ca\x00mille", "role": "community_manager",
                                          "market_ids": [france.id]}, "name", True),
        ("/campaigns/new", {"name": "Euro\x00", "market_id": "", "hashtag": ""}, "name", False),
        (f"/campaigns/{campaign.id}/edit", {"name": "Euro 2028", "market_id": france.id, "hashtag": "#EURO2028",
                                            "description": "Foot\x00ball"}, "description", True),
    ]


def test_a_control_character_in_an_admin_form_is_told_on_its_field_and_what_was_typed_stays(admin_web, admin_user,
                                                                                             make, db_session):
    """The whole-page refusal ("Back to your desk") lost everything typed: the form comes back, the field that holds
    the character says so, and the text is still there to be corrected."""
    from approval.models import PolicyVersion

    forms = _typed_forms(make, admin_user)
    before = [count(db_session, model) for model in (Market, Account, Executive, User, Campaign, PolicyVersion)]
    for path, data, name, is_edit in forms:
        answer = edit(admin_web, path, data) if is_edit else admin_web.post(path, data)
        page = text(answer)
        assert answer.status_code == 422, (path, answer.status_code)
        assert "Back to your desk" not in page, path
        field = re.search(rf'<div class="field has-error">\s*<label for="{name}">.*?</div>', page, re.S)
        assert field, (path, page[-3000:])
        assert "holds a control character (U+" in field.group(0), (path, field.group(0))
        assert data[name] in page, (path, name)  # what was typed, its character included
    assert [count(db_session, model) for model in (Market, Account, Executive, User, Campaign, PolicyVersion)] \
        == before


def test_a_new_password_with_a_control_character_is_told_on_its_field(admin_web, make, db_session):
    user = make.user(Role.community_manager)
    answer = admin_web.post(f"/admin/users/{user.id}/password", {"password": "a long\x00secret"})
    assert answer.status_code == 422
    assert re.search(r'<p class="error">This field holds a control character \(U\+0000\)', text(answer))
    assert WebClient(admin_web.client.application.test_client()).login(user).status_code == 302  # unchanged


def test_a_control_character_outside_what_a_person_typed_is_still_the_whole_page_refusal(admin_web, make,
                                                                                          db_session):
    """A hidden field, a field the form does not have, a field's name, the query string: nothing a person typed on
    the page, nowhere to show it. The API refuses as before."""
    market = make.market("FR")
    path = f"/admin/markets/{market.id}/edit"
    typed = {"code": "FR", "name": "France", "timezone": "Europe/Paris", "languages": "fr"}
    for data in ({**typed, "seen": "{}\x00"}, {**typed, "stray": "x\x00"}, {**typed, "na\x00me": "x"}):
        answer = admin_web.post(path, data)
        assert answer.status_code == 422 and "control character" in text(answer), data
        assert "has-error" not in text(answer)
    # Sent as the page sends it, the stray field aside: the view would save it, and is refused after all.
    answer = edit(admin_web, path, {**typed, "stray": "x\x00"})
    assert answer.status_code == 422 and "has-error" not in text(answer)
    assert "saved" not in text(answer) + text(admin_web.get("/admin/markets"))  # nor said to be
    assert db_session.get(Market, market.id).name == "Market FR"
    answer = admin_web.post(f"{path}?x=%00", typed)
    assert answer.status_code == 422 and "has-error" not in text(answer)
    answer = admin_web.post("/admin/executives/new", {"name": "Jürgen\x00", "title": ""},
                            headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.is_json
