"""The profile says which zone the pages' times are in, and why, and links the setting (the product walk: it lives at
the bottom of the e-mail preferences, and a person whose pages followed their browser did not know it)."""

from __future__ import annotations

import re

from approval.models.notifications import NotificationProfile
from approval.workflow.states import Role


def _line(web) -> str:  # noqa: ANN001
    page = web.get("/profile").get_data(as_text=True)
    found = re.search(r'<p class="muted" id="times-shown-in">(.*?)</p>', page, re.S)
    assert found, "no line saying the zone"
    return found.group(1)


def test_the_profile_says_the_zone_of_the_pages_and_links_the_setting(make, web, db_session):
    france = make.market("FR")
    person = make.user(Role.project_manager, markets=[france])
    web.login(person)

    assert _line(web).startswith("Times shown in: Europe/Paris (")  # no browser zone known: the first market's
    web.client.set_cookie("approval_tz", "America/New_York")
    line = _line(web)
    assert line.startswith("Times shown in: America/New_York, your browser’s zone (")
    assert 'href="/notifications/preferences#timezone">change</a>' in line
    preferences = web.get("/notifications/preferences").get_data(as_text=True)
    assert 'id="timezone"' in preferences  # where it leads
    # Its default option names the digest's zone (the first market's): what the pages use is said beside it.
    assert "Without a choice, the pages show times in America/New_York now." in preferences

    db_session.add(NotificationProfile(user_id=person.id, timezone="Asia/Tokyo"))
    db_session.flush()
    assert _line(web).startswith("Times shown in: Asia/Tokyo, your choice (")
    assert "Without a choice, the pages show" not in web.get("/notifications/preferences").get_data(as_text=True)
