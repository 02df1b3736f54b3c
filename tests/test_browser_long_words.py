"""Long words in the lists that show what people typed (the product walk: a stop switch's reason holding a long
link made the publishing desk's Held table wider than the window, 1462 px at 1440, 3842 px with a 300-character
word, and squeezed the Text column to two or three letters a line). In a real Chromium, at 1440 and 390 px: the
page never scrolls sideways, the reason wraps, and the Text column keeps a readable width. Screenshots land in
/tmp/w/shots/ when that folder exists, else in test-artifacts/browser/long-words/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser

LINK = ("Crisis: see https://helio.atlassian.net/browse/CRISIS-2026-1207?focusedCommentId=12345&page=com.atlassian"
        ".jira.plugin.system.issuetabpanels%3Acomment-tabpanel")
WORD = "Crise" + "x" * 295  # 300 characters without a space
#: What sticks out of the window, to say which element when the page scrolls sideways.
WIDER = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 12)"""
SHOTS = Path("/tmp/w/shots") if Path("/tmp/w/shots").is_dir() else ARTIFACTS / "long-words"


def _held_posts(engine) -> list[int]:  # noqa: ANN001
    """Two posts scheduled, on @helio_fr and on @helio_be, held by their markets' stop switches, one's reason a long
    link, the other's a 300-character word; a third in review whose text holds a long link."""
    from approval import administration as admin
    from approval import operations as ops
    from approval.db import utcnow
    from approval.models import Account, User
    from approval.publishing import controls
    from approval.workflow.states import Action

    with Session(engine) as session:
        camille = session.scalars(select(User).where(User.email == "camille@helio.example")).one()
        lucile = session.scalars(select(User).where(User.email == "lucile@helio.example")).one()
        account = session.scalars(select(Account).where(Account.handle == "helio_fr")).one()
        belgium = admin.create_market(session, "BE", "Belgique", "Europe/Brussels", ["fr"])
        admin.create_account(session, belgium, "x", "helio_be", "Helio")
        camille.markets.append(belgium)
        session.flush()
        ids = []
        for n, (code, reason) in enumerate((("FR", LINK), ("BE", WORD))):
            on = session.scalars(select(Account).where(Account.handle == f"helio_{code.lower()}")).one()
            post = ops.create_post(session, camille, on, f"Le match commence ce soir à vingt heures, {n}.",
                                   proposed_at=utcnow() + timedelta(days=2, hours=n))
            ops.act_on_post(session, post, Action.submit, camille, expected_version=post.version)
            ops.approve_and_schedule(session, post, lucile, expected_version=post.version)
            stop = controls.turn_on(session, lucile, "market", market_code=code, reason=reason)
            post.held_at, post.held_by_stop_id = utcnow(), stop.id
            ids.append(post.id)
        waiting = ops.create_post(session, camille, account, f"Voir https://helio.example/{'a' * 200} ce soir.")
        ops.act_on_post(session, waiting, Action.submit, camille, expected_version=waiting.version)
        session.commit()
        return ids


def _page_width(page) -> int:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth")


@ONE_BACKEND  # the layout, the same on either database
@pytest.mark.parametrize("width", [1440, 390])
def test_a_long_reason_wraps_on_the_desk_and_the_queue_stays_within_the_window(chromium, live_server,  # noqa: F811
                                                                                width):
    base, engine = live_server
    held = _held_posts(engine)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/publishing")
        page.screenshot(path=str(SHOTS / f"long-words-desk-{width}.png"), full_page=True)
        wide = page.evaluate(WIDER)
        assert _page_width(page) <= width, ("the desk scrolls sideways", wide)
        for post_id in held:
            row = page.locator("#held tr", has=page.locator(f"a[href$='/posts/{post_id}']")).first
            text = row.locator("td.excerpt")
            # The text column keeps room for words, not two or three letters a line.
            assert text.bounding_box()["width"] >= (120 if width > 700 else 250), text.bounding_box()
            # The reason wraps within the list's card.
            reason, card = row.locator("td.hold-reason").bounding_box(), page.locator("#held").bounding_box()
            assert reason["x"] + reason["width"] <= card["x"] + card["width"], (reason, card)
        page.goto(f"{base}/publishing/stops")
        assert _page_width(page) <= width, "the stop switches scroll sideways"
        page.goto(f"{base}/review")
        page.screenshot(path=str(SHOTS / f"long-words-review-{width}.png"), full_page=True)
        assert _page_width(page) <= width, "the review queue scrolls sideways"
        page.goto(f"{base}/posts/{held[1]}")
        page.screenshot(path=str(SHOTS / f"long-words-post-{width}.png"), full_page=True)
        assert _page_width(page) <= width, "the held post's page scrolls sideways"
    finally:
        context.close()
