"""What a review of the sets' second round found: the new-post live check checks no more accounts than a set
holds; a group of notices gathers only the posts its reader still sees (the bell counts as the list shows, and
opening a group reads what it showed); "the same moment everywhere" reads a time only in a zone the page offers."""

from __future__ import annotations

import re

import pytest

from approval import operations as ops
from approval.db import utcnow
from approval.models.notifications import Notification, NotificationKind
from approval.notifications import inbox
from approval.views import posts as post_views
from approval.workflow.states import Role

import set_helpers
from set_helpers import members_of, paris_and_new_york, submitted_set, versions_of


france, britain, writer = set_helpers.france, set_helpers.britain, set_helpers.writer  # the shared fixtures


def test_the_live_check_checks_no_more_ticked_accounts_than_a_set_holds(make, web, db_session, france,
                                                                         monkeypatch):
    admin = make.user(Role.admin, all_markets=True)
    accounts = [make.account(france, ("facebook", "x", "linkedin")[n % 3]) for n in range(ops.MAX_SET_ACCOUNTS + 8)]
    db_session.flush()
    checked: list[int] = []
    live_check = post_views._live_check

    def counting(account, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        checked.append(account.id)
        return live_check(account, *args, **kwargs)

    monkeypatch.setattr(post_views, "_live_check", counting)
    web.login(admin)
    answer = web.post("/posts/check", {"account_id": str(accounts[0].id), "body": "Le stade brille ce soir.",
                                       "also_account_ids": [str(a.id) for a in accounts[1:]]})
    assert answer.status_code == 200
    assert len(checked) <= ops.MAX_SET_ACCOUNTS, len(checked)  # the main account and the others a set may hold


def _notice(db_session, user, post, actor):  # noqa: ANN001, ANN202
    notice = Notification(user_id=user.id, kind=NotificationKind.scheduled, post_id=post.id, actor_id=actor.id,
                          at=utcnow())
    db_session.add(notice)
    db_session.flush()
    return notice


def test_a_group_gathers_only_the_posts_its_reader_still_sees(make, web, db_session, france, britain, writer):
    """Three "scheduled" of one set; the reader then leaves the British market: the list shows the British post's
    notice alone, the bell counts two lines, and opening the group reads the two French ones only."""
    accounts = [make.account(france), make.account(britain), make.account(france, "x")]
    _post_set, posts = submitted_set(make, db_session, accounts, writer)
    manager = make.user(Role.project_manager, markets=[france, britain])
    reader = make.user(Role.community_manager, markets=[france, britain])
    notices = [_notice(db_session, reader, post, manager) for post in posts]
    reader.markets.remove(britain)
    db_session.flush()
    web.login(reader)
    page = web.get("/notifications").get_data(as_text=True)
    lines = re.findall(r'name="id" value="([^"]+)"', page)
    assert len(lines) == 2, lines
    assert inbox.unread_lines(db_session, reader) == 2
    assert web.get(f"/notifications/{notices[2].id}/set").status_code == 302
    db_session.expire_all()
    assert [notice.read_at is not None for notice in notices] == [True, False, True]


@pytest.mark.parametrize("zone", ["EST", "Etc/GMT+5", "US/Pacific"])
def test_the_same_moment_is_read_only_in_a_zone_the_page_offers(make, web, db_session, france, writer, zone):
    """"EST" is UTC-5 all year: a summer noon in New York read there went out an hour off."""
    post_set, _posts, reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    answer = web.post(f"/sets/{post_set.id}/approve", {
        **versions_of(page), "and_schedule": "at", "local_time": "2027-07-01T12:00", "time_basis": "moment",
        "time_zone": zone})
    assert answer.status_code == 422
    assert {post.scheduled_at for post in members_of(db_session, post_set.id)} == {None}
