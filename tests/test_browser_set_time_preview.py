"""A set's page in a headless Chromium: "Approve and schedule all at this time" previews, as the fields change, the
time typed in each market of the set: the same moment told by each market's clock, or each market's own clock at
that time. Screenshots land in test-artifacts/browser/set-time-preview-<backend>/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import operations as ops
from approval.models import Account, Market, User
from approval.workflow.states import Action, Role

from test_browser import ARTIFACTS, PASSWORD, chromium, live_server, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def _paris_and_new_york_set(engine) -> int:  # noqa: ANN001
    """A message for the French X account and a New York Facebook account, submitted by a writer of both."""
    with Session(engine) as session:
        france = session.scalar(select(Market).where(Market.code == "FR"))
        united_states = admin.create_market(session, "US", "United States", "America/New_York", ["en"])
        admin.create_account(session, united_states, "facebook", "helio_us", "Helio")
        writer = admin.create_user(session, "nora@helio.example", "Nora Smith", Role.community_manager, PASSWORD,
                                   markets=[france, united_states])
        session.flush()
        accounts = [session.scalar(select(Account).where(Account.handle == handle))
                    for handle in ("helio_fr", "helio_us")]
        post_set = ops.create_post_set(session, writer, len(accounts))
        for account in accounts:
            post = ops.create_post(session, writer, account, "Le stade brille ce soir.", post_set=post_set)
            ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
        assert session.scalar(select(User).where(User.email == "lucile@helio.example")) is not None
        session.commit()
        return post_set.id


def test_the_time_typed_is_previewed_in_each_market(chromium, live_server, backend):  # noqa: F811
    base, engine = live_server
    set_id = _paris_and_new_york_set(engine)
    folder = ARTIFACTS / f"set-time-preview-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "lucile@helio.example")
    page.goto(f"{base}/sets/{set_id}")
    preview = page.locator("#approve-all-preview")
    expect(preview).to_be_hidden()  # nothing typed, nothing to preview
    page.fill("input[name=local_time]", "2027-01-15T18:00")  # winter on both sides: UTC+1 and UTC-5
    page.check("input[name=time_basis][value=moment]")
    page.select_option("select[name=time_zone]", "Europe/Paris")
    expect(preview).to_contain_text("Jan 15, 2027, 18:00 in Europe/Paris is, in each market:")
    expect(preview.locator("li[data-zone='Europe/Paris']")).to_have_text(
        "FR: Jan 15, 2027, 18:00 (Europe/Paris, UTC+01:00)")
    expect(preview.locator("li[data-zone='America/New_York']")).to_have_text(
        "US: Jan 15, 2027, 12:00 (America/New_York, UTC-05:00)")
    page.locator(".schedule-all-at").screenshot(path=str(folder / "01-same-moment.png"))
    # Read in each market's own clock: 18:00 there, with the viewer's own clock (UTC) beside it.
    page.check("input[name=time_basis][value=local]")
    expect(preview).to_contain_text("Jan 15, 2027, 18:00 on each market’s own clock:")
    expect(preview.locator("li[data-zone='America/New_York']")).to_have_text(
        "US: Jan 15, 2027, 18:00 (America/New_York, UTC-05:00) · 23:00 your time (UTC)")
    page.locator(".schedule-all-at").screenshot(path=str(folder / "02-each-market.png"))
    # A time New York's clocks skip (the spring change) says so, the others still shown.
    page.fill("input[name=local_time]", "2027-03-14T02:30")
    expect(preview.locator("li[data-zone='America/New_York']")).to_have_text(
        "US: This time does not exist in America/New_York: the clocks skip it.")
    expect(preview.locator("li[data-zone='Europe/Paris']")).to_contain_text("Mar 14, 2027, 02:30 (Europe/Paris")
    page.fill("input[name=local_time]", "")
    expect(preview).to_be_hidden()
    context.close()
