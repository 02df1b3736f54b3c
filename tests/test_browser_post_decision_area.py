"""The post page's decision area in a headless Chromium: "Publish now" asks where the post goes before it goes, and
nothing is scheduled when the question is answered no; Enter in the time of "Approve and schedule at this time"
approves and schedules at that time (not "Approve" alone, the form's first button). Screenshots land in
test-artifacts/browser/post-decision-<backend>/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def _posts(engine) -> tuple[int, int]:  # noqa: ANN001
    """A post of @helio_fr in review, and one approved, waiting for its time."""
    from approval import operations as ops
    from approval.models import Account, User
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        in_review = ops.create_post(session, camille, account, "La finale est demain soir.")
        ops.act_on_post(session, in_review, Action.submit, camille, expected_version=in_review.version)
        approved = ops.create_post(session, camille, account, "Le match commence ce soir.")
        for action, actor in ((Action.submit, camille), (Action.approve, lucile)):
            ops.act_on_post(session, approved, action, actor, expected_version=approved.version)
        session.commit()
        return in_review.id, approved.id


def test_publish_now_asks_and_enter_schedules_at_the_time_typed(chromium, live_server, backend):  # noqa: F811
    from approval.db import utcnow
    from approval.models import Post
    from approval.workflow.states import State

    base, engine = live_server
    in_review, approved = _posts(engine)
    folder = ARTIFACTS / f"post-decision-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{approved}")
        asked: list[str] = []
        page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.locator(".actions-card button.publish-now").click()
        page.wait_for_timeout(300)
        assert asked == ["Publish this post on X @helio_fr now? It cannot be undone."]
        page.locator("#actions").screenshot(path=str(folder / "publish-now.png"))
        with Session(engine) as session:
            assert session.get(Post, approved).state == State.approved  # answered no: nothing done

        page.goto(f"{base}/posts/{in_review}")
        page.locator("#approve-at-local_time").fill("2099-01-01T10:00")  # refused (more than a year ahead)
        page.locator("#approve-at-local_time").press("Enter")
        page.wait_for_load_state()
        assert "more than a year ahead" in page.locator(".approve-at").inner_text()
        page.locator("#actions").screenshot(path=str(folder / "approve-at-refused.png"))
        with Session(engine) as session:
            post = session.get(Post, in_review)
            assert post.state == State.in_review
        when = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
        page.locator("#approve-at-local_time").fill(when)
        page.locator("#approve-at-local_time").press("Enter")
        page.wait_for_load_state()
        with Session(engine) as session:
            post = session.get(Post, in_review)
            assert post.state == State.scheduled and post.scheduled_at is not None
    finally:
        context.close()
