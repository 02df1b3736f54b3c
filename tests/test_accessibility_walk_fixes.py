"""What an accessibility walk (axe-core and a keyboard) found, kept fixed: a refused form's reasons tied to their
fields and the focus brought to the first of them; a failed login said aloud; the change log's "By" column readable;
targets of at least 24 px; the post filters inside a 320 px screen; unread notifications told apart, each with a name
of its own; a reload of a page drawn at a form's POST-only address that does not send the form again; table headers
and the rows' actions named. The first tests read the HTML; the others run in a real Chromium."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_accessibility import _add_admin, _contrasts, _posts_in_every_state, _signed_in
from test_browser import chromium, live_server  # noqa: F401 - the shared browser fixtures

from approval import kiosks
from approval.api.tokens import issue_token
from approval.models import User
from approval.workflow.states import Role, State
from tests.conftest import ONE_BACKEND


class _Page(HTMLParser):
    """A page's elements in order: (tag, attributes, text), where text is what a screen reader reads of it (the
    text inside, visually hidden or not, or its aria-label); ``within``: the ids of each element and its ancestors."""

    VOID = {"input", "meta", "link", "br", "img", "hr", "source", "col", "area", "base", "embed", "track", "wbr"}

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.within: list[set[str]] = []
        self._open: list[tuple[str, list[str], str | None]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ANN001
        attributes = {name: value or "" for name, value in attrs}
        text: list[str] = []
        self.elements.append((tag, attributes, text))
        self.within.append({id_ for _tag, _text, id_ in self._open if id_} | ({attributes["id"]} if "id" in attributes
                                                                             else set()))
        if tag not in self.VOID:
            self._open.append((tag, text, attributes.get("id")))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for _tag, text, _id in self._open:
            text.append(data)

    def find(self, tag: str | None = None, **attributes: str) -> list[tuple[dict[str, str], str]]:
        """(attributes, text) of each element of ``tag`` whose attributes hold those given (class_: one class)."""
        return [(attrs, text) for attrs, text, _within in self.find_within(tag, **attributes)]

    def find_within(self, tag: str | None = None, **attributes: str) -> list[tuple[dict[str, str], str, set[str]]]:
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attributes.items()}
        found = []
        for (name, attrs, text), within in zip(self.elements, self.within):
            if tag and name != tag:
                continue
            if all((value in attrs.get("class", "").split()) if key == "class" else attrs.get(key) == value
                   for key, value in wanted.items()):
                found.append((attrs, " ".join("".join(text).split()), within))
        return found

    def name(self, attrs: dict[str, str], text: str) -> str:
        return attrs.get("aria-label") or text

    def ids(self) -> dict[str, tuple[str, dict[str, str], str]]:
        return {attrs["id"]: (tag, attrs, " ".join("".join(text).split()))
                for tag, attrs, text in self.elements if "id" in attrs}


CONTROLS = ("input", "select", "textarea")


def _controls(page: _Page) -> list[dict[str, str]]:
    return [attrs for tag, attrs, _text in page.elements
            if tag in CONTROLS and attrs.get("type") not in ("hidden", "submit")]


def assert_errors_tied_to_their_fields(page_text: str) -> list[dict[str, str]]:
    """Every reason (p.error) of a field is named by an invalid control's aria-describedby, every hint (small.help)
    by its control's or its group's; a control with a reason is aria-invalid. Returns the invalid controls, in
    order."""
    page = _Page(page_text)
    ids = page.ids()
    described: dict[str, list[dict[str, str]]] = {}
    for _tag, attrs, _text in page.elements:
        for id_ in attrs.get("aria-describedby", "").split():
            assert id_ in ids, (attrs, id_)
            described.setdefault(id_, []).append(attrs)
    for kind in ("error", "help"):
        for attrs, text, within in page.find_within(None, class_=kind):
            if attrs.get("role") == "alert" or not text:
                continue  # a whole form's message, not a field's
            by = [element for id_ in within & described.keys() for element in described[id_]]
            assert by, (kind, text, attrs)
            if kind == "error":
                assert any(element.get("aria-invalid") == "true" for element in by), (text, by)
    invalid = [attrs for attrs in _controls(page) if attrs.get("aria-invalid") == "true"]
    for attrs in invalid:  # and the reasons of an invalid field are among its descriptions
        assert any({"error", "errors"} & set(ids[i][1].get("class", "").split())
                   for i in attrs.get("aria-describedby", "").split()), attrs
    return invalid


# 1. A refused form's reasons are tied to their fields -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/markets/new", "/admin/users/new", "/admin/accounts/new",
                                  "/admin/executives/new"])
def test_an_admin_form_sent_empty_ties_each_reason_to_its_field(admin_web, make, path):
    make.market("FR")
    fresh = admin_web.get(path).get_data(as_text=True)
    assert assert_errors_tied_to_their_fields(fresh) == []  # a hint is tied from the start
    answer = admin_web.post(path, {})
    assert answer.status_code in (200, 409, 422), answer.status_code
    invalid = assert_errors_tied_to_their_fields(answer.get_data(as_text=True))
    assert invalid, path


def test_a_fresh_forms_hint_describes_its_field(admin_web):
    page = _Page(admin_web.get("/admin/markets/new").get_data(as_text=True))
    code = page.find("input", id="code")[0][0]
    assert code.get("aria-describedby") == "code-help" and "aria-invalid" not in code
    assert page.find("small", id="code-help")[0][1].startswith("ISO 3166-1")


def test_a_login_without_an_address_marks_the_field_and_does_not_autofocus_it(web):
    page_text = web.post("/login", {"email": "", "password": ""}).get_data(as_text=True)
    invalid = assert_errors_tied_to_their_fields(page_text)
    assert [attrs["id"] for attrs in invalid][:1] == ["email"]
    assert "autofocus" not in invalid[0]  # static/forms.js brings the focus to the first invalid field


# 2. Messages are announced; a failed login does not skip its message ------------------------------------------------


def test_a_failed_login_says_why_aloud_and_leaves_the_focus_to_the_message(web, make):
    user = make.user(Role.community_manager)
    first = _Page(web.get("/login").get_data(as_text=True))
    assert "autofocus" in first.find("input", id="email")[0][0]  # a fresh page starts in the address
    failed = _Page(web.post("/login", {"email": user.email, "password": "wrong"}).get_data(as_text=True))
    message = failed.find(None, class_="flash")
    assert len(message) == 1 and message[0][1].startswith("Wrong e-mail or password")
    attrs = message[0][0]
    assert attrs.get("role") == "alert" and attrs.get("tabindex") == "-1" and "data-focus" in attrs, attrs
    assert "autofocus" not in failed.find("input", id="email")[0][0]


def test_success_and_information_are_a_status_errors_and_warnings_an_alert(web, make):
    web.login(make.user(Role.community_manager))
    web.post("/logout")
    goodbye = _Page(web.get("/login").get_data(as_text=True)).find(None, class_="flash")
    assert goodbye and goodbye[0][0].get("role") == "status" and "logged out" in goodbye[0][1]
    assert "tabindex" not in goodbye[0][0]  # nothing was refused: the page starts at its top


# 7. A reload of a page drawn at a POST-only address ----------------------------------------------------------------


def _reload_address(page_text: str) -> str | None:
    meta = _Page(page_text).find("meta", name="reload-as-get")
    return html.unescape(meta[0][0]["content"]) if meta else None


def test_a_refusal_at_a_post_only_address_reloads_the_page_the_form_came_from(admin_web, make):
    user = make.user(Role.community_manager)
    path = f"/admin/users/{user.id}/password"
    edit = f"/admin/users/{user.id}/edit"
    refused = admin_web.post(path, {"password": "short"}, headers={"Referer": f"http://localhost{edit}?tab=1"})
    assert refused.status_code == 422
    assert _reload_address(refused.get_data(as_text=True)) == f"{edit}?tab=1"
    # Another site's page, or a page no GET opens, or none: the address stays (a reload asks the browser's question).
    for referer in ("http://elsewhere.example/admin/users", f"http://localhost{path}", None):
        headers = {"Referer": referer} if referer else {}
        again = admin_web.post(path, {"password": "short"}, headers=headers).get_data(as_text=True)
        assert _reload_address(again) is None, referer


def test_a_refusal_at_an_address_a_get_opens_still_reloads_that_address(web, make):
    post = make.post(State.in_review)
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    page = web.post(f"/posts/{post.id}/actions/request_changes", {"version": post.version, "comment": ""},
                    headers={"Referer": f"http://localhost/posts/{post.id}?x=1"}).get_data(as_text=True)
    assert _reload_address(page) == f"/posts/{post.id}/actions/request_changes"


# 6. Notifications: each its own name, the unread told apart ---------------------------------------------------------


def test_each_notification_has_a_name_of_its_own_and_says_it_is_unread(web, make, db_session):
    market = make.market("FR")
    account = make.account(market, "x")
    manager = make.user(Role.project_manager, markets=[market])
    posts = [make.post(State.in_review, account=account) for _ in range(3)]
    web.login(manager)
    page = _Page(web.get("/notifications").get_data(as_text=True))
    links = [page.name(attrs, text) for attrs, text in page.find("a", class_="open")]
    boxes = [attrs["aria-label"] for attrs, _text in page.find("input", type="checkbox")]
    assert len(links) == len(boxes) == 3
    assert len(set(links)) == 3 and len(set(boxes)) == 3, (links, boxes)
    for post in posts:
        assert any(f"#{post.id}" in name and f"@{account.handle}" in name for name in links), (post.id, links)
        assert any(f"#{post.id}" in name for name in boxes), (post.id, boxes)
    unread = page.find("tr", class_="unread")
    assert len(unread) == 3 and all(text.startswith("Unread") for _attrs, text in page.find(None, class_="unread-mark"))
    assert len(page.find(None, class_="unread-mark")) == 3
    web.post("/notifications/read", {"all": "1"})
    page = _Page(web.get("/notifications").get_data(as_text=True))
    assert page.find("tr", class_="unread") == [] and page.find(None, class_="unread-mark") == []


# 8. Table headers and the rows' actions are named -------------------------------------------------------------------


def _unnamed_headers(page: _Page) -> list[dict[str, str]]:
    return [attrs for attrs, text in page.find("th") if not page.name(attrs, text)]


def test_every_table_header_has_a_name_and_each_rows_action_names_its_row(admin_web, make, admin_user, db_session):
    market = make.market("FR")
    make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    make.account(market, "x")
    make.account(market, "linkedin", executive=make.executive("Hélène Marchand"))
    make.executive("Jean Dupont")
    make.user(Role.community_manager, markets=[market])
    kiosks.create_kiosk(db_session, "Lobby screen", ["FR"])
    kiosks.create_kiosk(db_session, "Press room", [])
    issue_token(db_session, admin_user, "Planning script")
    issue_token(db_session, admin_user, "Export script")
    db_session.flush()
    for path in ("/admin", "/admin/markets", "/admin/accounts", "/admin/users", "/admin/executives", "/hub/kiosks",
                 "/profile"):
        page = _Page(admin_web.get(path).get_data(as_text=True))
        assert page.find("th"), path
        assert _unnamed_headers(page) == [], path
        actions: dict[str, list[str]] = {}
        for tag in ("a", "button"):
            for attrs, text in page.find(tag):
                label = page.name(attrs, text)
                for verb in ("Edit", "Deactivate", "Reactivate", "Revoke"):
                    if label.split(" ")[0] == verb:
                        actions.setdefault(verb, []).append(label)
        if path not in ("/admin",):
            assert actions, path
        for verb, names in actions.items():
            assert len(names) == len(set(names)) and all(name != verb for name in names), (path, verb, names)


# In the browser ------------------------------------------------------------------------------------------------

browser = pytest.mark.browser


def _wait_for_focus(page, id_: str, seconds: float = 5) -> None:  # noqa: ANN001
    """Until the element ``id_`` has the focus (Chromium moves it to an autofocus field at its next rendering step;
    the pages' policy forbids the string a wait_for_function would evaluate)."""
    for _ in range(int(seconds * 20)):
        if page.evaluate("document.activeElement && document.activeElement.id") == id_:
            return
        page.wait_for_timeout(50)
    raise AssertionError(page.evaluate("document.activeElement && document.activeElement.outerHTML.slice(0, 200)"))


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_refused_form_brings_the_focus_to_its_first_invalid_field(chromium, live_server):  # noqa: F811
    base, engine = live_server
    _add_admin(engine)
    page = _signed_in(chromium, base, "ada@helio.example")
    for path, first in (("/admin/markets/new", "code"), ("/admin/users/new", "email")):
        page.goto(base + path)
        with page.expect_navigation():
            page.click("main form button[type=submit] >> nth=0")
        _wait_for_focus(page, first)
        described = page.evaluate("""() => document.activeElement.getAttribute('aria-describedby').split(' ')
            .map((id) => document.getElementById(id).textContent.trim()).join(' | ')""")
        assert described, path
        assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    page.context.close()


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_failed_login_brings_the_focus_to_its_message(chromium, live_server):  # noqa: F811
    base, _engine = live_server
    page = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    page.goto(base + "/login")
    _wait_for_focus(page, "email")
    page.fill("input[name=email]", "camille@helio.example")
    page.fill("input[name=password]", "wrong password")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_timeout(300)  # an autofocus would have taken it by now
    focused = page.evaluate("[document.activeElement.getAttribute('role'), document.activeElement.textContent.trim()]")
    assert focused[0] == "alert" and focused[1].startswith("Wrong e-mail or password"), focused
    # Without an address: the field, with its reason.
    page.fill("input[name=email]", "")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    _wait_for_focus(page, "email")
    page.context.close()


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_section_asking_for_the_focus_takes_it_before_an_invalid_field(chromium, live_server):  # noqa: F811
    """static/forms.js's order: an autofocus field is left alone; else a section that asks (a conflict), else the
    first invalid field, else a refusal's message."""
    base, _engine = live_server
    page = chromium.new_context().new_page()
    script = f'<script src="{base}/static/forms.js"></script>'
    field = '<input id="a"><input id="b" aria-invalid="true"><input id="c" aria-invalid="true">'
    section = '<section id="s" tabindex="-1" data-focus="first">Someone saved this</section>'
    message = '<p id="m" tabindex="-1" data-focus="fallback">Refused</p>'
    valid = field.replace("aria-invalid", "data-x")
    for body, expected in ((message + field, "b"), (message + field + section, "s"), (message, "m"),
                           ('<input id="x" autofocus>' + section + field, "x"), (valid, "")):
        page.set_content(f"<main>{body}</main>{script}")
        page.wait_for_timeout(100)
        assert page.evaluate("document.activeElement.id") == expected, body
    page.context.close()


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_change_logs_by_column_reads(chromium, live_server):  # noqa: F811
    """#bbb (the dark top bar's grey) on the page's #f6f7f9 was 1.79:1."""
    base, engine = live_server
    _add_admin(engine)
    page = _signed_in(chromium, base, "ada@helio.example")
    page.goto(base + "/admin/log")
    shown = _contrasts(page, "td.who")
    assert shown and [(what, round(ratio, 2)) for what, ratio in shown if ratio < 4.5] == []
    # The top bar's own stays light on black.
    assert all(ratio >= 4.5 for _what, ratio in _contrasts(page, "header .who .role, header .who button.link"))
    page.context.close()


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_bell_and_the_market_links_are_24_pixels_at_least(chromium, live_server):  # noqa: F811
    """WCAG 2.5.8: the admin's bell (no count) was 16x19, the links of "Notifications by market" 18 px tall."""
    base, engine = live_server
    _add_admin(engine)
    page = _signed_in(chromium, base, "ada@helio.example")
    page.goto(base + "/notifications/settings")
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('header .bell, main table a'))
        .map((e) => { const r = e.getBoundingClientRect();
                      return [e.textContent.trim() || e.className, r.width, r.height]; })""")
    assert len(sizes) >= 2
    assert [s for s in sizes if s[1] < 24 or s[2] < 24] == []
    assert page.locator("header.topbar").bounding_box()["height"] <= 56  # the bar stays one slim row
    page.context.close()


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_post_filters_fit_a_320_pixel_screen(chromium, live_server):  # noqa: F811
    base, engine = live_server
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "camille@helio.example", {"width": 320, "height": 700})
    page.goto(base + "/posts?state=draft")
    assert page.locator(".list-filters input[type=date]").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.context.close()


@browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_unread_notifications_stand_out_not_by_colour_alone(chromium, live_server):  # noqa: F811
    base, engine = live_server
    _posts_in_every_state(engine)  # posts sent for review: the project manager is told
    page = _signed_in(chromium, base, "lucile@helio.example")
    page.goto(base + "/notifications")
    weight = "(e) => parseInt(getComputedStyle(e).fontWeight)"
    unread = page.locator("tr.unread a.open").first
    assert page.evaluate(weight, unread.element_handle()) >= 600
    marker = page.locator("tr.unread .unread-mark").first
    assert marker.is_visible() and marker.bounding_box()["width"] >= 6  # a shape beside the title, not a colour
    with page.expect_navigation():
        page.click("button[name=all]")
    read = page.locator("tr.notification a.open").first
    assert page.evaluate(weight, read.element_handle()) < 600
    assert page.locator(".unread-mark").count() == 0
    page.context.close()


@browser
def test_reloading_a_refusal_at_a_post_only_address_opens_the_form_page_again(chromium, live_server):  # noqa: F811
    """A new password too short, refused at /admin/users/ID/password (which answers no GET): a reload sent the form
    again. The page's address becomes the page the form came from."""
    base, engine = live_server
    _add_admin(engine)
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.email == "camille@helio.example"))
    page = _signed_in(chromium, base, "ada@helio.example")
    page.goto(f"{base}/admin/users/{user_id}/edit")
    page.get_by_label("New password", exact=True).fill("short")  # its label names it (the section had the field's id)
    with page.expect_navigation():
        page.click("#set-password button[type=submit]")
    assert page.locator("#set-password .error").count()
    assert page.url == f"{base}/admin/users/{user_id}/edit"  # the address shown is the form's page
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url)) if request.is_navigation_request()
            else None)
    page.reload()
    assert sent and sent[0] == ("GET", f"{base}/admin/users/{user_id}/edit"), sent
    page.context.close()


def test_the_action_columns_header_is_named_only_for_a_screen_reader(admin_web, make):
    make.market("FR")
    page = admin_web.get("/admin/markets").get_data(as_text=True)
    heads = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert re.search(r'<th><span class="visually-hidden">Actions</span></th>', heads), heads
