"""The forms' behaviour every page has (static/forms.js), in a real Chromium: actions that cannot be taken back ask
before they are done (the question is the browser's own dialog, raised from the form's data-confirm), and a form is
sent once however many times its button is clicked."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_browser import PASSWORD, chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.workflow.states import Role
from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser


def _a_market_with_a_writer(session: Session, code: str, zone: str, writer_email: str):  # noqa: ANN202
    """A market of its own (the live server's database is shared by the file's tests), an X account in it and a
    community manager who writes for it."""
    market = admin.create_market(session, code, f"Market {code}", zone, ["fr"])
    account = admin.create_account(session, market, "x", f"helio_{code.lower()}", "Helio")
    writer = admin.create_user(session, writer_email, writer_email.split("@")[0].title(), Role.community_manager,
                               PASSWORD, markets=[market])
    return market, account, writer


@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_what_cannot_be_taken_back_asks_first(chromium, live_server):  # noqa: F811
    """Turning a stop switch off (posts go out again) and revoking a kiosk link (its screen goes dark for good) ask
    before they are done; dismissed, nothing changes."""
    from approval import kiosks
    from approval.models import KioskLink, StopSwitch
    from approval.publishing import controls

    base, engine = live_server
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, PASSWORD)
        kiosks.create_kiosk(session, "Lobby", [])
        controls.turn_on(session, None, "all", reason="Crise.")
        session.commit()
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "ada@helio.example")
    asked: list[str] = []
    live = {KioskLink: lambda link: not link.revoked, StopSwitch: lambda stop: stop.active}
    for path, button, model in (("/hub/kiosks", "Revoke", KioskLink), ("/publishing/stops", "Turn off", StopSwitch)):
        page.goto(base + path)
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.get_by_role("button", name=button).click()
        page.wait_for_timeout(300)
        with Session(engine) as session:
            assert live[model](session.scalars(select(model)).one()), path  # dismissed: nothing done
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()
        with Session(engine) as session:
            assert not live[model](session.scalars(select(model)).one()), path
    assert asked[0].startswith("Revoke this link?") and asked[1].startswith("Turn this stop switch off?")
    # The form to turn one on shows the list its scope asks for, not both.
    page.goto(base + "/publishing/stops")
    market = page.locator(".stop-form select[name=market]")
    campaign = page.locator(".stop-form select[name=campaign_id]")
    page.select_option(".stop-form select[name=scope]", "market")
    assert market.is_visible() and not campaign.is_visible()
    page.select_option(".stop-form select[name=scope]", "campaign")
    assert campaign.is_visible() and not market.is_visible()
    page.select_option(".stop-form select[name=scope]", "all")
    assert not market.is_visible() and not campaign.is_visible()
    # The publishing settings: a webhook's address and secret are for a webhook alone (static/connectors.js).
    page.goto(base + "/publishing/settings")
    row = page.locator("#accounts tr[id^=account-]").first
    address, secret = row.locator("input[name=url]"), row.locator("input[name=secret]")
    assert address.is_disabled() and secret.is_disabled()  # connected to nothing yet
    row.locator("select[name=connector]").select_option("webhook")
    assert address.is_enabled() and secret.is_enabled()
    row.locator("select[name=connector]").select_option("outbox")
    assert address.is_disabled() and secret.is_disabled()


@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_decision_that_ends_the_post_asks_first(chromium, live_server):  # noqa: F811
    """"Withdraw" shares its form with "Submit for review": the button asks, the form does not; dismissed, the
    post stays a draft."""
    from approval import operations as ops
    from approval.models import Post
    from approval.workflow.states import State

    base, engine = live_server
    with Session(engine) as session:
        _market, account, writer = _a_market_with_a_writer(session, "BE", "Europe/Brussels", "chloe@helio.example")
        post_id = ops.create_post(session, writer, account, "La Tour Eiffel brille ce soir.").id
        session.commit()
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "chloe@helio.example")
    page.goto(f"{base}/posts/{post_id}")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_timeout(300)
    with Session(engine) as session:
        assert session.get(Post, post_id).state is State.draft
    assert asked and "cannot be undone" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Withdraw").click()
    with Session(engine) as session:
        assert session.get(Post, post_id).state is State.withdrawn

@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_rejection_without_its_comment_is_not_asked_about(chromium, live_server):  # noqa: F811
    """"Cannot be undone, go on?", then "a comment is required": the person confirmed what did not happen. Without
    its comment the page refuses the rejection at once; with it, it asks first."""
    from approval import operations as ops
    from approval.models import Post
    from approval.workflow.states import Action, State

    base, engine = live_server
    with Session(engine) as session:
        market, account, writer = _a_market_with_a_writer(session, "NL", "Europe/Amsterdam", "sem@helio.example")
        admin.create_user(session, "noor@helio.example", "Noor", Role.project_manager, PASSWORD, markets=[market])
        post = ops.create_post(session, writer, account, "Het stadion is vol.")
        ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
        post_id = post.id
        session.commit()
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "noor@helio.example")
    page.goto(f"{base}/posts/{post_id}")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    with page.expect_navigation():
        page.get_by_role("button", name="Reject").click()
    assert not asked and "A comment is required" in page.content()
    page.fill("#decide-comment", "Hors sujet.")
    page.get_by_role("button", name="Reject").click()
    page.wait_for_timeout(300)
    assert asked and "cannot be undone" in asked[0]
    with Session(engine) as session:
        assert session.get(Post, post_id).state is State.in_review  # dismissed

@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_suggestion_is_applied_from_the_editor(chromium, live_server):  # noqa: F811
    """"Suggested: #EURO2028" was text to copy by hand: its button puts it where the finding says (an insertion at
    the end here), and the check runs again."""
    from approval import operations as ops

    base, engine = live_server
    with Session(engine) as session:
        market, account, writer = _a_market_with_a_writer(session, "LU", "Europe/Luxembourg", "lea@helio.example")
        euro = admin.create_campaign(session, "Euro 2028", market, "#EURO2028")
        post_id = ops.create_post(session, writer, account, "La Tour Eiffel brille ce soir.", euro).id
        session.commit()
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "lea@helio.example")
    page.goto(f"{base}/posts/{post_id}/edit")
    finding = page.locator('#live-findings li.finding[data-rule="policy.campaign-hashtag"]')
    finding.wait_for()
    finding.get_by_role("button", name="Apply").click()
    assert page.input_value("textarea[name=body]") == "La Tour Eiffel brille ce soir. #EURO2028"
    finding.wait_for(state="detached")  # checked again: the hashtag is there

@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_form_is_sent_once(chromium, live_server):  # noqa: F811
    """A second click while the first answer is on its way sends nothing (a double click on "Create" made two posts);
    back on the page from the browser's memory, the form can be sent again. A window listener, which runs after the
    page's own, counts what would leave and keeps the page where it is."""
    base, engine = live_server
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, PASSWORD)
        session.commit()
    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "ada@helio.example")
    page.goto(base + "/publishing/stops")
    page.evaluate("""() => {
        window.sent = 0;
        window.addEventListener("submit", (event) => {
            if (!event.defaultPrevented) window.sent++;
            event.preventDefault();
        });
    }""")
    page.fill(".stop-form textarea[name=reason]", "Crise.")
    button = page.get_by_role("button", name="Stop publishing")
    button.click()
    button.click()
    assert page.evaluate("window.sent") == 1
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    button.click()
    assert page.evaluate("window.sent") == 2
