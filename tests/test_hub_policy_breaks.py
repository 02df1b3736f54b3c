"""The wall and the publishing desk agree on what will fail: a forbidden term added to France's policy after a post
was scheduled for tomorrow morning put it under the desk's "Will fail: the policy in force refuses them", while the
wall listed it under "Next 24 hours" with no warning and not under "Needs attention" (the prober's #65)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from approval import policies
from approval.db import utcnow
from approval.hub_feed import _CHANGES
from approval.publishing import controls
from approval.queries import hub as hub_queries
from approval.queries.hub import Selection, Viewer, build_wall
from approval.workflow.states import Role, State

FORBIDDEN = {"phrase": "bétonnage", "reason": "Say “aménagement” in France.", "instead": "aménagement"}


def _connected(account):  # noqa: ANN001, ANN202
    controls.connect_account(Session.object_session(account), account, "outbox")
    return account


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _panel(page: str, name: str) -> str:
    return page[page.index(f'class="panel {name}'):].split("</section>")[0]


@pytest.fixture()
def france(make):
    return make.market("FR")


def _scheduled(make, account, body: str, hours: float):  # noqa: ANN001, ANN202
    post = make.post(State.scheduled, account=account, body=body)
    post.scheduled_at = utcnow() + timedelta(hours=hours)
    return post


def test_a_post_the_policy_in_force_refuses_needs_attention_on_the_wall_as_on_the_desk(make, web, db_session, france):
    account = _connected(make.account(france, "facebook"))
    bound = _scheduled(make, account, "Le bétonnage du littoral recule enfin.", 20)
    calm = _scheduled(make, account, "Le littoral est protégé.", 2)
    later = _scheduled(make, account, "Le bétonnage, un souvenir.", 48)  # the desk has it; not the wall's day
    db_session.flush()
    admin = make.user(Role.admin)
    policies.save_policy(db_session, france, admin, forbidden=[FORBIDDEN])
    db_session.flush()

    wall = build_wall(db_session, Viewer(user_id=admin.id), Selection())
    assert [(post.id, why) for post, why in wall.problems] == [(bound.id, "policy")]
    assert wall.problems_total == 1
    listed = [post.id for post, _why in wall.problems]
    assert calm.id not in listed and later.id not in listed
    # Still due in the next 24 hours, marked as bound to fail there too.
    assert [post.id for post in wall.upcoming] == [calm.id, bound.id]
    assert wall.will_fail == {bound.id: "policy"}

    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    page = web.get("/hub").get_data(as_text=True)
    problems = _text(_panel(page, "problems"))
    assert "Needs attention 1" in problems
    assert "will fail The policy in force (FR-v1) refuses it:" in problems and "bétonnage" in problems
    upcoming = _panel(page, "next")
    marked = upcoming[upcoming.index("Le bétonnage du littoral") - 600:upcoming.index("Le bétonnage du littoral")]
    assert 'class="why why-policy">will fail</span>' in marked
    assert "will fail" not in upcoming[:upcoming.index("Le littoral est protégé.")]
    # The desk lists the same posts by the same rule.
    desk = web.get("/publishing").get_data(as_text=True)
    policy_section = desk[desk.index('id="policy"'):]
    assert f"/posts/{bound.id}" in policy_section and f"/posts/{later.id}" in policy_section
    french = web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "La charte en vigueur (FR-v1) la refuse" in _text(_panel(french, "problems"))


def test_an_unconnected_post_due_today_is_marked_in_the_next_24_hours_too(make, db_session, france):
    nowhere = _scheduled(make, make.account(france, "x"), "Le coup d'envoi est donné ce soir.", 3)
    db_session.flush()
    wall = build_wall(db_session, Viewer(user_id=make.user(Role.admin).id), Selection())
    assert [(post.id, why) for post, why in wall.problems] == [(nowhere.id, "unconnected")]
    assert wall.will_fail == {nowhere.id: "unconnected"}


def test_the_wall_checks_a_bounded_number_of_posts_the_soonest_first(make, db_session, france, monkeypatch):
    """The gate runs on the posts due within the day, the soonest first and never more than ``WILL_FAIL_CHECKED``
    of them: a wall is rebuilt each minute for every selection."""
    account = _connected(make.account(france, "facebook"))
    posts = [_scheduled(make, account, f"Le bétonnage, épisode {n}.", n + 1) for n in range(3)]
    db_session.flush()
    admin = make.user(Role.admin)
    policies.save_policy(db_session, france, admin, forbidden=[FORBIDDEN])
    db_session.flush()
    monkeypatch.setattr(hub_queries, "WILL_FAIL_CHECKED", 2)
    checked: list[int] = []
    real = policies.check_revision

    def counting(session, post, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        checked.append(post.id)
        return real(session, post, *args, **kwargs)

    monkeypatch.setattr(policies, "check_revision", counting)
    wall = build_wall(db_session, Viewer(user_id=admin.id), Selection())
    assert sorted(checked) == [posts[0].id, posts[1].id]
    assert [(post.id, why) for post, why in wall.problems] == [(posts[0].id, "policy"), (posts[1].id, "policy")]


def test_a_new_policy_version_wakes_the_open_walls(make, db_session, france):
    """The change feed's one question moves when a policy is saved: the walls show its breaks at once, not at the
    next minute's rebuild."""
    admin = make.user(Role.admin)
    db_session.flush()
    before = tuple(db_session.execute(_CHANGES).one())
    policies.save_policy(db_session, france, admin, forbidden=[FORBIDDEN])
    db_session.flush()
    assert tuple(db_session.execute(_CHANGES).one()) != before
