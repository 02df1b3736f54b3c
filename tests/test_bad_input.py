"""Bad input through the forms: a clear message on the form, never a 500, never a partial write."""

from __future__ import annotations

from sqlalchemy import func, select

from approval.models import AuditEntry, Post, Revision
from approval.workflow.states import Role, State


def _counts(session):
    session.expire_all()
    return [session.scalar(select(func.count()).select_from(m)) for m in (Post, Revision, AuditEntry)]


def test_new_post_with_bad_fields(make, web, db_session):
    market = make.market("FR")
    account = make.account(market)
    other = make.account(make.market("KE", "Africa/Nairobi", ("en",)))
    web.login(make.user(Role.community_manager, markets=[market]))
    before = _counts(db_session)
    cases = [
        ({"account_id": account.id, "body": ""}, "This field is required."),
        ({"account_id": "abc", "body": "Bonjour."}, "Invalid Choice"),
        ({"account_id": other.id, "body": "Bonjour."}, "Not a valid choice"),
        ({"account_id": account.id, "body": "x" * 70000}, "Field cannot be longer"),
        ({"account_id": account.id, "campaign_id": "999999", "body": "Bonjour."}, "Not a valid choice"),
    ]
    for data, message in cases:
        response = web.post("/posts/new", data)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), data
    assert _counts(db_session) == before


def test_actions_with_bad_fields(make, web, db_session):
    market = make.market("FR")
    approved = make.post(State.approved, account=make.account(market))
    web.login(make.user(Role.project_manager, markets=[market]))
    before = _counts(db_session)
    cases = [
        ("schedule", {"version": "abc", "local_time": "2099-01-01T10:00"}, 422, "Not a valid integer"),
        ("schedule", {"version": approved.version, "local_time": "tomorrow"}, 422, "Not a valid datetime"),
        ("schedule", {"version": approved.version, "local_time": ""}, 422, "Give the date and time"),
        ("schedule", {"version": approved.version, "local_time": "2000-01-01T10:00"}, 422, "in the past"),
        ("schedule", {"version": approved.version, "local_time": "2099-03-29T02:30"}, 422, "does not exist"),
        ("mark_published", {"version": approved.version, "url": "javascript:alert(1)"}, 422, "Invalid URL"),
        ("approve", {"version": approved.version}, 409, "not possible while the post is approved"),
    ]
    for action, data, status, message in cases:
        response = web.post(f"/posts/{approved.id}/actions/{action}", data)
        page = response.get_data(as_text=True)
        assert response.status_code == status, (action, data, page[-800:])
        assert message in page, (action, data)
    assert web.post(f"/posts/{approved.id}/actions/frobnicate", {"version": approved.version}).status_code == 404
    assert _counts(db_session) == before
    db_session.refresh(approved)
    assert approved.state is State.approved


def test_login_with_wrong_password_or_garbage(make, web):
    user = make.user(Role.community_manager)
    web.refresh_token("/login")
    for data in ({"email": user.email, "password": "wrong"}, {"email": "not-an-email", "password": "x"},
                 {"email": "", "password": ""}):
        response = web.post("/login", data)
        assert response.status_code == 200
        assert "Log in" in response.get_data(as_text=True)
