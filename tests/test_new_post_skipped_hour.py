"""A new post for several accounts at a time the clocks skip: the form names every account whose market's zone skips
it, as the set page's "Approve and schedule all" lists every market concerned. Written for a Kenyan account, "also
for" a French and a Polish one, at 02:30 on the last Sunday of March, the form named only the French account, though
Warsaw skips that hour too (Nairobi keeps no summer time)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from approval.db import utcnow
from approval.models import AuditEntry, Post, PostSet, Revision
from approval.workflow.states import Role

from conftest import row_counts
from set_helpers import text_of
from test_post_sets import _send


def _last_sunday_of_march_ahead() -> datetime:
    """The next last Sunday of March at least a day ahead (Europe's clocks go forward at 02:00 local that night)."""
    today = utcnow().date()
    for year in (today.year, today.year + 1):
        day = max(datetime(year, 3, d) for d in range(25, 32) if datetime(year, 3, d).weekday() == 6)
        if day.date() > today + timedelta(days=1):
            return day
    raise AssertionError("unreachable")


def test_a_time_skipped_in_two_markets_names_both_and_nothing_is_written(make, web, db_session):
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    france = make.market("FR", timezone="Europe/Paris", languages=("fr",))
    poland = make.market("PL", timezone="Europe/Warsaw", languages=("pl",))
    nairobi, paris, warsaw = (make.account(m, "x") for m in (kenya, france, poland))
    writer = make.user(Role.community_manager, markets=[kenya, france, poland])
    web.login(writer)
    before = row_counts(db_session, PostSet, Post, Revision, AuditEntry)
    at = _last_sunday_of_march_ahead().replace(hour=2, minute=30).strftime("%Y-%m-%dT%H:%M")
    answer = _send(web, [nairobi, paris, warsaw], "Tonight.", proposed=at)
    assert answer.status_code == 422
    shown = text_of(answer)
    # Each account whose zone skips the time, with its zone's own reason; the one whose zone keeps it, not.
    assert f"FR · X · @{paris.handle}: The clocks skip from 02:00 to 03:00 in Europe/Paris" in shown, shown
    assert f"PL · X · @{warsaw.handle}: The clocks skip from 02:00 to 03:00 in Europe/Warsaw" in shown, shown
    assert f"KE · X · @{nairobi.handle}:" not in shown
    # Said beside the time's field, each reason one the field names (aria-describedby).
    page = answer.get_data(as_text=True)
    said = re.findall(r'<p class="error" id="(proposed_time-error-\d+)">([^<]*)</p>', page)
    assert [zone for zone in ("Europe/Paris", "Europe/Warsaw") if any(zone in text for _, text in said)] == \
        ["Europe/Paris", "Europe/Warsaw"], said
    described = re.search(r'name="proposed_time"[^>]*aria-describedby="([^"]+)"', page).group(1).split()
    assert described == [name for name, _ in said]
    assert row_counts(db_session, PostSet, Post, Revision, AuditEntry) == before


def test_two_accounts_of_one_zone_are_named_in_one_reason(make, web, db_session):
    france = make.market("FR", timezone="Europe/Paris", languages=("fr",))
    poland = make.market("PL", timezone="Europe/Warsaw", languages=("pl",))
    paris_x, paris_fb, warsaw = make.account(france, "x"), make.account(france, "facebook"), make.account(poland, "x")
    writer = make.user(Role.community_manager, markets=[france, poland])
    web.login(writer)
    at = _last_sunday_of_march_ahead().replace(hour=2, minute=30).strftime("%Y-%m-%dT%H:%M")
    answer = _send(web, [paris_x, paris_fb, warsaw], "Tonight.", proposed=at)
    assert answer.status_code == 422
    shown = text_of(answer)
    assert (f"FR · X · @{paris_x.handle} and FR · Facebook · @{paris_fb.handle}: The clocks skip from 02:00 to "
            f"03:00 in Europe/Paris") in shown, shown
    assert f"PL · X · @{warsaw.handle}: The clocks skip" in shown
    assert shown.count("in Europe/Paris on that day") == 1
