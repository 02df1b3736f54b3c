"""The new-post form's "Also write it for" in a headless Chromium: as the text is typed, the live check names each
ticked account that refuses the post as it is (Instagram without a picture, X over 280 characters), and stops when
the box is unticked; the post page of a set's member keeps its "Also in this set" list apart from the revision's
card. Screenshots land in test-artifacts/browser/new-post-set-<backend>/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval.models import Account, Market

from test_browser import ARTIFACTS, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def _instagram(engine) -> None:  # noqa: ANN001
    with Session(engine) as session:
        france = session.scalar(select(Market).where(Market.code == "FR"))
        admin.create_account(session, france, "instagram", "helio.france", "Helio")
        session.commit()


def test_the_live_check_names_the_ticked_accounts_that_refuse_the_post(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    _instagram(engine)
    folder = ARTIFACTS / f"new-post-set-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    with Session(engine) as session:
        ids = {a.handle: a.id for a in session.scalars(select(Account))}
    page.select_option("select[name=account_id]", str(ids["helene-marchand"]))  # LinkedIn: takes it as it is
    also = page.locator("#also-findings")
    page.check(f"input[name=also_account_ids][value='{ids['helio.france']}']")
    page.check(f"input[name=also_account_ids][value='{ids['helio_fr']}']")
    page.fill("textarea[name=body]", ("Le stade brille ce soir avec toute l’équipe. " * 7).strip())
    also.locator("li").nth(1).wait_for()
    said = also.inner_text()
    assert "For FR · Instagram · @helio.france: Posts on Instagram need a picture or a video." in said, said
    assert "For FR · X · @helio_fr:" in said and "the limit is 280" in said, said
    expect(page.locator("#findings-status")).to_contain_text("2 other accounts ticked refuse this post as it is.")
    page.screenshot(path=str(folder / "01-also-findings.png"), full_page=True)
    # Unticked, Instagram is no longer named; a short text satisfies X.
    page.uncheck(f"input[name=also_account_ids][value='{ids['helio.france']}']")
    expect(also).not_to_contain_text("Instagram")
    expect(also).to_contain_text("the limit is 280")
    with page.expect_response(lambda answer: answer.url.endswith("/posts/check"), timeout=60000):
        page.fill("textarea[name=body]", "Le stade brille ce soir.")
    expect(also).to_be_hidden()
    context.close()


def test_the_set_list_of_a_post_page_keeps_apart_from_the_revision_card(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    _instagram(engine)
    folder = ARTIFACTS / f"new-post-set-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "camille@helio.example")
    page.goto(base + "/posts/new")
    with Session(engine) as session:
        ids = {a.handle: a.id for a in session.scalars(select(Account))}
    page.select_option("select[name=account_id]", str(ids["helio_fr"]))
    page.check(f"input[name=also_account_ids][value='{ids['helio.france']}']")
    page.fill("textarea[name=body]", "Le stade brille ce soir.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".set-member h2 a").first.click()
    page.locator(".set-siblings").wait_for()
    page.screenshot(path=str(folder / "02-post-page-set.png"))
    gap = page.evaluate("""() => {
        const list = document.querySelector('.set-siblings .set-members-list').getBoundingClientRect();
        const card = document.querySelector('.columns .post-text > .card').getBoundingClientRect();
        return card.top - list.bottom;
    }""")
    assert gap >= 12, gap  # as far as the cards are from each other (1rem), not against the card's border
    context.close()
