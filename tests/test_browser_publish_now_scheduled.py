"""A scheduled post's "Publish now" (its page's "Another time" form) in a headless Chromium: with scripts it asks in
the browser's dialog where the post goes, and nothing moves when answered no; without scripts the page asks instead
(the server's question, as for an approved post), and its button publishes now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures
from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser


def _scheduled(engine) -> tuple[int, object]:  # noqa: ANN001
    """A post of @helio_fr scheduled three days ahead: its id and its time."""
    from approval import operations as ops
    from approval.db import utcnow
    from approval.models import Account, User
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        post = ops.create_post(session, camille, account, "Le match commence ce soir.")
        for action, actor in ((Action.submit, camille), (Action.approve, lucile)):
            ops.act_on_post(session, post, action, actor, expected_version=post.version)
        at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
        ops.act_on_post(session, post, Action.schedule, lucile, expected_version=post.version, scheduled_at=at)
        session.commit()
        return post.id, at


@ONE_BACKEND  # the page and its scripts, the same on either database
def test_publish_now_of_a_scheduled_post_asks_with_and_without_scripts(chromium, live_server):  # noqa: F811
    from approval.models import Post

    base, engine = live_server
    post_id, at = _scheduled(engine)
    folder = ARTIFACTS / "publish-now-scheduled"
    folder.mkdir(parents=True, exist_ok=True)

    def slot() -> object:
        with Session(engine) as session:
            return session.get(Post, post_id).scheduled_at.replace(tzinfo=None)

    with_scripts = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        page = with_scripts.new_page()
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{post_id}")
        asked: list[str] = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.locator("#move button.publish-now").click()
        page.wait_for_timeout(300)
        assert asked == ["Publish this post on X @helio_fr now? It cannot be undone."]
        assert slot() == at.replace(tzinfo=None)  # answered no: nothing moved
    finally:
        with_scripts.close()

    without = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False)
    try:
        page = without.new_page()
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/posts/{post_id}")
        page.locator("#move button.publish-now").click()
        page.wait_for_load_state()
        question = page.locator(".publish-now-asked")
        assert "Publish this post on X @helio_fr now? It cannot be undone." in question.inner_text()
        assert "Nothing is done yet." in question.inner_text()
        page.locator("#actions").screenshot(path=str(folder / "asked-without-scripts.png"))
        assert slot() == at.replace(tzinfo=None)  # asked, not done
        question.get_by_role("button", name="Publish now").click()
        page.wait_for_load_state()
        assert "Going out now" in page.locator("body").inner_text()
        assert slot() < at.replace(tzinfo=None) - timedelta(days=2)  # given the present as its time
    finally:
        without.close()
