"""The post page with a keyboard, in a headless Chromium. After a decision taken from the review queue, the next
post's page opened with the focus at its top: the next Tab went through the top bar's dozen links again before the
post. Now it starts from the page's content (the message saying what was done, then the post), as Gmail's and
Planable's next-item flows do; a page opened otherwise keeps its usual start (the "Skip to content" link first). And
from the text, "Go to the actions ↓" takes the keyboard past the side column (history, revisions: beside the text,
where the page holds it) to the decisions. Screenshots land in
test-artifacts/browser/post-keyboard-<backend>/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import ONE_BACKEND
from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

#: Where the focus is: inside the top bar, inside the page's content, and the focused element's words.
WHERE_FOCUS = """() => { const e = document.activeElement;
    return {header: !!e.closest('header'), main: !!e.closest('main'), tag: e.tagName,
            text: (e.innerText || e.value || '').trim().slice(0, 60),
            side: !!e.closest('.side-column'), actions: !!e.closest('.actions-card')}; }"""


def _posts_in_review(engine, count: int) -> list[int]:  # noqa: ANN001
    """``count`` posts of @helio_fr submitted by Camille, the oldest first."""
    from approval import operations as ops
    from approval.models import Account, User
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        ids = []
        for n in range(count):
            post = ops.create_post(session, camille, account, f"Le match numéro {n + 1} commence ce soir.")
            ops.act_on_post(session, post, Action.submit, camille, expected_version=post.version)
            session.flush()
            ids.append(post.id)
        session.commit()
        return ids


def _draft(engine) -> int:  # noqa: ANN001
    from approval import operations as ops
    from approval.models import Account, User

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        post = ops.create_post(session, camille, account, "La finale est demain soir.")
        session.commit()
        return post.id


@ONE_BACKEND  # in a browser: the focus, the same on either database
def test_after_a_decision_the_next_tab_is_in_the_next_post_not_the_top_bar(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    first, second, third = _posts_in_review(engine, 3)
    folder = ARTIFACTS / f"post-keyboard-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(f"{base}/review")
        page.locator(f"main a[href^='/posts/{first}']").first.click()
        page.wait_for_url(re.compile(rf"/posts/{first}\b"))
        # Approved with the keyboard: the next post of the queue opens.
        page.locator(".actions-card button", has_text=re.compile(r"^\s*Approve\s*$")).focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert re.search(rf"/posts/{second}\b", page.url), page.url
        assert "Here is the next post awaiting your review." in page.locator("main").inner_text()
        # The page's content holds the focus (a screen reader reads on from there: what was done, then the post).
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        reached = page.evaluate(WHERE_FOCUS)
        assert reached["main"] and not reached["header"], reached
        page.screenshot(path=str(folder / "after-approve.png"))
        # The flash that says what was done is in sight, above the post.
        said = page.locator("main .flash.success").first.bounding_box()
        assert said is not None and said["y"] > -1  # at the window's top (half a pixel of its border aside)

        # Changes requested (its comment typed), the same.
        page.locator(".actions-card textarea[name=comment]").fill("Le titre, s'il vous plaît.")
        page.locator(".actions-card button", has_text="Request changes").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert re.search(rf"/posts/{third}\b", page.url), page.url
        page.keyboard.press("Tab")
        reached = page.evaluate(WHERE_FOCUS)
        assert reached["main"] and not reached["header"], reached

        # The same page opened as any page is (a link, the address typed): the focus is not moved, the first Tab
        # reaches "Skip to content" as on every page.
        page.goto(f"{base}/posts/{third}")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
    finally:
        context.close()


def _tab_through(page, limit: int = 200) -> list[dict]:  # noqa: ANN001
    """Every stop of the keyboard from the page's start, in order, until it comes back to the top."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(WHERE_FOCUS)
        if stops and stop["tag"] == "BODY" or (stop["text"] == "Skip to content" and stops):
            break
        stops.append(stop)
    return stops


@ONE_BACKEND  # in a browser: the layout and the keyboard, the same on either database
@pytest.mark.parametrize("width", [1366, 390])
def test_from_the_text_one_step_takes_the_keyboard_past_the_side_column_to_the_decisions(  # noqa: F811
        chromium, live_server, backend, width):  # noqa: F811
    """The page follows its layout (the text, the side column beside it, the rest below): from the text the next stops
    were the side column's ("Revision 1") before "Submit for review". "Go to the actions ↓", under the text (shown on
    a phone, shown when focused on a desktop), comes first: Enter, and the next Tab is in the decisions."""
    base, engine = live_server
    post_id = _draft(engine)
    folder = ARTIFACTS / f"post-keyboard-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "camille@helio.example")  # its "Log out" is folded in a menu on a phone
        page.set_viewport_size({"width": width, "height": 900 if width > 900 else 844})
        page.goto(f"{base}/posts/{post_id}")
        link = page.locator("a.to-actions")
        if width == 1366:
            box = link.bounding_box()
            assert box["x"] + box["width"] <= 0  # out of sight until focused
        stops = _tab_through(page)
        texts = [stop["text"] for stop in stops]
        to_actions, revision = texts.index("Go to the actions ↓"), texts.index("Revision 1")
        assert stops[revision]["side"] and to_actions < revision, texts
        link.focus()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["width"] > 100 and box["height"] >= 24  # in sight, a real target
        page.screenshot(path=str(folder / f"to-actions-{width}.png"))
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        reached = page.evaluate(WHERE_FOCUS)
        assert reached["actions"], reached
        if width == 1366:
            # The desktop as it was: the side column at the right of the text, its top level with the text's.
            side = page.locator(".side-column").bounding_box()
            text = page.locator(".post-text").bounding_box()
            assert side["x"] >= text["x"] + text["width"] and abs(side["y"] - text["y"]) < 1
        else:
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
