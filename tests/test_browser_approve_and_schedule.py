""""Approve and schedule for <the proposed time>" in a headless Chromium: a writer proposed Tuesday 20:00 in Paris;
the project manager's page offers the one-step button beside "Approve", and its click leaves the post scheduled at
that instant, with both steps in its history. A page left open while the writer moved the proposal is refused
whole: nothing approved, and the page says the post changed. Screenshots land in
test-artifacts/browser/approve-and-schedule-<backend>/."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")


def _proposed_post(engine, local: datetime) -> int:  # noqa: ANN001
    """Camille's post on @helio_fr, proposed for ``local`` (Paris) and submitted for review."""
    from approval import operations as ops
    from approval.models import Account, User
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        post = ops.create_post(session, camille, account, "Le match commence ce soir à vingt heures.",
                               proposed_at=local.astimezone(ZoneInfo("UTC")))
        ops.act_on_post(session, post, Action.submit, camille, expected_version=post.version)
        session.commit()
        return post.id


def _post(engine, post_id: int):  # noqa: ANN001, ANN202
    from approval.models import Post

    with Session(engine) as session:
        post = session.get(Post, post_id)
        session.expunge(post)
        return post


def _trail(engine, post_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    from approval.models import AuditEntry

    with Session(engine) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.post_id == post_id).order_by(AuditEntry.id))
        return [(row.action.value, row.to_state.value) for row in rows]


def _next_tuesday_at_eight() -> datetime:
    today = datetime.now(PARIS).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    return datetime.combine(tuesday + timedelta(days=7), time(20, 0), PARIS)


def test_one_click_approves_and_schedules_at_the_proposed_time(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    when = _next_tuesday_at_eight()
    post_id = _proposed_post(engine, when)
    folder = ARTIFACTS / f"approve-and-schedule-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                   timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{post_id}")
        button = page.locator("button.action-approve-and-schedule")
        assert button.inner_text().startswith("Approve and schedule for "), button.inner_text()
        assert "20:00" in button.inner_text()
        page.screenshot(path=str(folder / "01-offered.png"), full_page=True)
        with page.expect_navigation():
            button.click()
        post = _post(engine, post_id)
        assert post.state.value == "scheduled"
        assert post.scheduled_at == when.astimezone(ZoneInfo("UTC"))
        assert post.approved_revision_id == post.current_revision_id
        assert _trail(engine, post_id)[-2:] == [("approve", "approved"), ("schedule", "scheduled")]
        # Wherever the page went, the post's own page says it is scheduled, at 20:00 in Paris.
        page.goto(f"{base}/posts/{post_id}")
        assert page.locator("h1 .state").first.inner_text() == "scheduled"
        assert "Dec" in page.locator("main").inner_text() and "20:00 (Europe/Paris" in page.locator("main").inner_text()
        assert page.locator("button.action-approve-and-schedule").count() == 0
        page.screenshot(path=str(folder / "02-scheduled.png"), full_page=True)
    finally:
        context.close()


def test_a_page_older_than_the_proposal_approves_nothing(chromium, live_server, backend):  # noqa: F811
    from approval import operations as ops
    from approval.models import Post, User

    base, engine = live_server
    when = _next_tuesday_at_eight()
    post_id = _proposed_post(engine, when)
    folder = ARTIFACTS / f"approve-and-schedule-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{post_id}")
        button = page.locator("button.action-approve-and-schedule")
        button.wait_for()
        # Meanwhile the writer moves the proposal an hour later: the page's button names a time no longer asked.
        with Session(engine) as session:
            camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
            post = session.get(Post, post_id)
            ops.edit_post(session, post, camille, post.body, expected_version=post.version,
                          proposed_at=(when + timedelta(hours=1)).astimezone(ZoneInfo("UTC")))
            session.commit()
        before = _trail(engine, post_id)
        with page.expect_navigation():
            button.click()
        page.screenshot(path=str(folder / "03-stale-refused.png"), full_page=True)
        post = _post(engine, post_id)
        assert post.state.value == "in_review" and post.approved_revision_id is None
        assert _trail(engine, post_id) == before
        said = page.locator("main").inner_text()
        # In the words of the button pressed, not of "Approve" beside it.
        assert "“Approve and schedule” was not recorded: the post changed while you were reading it." in said, \
            said[:1500]
        # The page now offers the new time.
        assert "21:00" in page.locator("button.action-approve-and-schedule").inner_text()
    finally:
        context.close()
