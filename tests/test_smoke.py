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


def test_a_project_manager_who_wrote_the_revision_is_told_why_there_is_no_approve(make, web, db_session):
    """Invariant 1 on the page: the author of a revision never approves it, and the page says so instead of simply
    lacking the button; another project manager sees the button and no such note."""
    from approval import operations as ops

    market = make.market("FR")
    pm, other = make.user(Role.project_manager, markets=[market]), make.user(Role.project_manager, markets=[market])
    post = make.post(State.in_review, account=make.account(market), reviewer=pm)
    ops.edit_post(db_session, post, pm, "La Tour Eiffel brille ce soir.", expected_version=post.version)
    db_session.flush()
    assert post.state is State.in_review and post.current_revision.author_id == pm.id
    note = "You wrote this revision: another project manager must approve it."
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert note in page and f"/posts/{post.id}/actions/approve" not in page
    web.login(other)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert note not in page and f"/posts/{post.id}/actions/approve" in page


def test_the_icon_a_browser_asks_for_beside_the_login_page_sets_no_session(app):
    """Asked for in parallel with the first page, a 404 page would start a session of its own whose cookie could
    replace the login form's (its form token then refused: "this form expired"). The icon touches no session."""
    client = app.test_client()
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert "Set-Cookie" not in answer.headers
