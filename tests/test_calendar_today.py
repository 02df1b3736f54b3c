"""The calendar's "Today", in a real headless Chromium: a button in every view (month, week, list) that brings the
current period into view, from the keyboard, in English and in French; today's day marked, for the eye and for a
screen reader (``aria-current="date"``). It showed in the week view only, and only away from the current week.
Screenshots land in test-artifacts/browser/calendar-today-<backend>/."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approval.db import utcnow

from conftest import ONE_BACKEND
from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

#: Each view, and what in it stands for today.
VIEWS = {"month": "td.day", "week": "thead th", "list": "section.list-day"}


def _in_view(page, locator) -> bool:  # noqa: ANN001
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= height


@ONE_BACKEND  # in a browser: the page and its links, the same on either database
@pytest.mark.parametrize("locale, word", [("en-GB", "Today"), ("fr-FR", "Aujourd’hui")])
def test_today_brings_the_current_period_into_view_in_every_view(chromium, live_server, backend,  # noqa: F811
                                                                  locale, word):
    base, _engine = live_server
    folder = ARTIFACTS / f"calendar-today-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        if locale.startswith("fr"):  # the page's language is the person's choice, kept with their session
            page.goto(base + "/calendar")
            with page.expect_navigation():
                page.locator("form.languages").get_by_role("button", name="FR").click()
        today = utcnow().date()
        far = today + timedelta(days=100)  # another month, another week
        for view, cell in VIEWS.items():
            page.goto(f"{base}/calendar?view={view}&date={far.isoformat()}&tz=UTC")
            assert page.locator(f'{cell}[aria-current="date"]').count() == 0, view  # today is not in this period
            button = page.locator(".calendar-nav").get_by_role("link", name=word, exact=True)
            assert button.is_visible(), view
            # From the keyboard: it is reached with Tab, and followed with Enter.
            button.focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
            marked = page.locator(f'{cell}[aria-current="date"]')
            assert marked.count() == 1, view
            assert word in marked.inner_text(), (view, marked.inner_text())  # said, not only coloured
            assert _in_view(page, marked), view
            if view != "week":
                assert marked.get_attribute("data-date" if view == "month" else "id") in (
                    today.isoformat(), f"day-{today.isoformat()}"), view
            page.screenshot(path=str(folder / f"{view}-{locale}.png"))
            # On the current period too: the button stays where it was (a person need not know whether it is).
            assert page.locator(".calendar-nav").get_by_role("link", name=word, exact=True).is_visible(), view
    finally:
        context.close()


@ONE_BACKEND
def test_today_in_a_long_list_is_scrolled_into_view(chromium, live_server):  # noqa: F811
    """The list of a month is a page per day at most: Today brings today's day to the screen, not the month's top."""
    base, _engine = live_server
    context = chromium.new_context(viewport={"width": 1280, "height": 400}, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        today = utcnow().date()
        page.goto(f"{base}/calendar?view=list&date={(today + timedelta(days=62)).isoformat()}&tz=UTC")
        with page.expect_navigation():
            page.locator(".calendar-nav").get_by_role("link", name="Today", exact=True).click()
        assert _in_view(page, page.locator('section.list-day[aria-current="date"]'))
    finally:
        context.close()
