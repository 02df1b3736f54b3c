"""The journey in a few lines, through the forms: write, submit, request changes, fix, approve, schedule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from approval.db import utcnow

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
    today = utcnow().date()
    june = date(today.year if date(today.year, 6, 1) > today else today.year + 1, 6, 1)  # within a year
    response = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                               "local_time": f"{june.isoformat()}T09:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(post)
    assert post.state is State.scheduled
    assert post.scheduled_at.isoformat() == f"{june.isoformat()}T07:00:00+00:00"
