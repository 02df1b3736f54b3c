"""The editor's live style check quotes a long finding's span by its two ends, in a headless Chromium: the characters
past X's limit of a pasted 60,000-character article are shown as their first and last words around "…", the same
words the post page's macro shows (templates/macros.html, tested in tests/test_excerpts.py), not all of them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures
from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser


def _server_excerpt(app, body: str, start: int, end: int) -> str:  # noqa: ANN001
    """What the post page shows for the same finding (the macro's excerpt, no markup in these words)."""
    template = app.jinja_env.from_string('{% from "macros.html" import excerpt %}{{ excerpt(body, start, end) }}')
    with app.test_request_context():
        return template.render(body=body, start=start, end=end)


@ONE_BACKEND  # the editor's script, the same on either database
def test_the_live_check_quotes_the_two_ends_of_the_characters_past_xs_limit(app, chromium, live_server):  # noqa: F811
    from approval.models import Account

    base, engine = live_server
    with Session(engine) as session:
        account_id = session.scalars(select(Account.id).where(Account.handle == "helio_fr")).one()
    words = " ".join(f"mot{n}" for n in range(7_640))
    body = "Un début court. " + words + " et la fin."
    assert len(body) > 60_000
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "camille@helio.example")
        page.goto(base + "/posts/new")
        page.select_option("select[name=account_id]", str(account_id))
        checks: list = []  # the live check's answers (a body this long is not in the browser's record of the request)
        page.on("response", lambda answer: checks.append(answer) if answer.url.endswith("/posts/check") else None)
        page.fill("textarea[name=body]", body)
        quoted = page.locator("#live-findings li[data-rule='network.length'] .at")
        quoted.wait_for(timeout=60_000)
        shown = quoted.inner_text()
        [over] = [f for f in checks[-1].json()["findings"] if f["rule"] == "network.length"]
        assert over["start"] <= 280 and over["end"] == len(body)  # the span: every character past the limit
        assert len(shown) < 200, shown[:300]
        assert " … " in shown and "mot3800" not in shown
        assert shown.endswith("mot7639 et la fin.”"), shown
        # The same words as the post page's macro, in the page's quotation marks.
        assert shown == f"“{_server_excerpt(app, body, over['start'], over['end'])}”"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#live-findings").screenshot(path=str(ARTIFACTS / "editor-long-span.png"))
    finally:
        context.close()
