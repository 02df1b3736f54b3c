"""The wall's memo of the style gate's verdicts (``hub.WALL_VERDICTS``): any audit row rebuilds every open
selection's wall, and each build ran the gate on up to 200 posts due within the day (48-217 ms a build with 230 of
them). The gate now runs only on the posts whose text, market policy, campaign or account changed since the last
build; a policy saved and a new revision still show on the wall at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from approval import operations as ops
from approval import policies
from approval.db import utcnow
from approval.publishing import controls
from approval.queries import hub as hub_queries
from approval.queries.hub import Selection, Viewer, build_wall
from approval.workflow.states import Action, Role, State

FORBIDDEN = {"phrase": "bétonnage", "reason": "Say “aménagement” in France.", "instead": "aménagement"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _problems(page: str) -> str:
    return _text(page[page.index('class="panel problems'):].split("</section>")[0])


@pytest.fixture()
def france(make):
    return make.market("FR")


@pytest.fixture()
def account(make, france):
    account = make.account(france, "facebook")
    controls.connect_account(Session.object_session(account), account, "outbox")
    return account


@pytest.fixture()
def gate_runs(monkeypatch) -> list[int]:
    """The ids of the posts the gate runs on (``policies.check_revision``), in order."""
    runs: list[int] = []
    real = policies.check_revision

    def counting(session, post, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        runs.append(post.id)
        return real(session, post, *args, **kwargs)

    monkeypatch.setattr(policies, "check_revision", counting)
    return runs


def _scheduled(make, account, body: str, hours: float, **people):  # noqa: ANN001, ANN003, ANN202
    post = make.post(State.scheduled, account=account, body=body, **people)
    post.scheduled_at = utcnow() + timedelta(hours=hours)
    return post


def _built(session: Session, viewer: Viewer, gate_runs: list[int]) -> tuple[hub_queries.Wall, list[int]]:
    """The wall, and the posts the gate ran on while it was built."""
    gate_runs.clear()
    wall = build_wall(session, viewer, Selection())
    return wall, sorted(gate_runs)


def test_a_rebuild_runs_the_gate_only_on_the_posts_that_changed(make, web, db_session, france, account, gate_runs):
    bound = _scheduled(make, account, "Le bétonnage du littoral recule enfin.", 20)
    calm = _scheduled(make, account, "Le littoral est protégé.", 2)
    later = _scheduled(make, account, "Le bétonnage, un souvenir.", 30)  # not due within the day yet
    admin = make.user(Role.admin)
    policies.save_policy(db_session, france, admin, forbidden=[FORBIDDEN])
    db_session.flush()
    viewer = Viewer(user_id=admin.id)

    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == sorted([bound.id, calm.id])
    assert list(wall.refusals) == [bound.id] and wall.will_fail == {bound.id: "policy"}

    # An audit row elsewhere rebuilds the wall: nothing it checked changed, the gate runs on nothing.
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == []
    assert list(wall.refusals) == [bound.id] and wall.will_fail == {bound.id: "policy"}
    assert [(post.id, why) for post, why in wall.problems] == [(bound.id, "policy")]
    assert wall.refusals[bound.id].policy_version == "FR-v1"
    assert [f.rule for f in wall.refusals[bound.id].errors] == [e.rule for e in policies.check_revision(
        db_session, bound).errors]

    # A post newly due within the day: the gate runs on it alone.
    later.scheduled_at = utcnow() + timedelta(hours=10)
    db_session.flush()
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [later.id]
    assert list(wall.refusals) == [later.id, bound.id]  # the soonest first

    # The page reads the memoized verdicts as it read fresh ones.
    web.login(make.user(Role.project_manager, markets=[france]))
    gate_runs.clear()
    problems = _problems(web.get("/hub").get_data(as_text=True))
    assert gate_runs == []
    assert "Needs attention 2" in problems and "The policy in force (FR-v1) refuses it:" in problems

    # The desk's check (and the worker's, the approval's guard) never reads the wall's memo.
    gate_runs.clear()
    breaks = policies.refused_in_market(db_session, france)
    assert sorted(gate_runs) == sorted([bound.id, calm.id, later.id])
    assert sorted(refused.post.id for refused in breaks.on_their_way) == sorted([bound.id, later.id])


def test_a_policy_saved_shows_on_the_wall_at_once(make, web, db_session, france, account, gate_runs):
    post = _scheduled(make, account, "Le bétonnage du littoral recule enfin.", 5)
    admin = make.user(Role.admin)
    db_session.flush()
    viewer = Viewer(user_id=admin.id)
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [post.id] and wall.refusals == {}
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [] and wall.refusals == {}  # memoized

    policies.save_policy(db_session, france, admin, forbidden=[FORBIDDEN])
    db_session.flush()
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [post.id]
    assert list(wall.refusals) == [post.id] and wall.refusals[post.id].policy_version == "FR-v1"
    assert [(p.id, why) for p, why in wall.problems] == [(post.id, "policy")]
    web.login(make.user(Role.project_manager, markets=[france]))
    assert "The policy in force (FR-v1) refuses it:" in _problems(web.get("/hub").get_data(as_text=True))

    # And the next version, which lets it through again, at once too.
    policies.save_policy(db_session, france, admin, forbidden=[])
    db_session.flush()
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [post.id] and wall.refusals == {} and wall.problems == []
    assert "refuses it" not in _problems(web.get("/hub").get_data(as_text=True))


def test_a_new_revision_changes_the_verdict_on_the_wall_at_once(make, db_session, france, account, gate_runs):
    author = make.user(Role.community_manager, markets=[france])
    reviewer = make.user(Role.project_manager, markets=[france])
    post = _scheduled(make, account, "Le bétonnage du littoral recule enfin.", 5, author=author, reviewer=reviewer)
    admin = make.user(Role.admin)
    policies.save_policy(db_session, france, admin, forbidden=[FORBIDDEN])
    db_session.flush()
    viewer = Viewer(user_id=admin.id)
    assert list(_built(db_session, viewer, gate_runs)[0].refusals) == [post.id]
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [] and list(wall.refusals) == [post.id]  # memoized

    # Its author rewrites it (back to review), it is approved and scheduled again within the day, under the same
    # policy: the wall judges the new text at its next build.
    ops.edit_post(db_session, post, author, "Le littoral est enfin protégé.", expected_version=post.version)
    make.act(post, Action.approve, reviewer)
    make.act(post, Action.schedule, reviewer, scheduled_at=utcnow() + timedelta(hours=6))
    db_session.flush()
    wall, checked = _built(db_session, viewer, gate_runs)
    assert checked == [post.id]
    assert wall.refusals == {} and wall.will_fail == {} and wall.problems == []
    assert [p.id for p in wall.upcoming] == [post.id]


def test_the_memo_keeps_no_database_object(make, db_session, france, account, gate_runs):
    """``GateResult.campaign`` is the session's object: the memo outlives the session, so it keeps none."""
    from approval import administration as admin

    campaign = admin.create_campaign(db_session, "Littoral", france)
    author = make.user(Role.community_manager, markets=[france])
    post = make.post(State.draft, account=account, author=author, body="Le littoral est protégé.")
    ops.edit_post(db_session, post, author, "Le bétonnage du littoral recule enfin.", expected_version=post.version,
                  campaign=campaign)
    make.act(post, Action.submit, author)
    reviewer = make.user(Role.project_manager, markets=[france])
    make.act(post, Action.approve, reviewer)
    make.act(post, Action.schedule, reviewer, scheduled_at=utcnow() + timedelta(hours=3))
    policies.save_policy(db_session, france, make.user(Role.admin), forbidden=[FORBIDDEN])
    db_session.flush()
    wall, checked = _built(db_session, Viewer(), gate_runs)
    assert checked == [post.id] and list(wall.refusals) == [post.id]
    assert wall.refusals[post.id].campaign is None
    key = policies.gate_key(post)
    assert post.campaign_id in key and hub_queries.WALL_VERDICTS.get(key) == wall.refusals[post.id]
    assert _built(db_session, Viewer(), gate_runs)[1] == []  # the light statement's key is ``gate_key``
    # The campaign's hashtag is read by the gate: changed, it is checked again at once.
    campaign.hashtag = "#Littoral"
    db_session.flush()
    wall, checked = _built(db_session, Viewer(), gate_runs)
    assert checked == [post.id] and list(wall.refusals) == [post.id]


def test_the_memo_is_bounded_and_forgets_after_its_time():
    now = [0.0]
    memo = policies.VerdictMemo(size=2, ttl=60, clock=lambda: now[0])
    verdict = policies.GateResult((), "FR-v1", 1)
    for key in ((1,), (2,), (3,)):
        memo.put(key, verdict)
    assert len(memo) == 2 and memo.get((1,)) is None and memo.get((3,)) == verdict
    now[0] = 59.9
    assert memo.get((2,)) == verdict
    now[0] = 60.0
    assert memo.get((2,)) is None and memo.get((3,)) is None and len(memo) == 0
