"""A review is asked of those who may give it. The writer of a revision may never approve it, so a project manager's
own post went to no one: they are not told of their own act, and the group-wide managers heard only of a market
with no manager of its own. Now the market's other managers are told, or, none left, the group-wide ones; the writer
never, nor anyone outside the post's market. The same for a resubmission, a set (one line), the reminder and the
escalation, and the mail those rows drive. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import Post
from approval.models.notifications import MailMode, Notification
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch, reminders
from approval.workflow.states import Action, Role, State


@pytest.fixture()
def team(make):  # noqa: ANN001, ANN201
    """France with a community manager and one project manager (Marc), Kenya with its own, a group-wide one."""
    fr, ke = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en", "sw"))
    return {
        "fr": fr, "ke": ke,
        "cm": make.user(Role.community_manager, markets=[fr], name="Camille"),
        "marc": make.user(Role.project_manager, markets=[fr, ke], name="Marc"),
        "otieno": make.user(Role.project_manager, markets=[ke], name="Otieno"),
        "lucile": make.user(Role.project_manager, all_markets=True, name="Lucile"),
        "account_fr": make.account(fr), "account_ke": make.account(ke),
    }


def told(session, kind: Kind = Kind.review_requested, post: Post | None = None) -> list[str]:  # noqa: ANN001
    session.flush()
    session.expire_all()
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if post is not None:
        query = query.where(Notification.post_id == post.id)
    return [n.user.name for n in session.scalars(query)]


def test_the_only_managers_post_is_asked_of_the_group_wide_one_not_of_its_writer(make, team, db_session):
    post = make.post(State.in_review, account=team["account_fr"], author=team["marc"])
    assert told(db_session, post=post) == ["Lucile"]


def test_with_two_managers_the_other_one_is_asked_not_the_writer_nor_the_group_wide_one(make, team, db_session):
    make.user(Role.project_manager, markets=[team["fr"]], name="Pierre")
    post = make.post(State.in_review, account=team["account_fr"], author=team["marc"])
    assert told(db_session, post=post) == ["Pierre"]


def test_a_community_managers_post_is_still_asked_of_the_markets_managers(make, team, db_session):
    post = make.post(State.in_review, account=team["account_fr"], author=team["cm"])
    assert told(db_session, post=post) == ["Marc"]


def test_the_group_wide_managers_own_post_is_asked_of_the_market_not_of_them(make, team, db_session):
    post = make.post(State.in_review, account=team["account_ke"], author=team["lucile"])
    assert sorted(told(db_session, post=post)) == ["Marc", "Otieno"]


def test_a_resubmission_after_changes_is_asked_again_of_the_group_wide_one(make, team, db_session):
    post = make.post(State.in_review, account=team["account_fr"], author=team["marc"])
    make.act(post, Action.request_changes, team["lucile"], comment="Shorter.")
    ops.edit_post(db_session, post, team["marc"], "Plus court.", expected_version=post.version)
    make.act(post, Action.submit, team["marc"])
    assert told(db_session, post=post) == ["Lucile", "Lucile"]
    assert told(db_session, Kind.changes_requested, post) == ["Marc"]


def test_the_notice_carries_the_readers_mail_preference(make, team, db_session):
    """The notification rows drive the mail: the group-wide manager's row is queued for her mail."""
    make.post(State.in_review, account=team["account_fr"], author=team["marc"])
    [notice] = db_session.scalars(select(Notification).where(Notification.kind == Kind.review_requested)).all()
    assert notice.user_id == team["lucile"].id and notice.mail == MailMode.immediate and notice.mail_sent_at is None


def test_a_set_written_by_the_only_manager_is_one_line_for_the_group_wide_one(make, web, team, db_session):
    accounts = [team["account_fr"], make.account(team["fr"], "x"), make.account(team["fr"], "linkedin")]
    post_set = ops.create_post_set(db_session, team["marc"], len(accounts))
    for account in accounts:
        post = ops.create_post(db_session, team["marc"], account, "Le stade brille ce soir.", post_set=post_set)
        make.act(post, Action.submit, team["marc"])
    assert told(db_session) == ["Lucile"] * 3
    assert len({n.act_id for n in db_session.scalars(select(Notification))}) == 1
    web.login(team["lucile"])
    page = web.get("/notifications").get_data(as_text=True)
    assert len(re.findall(r'<tr class="notification', page)) == 1
    web.login(team["marc"])
    page = web.get("/notifications").get_data(as_text=True)
    assert re.findall(r'<tr class="notification', page) == []


@pytest.mark.parametrize(("level", "writer", "expected"), [
    (1, "marc", ["Lucile"]),        # the reminder: the writer is the market's only manager
    (1, "cm", ["Marc"]),            # as before
    (2, "lucile", []),              # the escalation: the group-wide writer is not asked of her own post
    (2, "marc", ["Lucile"]),
])
def test_the_reminder_and_the_escalation_skip_the_writer(make, team, db_session, level, writer, expected):
    post = make.post(State.in_review, account=team["account_fr"], author=team[writer])
    kind, audiences = reminders.LEVELS[level]
    dispatch.notify_post(db_session, kind, audiences, post_id=post.id, actor_id=None, at=utcnow())
    assert told(db_session, kind, post) == expected
