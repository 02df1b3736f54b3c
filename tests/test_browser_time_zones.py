"""The calendar in a headless Chromium whose clock is New York's, for posts of the Paris market: a move by a day,
with the keyboard or by dragging, keeps the post's Paris time across the weeks when Paris and New York are not an
hour apart as usual, and the status line says where it went in both times; a move into the hour Paris's clocks skip
is refused in one sentence; a calendar opened without a zone shows New York's, the browser's. Screenshots land in
test-artifacts/browser/time-zones-<backend>/."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures
from test_browser_calendar import _move, _scheduled_post
from test_time_zone_walk import europe_spring
from tests.said_helpers import said_in_english, with_your_time

pytestmark = pytest.mark.browser
PARIS, UTC = ZoneInfo("Europe/Paris"), ZoneInfo("UTC")


def _paris_time(engine, post_id: int) -> datetime:  # noqa: ANN001
    from approval.models import Post

    with Session(engine) as session:
        return session.get(Post, post_id).scheduled_at.astimezone(PARIS)


def test_a_new_york_calendar_moves_a_paris_post_on_pariss_clock(app, chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    post_id, _day = _scheduled_post(engine)
    sunday = europe_spring()  # Paris goes to summer time; New York did two weeks before
    saturday = sunday - timedelta(days=1)
    _move(engine, post_id, datetime.combine(sunday, time(3, 30), PARIS))
    folder = ARTIFACTS / f"time-zones-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB",
                                   timezone_id="America/New_York")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        # Opened without a zone, the calendar shows the browser's, not the first market's.
        page.goto(f"{base}/calendar?view=week&date={sunday}")
        page.locator(".calendar-nav", has_text="Times in America/New_York").wait_for()
        page.screenshot(path=str(folder / "01-week-new-york.png"), full_page=True)

        # Alt+ArrowLeft: a day earlier, at 03:30 in Paris still (22:30 the day before in New York).
        page.locator(f"a[data-post='{post_id}']").focus()
        with page.expect_navigation():
            page.keyboard.press("Alt+ArrowLeft")
        assert _paris_time(engine, post_id) == datetime.combine(saturday, time(3, 30), PARIS)
        page.wait_for_function(f"document.activeElement && document.activeElement.dataset.post === '{post_id}'")
        said = page.locator("#calendar-status").inner_text()
        moved = datetime.combine(saturday, time(3, 30), PARIS)  # 22:30 the day before in New York
        assert with_your_time(app, moved, "Europe/Paris", "America/New_York") in said, said
        entry = page.locator(f"a[data-post='{post_id}']")
        assert entry.locator("time").inner_text() == "22:30"
        assert entry.get_attribute("title").endswith(f"· {said_in_english(app, moved, 'Europe/Paris')}")
        page.screenshot(path=str(folder / "02-moved-a-day-earlier.png"), full_page=True)

        # Into the hour Paris's clocks skip: refused, in Paris's words, said once.
        _move(engine, post_id, datetime.combine(saturday, time(2, 30), PARIS))
        page.goto(f"{base}/calendar?view=week&date={sunday}&tz=America/New_York")
        page.locator(f"a[data-post='{post_id}']").focus()
        page.keyboard.press("Alt+ArrowRight")
        status = page.locator("#calendar-status")
        status.filter(has_text="Not moved").wait_for()
        assert status.inner_text() == ("Not moved: The clocks skip from 02:00 to 03:00 in Europe/Paris on that day: "
                                       "choose 03:00 or later.")
        assert _paris_time(engine, post_id) == datetime.combine(saturday, time(2, 30), PARIS)
        page.screenshot(path=str(folder / "03-skipped-hour-refused.png"), full_page=True)

        # Dragged in the month from Saturday to Monday, across Paris's change: 10:00 in Paris still (05:00 then
        # 04:00 in New York).
        _move(engine, post_id, datetime.combine(saturday, time(10, 0), PARIS))
        page.goto(f"{base}/calendar?view=month&date={sunday}&tz=America/New_York")
        monday = sunday + timedelta(days=1)
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", f"td[data-date='{monday}']")
        assert _paris_time(engine, post_id) == datetime.combine(monday, time(10, 0), PARIS)
        assert page.locator(f"a[data-post='{post_id}'] time").inner_text() == "04:00"
        page.screenshot(path=str(folder / "04-dragged-to-monday.png"), full_page=True)

        # Dragged in the week from Saturday 05:15 (New York) to Sunday's 05:00 cell, across Paris's change: it lands
        # on the cell it was dropped on, 05:15 in New York (11:15 in Paris), not at 10:15 Paris's time (04:15 in New
        # York).
        _move(engine, post_id, datetime.combine(saturday, time(10, 15), PARIS))
        page.goto(f"{base}/calendar?view=week&date={sunday}&tz=America/New_York")
        assert page.locator(f"a[data-post='{post_id}'] time").inner_text() == "05:15"
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", f"td[data-date='{sunday}'][data-hour='5']")
        assert _paris_time(engine, post_id) == datetime.combine(sunday, time(11, 15), PARIS)
        assert page.locator(f"a[data-post='{post_id}'] time").inner_text() == "05:15"
        page.screenshot(path=str(folder / "05-dragged-in-the-week.png"), full_page=True)
        _move(engine, post_id, datetime.combine(monday, time(10, 0), PARIS))

        # The list shows the post's Paris time beside New York's, and its form takes a Paris time.
        page.goto(f"{base}/calendar?view=list&date={sunday}&tz=America/New_York")
        row = page.locator("tr", has=page.locator(f"a[href='/posts/{post_id}']", has_text=f"#{post_id}"))
        assert row.locator(".market-time").inner_text() == "10:00 (Europe/Paris, UTC+02:00)"
        assert row.get_by_label("New time in Europe/Paris").input_value() == f"{monday}T10:00"
        page.screenshot(path=str(folder / "06-list.png"), full_page=True)
    finally:
        context.close()
