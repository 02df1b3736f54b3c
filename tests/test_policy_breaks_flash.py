"""The admin who saves a stricter policy is told, on the policy's page, how many posts on their way (or in review) the
version now in force breaks, with the way to the desk that lists them; a policy that breaks none says nothing of it."""

from __future__ import annotations

import html
import re

from approval.workflow.states import State

NAMES_THE_REPORT = "Notre rapport annuel paraît demain sur notre site."
BANS_THE_REPORT = {"based_on": "0", "forbidden": "rapport annuel | Say “bilan” until the general meeting. | bilan",
                   "sensitive": "", "capital_exceptions": "", "disclosures": "", "note": "The general meeting."}


def text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_saving_a_stricter_policy_says_which_posts_it_breaks(make, admin_web):
    france = make.market("FR")
    make.post(State.scheduled, account=make.account(france), body=NAMES_THE_REPORT)
    saved = admin_web.post(f"/admin/markets/{france.id}/policy", BANS_THE_REPORT, follow_redirects=True)
    assert saved.status_code == 200
    page = text(saved)
    assert "Policy FR-v1 saved: every check from now on applies it." in page
    assert ("1 approved or scheduled post of FR (1 scheduled) breaks FR-v1: it cannot go out as it stands. "
            '<a href="/publishing#policy">The publishing desk lists it.</a>') in page
    assert re.search(r'class="flash warning"[^>]*>\s*1 approved or scheduled post of FR', page), "a warning"


def test_a_policy_that_breaks_nothing_says_only_that_it_is_saved(make, admin_web):
    france = make.market("FR")
    make.post(State.scheduled, account=make.account(france))  # names no report
    page = text(admin_web.post(f"/admin/markets/{france.id}/policy", BANS_THE_REPORT, follow_redirects=True))
    assert "Policy FR-v1 saved" in page
    assert "breaks FR-v1" not in page and "The publishing desk lists" not in page
