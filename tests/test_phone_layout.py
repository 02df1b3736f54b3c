"""Every page works on a phone: at 360 px nothing is wider than the window, and the top bar (with "Log out" on its
dark background) holds all it shows. Real Chromium, as the browser journey."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from test_browser import PASSWORD, chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.workflow.states import Role

pytestmark = pytest.mark.browser

WIDTH = 360
PAGES = {
    "ada@helio.example": ["/admin", "/admin/markets", "/admin/accounts", "/admin/executives", "/admin/users",
                          "/admin/users/new", "/campaigns", "/admin/markets/new", "/reports/audit", "/hub/kiosks",
                          "/notifications/settings", "/publishing/settings"],
    "lucile@helio.example": ["/posts", "/review", "/posts/new", "/profile", "/calendar", "/calendar?view=month",
                             "/calendar?view=week", "/hub/dashboard", "/reports", "/notifications/preferences"],
    "camille@helio.example": ["/posts", "/posts/new"],
    "sophie@helio.example": ["/cabinet"],
}


def _too_wide(page) -> list[str]:  # noqa: ANN001
    """The elements that reach beyond the window's right edge."""
    return page.evaluate("""(width) => Array.from(document.querySelectorAll('body *'))
        .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))""",
                         WIDTH)


def test_pages_fit_a_360_px_phone(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, PASSWORD)
        session.commit()
    context = chromium.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-GB")
    page = context.new_page()
    page.goto(base + "/login")
    assert _too_wide(page) == [], "/login"
    for email, paths in PAGES.items():
        context.clear_cookies()
        page.goto(base + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        # Signed in once the top bar offers to log out (the password's hash takes its time on a busy machine: a
        # page opened before the answer would be the login page again).
        page.get_by_role("button", name="Log out").wait_for()
        page.wait_for_load_state()
        for path in paths:
            response = page.goto(base + path)
            assert response.status == 200 and "/login" not in response.url, (path, response.url)
            if path == "/calendar":  # no view chosen: a phone gets the list, where each post reads whole
                page.wait_for_url("**/calendar?view=list*")
                page.wait_for_load_state()
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, (path, _too_wide(page))
            assert _too_wide(page) == [], path
            bar = page.locator("header.topbar").bounding_box()
            logout = page.get_by_role("button", name="Log out").bounding_box()
            assert bar["y"] <= logout["y"] and logout["y"] + logout["height"] <= bar["y"] + bar["height"], path
            assert logout["x"] + logout["width"] <= WIDTH, path
    context.close()



def test_the_social_hub_reads_on_a_phone(chromium, live_server):  # noqa: F811
    """The wall is scaled for a screen on a wall: on a phone its type was 8 px. There it reads at 14 px and scrolls
    down; only the counts' table scrolls sideways, within its panel."""
    base, _engine = live_server
    page = chromium.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-GB").new_page()
    sign_in(page, base, "lucile@helio.example")
    page.goto(base + "/hub")
    page.wait_for_selector(".wall-grid")
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "14px"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    columns = page.evaluate("getComputedStyle(document.querySelector('.wall-grid')).gridTemplateColumns")
    assert len(columns.split()) == 1, columns  # the panels one under the other
    # The counts' tables scroll within their panel; the way back sits below the wall, not over its last list.
    assert page.evaluate("getComputedStyle(document.querySelector('.table-scroll')).overflowX") == "auto"
    assert page.evaluate("getComputedStyle(document.querySelector('.leave')).position") == "static"
    page.context.close()


def test_a_lists_filters_fold_on_a_phone(chromium, live_server):  # noqa: F811
    """Eight filters took a phone's whole first screen before any post: the search shows, the others are one tap
    away; filters in force stay shown."""
    base, _engine = live_server
    page = chromium.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-GB").new_page()
    sign_in(page, base, "lucile@helio.example")
    page.goto(base + "/review")
    account = page.locator(".list-filters select[name=account_id]")
    assert page.locator(".list-filters input[type=search]").is_visible() and not account.is_visible()
    page.get_by_role("button", name="More filters").click()
    assert account.is_visible()
    page.goto(base + "/review?network=x")
    assert account.is_visible() and page.get_by_role("button", name="More filters").count() == 0
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/review")
    assert account.is_visible() and not page.get_by_role("button", name="More filters").is_visible()
    page.context.close()
