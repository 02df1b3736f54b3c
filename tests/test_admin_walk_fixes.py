"""What an administrator's walk found, onboarding a country: a user deactivated in one click, an account that publishes
through nothing and says nothing of it, languages and policy columns named in English on French pages, mistakes
refused without the answer (a market code no country has, a zone typed in the wrong case), a role select that lets
you pick what saving refuses, and pages too wide or cut short."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale, lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_admin import assert_form_error, assert_redirect, count, edit, text
from test_browser import PASSWORD as BROWSER_PASSWORD
from test_browser import chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.models import Account, Market, User
from approval.publishing import controls
from approval.style import language
from approval.workflow.states import Role


def squeezed(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", text(response))


def confirm_of(page: str, action: str) -> str | None:
    """The question the form posting to ``action`` asks before it is sent (its data-confirm), None when it asks none."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"([^>]*)>', page)
    assert form, action
    asked = re.search(r'data-confirm="([^"]*)"', form.group(1))
    return html.unescape(asked.group(1)) if asked else None


# Finding 2: deactivating a user asks first, and says what it breaks --------------------------------------------------


def test_deactivating_a_user_asks_first_and_says_what_ends(admin_web, make):
    manager = make.user(Role.project_manager)
    make.user(Role.project_manager)  # not the last one of the market (tests/test_admin_staffing_walk.py)
    page = squeezed(admin_web.get(f"/admin/users/{manager.id}/edit"))

    question = confirm_of(page, f"/admin/users/{manager.id}/deactivate")
    assert question == ("Deactivate this user? They can no longer log in: their sessions end at once, and their API "
                        "tokens and calendar feed link stop working until they are reactivated.")
    ending = confirm_of(page, f"/admin/users/{manager.id}/sessions/end")
    assert ending == ("End every session of this user and revoke their API tokens and calendar feed link? They must "
                      "log in again, and make new tokens.")


def test_deactivating_the_last_active_member_of_a_cabinet_names_the_executive_left_without_one(admin_web, make,
                                                                                               db_session):
    amina, helene = make.executive("Amina Okello"), make.executive("Hélène Marchand")
    member = make.user(Role.cabinet, executives=[amina, helene], name="Cabinet Two")
    make.user(Role.cabinet, executives=[helene], name="Cabinet One")  # Hélène keeps an active member
    gone = make.user(Role.cabinet, executives=[amina], name="Cabinet Gone")
    gone.active = False
    db_session.flush()

    question = confirm_of(squeezed(admin_web.get(f"/admin/users/{member.id}/edit")),
                          f"/admin/users/{member.id}/deactivate")
    assert question.startswith("Deactivate this user? They can no longer log in:"), question
    assert question.endswith("They are the only active member of the cabinet of Amina Okello: nobody could accept "
                             "or decline that executive's suggested messages, and none could be approved."), question
    assert "Hélène" not in question

    answer = admin_web.post(f"/admin/users/{member.id}/deactivate")
    assert_redirect(answer, f"/admin/users/{member.id}/edit")
    said = squeezed(admin_web.get(answer.headers["Location"]))
    assert "is deactivated: they can no longer log in." in said
    assert (f'Nobody active is left in the cabinet of <a href="/admin/executives/{amina.id}/edit#cabinet">Amina '
            "Okello</a>: add a member, or reactivate one.") in said, said[-3000:]
    db_session.expire_all()
    assert db_session.get(User, member.id).active is False


def test_two_executives_left_without_a_cabinet_are_both_named(admin_web, make):
    amina, helene = make.executive("Amina Okello"), make.executive("Hélène Marchand")
    member = make.user(Role.cabinet, executives=[amina, helene])
    question = confirm_of(squeezed(admin_web.get(f"/admin/users/{member.id}/edit")),
                          f"/admin/users/{member.id}/deactivate")
    assert question.endswith("They are the only active member of the cabinets of Amina Okello, Hélène Marchand: "
                             "nobody could accept or decline these executives' suggested messages, and none could "
                             "be approved."), question


def test_the_executives_say_which_cabinet_member_is_deactivated_and_which_cabinet_has_nobody_active(admin_web, make,
                                                                                                     db_session):
    amina, helene = make.executive("Amina Okello"), make.executive("Hélène Marchand")
    gone = make.user(Role.cabinet, executives=[amina, helene], name="Cabinet Two")
    make.user(Role.cabinet, executives=[helene], name="Cabinet One")
    gone.active = False
    db_session.flush()

    page = squeezed(admin_web.get("/admin/executives"))
    amina_row = re.search(r"<tr>\s*<th scope=\"row\"[^>]*>Amina Okello</th>.*?</tr>", page).group(0)
    assert 'Cabinet Two <span class="state">deactivated</span>' in amina_row
    assert "nobody active: their suggested messages cannot be accepted" in amina_row
    helene_row = re.search(r"<tr>\s*<th scope=\"row\"[^>]*>Hélène Marchand</th>.*?</tr>", page).group(0)
    assert "Cabinet One" in helene_row and "nobody active" not in helene_row

    executive_page = squeezed(admin_web.get(f"/admin/executives/{amina.id}/edit"))
    assert ("Nobody in this cabinet is active: their suggested messages cannot be accepted until you add an active "
            "member or reactivate one.") in executive_page
    assert "Nobody in this cabinet is active" not in squeezed(admin_web.get(f"/admin/executives/{helene.id}/edit"))


# Finding 3: the languages of the language finding are named in the reader's language --------------------------------


def test_a_language_is_named_in_the_reader_s_language():
    assert (language.name("fr"), language.name("sw", "fr"), language.name("en", "fr")) == ("French", "swahili",
                                                                                           "anglais")
    assert language.name("pl", "fr_FR") == "polonais"
    assert language.name("zz", "fr") == "zz"  # no name known: its code


def test_the_language_finding_keeps_the_codes_to_name_them_in_any_language():
    from approval import style

    text_fr = "Nous publions aujourd'hui notre rapport annuel intégré, avec toutes les équipes du groupe."
    finding = next(f for f in style.check(text_fr, style.Context(network="x", languages=("en", "sw")))
                   if f.rule == language.MISMATCH)
    assert finding.message == "This text reads as French, not as the market's English / Swahili."
    assert finding.params["code"] == "fr" and finding.params["expected_codes"] == ["en", "sw"]
    named = language.named_in(finding.params, "fr")
    assert (named["language"], named["expected"]) == ("français", "anglais / swahili")
    # A finding stored before the codes were kept: its detected language is still named, the others as they were.
    assert language.named_in({"language": "French", "expected": "English", "code": "fr"}, "fr") == {
        "language": "français", "expected": "English", "code": "fr"}


def test_the_live_check_names_the_languages_in_french(web, make):
    uganda = make.market("UG", "Africa/Kampala", ("en", "sw"))
    account = make.account(uganda, "x")
    writer = make.user(Role.community_manager, markets=[uganda])
    web.login(writer)
    web.post("/language", {"language": "fr", "next": "/posts"})
    answer = web.post("/posts/check", {"account_id": account.id, "body": "Nous publions aujourd'hui notre rapport "
                                       "annuel intégré, avec toutes les équipes du groupe."}).get_json()
    message = next(f["message"] for f in answer["findings"] if f["rule"] == language.MISMATCH)
    assert "français" in message and "anglais / swahili" in message and "French" not in message, message


# Finding 4: a policy line's error names its columns in the reader's language -----------------------------------------


def test_a_policy_line_error_names_its_columns_in_the_reader_s_language(app, admin_web, make):
    market = make.market("UG", "Africa/Kampala", ("en", "sw"))
    form = {"based_on": "0", "forbidden": "cheap\ncheap | a | b | c", "sensitive": "", "capital_exceptions": "",
            "disclosures": "", "note": ""}
    english = squeezed(admin_web.post(f"/admin/markets/{market.id}/policy", form))
    assert "Line 1: give the reason after a “|” (phrase | reason | instead)." in english

    admin_web.post("/language", {"language": "fr", "next": "/admin"})
    french = squeezed(admin_web.post(f"/admin/markets/{market.id}/policy", form))
    with app.test_request_context(), force_locale("fr"):
        columns = " | ".join(str(lazy_pgettext("a part of an editorial list's line", word))
                             for word in ("phrase", "reason", "instead"))
    assert f"({columns})" in french, french[-3000:]


# Finding 5: an account connected to nothing says so, where the admin looks ------------------------------------------


def test_a_new_account_connected_to_nothing_says_so_and_links_to_its_connector(admin_web, make, db_session):
    uganda = make.market("UG", "Africa/Kampala", ("en", "sw"))
    answer = admin_web.post("/admin/accounts/new", {"market_id": uganda.id, "network": "linkedin",
                                                     "handle": "amina.okello", "brand": "", "kind": "brand",
                                                     "executive_id": ""})
    assert_redirect(answer, "/admin/accounts?market=UG")
    account = db_session.scalars(select(Account)).one()
    settings = f"/publishing/settings#account-{account.id}"

    listed = squeezed(admin_web.get(answer.headers["Location"]))
    assert "Account LinkedIn @amina.okello created." in listed
    assert ("LinkedIn @amina.okello is not connected to a publisher yet: none of its posts can go out until it is. "
            f'<a href="{settings}">Choose how it publishes</a>.') in listed, listed[-4000:]
    assert f'<td data-label="Publishes through"><a class="error" href="{settings}">not connected</a></td>' in listed

    page = squeezed(admin_web.get(f"/admin/accounts/{account.id}/edit"))
    assert (f'Not connected: none of its posts can go out until it is connected. <a href="{settings}">Choose how it '
            "publishes</a>.") in page

    controls.connect_account(db_session, account, "outbox")
    db_session.flush()
    assert f'<td data-label="Publishes through"><a href="{settings}">the outbox</a></td>' in squeezed(
        admin_web.get("/admin/accounts?market=UG"))
    page = squeezed(admin_web.get(f"/admin/accounts/{account.id}/edit"))
    assert f'Publishes through the outbox. <a href="{settings}">Change how it publishes</a>.' in page
    assert "Not connected" not in page


def test_the_market_page_shows_its_grace_period_and_where_it_is_set(admin_web, make):
    uganda = make.market("UG", "Africa/Kampala", ("en", "sw"))
    page = squeezed(admin_web.get(f"/admin/markets/{uganda.id}/edit"))
    assert (f'Grace period: 15 minutes. <a href="/publishing/settings#market-{uganda.id}">Set it in the publishing '
            "settings</a>.") in page


# Finding 11: a mistake is refused with the answer ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XX", "ZZ", "XA", "QQ"])
def test_a_market_code_no_country_has_is_refused(admin_web, db_session, code):
    response = admin_web.post("/admin/markets/new", {"code": code, "name": "Nowhere", "timezone": "Africa/Kampala",
                                                      "languages": "en"})
    assert_form_error(response, f"No country or territory has the code {code} (ISO 3166-1 alpha-2), e.g. FR, KE, UG.")
    assert count(db_session, Market) == 0


@pytest.mark.parametrize("code", ["UG", "GB", "XK", "UK", "EU"])
def test_a_country_s_code_and_one_iso_reserves_for_a_place_are_taken(admin_web, db_session, code):
    response = admin_web.post("/admin/markets/new", {"code": code, "name": "Somewhere", "timezone": "Europe/London",
                                                      "languages": "en"})
    assert_redirect(response, "/admin/markets")


def test_a_market_saved_under_an_unknown_code_stays_editable(admin_web, db_session):
    """A code saved before the rule: the market's other settings still change; a new code must be a country's."""
    old = Market(code="XX", name="Old", timezone="Europe/Paris", languages=["fr"])
    db_session.add(old)
    db_session.flush()
    form = {"code": "XX", "name": "Renamed", "timezone": "Europe/Paris", "languages": "fr"}
    assert_redirect(edit(admin_web, f"/admin/markets/{old.id}/edit", form), "/admin/markets")
    refused = edit(admin_web, f"/admin/markets/{old.id}/edit", {**form, "code": "XY"})
    assert_form_error(refused, "No country or territory has the code XY (ISO 3166-1 alpha-2), e.g. FR, KE, UG.")


@pytest.mark.parametrize(("typed", "meant"), [("africa/nairobi", "Africa/Nairobi"), ("Africa/Nairobbi",
                                                                                     "Africa/Nairobi"),
                                               ("Nairobi", "Africa/Nairobi"), ("europe/paris", "Europe/Paris")])
def test_a_zone_nearly_right_is_refused_with_the_one_meant(admin_web, db_session, typed, meant):
    response = admin_web.post("/admin/markets/new", {"code": "KE", "name": "Kenya", "timezone": typed,
                                                      "languages": "en, sw"})
    assert_form_error(response, "Not an IANA time zone: give one such as Europe/Paris or Africa/Nairobi.")
    assert_form_error(response, f"Did you mean {meant}?")
    assert count(db_session, Market) == 0


def test_a_zone_far_from_any_is_refused_without_a_guess(admin_web):
    response = admin_web.post("/admin/markets/new", {"code": "KE", "name": "Kenya", "timezone": "Mars/Olympus_Mons",
                                                      "languages": "en"})
    assert "Did you mean" not in text(response)


def test_a_short_password_is_said_once(admin_web, make):
    user = make.user(Role.project_manager)
    page = text(admin_web.post(f"/admin/users/{user.id}/password", {"password": "short"}))
    assert page.count("At least 8 characters.") == 1, page[-3000:]
    page = text(admin_web.post("/admin/users/new", {"email": "new@helio.example", "name": "New", "role": "admin",
                                                    "password": "short"}))
    assert page.count("At least 8 characters") == 1, page[-3000:]


# Finding 12: your own role is shown, not offered --------------------------------------------------------------------


def test_your_own_role_is_shown_disabled_and_saving_your_page_keeps_it(admin_web, admin_user, db_session):
    page = squeezed(admin_web.get(f"/admin/users/{admin_user.id}/edit"))
    select_tag = re.search(r'<select[^>]*name="role"[^>]*>', page).group(0)
    assert "disabled" in select_tag, select_tag
    assert "You cannot change your own role: ask another admin." in page
    assert re.search(r'<input type="hidden" name="role" value="admin">', page)

    response = edit(admin_web, f"/admin/users/{admin_user.id}/edit", {"name": "Ada Renamed", "role": "admin"})
    assert_redirect(response, "/admin/users")
    db_session.expire_all()
    assert db_session.get(User, admin_user.id).name == "Ada Renamed"
    # Another user's role is offered as before.
    other = admin.create_user(db_session, "pm@helio.example", "Pat", Role.project_manager, "a long password",
                              all_markets=True)
    db_session.flush()
    other_select = re.search(r'<select[^>]*name="role"[^>]*>', text(admin_web.get(f"/admin/users/{other.id}/edit")))
    assert "disabled" not in other_select.group(0)


# Findings 8, 9, 10: pages in a browser --------------------------------------------------------------------------------

#: The words of each element's text that a line break cut in two (a header "Acc|ounts").
_BROKEN_WORDS = """(selector) => Array.from(document.querySelectorAll(selector)).flatMap(cell => {
    const broken = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
            // A word longer than a column may be (a 120-character name) is the one that should break; a line may
            // end at a word's hyphen ("@helene-" "marchand").
            if (lines.size > 1 && match[0].length < 40 && !match[0].includes('-')) broken.push(match[0]);
        }
    }
    return broken;
})"""


def _admin(engine) -> None:  # noqa: ANN001
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, BROWSER_PASSWORD)
        session.commit()


def _to_french(page) -> None:  # noqa: ANN001
    page.click("header button[name=language][value=fr]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "fr"


@pytest.mark.browser
def test_an_unbroken_120_character_name_does_not_widen_the_admin_lists(chromium, live_server):  # noqa: F811
    base, engine = live_server
    _admin(engine)
    with Session(engine) as session:
        uganda = admin.create_market(session, "UG", "U" * 120, "Africa/Kampala", ["en"])
        executive = admin.create_executive(session, "E" * 120, "T" * 200)
        admin.create_account(session, uganda, "facebook", "h" * 120, "B" * 120, executive)
        admin.create_user(session, "n" * 60 + "@helio.example", "N" * 120, Role.cabinet, BROWSER_PASSWORD,
                          executives=[executive])
        admin.create_campaign(session, "C" * 200, uganda, "#" + "H" * 90)
        session.commit()
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "ada@helio.example")
    for language_ in ("en", "fr"):
        if language_ == "fr":
            _to_french(page)
        for path in ("/admin/markets", "/admin/executives", "/admin/accounts", "/admin/users", "/campaigns",
                     "/publishing/settings"):
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366, (language_, path)
            # The long name wraps; the other words keep whole: the headings, the links, the other cells.
            assert page.evaluate(_BROKEN_WORDS, "table th, table td") == [], (language_, path)
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language_", ["en", "fr"])
def test_the_connector_choices_and_the_secret_s_hint_read_whole(chromium, live_server, language_):  # noqa: F811
    """At 1366 px in French the choice read « la boîte d'envoi » cut, the secret's hint « 16 à 200 cara… »."""
    base, engine = live_server
    _admin(engine)
    with Session(engine) as session:
        kenya = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en", "sw"])
        admin.create_account(session, kenya, "facebook", "HelioKenyaOfficial", "Helio")
        for account in session.scalars(select(Account)):
            controls.connect_account(session, account, "outbox")
        hooked = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        controls.connect_account(session, hooked, "webhook", url="https://publisher.helio.example/hooks/instagram",
                                 secret="s" * 32)
        session.commit()
        row = f"#account-{hooked.id}"
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "ada@helio.example")
    if language_ == "fr":
        _to_french(page)
    page.goto(base + "/publishing/settings")
    # As in the walk: an address refused, its reason told in the row, beside the others.
    page.fill(f"{row} input[name=url]", "https://u:p@hooks.example.com/x")
    page.click(f"{row} button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(f"{row} p.error").count() == 1
    cut = page.evaluate("""() => {
        const pen = document.createElement('canvas').getContext('2d');
        const cut = [];
        for (const el of document.querySelectorAll('#accounts select, #accounts input[type=password]')) {
            const style = getComputedStyle(el);
            pen.font = style.font;
            const texts = el.tagName === 'SELECT' ? Array.from(el.options).map(o => o.text) : [el.placeholder];
            // A select's arrow takes about 20 px of its inside.
            const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
                         - (el.tagName === 'SELECT' ? 20 : 0);
            for (const t of texts) if (pen.measureText(t).width > room) cut.push(el.name + ': ' + t);
        }
        return cut;
    }""")
    assert cut == [], cut
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert page.evaluate(_BROKEN_WORDS, "#accounts tbody td:first-child") == []  # "@HelioKenyaOff|icial"
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language_", ["en", "fr"])
def test_on_a_phone_a_checkbox_stays_with_its_label(chromium, live_server, language_):  # noqa: F811
    base, engine = live_server
    _admin(engine)
    with Session(engine) as session:
        for code, name, zone in (("KE", "Kenya", "Africa/Nairobi"), ("PL", "Poland", "Europe/Warsaw"),
                                 ("UG", "Uganda", "Africa/Kampala")):
            admin.create_market(session, code, name, zone, ["en"])
        for name in ("Amina Okello", "Jean-Baptiste Mwangi-Kariuki", "N" * 60):
            admin.create_executive(session, name)
        user = session.scalar(select(User).where(User.email == "camille@helio.example"))
        session.commit()
        user_id = user.id
    context = chromium.new_context(viewport={"width": 390, "height": 800}, locale="en-GB")
    page = context.new_page()
    sign_in_phone(page, base)
    if language_ == "fr":
        page.get_by_role("button", name="Menu").click()
        _to_french(page)
    page.goto(f"{base}/admin/users/{user_id}/edit")
    apart = page.evaluate("""() => Array.from(document.querySelectorAll('[role=group] label:has(input[type=checkbox])'))
        .filter(label => label.getClientRects().length)  // a group the user's role has no use for is hidden
        .filter(label => {
            const box = label.querySelector('input').getBoundingClientRect();
            const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
            let node = walker.nextNode();
            while (node && !node.data.trim()) node = walker.nextNode();
            const range = document.createRange();
            const start = node.data.search(/\\S/);
            range.setStart(node, start);
            range.setEnd(node, start + 1);
            const first = range.getClientRects()[0];
            // The label's first letter on the box's line, to its right.
            return !(first.left > box.left && Math.abs((first.top + first.bottom) / 2 - (box.top + box.bottom) / 2)
                     < first.height);
        }).map(label => label.textContent.trim())""")
    assert apart == [], apart
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def sign_in_phone(page, base: str) -> None:  # noqa: ANN001
    page.goto(base + "/login")
    page.fill("input[name=email]", "ada@helio.example")
    page.fill("input[name=password]", BROWSER_PASSWORD)
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="Menu").wait_for()
    page.wait_for_load_state()
