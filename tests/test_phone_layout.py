"""Every page works on a phone: at 360 px nothing is wider than the window, and the top bar is one row (the product's
name, "Menu" and the bell) whose menu, opened, holds the rest ("Log out" on its dark background). Real Chromium, as the
browser journey."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from conftest import ONE_BACKEND
from test_browser import PASSWORD, chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.workflow.states import Role

# The layout a phone shows is the templates' and the style sheet's: one backend proves it (conftest.ONE_BACKEND).
pytestmark = [pytest.mark.browser, ONE_BACKEND]

WIDTH = 360
#: The top bar's height on a phone, its menu folded: at most two rows of a finger's targets (44 px) with the bar's
#: padding. It was four to six rows of links (128 to 248 px at 375 px), the page's content below the fold.
TWO_ROWS = 2 * 44 + 12
PAGES = {
    "ada@helio.example": ["/admin", "/admin/markets", "/admin/accounts", "/admin/executives", "/admin/users",
                          "/admin/users/new", "/campaigns", "/admin/markets/new", "/reports/audit", "/admin/log",
                          "/hub/kiosks", "/notifications/settings", "/publishing/settings"],
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


def sign_in_on_a_phone(page, base: str, email: str) -> None:  # noqa: ANN001
    """Sign ``email`` in at a phone's width: signed in once the top bar offers its menu ("Log out" is folded in it;
    the password's hash takes its time on a busy machine: a page opened before the answer would be the login page)."""
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    # Up to 90 s: a clean-clone run once waited past Playwright's 30 s here, every core busy with other tests.
    page.get_by_role("button", name="Menu").wait_for(timeout=90_000)
    page.wait_for_load_state()


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
        # Off the last page first: a request its script still had in flight (the new post's preview) answered after
        # the cookies were cleared, and its session cookie replaced the login page's, whose form was then refused.
        page.goto("about:blank")
        context.clear_cookies()
        sign_in_on_a_phone(page, base, email)
        for path in paths:
            response = page.goto(base + path)
            assert response.status == 200 and "/login" not in response.url, (path, response.url)
            if path == "/calendar":  # no view chosen: a phone gets the list, where each post reads whole
                page.wait_for_url("**/calendar?view=list*")
                page.wait_for_load_state()
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, (path, _too_wide(page))
            assert _too_wide(page) == [], path
            if path == "/reports":
                # The charts drawn for a phone's width: the desktop's, shrunk to 40 %, had 4-pixel labels.
                drawn = page.eval_on_selector_all("section.chart img", "images => images.map(i => i.currentSrc)")
                assert drawn and all("size=phone" in source for source in drawn), drawn
            assert page.locator("header.topbar").bounding_box()["height"] <= TWO_ROWS, path
            # Opened, the menu fits the window too, on the bar's dark background.
            page.get_by_role("button", name="Menu").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, (path, _too_wide(page))
            assert _too_wide(page) == [], path
            bar = page.locator("header.topbar").bounding_box()
            logout = page.get_by_role("button", name="Log out").bounding_box()
            assert bar["y"] <= logout["y"] and logout["y"] + logout["height"] <= bar["y"] + bar["height"], path
            assert logout["x"] + logout["width"] <= WIDTH, path
    context.close()


# Each role's bar, the page it opens on, and that page's entry in the menu (marked as the current page).
ROLES = {
    "camille@helio.example": ("/posts", {"en": "Posts", "fr": "Publications"}),
    "lucile@helio.example": ("/review", {"en": "Review", "fr": "Relecture"}),
    "sophie@helio.example": ("/cabinet", {"en": "Suggested messages", "fr": "Messages proposés"}),
    "ada@helio.example": ("/admin/markets", {"en": "Administration", "fr": "Administration"}),
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_top_bar_folds_into_a_menu_on_a_phone_for_every_role(chromium, live_server, language):  # noqa: F811
    """At 375 px the bar was four rows of links before the page began: it is the product's name, "Menu" and the
    bell; the menu opens the links, the current page's marked. From 768 px the links are in the bar, as they were."""
    base, engine = live_server
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, PASSWORD)
        session.commit()
    for email, (path, current) in ROLES.items():
        context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="en-GB")
        page = context.new_page()
        sign_in_on_a_phone(page, base, email)
        menu = page.get_by_role("button", name="Menu")
        if language == "fr":
            menu.click()
            page.click("header button[name=language][value=fr]")
            page.wait_for_load_state()
        page.goto(base + path)
        assert page.evaluate("document.documentElement.lang") == language
        bar = page.locator("header.topbar")
        links = page.locator("header nav a")
        assert bar.bounding_box()["height"] <= TWO_ROWS, (email, language, bar.bounding_box())
        assert page.locator("header .brand").is_visible() and page.locator("header .bell").is_visible()
        assert menu.get_attribute("aria-expanded") == "false"
        assert links.count() >= 3 and not any(link.is_visible() for link in links.all()), email
        assert not page.get_by_role("button", name="Log out" if language == "en" else "Se déconnecter").is_visible()
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        assert all(link.is_visible() for link in links.all()), email
        assert page.locator("header [aria-current=page]").all_inner_texts() == [current[language]], email
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        for width in (768, 1440):  # a tablet, a laptop: the links in the bar, nothing to open
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + path)
            assert not menu.is_visible(), (email, width)
            # Every link in the bar, or under "More" (a project manager's, an admin's below 1400 px), shown opened.
            folded = [link for link in links.all() if not link.is_visible()]
            assert all(link.evaluate("(e) => !!e.closest('details.more')") for link in folded), (email, width)
            if folded:
                page.locator("header nav details.more > summary").click()
                assert all(link.is_visible() for link in folded), (email, width)
            assert page.locator("header .languages").is_visible()
        assert bar.bounding_box()["height"] <= 56  # the desktop's one slim row
        context.close()


def test_without_scripts_a_phones_bar_shows_everything(chromium, live_server):  # noqa: F811
    """The menu folds by a script (static/nav.js): without it nothing is out of reach, the bar as it was."""
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 375, "height": 740}, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base, "lucile@helio.example")  # "Log out" is in sight
    page.goto(base + "/review")
    assert not page.get_by_role("button", name="Menu").is_visible()
    links = page.locator("header nav a")
    assert links.count() >= 6 and all(link.is_visible() for link in links.all())
    context.close()


def test_the_social_hub_reads_on_a_phone(chromium, live_server):  # noqa: F811
    """The wall is scaled for a screen on a wall: on a phone its type was 8 px. There it reads at 16 px and scrolls
    down; only the counts' table scrolls sideways, within its panel."""
    base, _engine = live_server
    page = chromium.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-GB").new_page()
    sign_in_on_a_phone(page, base, "lucile@helio.example")
    page.goto(base + "/hub")
    page.wait_for_selector(".wall-grid")
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "16px"
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
    sign_in_on_a_phone(page, base, "lucile@helio.example")
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


def test_a_posts_card_opens_its_post_wherever_a_finger_lands(chromium, live_server):  # noqa: F811
    """The campaign walk: on a phone, only the small "#59" of a list's card opened its post. A tap on the card's
    state opens it too; the text's own link still does."""
    from sqlalchemy import select

    from approval import operations as ops
    from approval.models import Account, User

    base, engine = live_server
    with Session(engine) as session:
        camille = session.scalar(select(User).where(User.email == "camille@helio.example"))
        account = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        ops.create_post(session, camille, account, "Le match commence à 20 heures.")
        session.commit()
    page = chromium.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-GB").new_page()
    sign_in_on_a_phone(page, base, "lucile@helio.example")
    page.goto(base + "/posts")
    row = page.locator("table.posts tbody tr").first
    target = row.locator("td a").first.get_attribute("href")
    box = row.locator("td[data-label=State]").bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] / 2)
    page.wait_for_url(base + target)
    page.context.close()
