"""The top bar holds every role's destinations: a project manager had no Social Hub because the French bar was full.
The secondary ones (the dashboard, the reports, the wall) are under "More", a <details> that opens from the keyboard
and without scripts; at 1280 and 1024 px, in English and in French, each role's bar is one row, and every destination
is in sight or one "More" away. The first test reads the HTML; the others run in a real Chromium."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from approval import administration as admin
from approval.workflow.states import Role

from conftest import ONE_BACKEND
from test_browser import PASSWORD, chromium, live_server, sign_in  # noqa: F401 - the shared browser fixtures

#: Each role's destinations in the bar (its "New post" button is an action, not counted).
DESTINATIONS = {
    Role.community_manager: {"/posts", "/calendar", "/hub"},
    Role.project_manager: {"/review", "/publishing", "/posts", "/calendar", "/hub/dashboard", "/reports", "/hub"},
    Role.cabinet: {"/cabinet", "/posts", "/calendar", "/hub"},
    Role.admin: {"/admin", "/publishing", "/posts", "/calendar", "/hub/dashboard", "/reports", "/hub"},
}


@pytest.mark.parametrize("role", list(DESTINATIONS), ids=lambda role: role.value)
def test_every_role_reaches_its_destinations_from_the_main_navigation(web, make, role):
    web.login(make.user(role, executives=[make.executive()] if role is Role.cabinet else None))
    page = web.get("/calendar").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S).group(1)
    links = {href for href, classes in re.findall(r'<a href="([^"]+)"(?: class="([^"]*)")?', nav)
             if "button" not in (classes or "")}
    assert links == DESTINATIONS[role]


def test_more_marks_its_summary_when_the_current_page_is_under_it(web, make):
    web.login(make.user(Role.project_manager))
    assert "<summary class=\"active\">More</summary>" in web.get("/reports").get_data(as_text=True)
    assert "<summary>More</summary>" in web.get("/review").get_data(as_text=True)


# In a browser -----------------------------------------------------------------------------------------------------

ROLES = {"camille@helio.example": Role.community_manager, "lucile@helio.example": Role.project_manager,
         "sophie@helio.example": Role.cabinet, "ada@helio.example": Role.admin}
SHOWN = "(e) => e.checkVisibility()"


@ONE_BACKEND  # in a browser: the layout, the same on either database
@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_roles_bar_is_one_row_at_1280_and_1024_px(chromium, live_server, language):  # noqa: F811
    base, engine = live_server
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, PASSWORD)
        session.commit()
    for email, role in ROLES.items():
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        page = context.new_page()
        sign_in(page, base, email)
        page.click(f"header button[name=language][value={language}]")
        page.wait_for_load_state()
        for width in (1280, 1024):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(base + "/calendar")
            assert page.evaluate("document.documentElement.lang") == language
            assert page.locator("header.topbar").bounding_box()["height"] <= 56, (email, language, width)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            links = page.locator("header nav a:not(.button)")
            hrefs = {link.get_attribute("href") for link in links.all()}
            assert hrefs == DESTINATIONS[role], email
            more = page.locator("header nav details.more > summary")
            folded = {link.get_attribute("href") for link in links.all() if not link.evaluate(SHOWN)}
            if more.count():
                assert folded == {"/hub/dashboard", "/reports", "/hub"}, (email, width)
                more.click()
                assert all(link.evaluate(SHOWN) for link in links.all()), (email, width)
                page.mouse.click(5, 700)  # a click elsewhere folds it
                assert page.locator("header nav details.more").get_attribute("open") is None
            else:
                assert folded == set(), (email, width)
        context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@pytest.mark.browser
def test_more_opens_and_closes_with_the_keyboard(chromium, live_server):  # noqa: F811
    """Tab reaches "More" after the bar's links; Enter opens it, Tab goes through its links, Escape folds it and the
    focus comes back to it; the next Tab after its last link leaves it folded."""
    base, _engine = live_server
    page = chromium.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "lucile@helio.example")
    page.goto(base + "/review")
    assert page.locator("header nav").get_attribute("aria-label") == "Main"
    focused = "document.activeElement.textContent.trim()"
    stops = []
    for _ in range(7):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(focused))
    assert stops == ["Skip to content", "approval", "Review", "Publishing", "Posts", "Calendar", "More"]
    details = page.locator("header nav details.more")
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is not None
    for name in ("Dashboard", "Reports", "Social Hub"):
        page.keyboard.press("Tab")
        assert page.evaluate(focused) == name
        assert page.evaluate("document.activeElement.checkVisibility()")
    page.keyboard.press("Escape")
    assert details.get_attribute("open") is None
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    for _ in range(4):  # its three links, then out of it: "New post"
        page.keyboard.press("Tab")
    assert page.evaluate(focused) == "New post"
    assert details.get_attribute("open") is None
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@pytest.mark.browser
def test_more_works_without_scripts(chromium, live_server):  # noqa: F811
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base, "lucile@helio.example")
    page.goto(base + "/review")
    hub = page.locator("header nav a[href='/hub']")
    assert not hub.is_visible()
    page.locator("header nav summary").click()
    assert hub.is_visible()
    hub.click()
    page.wait_for_url("**/hub")
    context.close()
