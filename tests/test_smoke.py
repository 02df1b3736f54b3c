"""The journey in a few lines, through the forms: write, submit, request changes, fix, approve, schedule."""

from __future__ import annotations

from sqlalchemy import select

from approval.models import Post
from approval.workflow.states import Role, State


def test_community_manager_to_scheduled(make, web, db_session):
    market = make.market("FR")
    account = make.account(market, "x")
    cm = make.user(Role.community_manager, markets=[market])
    pm = make.user(Role.project_manager, markets=[market])

    web.login(cm)
    response = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Bonjour la France.",
                                       "submit": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    post = db_session.scalars(select(Post)).one()
    assert post.state is State.in_review

    web.login(pm)
    response = web.post(f"/posts/{post.id}/actions/approve", {"version": post.version})
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(post)
    assert post.state is State.approved
    response = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                               "local_time": "2099-06-01T09:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(post)
    assert post.state is State.scheduled
    assert post.scheduled_at.isoformat() == "2099-06-01T07:00:00+00:00"
