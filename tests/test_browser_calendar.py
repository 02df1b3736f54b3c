"""The content calendar in a real headless Chromium: a project manager moves a scheduled post a day later with the
keyboard (Alt+ArrowRight), then drags it to another day; each move is a schedule through the engine, audited. Posts
the worker could not publish, or sent without an answer, stand out at their slot in words and lead to their page.
Screenshots land in test-artifacts/browser/calendar-<backend>/."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.labels import said_wall
from approval.models import Account, AuditEntry, Post, User
from approval.workflow.states import Action

from test_accessibility import _contrasts
from test_browser import ARTIFACTS, PASSWORD, chromium, live_server, sign_in  # noqa: F401 - shared fixtures
from test_calendar import _refused_at_its_slot, _sent_without_an_answer
from tests.said_helpers import in_english

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")


def _scheduled_post(engine) -> tuple[int, object]:  # noqa: ANN001
    """A post of helio_fr scheduled at 10:00 Paris time on the 10th of next month."""
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        account = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        post = ops.create_post(session, writer, account, "Rendez-vous au Vélodrome pour la finale.")
        ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
        ops.act_on_post(session, post, Action.approve, manager, expected_version=post.version)
        now = utcnow().astimezone(PARIS)
        day = (now.replace(day=1) + timedelta(days=40)).replace(day=10, hour=10, minute=0, second=0, microsecond=0)
        ops.act_on_post(session, post, Action.schedule, manager, expected_version=post.version,
                        scheduled_at=day.astimezone(ZoneInfo("UTC")))
        session.commit()
        return post.id, day


def _autumn_change() -> date:
    """The next night Paris's clocks go back (the last Sunday of October), a few days ahead at least."""
    today = utcnow().date()
    year = today.year if date(today.year, 10, 25) > today + timedelta(days=2) else today.year + 1
    return max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)


def _move(engine, post_id: int, when: datetime) -> None:  # noqa: ANN001
    """The post to another slot, through the engine (unscheduled, scheduled again)."""
    with Session(engine) as session:
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        post = session.get(Post, post_id)
        ops.act_on_post(session, post, Action.unschedule, manager, expected_version=post.version)
        ops.act_on_post(session, post, Action.schedule, manager, expected_version=post.version,
                        scheduled_at=when.astimezone(ZoneInfo("UTC")))
        session.commit()


def _where(engine, post_id: int):  # noqa: ANN001, ANN202
    with Session(engine) as session:
        post = session.get(Post, post_id)
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.post_id == post_id)
                                                      .order_by(AuditEntry.id))]
        return post.scheduled_at.astimezone(PARIS), actions


def test_a_project_manager_moves_a_post_with_the_keyboard_then_by_dragging(app, chromium, live_server,  # noqa: F811
                                                                           backend):
    base, engine = live_server
    post_id, day = _scheduled_post(engine)
    folder = ARTIFACTS / f"calendar-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(base + "/login")
        page.fill("input[name=email]", "lucile@helio.example")
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.get_by_role("button", name="Log out").wait_for()  # signed in
        page.wait_for_load_state()  # and the whole page is there
        page.goto(f"{base}/calendar?view=month&date={day.date().isoformat()}&tz=Europe/Paris")
        entry = page.locator(f"a[data-post='{post_id}']")
        assert entry.count() == 1
        page.screenshot(path=str(folder / "01-month.png"), full_page=True)

        # The keyboard: focus the post, Alt+ArrowRight moves it a day later, at the same time.
        entry.focus()
        with page.expect_navigation():
            page.keyboard.press("Alt+ArrowRight")
        moved, actions = _where(engine, post_id)
        assert moved == day + timedelta(days=1)
        assert actions[-2:] == [Action.unschedule, Action.schedule]
        # The page came back with the moved post in focus: the keyboard goes on from it.
        page.wait_for_function(f"document.activeElement && document.activeElement.dataset.post === '{post_id}'")
        # And the status says where it went, in its market's time.
        said = page.locator("#calendar-status").inner_text()
        assert f"Post #{post_id} moved to {in_english(app, said_wall, moved)} (Europe/Paris" in said

        # Dragging: onto the 20th, still at 10:00.
        target = day.replace(day=20)
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", f"td[data-date='{target.date().isoformat()}']")
        moved, _actions = _where(engine, post_id)
        assert moved == target
        page.screenshot(path=str(folder / "02-moved.png"), full_page=True)
        # A move can be undone once, from beside the status: back to the day before, then no undo is offered.
        with page.expect_navigation():
            page.get_by_role("button", name="Undo the move").click()
        assert _where(engine, post_id)[0] == day + timedelta(days=1)
        assert page.get_by_role("button", name="Undo the move").is_hidden()
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", f"td[data-date='{target.date().isoformat()}']")
        assert _where(engine, post_id)[0] == target

        # The week view offers hours: the post sits in its 10:00 slot.
        page.goto(f"{base}/calendar?view=week&date={target.date().isoformat()}&tz=Europe/Paris")
        assert page.locator(f"td[data-hour='10'] a[data-post='{post_id}']").count() == 1
        page.screenshot(path=str(folder / "03-week.png"), full_page=True)

        # An hour up onto a time the clocks repeat (02:00 on the night they go back): the post's page asks which.
        sunday = _autumn_change()
        _move(engine, post_id, datetime.combine(sunday, time(3, 0), PARIS))
        page.goto(f"{base}/calendar?view=week&date={sunday.isoformat()}&tz=Europe/Paris")
        page.locator(f"a[data-post='{post_id}']").focus()
        asked = f"/posts/{post_id}?move_time={sunday.isoformat()}T02:00&move_tz=Europe/Paris"
        with page.expect_navigation(url=lambda url: asked in url):
            page.keyboard.press("Alt+ArrowUp")
        assert "happens twice in Europe/Paris" in page.inner_text("main")
        page.screenshot(path=str(folder / "04-which-one.png"), full_page=True)
        page.get_by_label("the second time (after the clocks go back)").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Move to this time").click()
        moved, _actions = _where(engine, post_id)
        assert moved.astimezone(ZoneInfo("UTC")) == datetime.combine(sunday, time(1, 0), ZoneInfo("UTC"))
    finally:
        context.close()


def _set_of_two(engine) -> tuple[int, int, datetime]:  # noqa: ANN001
    """A set written for helio's French X and Facebook accounts, both scheduled at 10:00 Paris time on the 10th of
    next month: the set's id, the X post's id, its time."""
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        x = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        facebook = admin.create_account(session, x.market, "facebook", "helio.set", "Helio")
        post_set = ops.create_post_set(session, writer, 2)
        now = utcnow().astimezone(PARIS)
        day = (now.replace(day=1) + timedelta(days=40)).replace(day=10, hour=10, minute=0, second=0, microsecond=0)
        ids = []
        for account in (x, facebook):
            post = ops.create_post(session, writer, account, "La finale, ce soir au Vélodrome.", post_set=post_set)
            ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
            ops.act_on_post(session, post, Action.approve, manager, expected_version=post.version)
            ops.act_on_post(session, post, Action.schedule, manager, expected_version=post.version,
                            scheduled_at=day.astimezone(ZoneInfo("UTC")))
            ids.append(post.id)
        session.commit()
        return post_set.id, ids[0], day


def test_a_sets_post_moved_with_the_keyboard_or_dragged_says_the_others_stay(chromium, live_server):  # noqa: F811
    """The same words after a move by the keyboard and after a drag: the set's other post was not moved, with a link
    to the set's page (the status line, read out by screen readers)."""
    base, engine = live_server
    set_id, post_id, day = _set_of_two(engine)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    note = f"This post is one of set #{set_id}: the set's 1 other post was not moved."
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/calendar?view=month&date={day.date().isoformat()}&tz=Europe/Paris")
        page.locator(f"a[data-post='{post_id}']").focus()
        with page.expect_navigation():
            page.keyboard.press("Alt+ArrowRight")
        status = page.locator("#calendar-status")
        status.get_by_role("link", name="See the set side by side").wait_for()
        assert note in status.inner_text()
        assert status.get_by_role("link").get_attribute("href") == f"/sets/{set_id}"
        target = day.replace(day=20).date().isoformat()
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", f"td[data-date='{target}']")
        status.get_by_role("link", name="See the set side by side").wait_for()
        assert note in status.inner_text()
        assert _where(engine, post_id)[0] == day.replace(day=20)
    finally:
        context.close()


def _gone_wrong(engine) -> tuple[dict[str, int], datetime]:  # noqa: ANN001
    """Three posts of one slot a few minutes from now, on three accounts of helio's French market: one still to go
    out, one the worker refused (its account is not connected), one sent without an answer."""
    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        x = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        facebook = admin.create_account(session, x.market, "facebook", "helio.france", "Helio")
        live = admin.create_account(session, x.market, "x", "helio_live", "Helio")
        at = (utcnow() + timedelta(minutes=5)).replace(second=0, microsecond=0)
        ids = {}
        for kind, account, body in (("scheduled", x, "Rendez-vous au Vélodrome pour la finale."),
                                    ("failed", facebook, "Les portes du stade ouvrent à 19 heures."),
                                    ("unconfirmed", live, "Merci à nos partenaires de la soirée.")):
            post = ops.create_post(session, writer, account, body)
            ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
            ops.act_on_post(session, post, Action.approve, manager, expected_version=post.version)
            ops.act_on_post(session, post, Action.schedule, manager, expected_version=post.version, scheduled_at=at)
            session.flush()
            if kind == "failed":
                _refused_at_its_slot(session, post)
            elif kind == "unconfirmed":
                _sent_without_an_answer(session, post)
            ids[kind] = post.id
        session.commit()
        return ids, at


def test_failed_and_unconfirmed_posts_stand_out_at_their_slot_and_lead_to_their_page(chromium, live_server,  # noqa: F811
                                                                                     backend):
    """In words that read (WCAG contrast), in the month and the week, on a laptop and on a phone; not draggable; the
    failed post's entry opens its page, which says why and offers the retry."""
    base, engine = live_server
    ids, at = _gone_wrong(engine)
    day = at.astimezone(PARIS).date().isoformat()
    folder = ARTIFACTS / f"calendar-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        for view in ("month", "week"):
            page.goto(f"{base}/calendar?view={view}&date={day}&tz=Europe/Paris")
            for kind in ("failed", "unconfirmed"):
                entry = page.locator(f"a.entry-{kind}[href='/posts/{ids[kind]}']")
                assert entry.locator(".kind-mark").inner_text() == kind.upper(), view
                assert entry.get_attribute("draggable") is None, view
            assert page.locator(f"a[href='/posts/{ids['scheduled']}']").get_attribute("draggable") == "true"
            marks = _contrasts(page, ".calendar .kind-mark")
            assert len(marks) == 2 and [(what, round(ratio, 2)) for what, ratio in marks if ratio < 4.5] == [], view
            page.screenshot(path=str(folder / f"05-gone-wrong-{view}.png"), full_page=True)
        page.goto(f"{base}/calendar?view=list&date={day}&tz=Europe/Paris")
        for kind in ("failed", "unconfirmed"):
            row = page.locator("tr", has=page.locator(f"a[href='/posts/{ids[kind]}']", has_text=f"#{ids[kind]}"))
            assert row.locator(f".state-{kind}").inner_text() == kind and row.locator("form").count() == 0
        page.screenshot(path=str(folder / "05-gone-wrong-list.png"), full_page=True)
        page.goto(f"{base}/calendar?view=month&date={day}&tz=Europe/Paris")
        page.locator(f"a.entry-failed[href='/posts/{ids['failed']}']").click()
        page.wait_for_url(f"**/posts/{ids['failed']}")
        assert "The account is not connected to a publisher" in page.locator(".failed-reason").inner_text()
        assert page.get_by_role("button", name="Retry now").is_visible()

        # On a phone the week shows each post's time only: what went wrong keeps its word, on a line of its own.
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(f"{base}/calendar?view=week&date={day}&tz=Europe/Paris")
        for kind in ("failed", "unconfirmed"):
            mark = page.locator(f"a.entry-{kind} .kind-short")
            assert mark.is_visible(), kind
            box, entry = mark.bounding_box(), page.locator(f"a.entry-{kind}").bounding_box()
            assert box["width"] > 20 and box["x"] + box["width"] <= entry["x"] + entry["width"] + 1, kind
        page.screenshot(path=str(folder / "06-gone-wrong-phone-week.png"), full_page=True)
    finally:
        context.close()


def _spring_change() -> date:
    """The next morning Paris's clocks go forward (the last Sunday of March), a few days ahead at least."""
    today = utcnow().date()
    year = today.year if date(today.year, 3, 25) > today + timedelta(days=2) else today.year + 1
    return max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)


def test_the_week_of_a_change_of_the_clocks_offers_no_skipped_hour_and_both_repeated_ones(
        chromium, live_server, backend):  # noqa: F811
    """Spring: 02:00-03:00 of that Sunday is hatched, said in words that read, and takes no drop (the post stays,
    nothing is sent), while 03:00 does. Autumn: the repeated hour is two slots, CEST then CET; a drop on either puts
    the post at that instant, and the undo brings it back to the reading it had."""
    base, engine = live_server
    post_id, _day = _scheduled_post(engine)
    spring, autumn = _spring_change(), _autumn_change()
    _move(engine, post_id, datetime.combine(spring, time(1, 30), PARIS))
    folder = ARTIFACTS / f"calendar-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    moves: list[str] = []
    page.on("request", lambda request: moves.append(request.post_data or "")
            if request.url.endswith("/calendar/move") else None)
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/calendar?view=week&date={spring.isoformat()}&tz=Europe/Paris")
        gap = page.locator(f"td.slot-skipped[data-skipped='{spring.isoformat()}'][data-hour='2']")
        assert gap.count() == 1 and gap.locator(".skipped-mark").inner_text() == "The clocks go forward"
        assert page.locator(f"[data-date='{spring.isoformat()}'][data-hour='2']").count() == 0
        assert page.locator("td.slot-skipped").count() == 1
        assert page.locator(f"td[data-date='{(spring - timedelta(days=1)).isoformat()}'][data-hour='2']").count() == 1
        marks = _contrasts(page, ".calendar .skipped-mark")
        assert len(marks) == 1 and marks[0][1] >= 4.5, marks
        page.screenshot(path=str(folder / "07-spring-week.png"), full_page=True)
        page.drag_and_drop(f"a[data-post='{post_id}']", f"td.slot-skipped[data-skipped='{spring.isoformat()}']")
        # Then onto 03:00, which exists: the only move sent is that one.
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", f"td[data-date='{spring.isoformat()}'][data-hour='3']")
        assert len(moves) == 1 and f"local_time={spring.isoformat()}T03%3A30" in moves[0], moves
        assert _where(engine, post_id)[0] == datetime.combine(spring, time(3, 30), PARIS)

        _move(engine, post_id, datetime.combine(autumn, time(10, 0), PARIS))
        page.goto(f"{base}/calendar?view=week&date={autumn.isoformat()}&tz=Europe/Paris")
        parts = page.locator(f"td.slot-twice .slot-part[data-date='{autumn.isoformat()}'][data-hour='2']")
        assert parts.count() == 2
        assert [parts.nth(n).locator(".fold-mark").inner_text() for n in (0, 1)] == ["CEST", "CET"]
        with page.expect_navigation():
            page.drag_and_drop(f"a[data-post='{post_id}']", ".slot-part[data-fold='1']")
        moved = _where(engine, post_id)[0]
        assert moved.astimezone(ZoneInfo("UTC")) == datetime.combine(autumn, time(1, 0), ZoneInfo("UTC"))
        assert page.locator(f".slot-part[data-fold='1'] a[data-post='{post_id}']").count() == 1
        assert "02:00 CET" in page.locator(f"a[data-post='{post_id}']").inner_text()
        page.screenshot(path=str(folder / "08-autumn-week.png"), full_page=True)
        with page.expect_navigation():  # the first 02:00, an hour earlier
            page.drag_and_drop(f"a[data-post='{post_id}']", ".slot-part[data-fold='0']")
        moved = _where(engine, post_id)[0]
        assert moved.astimezone(ZoneInfo("UTC")) == datetime.combine(autumn, time(0, 0), ZoneInfo("UTC"))
        with page.expect_navigation():  # undone: back to the second 02:00, not asked which
            page.get_by_role("button", name="Undo the move").click()
        moved = _where(engine, post_id)[0]
        assert moved.astimezone(ZoneInfo("UTC")) == datetime.combine(autumn, time(1, 0), ZoneInfo("UTC"))
    finally:
        context.close()
