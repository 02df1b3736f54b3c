"""The stop switch form's help (the product walk: every scope's help was shown whatever the scope chosen): the help
of the chosen scope only, in a real Chromium; without scripts, all of it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from test_browser import PASSWORD, chromium, live_server, sign_in  # noqa: F401 - fixtures

from approval import administration as admin
from approval.workflow.states import Role
from tests.conftest import ONE_BACKEND

pytestmark = pytest.mark.browser


@ONE_BACKEND  # in a browser: the scripts, the same on either database
def test_the_stop_form_shows_the_help_of_the_chosen_scope(chromium, live_server):  # noqa: F811
    base, engine = live_server
    with Session(engine) as session:
        market = admin.create_market(session, "SH", "Market SH", "Europe/Paris", ["fr"])
        admin.create_user(session, "pia@helio.example", "Pia", Role.project_manager, PASSWORD, markets=[market])
        admin.create_campaign(session, "Coupe Helio", None, "#HelioCup")  # every market's: not hers to stop
        session.commit()

    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    sign_in(page, base, "pia@helio.example")
    page.goto(base + "/publishing/stops")
    wide_reach = page.locator(".stop-form .wide-reach")
    assert wide_reach.count() == 1
    page.select_option(".stop-form select[name=scope]", "market")
    assert not wide_reach.is_visible()
    page.select_option(".stop-form select[name=scope]", "campaign")
    assert wide_reach.is_visible()
    page.select_option(".stop-form select[name=scope]", "market")
    assert not wide_reach.is_visible()
    # Who may stop everything stays said under the scopes: the option this manager looks for in a crisis is not there.
    assert page.locator(".stop-form .who-stops-all").is_visible()

    scriptless = chromium.new_context(java_script_enabled=False, locale="en-GB").new_page()
    sign_in(scriptless, base, "pia@helio.example")
    scriptless.goto(base + "/publishing/stops")
    assert scriptless.locator(".stop-form .wide-reach").is_visible()
    assert scriptless.locator(".stop-form select[name=campaign_id]").is_visible()
