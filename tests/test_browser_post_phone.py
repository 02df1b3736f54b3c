"""The post page of an unconfirmed post on a phone, in a headless Chromium: a project manager checking it at 390 px
found "Confirm as published" and "Retry now" at the very bottom, after the history, the revisions and a 500 px
preview. On a phone a link under the text leads to the actions (the page keeps the order the keyboard meets its
parts in); a desktop shows none. The box "I have read this warning" is a finger's target, its whole label.
Screenshots land in test-artifacts/browser/post-phone-<backend>/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def _unconfirmed_post(engine) -> int:  # noqa: ANN001
    """A post of @helio_fr whose call left and whose answer nobody knows."""
    from approval import operations as ops
    from approval.db import utcnow
    from approval.models import Account, User
    from approval.workflow import engine as workflow
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        post = ops.create_post(session, camille, account, "Le match commence ce soir à vingt heures. " * 4)
        for action, actor, params in ((Action.submit, camille, {}), (Action.approve, lucile, {}),
                                      (Action.schedule, lucile, {"scheduled_at": utcnow() + timedelta(minutes=5)})):
            ops.act_on_post(session, post, action, actor, expected_version=post.version, **params)
        now = utcnow()
        post.publish_key, post.claim_token, post.claimed_until = "k" * 32, "t" * 32, now + timedelta(minutes=2)
        workflow.record_step(session, post, Action.claim, now=now,
                             payload={"worker": "vm:1", "sha256": post.current_revision.sha256})
        post.claim_token = post.claimed_until = None
        workflow.record_step(session, post, Action.lose, now=now, payload={"outcome": "unknown"},
                             comment='HTTP 202 {"status": "queued"}')
        session.commit()
        return post.id


def _top(page, selector: str) -> float:  # noqa: ANN001
    return page.locator(selector).first.bounding_box()["y"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_unconfirmed_posts_actions_come_after_its_text_on_a_phone(chromium, live_server, backend, language):  # noqa: F811
    base, engine = live_server
    post_id = _unconfirmed_post(engine)
    folder = ARTIFACTS / f"post-phone-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        if language == "fr":
            page.click("header button[name=language][value=fr]")
            page.wait_for_load_state()
        page.goto(f"{base}/posts/{post_id}")
        page.screenshot(path=str(folder / f"unconfirmed-desktop-{language}.png"), full_page=True)
        # The desktop as it was: the side column at the right of the text, the actions under the preview.
        side = page.locator(".side-column").bounding_box()
        text = page.locator(".post-text").bounding_box()
        assert side["x"] > text["x"] + text["width"] - 1
        assert _top(page, ".actions-card") > _top(page, ".post-work > section.card:not(.actions-card)")
        # "Go to the actions" is out of sight until the keyboard reaches it (test_post_keyboard).
        hidden = page.locator("a.to-actions").bounding_box()
        assert hidden["x"] + hidden["width"] <= 0, hidden

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/posts/{post_id}")
        page.screenshot(path=str(folder / f"unconfirmed-phone-{language}.png"), full_page=True)
        jump = page.locator("a.to-actions")
        assert jump.is_visible() and _top(page, ".post-text") < _top(page, "a.to-actions") < _top(page, ".side-column")
        jump.click()
        page.wait_for_function("location.hash === '#actions'")
        confirm = page.locator(".actions-card button").first.bounding_box()
        assert 0 <= confirm["y"] < 844, "the actions are on screen after the link"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # The acknowledgement: its whole label is the target, at least 44 px high, and a tap on its words ticks it.
        label = page.locator("label.acknowledge")
        label.scroll_into_view_if_needed()
        box = label.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 200, box
        said = label.inner_text().strip()
        assert said == ("I have read this warning" if language == "en" else said), said
        page.mouse.click(box["x"] + box["width"] - 20, box["y"] + box["height"] / 2)
        assert page.locator("#acknowledge_warnings").is_checked()
        page.screenshot(path=str(folder / f"unconfirmed-phone-actions-{language}.png"))
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_stop_switch_is_said_in_the_list_and_beside_publish_now(chromium, live_server, backend, language):  # noqa: F811
    """A stop switch over everything: the posts list's card says "held" beside "scheduled", on a phone too; a missed
    post's "Publish now" says beside it that it would be held, and asks before."""
    from approval import operations as ops
    from approval.db import utcnow
    from approval.models import Account, Post, User
    from approval.publishing import controls
    from approval.workflow import engine as workflow
    from approval.workflow.states import Action

    base, engine = live_server
    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        ids = []
        for body in ("Le match commence ce soir.", "La finale est demain."):
            post = ops.create_post(session, camille, account, body)
            for action, actor, params in ((Action.submit, camille, {}), (Action.approve, lucile, {}),
                                          (Action.schedule, lucile, {"scheduled_at": utcnow() + timedelta(hours=2)})):
                ops.act_on_post(session, post, action, actor, expected_version=post.version, **params)
            ids.append(post.id)
        missed = session.get(Post, ids[1])
        missed.missed_at, missed.scheduled_at = utcnow() - timedelta(minutes=30), None
        workflow.record_step(session, missed, Action.miss, now=utcnow(), payload={}, comment=None)
        controls.turn_on(session, lucile, "all", reason="Crise en cours")
        session.commit()
    folder = ARTIFACTS / f"post-phone-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        if language == "fr":
            page.click("header button[name=language][value=fr]")
            page.wait_for_load_state()
        for width, height, name in ((1440, 900, "desktop"), (390, 844, "phone")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/posts?state=scheduled")
            held = page.locator(f"table.posts tr:has(a[href='/posts/{ids[0]}']) .state-held")
            assert held.is_visible() and held.inner_text() == ("held" if language == "en" else "retenue")
            page.screenshot(path=str(folder / f"held-list-{name}-{language}.png"), full_page=True)
            page.goto(f"{base}/posts/{ids[1]}")
            warning = page.locator(".actions-card .would-hold")
            assert warning.is_visible()
            question = page.locator(".actions-card button.publish-now").get_attribute("data-confirm")
            assert warning.inner_text().strip() in question
            warning.scroll_into_view_if_needed()
            page.screenshot(path=str(folder / f"would-hold-{name}-{language}.png"), full_page=True)
        asked: list[str] = []
        page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.locator(".actions-card button.publish-now").click()
        assert asked and "Crise en cours" in asked[0]
    finally:
        context.close()
