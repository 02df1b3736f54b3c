"""What the platform admin's second walk found: markup typed into the editorial policy came back as markup, zones
that are no place's time taken for a market, and changes that leave posts without their author or a market
without a reviewer made in one click, with no word before or after."""

from __future__ import annotations

import ast
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_admin import assert_form_error, assert_redirect, edit, text
from test_browser import PASSWORD as BROWSER_PASSWORD
from test_browser import chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.models import Account, Executive, Market, User
from approval.workflow.states import Role, State

ROOT = Path(__file__).resolve().parent.parent


def squeezed(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", text(response))


# m1: what an admin types into the editorial policy is text, in its errors too ----------------------------------------


@pytest.mark.parametrize(("field", "typed"), [
    ("forbidden", "<img src=x> | r\n<IMG SRC=X> | r2"),  # listed twice: the error quotes the phrase
    ("sensitive", "<img src=x> | r"),  # forbidden too: the error lists it
    ("capital_exceptions", "<i>a b</i>"),
    ("capital_exceptions", "<B>old</B>"),
    ("disclosures", "#<b>bold</b>"),
])
def test_markup_typed_into_the_policy_is_shown_as_text_in_its_errors(admin_web, make, field, typed):
    market = make.market("FR")
    form = {"based_on": "0", "forbidden": "", "sensitive": "", "capital_exceptions": "", "disclosures": "",
            "note": "", field: typed}
    if field == "sensitive":
        form["forbidden"] = "<img src=x> | r"

    page = text(admin_web.post(f"/admin/markets/{market.id}/policy", form))

    errors = " ".join(re.findall(r'<p class="error">(.*?)</p>', page, re.S))
    assert errors, page[-3000:]
    assert "<" not in errors.replace("<p", "").replace("</p", ""), errors  # no element inside an error
    assert "&lt;" in errors, errors


#: Lazy strings formatted with parameters keep the parameters raw, and a template takes a lazy string as markup
#: (it has ``__html__``): a parameter a person typed would be HTML. These take only what no person types.
LAZY_WITH_PARAMETERS_ALLOWED = {
    ("approval/api/schemas.py", "action"),  # the names of actions (JSON, never a template)
    ("approval/media/intake.py", "kind"), ("approval/media/intake.py", "limit"),
    ("approval/media/intake.py", "size"), ("approval/media/intake.py", "image"),
    ("approval/media/intake.py", "video"), ("approval/media/intake.py", "total"),
    ("approval/media/intake.py", "count"),  # numbers, and "picture"/"video"
    # What FFmpeg and Pillow name, and numbers; MediaRefused.message reads it as a str before any page shows it.
    ("approval/media/inspect.py", "claimed"), ("approval/media/inspect.py", "found"),
    ("approval/media/inspect.py", "format"), ("approval/media/inspect.py", "width"),
    ("approval/media/inspect.py", "height"), ("approval/media/inspect.py", "limit"),
    ("approval/media/inspect.py", "frames"), ("approval/media/inspect.py", "codec"),
    ("approval/forms/admin.py", "severity"),  # a severity's label
}


def test_no_lazy_string_is_formatted_with_what_a_person_typed():
    lazy = {"lazy_gettext", "lazy_ngettext", "lazy_pgettext", "lazy_npgettext"}
    found = set()
    for path in sorted((ROOT / "approval").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set(lazy)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
                names |= {alias.asname or alias.name for alias in node.names if alias.name in lazy}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                found |= {(str(path.relative_to(ROOT)), keyword.arg) for keyword in node.keywords}
    assert found <= LAZY_WITH_PARAMETERS_ALLOWED, sorted(found - LAZY_WITH_PARAMETERS_ALLOWED)


# M7: a market's zone is a place's: not an abbreviation, a fixed offset or an old name --------------------------------

NOT_A_PLACE = "is not the time zone of a place (an abbreviation, a fixed offset or an old name): give the zone of " \
              "the market's main city, such as Europe/Paris or America/New_York."


@pytest.mark.parametrize(("code", "typed", "meant"), [
    ("US", "EST", "America/New_York"), ("US", "EST5EDT", "America/New_York"), ("US", "MST", "America/Denver"),
    ("US", "HST", "Pacific/Honolulu"), ("US", "US/Pacific", "America/Los_Angeles"),
    ("US", "US/Eastern", "America/New_York"), ("CA", "Canada/Eastern", "America/Toronto"),
    ("IN", "Asia/Calcutta", "Asia/Kolkata"), ("UA", "Europe/Kiev", "Europe/Kyiv"),
    ("FR", "CET", "Europe/Paris"), ("FI", "EET", "Europe/Helsinki"), ("PT", "WET", "Europe/Lisbon"),
    ("LU", "UTC", "Europe/Luxembourg"), ("BE", "GMT", "Europe/Brussels"), ("DE", "Etc/GMT-1", "Europe/Berlin"),
    ("US", "UTC", None), ("JP", "Japan", "Asia/Tokyo"), ("GB", "utc", "Europe/London"),
])
def test_a_zone_that_is_no_place_is_refused_for_a_market_with_the_one_meant(admin_web, db_session, code, typed,
                                                                              meant):
    response = admin_web.post("/admin/markets/new", {"code": code, "name": "Somewhere", "timezone": typed,
                                                      "languages": "en"})

    assert response.status_code == 422
    page = squeezed(response).replace("&#39;", "'")
    assert NOT_A_PLACE in page or "Not an IANA time zone" in page, page[-3000:]
    if meant:
        assert_form_error(response, f"Did you mean {meant}?")
    else:
        assert "Did you mean" not in page
    assert db_session.scalar(select(Market).where(Market.code == code)) is None


def test_the_market_form_offers_places_only(admin_web):
    page = text(admin_web.get("/admin/markets/new"))
    offered = set(re.findall(r'<option value="([^"]+)">', page))
    assert {"Europe/Paris", "America/New_York", "Africa/Nairobi", "Europe/Kyiv", "Europe/Luxembourg"} <= offered
    assert not offered & {"EST", "UTC", "GMT", "CET", "Etc/GMT-1", "US/Pacific", "Canada/Eastern", "Asia/Calcutta",
                          "Factory", "localtime"}
    assert all("/" in zone and not zone.startswith("Etc/") for zone in offered)


def test_a_market_saved_with_a_zone_that_is_no_place_keeps_it_until_it_is_changed(admin_web, db_session):
    legacy = Market(code="US", name="United States", timezone="EST", languages=["en"])
    db_session.add(legacy)
    db_session.flush()
    form = {"code": "US", "name": "USA", "timezone": "EST", "languages": "en"}

    assert_redirect(edit(admin_web, f"/admin/markets/{legacy.id}/edit", form), "/admin/markets")
    assert "EST" in text(admin_web.get("/admin/markets"))

    refused = edit(admin_web, f"/admin/markets/{legacy.id}/edit", {**form, "timezone": "MST"})
    assert_form_error(refused, f"MST {NOT_A_PLACE}")
    assert_form_error(refused, "Did you mean America/Denver?")
    assert_redirect(edit(admin_web, f"/admin/markets/{legacy.id}/edit", {**form, "timezone": "America/New_York"}))
    db_session.expire_all()
    assert db_session.get(Market, legacy.id).timezone == "America/New_York"


def test_the_command_line_refuses_a_zone_that_is_no_place_in_one_sentence_each(cli_in_process, databases):
    cli = cli_in_process  # the command's output and exit status: no process of its own needed
    databases.migrate(cli.url)
    refused = cli("market", "create", "CH", "--name", "Switzerland", "--tz", "CET", "--lang", "de", check=False)
    assert refused.returncode == 2
    assert f"--tz: CET {NOT_A_PLACE} --tz: Did you mean Europe/Zurich?" in " ".join(refused.stderr.split())
    assert ".;" not in refused.stderr
    cli("market", "create", "CH", "--name", "Switzerland", "--tz", "Europe/Zurich", "--lang", "de")


# M2 + M3: a change of a user's markets or role, or their deactivation, says first what it leaves behind -------------


def confirmed_key(page: str) -> str:
    found = re.search(r'name="confirmed" value="([^"]*)"', page)
    assert found, page[-3000:]
    return html.unescape(found.group(1))


def confirm_of(page: str, action: str) -> str | None:
    form = re.search(rf'<form method="post" action="{re.escape(action)}"([^>]*)>', page)
    assert form, action
    asked = re.search(r'data-confirm="([^"]*)"', form.group(1))
    return html.unescape(asked.group(1)) if asked else None


def flashes(web, response) -> str:  # noqa: ANN001
    return squeezed(web.get(response.headers["Location"]))


@pytest.fixture()
def camille(make, db_session):
    """A community manager of FR with posts on their way: a draft, one in review, one sent back to her."""
    france, germany = make.market("FR"), make.market("DE", "Europe/Berlin", ("de",))
    marc = make.user(Role.project_manager, markets=[france, germany], name="Marc Lefèvre")
    camille = make.user(Role.community_manager, markets=[france], name="Camille Dubois")
    account = make.account(france)
    for state in (State.draft, State.in_review, State.changes_requested, State.published):
        make.post(state, account=account, author=camille, reviewer=marc)
    return camille


def test_taking_a_market_from_a_user_asks_first_naming_their_posts_there(admin_web, db_session, camille):
    france, germany = (db_session.scalar(select(Market).where(Market.code == code)) for code in ("FR", "DE"))
    form = {"name": "Camille Dubois", "role": "community_manager", "market_ids": [germany.id]}

    asked = edit(admin_web, f"/admin/users/{camille.id}/edit", form)

    assert asked.status_code == 422
    page = squeezed(asked)
    said = re.sub(r"<[^>]+>", "", page)
    assert "Before saving" in said
    assert ("3 of their posts are on their way, and they would no longer see them: FR (draft: 1, in review: 1, "
            "changes requested: 1).") in said, said[-3000:]
    assert f'href="/posts?author_id={camille.id}&amp;market=FR"' in page
    assert f'href="/posts?author_id={camille.id}&amp;market=FR&amp;state=changes_requested"' in page
    db_session.expire_all()
    assert [m.code for m in db_session.get(User, camille.id).markets] == ["FR"]  # nothing saved yet

    saved = edit(admin_web, f"/admin/users/{camille.id}/edit", {**form, "confirmed": confirmed_key(text(asked))})

    assert_redirect(saved, "/admin/users")
    db_session.expire_all()
    assert [m.code for m in db_session.get(User, camille.id).markets] == ["DE"]
    told = re.sub(r"<[^>]+>", "", flashes(admin_web, saved))
    assert ("3 of their posts are on their way, and they no longer see them: FR (draft: 1, in review: 1, "
            "changes requested: 1).") in told


def test_a_change_that_leaves_nothing_behind_saves_at_once(admin_web, db_session, camille):
    france, germany = (db_session.scalar(select(Market).where(Market.code == code)) for code in ("FR", "DE"))
    saved = edit(admin_web, f"/admin/users/{camille.id}/edit", {"name": "Camille Dubois", "role": "community_manager",
                                                               "market_ids": [france.id, germany.id]})
    assert_redirect(saved, "/admin/users")
    assert "on their way" not in flashes(admin_web, saved)


def test_a_confirmation_of_other_consequences_asks_again(admin_web, db_session, camille, make):
    france, germany = (db_session.scalar(select(Market).where(Market.code == code)) for code in ("FR", "DE"))
    form = {"name": "Camille Dubois", "role": "community_manager", "market_ids": [germany.id]}
    key = confirmed_key(text(edit(admin_web, f"/admin/users/{camille.id}/edit", form)))
    make.post(State.draft, account=make.account(france), author=camille)  # written meanwhile

    again = edit(admin_web, f"/admin/users/{camille.id}/edit", {**form, "confirmed": key})

    assert again.status_code == 422
    assert "4 of their posts are on their way" in re.sub(r"<[^>]+>", "", squeezed(again))


def test_deactivating_a_user_says_their_posts_on_their_way_before_and_after(admin_web, db_session, camille):
    page = squeezed(admin_web.get(f"/admin/users/{camille.id}/edit"))
    question = confirm_of(page, f"/admin/users/{camille.id}/deactivate")
    assert question.endswith("3 of their posts are still on their way: FR (draft: 1, in review: 1, changes "
                             "requested: 1)."), question
    assert "3 of their posts are still on their way" in re.sub(r"<[^>]+>", "", page.split('id="access"')[1])

    answer = admin_web.post(f"/admin/users/{camille.id}/deactivate")

    told = re.sub(r"<[^>]+>", "", flashes(admin_web, answer))
    assert "3 of their posts are still on their way: FR (draft: 1, in review: 1, changes requested: 1)." in told


@pytest.fixture()
def marc(make, db_session):
    """The only project manager of FR and KE; two posts await his review in FR."""
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en", "sw"))
    marc = make.user(Role.project_manager, markets=[france, kenya], name="Marc Lefèvre")
    writer = make.user(Role.community_manager, markets=[france])
    for _ in range(2):
        make.post(State.in_review, account=make.account(france), author=writer)
    return marc


def test_deactivating_the_last_project_manager_of_markets_asks_first_and_says_it_after(admin_web, db_session, marc):
    question = confirm_of(squeezed(admin_web.get(f"/admin/users/{marc.id}/edit")),
                          f"/admin/users/{marc.id}/deactivate")
    assert question.endswith("They are the last active project manager of FR, KE: 2 posts await review there, and "
                             "nobody else could approve, schedule or retry a post."), question

    answer = admin_web.post(f"/admin/users/{marc.id}/deactivate")

    told = flashes(admin_web, answer)
    assert ("No active project manager is left in "
            '<a href="/posts?market=FR&amp;state=in_review">FR</a>, <a href="/posts?market=KE&amp;state=in_review">'
            "KE</a>: 2 posts await review there, and nobody can approve, schedule or retry a post until one is."
            ) in told, told[-3000:]


def test_a_group_wide_project_manager_reviews_everywhere(admin_web, make, marc):
    make.user(Role.project_manager, all_markets=True)
    question = confirm_of(squeezed(admin_web.get(f"/admin/users/{marc.id}/edit")),
                          f"/admin/users/{marc.id}/deactivate")
    assert "last active project manager" not in question


@pytest.mark.parametrize(("change", "markets"), [("role", ["FR", "KE"]), ("markets", ["KE"])])
def test_a_new_role_or_fewer_markets_for_the_last_project_manager_asks_first(admin_web, db_session, marc, change,
                                                                             markets):
    ids = [db_session.scalar(select(Market.id).where(Market.code == code)) for code in markets]
    form = {"name": "Marc Lefèvre", "role": "community_manager" if change == "role" else "project_manager",
            "market_ids": ids}

    asked = edit(admin_web, f"/admin/users/{marc.id}/edit", form)

    assert asked.status_code == 422
    said = re.sub(r"<[^>]+>", "", squeezed(asked))
    lost = "FR, KE" if change == "role" else "FR"
    assert (f"They are the last active project manager of {lost}: 2 posts await review there, and nobody else could "
            "approve, schedule or retry a post.") in said, said[-2000:]
    saved = edit(admin_web, f"/admin/users/{marc.id}/edit", {**form, "confirmed": confirmed_key(text(asked))})
    assert_redirect(saved)
    assert f"No active project manager is left in {lost}" in re.sub(r"<[^>]+>", "", flashes(admin_web, saved))


def test_the_markets_list_shows_who_works_where_and_marks_a_market_without_a_reviewer(admin_web, make, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi")
    make.market("PL", "Europe/Warsaw")
    make.user(Role.project_manager, markets=[france])
    make.user(Role.community_manager, markets=[france, kenya])
    make.user(Role.community_manager, all_markets=True)
    gone = make.user(Role.project_manager, markets=[kenya])
    gone.active = False
    db_session.flush()

    page = squeezed(admin_web.get("/admin/markets"))

    rows = dict(re.findall(r'<tr> ?<th scope="row">(\w\w)</th>(.*?)</tr>', page))

    def cell(code: str, column: str) -> str:
        found = re.search(rf'<td data-label="{column}">(.*?)</td>', rows[code])
        shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", found.group(1))  # read, not shown
        return re.sub(r"<[^>]+>", "", shown).strip()

    assert (cell("FR", "Project managers"), cell("FR", "Community managers")) == ("1", "2")
    assert (cell("KE", "Project managers"), cell("KE", "Community managers")) == ("0 no reviewer", "2")
    assert (cell("PL", "Project managers"), cell("PL", "Community managers")) == ("0 no reviewer", "1")


# M4: removing the last active member of a cabinet asks first, as deactivating them does ------------------------------


def test_removing_the_last_active_cabinet_member_asks_first_and_says_it_after(admin_web, make, db_session):
    helene = make.executive("Hélène Marchand")
    sophie = make.user(Role.cabinet, executives=[helene], name="Sophie Bernard")
    away = make.user(Role.cabinet, executives=[helene], name="Cab Two")
    make.post(State.with_cabinet, account=make.account(make.market("FR"), executive=helene))
    away.active = False
    db_session.flush()
    page = squeezed(admin_web.get(f"/admin/executives/{helene.id}/edit"))

    removing_sophie = confirm_of(page, f"/admin/executives/{helene.id}/cabinet/{sophie.id}/remove")
    assert removing_sophie == ("Remove Sophie Bernard from this cabinet? They will no longer see its suggested "
                               "messages. They are its only active member: nobody could accept or decline the 1 "
                               "suggested message awaiting the cabinet, and none could be approved.")
    assert confirm_of(page, f"/admin/executives/{helene.id}/cabinet/{away.id}/remove") == (
        "Remove Cab Two from this cabinet? They will no longer see its suggested messages.")

    answer = admin_web.post(f"/admin/executives/{helene.id}/cabinet/{sophie.id}/remove")

    told = flashes(admin_web, answer)
    assert ("Nobody active is left in this cabinet: 1 suggested message awaits it, and nobody can accept or decline "
            "it. Add a member, or reactivate one.") in told


def test_removing_a_member_of_a_cabinet_others_keep_says_no_more(admin_web, make):
    helene = make.executive("Hélène Marchand")
    sophie = make.user(Role.cabinet, executives=[helene], name="Sophie Bernard")
    make.user(Role.cabinet, executives=[helene], name="Cab Two")
    page = squeezed(admin_web.get(f"/admin/executives/{helene.id}/edit"))
    assert confirm_of(page, f"/admin/executives/{helene.id}/cabinet/{sophie.id}/remove") == (
        "Remove Sophie Bernard from this cabinet? They will no longer see its suggested messages.")
    assert "Nobody active" not in flashes(admin_web, admin_web.post(
        f"/admin/executives/{helene.id}/cabinet/{sophie.id}/remove"))


# M9: the accounts list's "Deactivate" asks what the account's page asks ----------------------------------------------


def test_the_accounts_list_asks_before_deactivating_as_the_account_page_does(admin_web, make):
    france = make.market("FR")
    busy, idle = make.account(france, "linkedin"), make.account(france, "x")
    make.post(State.scheduled, account=busy)
    make.post(State.approved, account=busy)
    listed = squeezed(admin_web.get("/admin/accounts?market=FR"))
    own_page = squeezed(admin_web.get(f"/admin/accounts/{busy.id}/edit"))

    for account in (busy, idle):
        action = f"/admin/accounts/{account.id}/deactivate"
        assert confirm_of(listed, action) == confirm_of(own_page if account is busy else squeezed(
            admin_web.get(f"/admin/accounts/{account.id}/edit")), action)
    assert confirm_of(listed, f"/admin/accounts/{busy.id}/deactivate") == (
        "Deactivate this account? 2 of its posts are scheduled or approved (1 scheduled): none of them can go out "
        "until it is reactivated.")


# M5: moving an account to another market says first what moves with it ----------------------------------------------


def test_moving_an_account_to_another_market_asks_first_and_says_what_moved(admin_web, make, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en", "sw"))
    camille = make.user(Role.community_manager, markets=[france], name="Camille Dubois")
    both = make.user(Role.community_manager, markets=[france, kenya], name="Wanjiru Kamau")
    account = make.account(france, "linkedin")
    make.post(State.scheduled, account=account, author=camille)
    make.post(State.in_review, account=account, author=both)
    make.post(State.published, account=account, author=camille)
    form = {"market_id": kenya.id, "network": "linkedin", "handle": account.handle, "brand": "Helio",
            "kind": "brand", "executive_id": ""}

    asked = edit(admin_web, f"/admin/accounts/{account.id}/edit", form)

    assert asked.status_code == 422
    said = re.sub(r"<[^>]+>", "", squeezed(asked))
    assert ("2 posts of this account are on their way and would move to KE with it: in review: 1, scheduled: 1."
            ) in said, said[-3000:]
    assert "Authors who do not work in KE would no longer see them: Camille Dubois." in said
    assert ("1 scheduled post would keep its instant: in Africa/Nairobi it would go out at another local time than "
            "the one chosen in Europe/Paris.") in said
    db_session.expire_all()
    assert db_session.get(Account, account.id).market_id == france.id

    saved = edit(admin_web, f"/admin/accounts/{account.id}/edit", {**form, "confirmed": confirmed_key(text(asked))})

    assert_redirect(saved, "/admin/accounts")
    db_session.expire_all()
    assert db_session.get(Account, account.id).market_id == kenya.id
    told = re.sub(r"<[^>]+>", "", flashes(admin_web, saved))
    assert "2 posts of this account on their way moved to KE with it: in review: 1, scheduled: 1." in told
    assert "Authors who do not work in KE no longer see them: Camille Dubois." in told
    assert "1 scheduled post keeps its instant: in Africa/Nairobi it now goes out" in told


def test_the_account_page_heads_with_the_network_and_handle(admin_web, make):
    account = make.account(make.market("FR"), "x")
    page = squeezed(admin_web.get(f"/admin/accounts/{account.id}/edit"))
    assert f"<h1>Account X @{account.handle} </h1>" in page or f"<h1>Account X @{account.handle}</h1>" in page
    assert f"<title>Account X @{account.handle}" in page


# M6: a new zone for a market lists first the local times its scheduled posts would take ------------------------------


def test_a_new_zone_lists_the_scheduled_posts_local_times_before_saving_and_links_them_after(admin_web, make,
                                                                                             db_session):
    poland = make.market("PL", "Europe/Warsaw", ("pl",))
    post = make.post(State.scheduled, account=make.account(poland))
    post.scheduled_at = datetime(2027, 1, 9, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw, 02:00 the next day in Tokyo
    db_session.flush()
    page = squeezed(admin_web.get(f"/admin/markets/{poland.id}/edit"))
    assert "1 post is scheduled here: a new zone keeps its instant, so it would go out at another local time" in page
    form = {"code": "PL", "name": "Poland", "timezone": "Asia/Tokyo", "languages": "pl"}

    asked = edit(admin_web, f"/admin/markets/{poland.id}/edit", form)

    assert asked.status_code == 422
    said = re.sub(r"<[^>]+>", "", squeezed(asked))
    assert ("1 post is scheduled in this market: it would keep its instant, and go out at another local time than the "
            "one chosen in Europe/Warsaw:") in said, said[-3000:]
    assert (f"#{post.id} Jan 9, 2027, 18:00 (Europe/Warsaw, UTC+01:00) → Jan 10, 2027, 02:00 (Asia/Tokyo, UTC+09:00)"
            ) in said
    db_session.expire_all()
    assert db_session.get(Market, poland.id).timezone == "Europe/Warsaw"

    saved = edit(admin_web, f"/admin/markets/{poland.id}/edit", {**form, "confirmed": confirmed_key(text(asked))})

    assert_redirect(saved, "/admin/markets")
    told = flashes(admin_web, saved)
    assert "1 scheduled post keeps its instant: in Asia/Tokyo it now goes out at another local time" in told
    assert '<a href="/posts?market=PL&amp;state=scheduled">See it</a>' in told


# m3: a market's code stays once it has accounts ----------------------------------------------------------------------


def test_a_market_with_accounts_keeps_its_code(admin_web, make, db_session):
    poland, empty = make.market("PL", "Europe/Warsaw", ("pl",)), make.market("PT", "Europe/Lisbon", ("pt",))
    make.account(poland)
    assert 'readonly' in re.search(r'<input[^>]*name="code"[^>]*>', text(admin_web.get(
        f"/admin/markets/{poland.id}/edit"))).group(0)

    refused = edit(admin_web, f"/admin/markets/{poland.id}/edit", {"code": "PT", "name": "Poland",
                                                                  "timezone": "Europe/Warsaw", "languages": "pl"})

    assert_form_error(refused, "A market's code stays once it has accounts: links, kiosk screens, feeds, scripts and "
                               "its posts' history name it PL.")
    db_session.expire_all()
    assert db_session.get(Market, poland.id).code == "PL"
    assert_redirect(edit(admin_web, f"/admin/markets/{empty.id}/edit", {"code": "BR", "name": "Brasil",
                                                                       "timezone": "America/Sao_Paulo",
                                                                       "languages": "pt"}))


# m2: every refusal in one round -------------------------------------------------------------------------------------


def test_a_new_market_refused_says_every_reason_at_once(admin_web, make, db_session):
    make.market("FR")
    response = admin_web.post("/admin/markets/new", {"code": "fr", "name": "", "timezone": "europe/paris",
                                                      "languages": "français"})

    assert_form_error(response, "This field is required.")  # the form's: no name
    assert_form_error(response, "Market FR exists already.")
    assert_form_error(response, "Not an IANA time zone: give one such as Europe/Paris or Africa/Nairobi.")
    assert_form_error(response, "Did you mean Europe/Paris?")
    assert_form_error(response, "Unknown language code(s): français.")
    assert squeezed(response).count("This field is required.") == 1
    assert db_session.scalar(select(func.count()).select_from(Market)) == 1


def test_a_new_user_refused_says_every_reason_at_once(admin_web, make):
    make.user(Role.community_manager)
    taken = make.user(Role.community_manager)
    response = admin_web.post("/admin/users/new", {"email": taken.email.upper(), "name": "Camille",
                                                    "role": "community_manager", "password": "short"})

    assert_form_error(response, "A user with this e-mail exists already.")
    assert_form_error(response, "At least 8 characters.")
    assert_form_error(response, "Choose at least one market, or all markets.")


def test_a_user_form_refused_for_its_shape_says_the_rules_too(admin_web, make):
    france = make.market("FR")
    response = admin_web.post("/admin/users/new", {"email": "new@helio.example", "name": "", "role": "cabinet",
                                                    "market_ids": [france.id], "password": "a long secret"})
    assert_form_error(response, "This field is required.")
    assert_form_error(response, "A cabinet member works for executives, not in markets: choose no market.")


# m10: data that means nothing is refused, or warned about -----------------------------------------------------------


@pytest.mark.parametrize(("role", "all_markets", "message"), [
    ("cabinet", False, "A cabinet member works for executives, not in markets: choose no market."),
    ("admin", False, "An admin works in every market: choose no market."),
    ("project_manager", True, "Choose all markets, or some markets: not both."),
])
def test_markets_that_mean_nothing_for_the_role_are_refused(admin_web, make, db_session, role, all_markets,
                                                             message):
    france = make.market("FR")
    form = {"email": "new@helio.example", "name": "New", "role": role, "market_ids": [france.id],
            "password": "a long secret", **({"all_markets": "y"} if all_markets else {})}
    assert_form_error(admin_web.post("/admin/users/new", form), message)
    assert db_session.scalar(select(User).where(User.email == "new@helio.example")) is None


def test_a_cabinet_member_serving_nobody_is_created_with_a_warning(admin_web):
    answer = admin_web.post("/admin/users/new", {"email": "cab3@helio.example", "name": "Cab Three", "role": "cabinet",
                                                  "password": "a long secret"})
    assert_redirect(answer, "/admin/users")
    assert ("Cab Three serves no executive yet: they see nothing until an executive's page adds them to its cabinet."
            ) in flashes(admin_web, answer).replace("&#39;", "'")


def test_the_user_form_groups_markets_and_executives_by_the_roles_they_mean_something_for(admin_web, make):
    make.executive("Hélène Marchand")
    page = squeezed(admin_web.get("/admin/users/new"))
    assert re.search(r'<div data-for-roles="community_manager project_manager"> <div class="field[^"]*" '
                     r'role="group" aria-labelledby="market_ids-label"', page), page
    assert re.search(r'<div data-for-roles="cabinet"> <div class="field[^"]*" role="group" '
                     r'aria-labelledby="executive_ids-label"', page)
    assert '<script src="/static/admin_user.js"></script>' in page


@pytest.mark.parametrize(("path", "form", "field"), [
    ("/admin/accounts/new", {"network": "tiktok", "handle": "helio", "kind": "brand", "executive_id": ""}, "network"),
    ("/admin/accounts/new", {"market_id": "999", "network": "x", "handle": "helio", "kind": "brand",
                             "executive_id": ""}, "market_id"),
    ("/admin/users/new", {"email": "x@helio.example", "name": "X", "role": "superadmin", "password": "a long secret"},
     "role"),
])
def test_a_tampered_choice_is_not_a_valid_choice(admin_web, make, path, form, field):
    france = make.market("FR")
    form = {"market_id": str(france.id), **form}
    response = admin_web.post(path, form)
    assert response.status_code == 422
    errors = re.search(rf'id="{field}-errors">(.*?)</div>', squeezed(response))
    assert errors and "Not a valid choice." in errors.group(1), squeezed(response)[-3000:]
    assert "This field is required." not in errors.group(1)


# Polish ---------------------------------------------------------------------------------------------------------------


def test_inner_runs_of_spaces_in_names_are_one_space(admin_web, make, db_session):
    france = make.market("FR")
    assert_redirect(admin_web.post("/admin/users/new", {"email": "hans@helio.example", "name": "Hans   Meier",
                                                         "role": "community_manager", "market_ids": [france.id],
                                                         "password": "a long secret"}))
    assert_redirect(admin_web.post("/admin/executives/new", {"name": " Ada \u00a0  Lovelace ", "title": ""}))
    db_session.expire_all()
    assert db_session.scalar(select(User.name).where(User.email == "hans@helio.example")) == "Hans Meier"
    assert db_session.scalar(select(Executive.name)) == "Ada Lovelace"
    refused = admin_web.post("/admin/executives/new", {"name": "ada  lovelace", "title": ""})
    assert_form_error(refused, "An executive named Ada Lovelace exists already.")



def test_a_market_left_without_a_reviewer_and_nothing_awaiting_is_told_after_not_asked(admin_web, make, db_session):
    france = make.market("FR")
    manager = make.user(Role.project_manager, markets=[france], name="Marc Lefèvre")
    saved = edit(admin_web, f"/admin/users/{manager.id}/edit", {"name": "Marc Lefèvre", "role": "community_manager",
                                                                "market_ids": [france.id]})
    assert_redirect(saved, "/admin/users")
    assert ("No active project manager is left in FR: nobody can approve, schedule or retry a post there until one "
            "is.") in re.sub(r"<[^>]+>", "", flashes(admin_web, saved))


@pytest.mark.browser
def test_the_user_form_shows_markets_or_executives_for_the_role_chosen(chromium, live_server):  # noqa: F811
    """A cabinet member's markets meant nothing and were saved: the form shows the markets for community and project
    managers, the executives for the cabinet, and sends only what it shows."""
    base, engine = live_server
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, BROWSER_PASSWORD)
        camille = session.scalar(select(User).where(User.email == "camille@helio.example"))
        session.commit()
        camille_id = camille.id
    page = chromium.new_page()
    sign_in(page, base, "ada@helio.example")
    page.goto(f"{base}/admin/users/{camille_id}/edit")
    markets, executives = page.locator("#market_ids-label"), page.locator("#executive_ids-label")
    assert markets.is_visible() and not executives.is_visible()

    page.select_option("select[name=role]", "cabinet")
    assert not markets.is_visible() and executives.is_visible()
    page.get_by_label("Hélène Marchand").check()
    page.click("main form button.primary")
    page.wait_for_load_state()

    with Session(engine) as session:
        camille = session.get(User, camille_id)
        assert (camille.role, camille.markets, [e.name for e in camille.executives]) == (
            Role.cabinet, [], ["Hélène Marchand"])
    page.close()
