"""The bell in the top bar is counted in one statement on every page, and the notifications list reads the database
as many times for many sets' notices as for one: the bell asked how many were unread, then again for the unread
notices of sets, on every page (and twice over on the list, for its own "N unread"). SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.test_notifications_sets import a_set, approve_and_schedule_all, bell, rows, tell
from tests.test_publishing_desk_statements import _statements
from approval.db import utcnow
from approval.models.notifications import NotificationKind as Kind
from approval.workflow.states import Role, State

NETWORKS = ("facebook", "x", "linkedin", "facebook", "x")


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    fr = make.market("FR")
    return {"fr": fr, "accounts": [make.account(fr, network) for network in NETWORKS],
            "writer": make.user(Role.community_manager, markets=[fr], name="Camille"),
            "pm": make.user(Role.project_manager, markets=[fr], name="Lucile")}


def _reading_notifications(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"\bnotifications\b", s)]


def _sets_told(make, web, db_session, team, sets: int) -> None:  # noqa: ANN001
    """``sets`` sets approved and scheduled (one unread line each), and a comment on a post of no set."""
    for _ in range(sets):
        set_id, _posts = a_set(make, db_session, team)
        web.login(team["pm"])
        approve_and_schedule_all(web, set_id)
    alone = make.post(State.in_review, account=team["accounts"][0], author=team["writer"])
    tell(db_session, team["writer"], Kind.commented, alone, at=utcnow(), actor=team["pm"], comment="Bien vu.")
    web.login(team["writer"])


def test_the_bell_reads_the_notifications_once_per_page(app, make, web, db_session, team):
    _sets_told(make, web, db_session, team, 2)
    web.get("/profile/")
    seen = _statements(app, lambda: web.get("/profile/"))
    assert len(_reading_notifications(seen)) == 1, _reading_notifications(seen)
    assert bell(web.get("/profile/").get_data(as_text=True)) == 3


@pytest.mark.parametrize("sets", [1, 3])
def test_the_list_counts_its_unread_lines_once(app, make, web, db_session, team, sets):
    """The list's "N unread" is the bell's count, read once for both."""
    _sets_told(make, web, db_session, team, sets)
    page = web.get("/notifications").get_data(as_text=True)
    assert bell(page) == sets + 1 and f"{sets + 1} unread" in page
    seen = _statements(app, lambda: web.get("/notifications"))
    assert len([s for s in seen if "read_at IS NULL" in s]) == 1


def test_the_list_reads_as_many_times_for_many_sets_as_for_one(app, make, web, db_session, team):
    _sets_told(make, web, db_session, team, 1)
    few = len(_statements(app, lambda: web.get("/notifications")))
    _sets_told(make, web, db_session, team, 4)
    page = web.get("/notifications").get_data(as_text=True)
    assert len(rows(page)) == 2 * 5 + 2  # each set's "scheduled" and "approved", and the two comments
    many = len(_statements(app, lambda: web.get("/notifications")))
    assert many == few, f"{few} statements for one set, {many} for five"
