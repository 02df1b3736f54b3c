"""Bad input through the forms: a clear message on the form, never a 500, never a partial write."""

from __future__ import annotations

from sqlalchemy import func, select

from approval.models import AuditEntry, Comment, Post, Revision
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


def test_a_next_address_with_a_broken_host_is_ignored_not_a_500_nor_a_half_done_action(make, web, db_session):
    """"http://[::1" makes urlsplit raise: the login, the language switch and a calendar move answered 500 after
    their work was done (the session set, the post moved). Such a ``next`` is no page of ours: it is ignored."""
    from datetime import timedelta

    from approval.db import utcnow
    from conftest import PASSWORD

    broken = "http://[::1"
    pm = make.user(Role.project_manager)
    web.refresh_token("/login")
    answer = web.post(f"/login?next={broken}", {"email": pm.email, "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    web.user = pm
    web.refresh_token("/posts")
    assert web.post("/language", {"language": "fr", "next": broken}).status_code in (302, 303)
    post = make.post(State.scheduled)
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    slot = (utcnow() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    moved = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "UTC",
                                        "local_time": slot.strftime("%Y-%m-%dT%H:%M"), "next": broken})
    assert moved.status_code == 303 and moved.headers["Location"] == "/calendar"
    db_session.expire_all()
    assert db_session.get(Post, post.id).scheduled_at == slot


def test_a_reason_of_invisible_characters_is_no_reason(make, web, db_session):
    """A zero-width space passes str.strip(): as a stop switch's reason, or a required comment, it said nothing
    and was taken."""
    from approval.models import StopSwitch

    post = make.post(State.in_review)
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    # The comment's field says when it is needed, as a sentence ("a, b, c" read as three things at once).
    assert "required to request changes or reject" in web.get(f"/posts/{post.id}").get_data(as_text=True)
    refused = web.post("/publishing/stops", {"scope": "market", "market": post.account.market.code,
                                             "reason": "\u200b\u2060 "})
    assert refused.status_code == 422 and "Say why publishing stops." in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(StopSwitch)) == 0
    # Zero-width; the Hangul filler and the blank Braille pattern; marks with nothing to sit on.
    for blank in ("\u200b", "\u3164\u2800", "\u0301\ufe0f\u20dd"):
        answer = web.post(f"/posts/{post.id}/actions/reject", {"version": post.version, "comment": blank})
        assert answer.status_code == 422 and "A comment is required to reject." in answer.get_data(as_text=True)
        said = web.post(f"/posts/{post.id}/comments", {"body": blank})
        assert said.status_code == 422, said.status_code
    assert db_session.scalar(select(func.count()).select_from(Comment)) == 0
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is State.in_review
