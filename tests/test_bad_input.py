"""Bad input through the forms: a clear message on the form, never a 500, never a partial write."""

from __future__ import annotations

import pytest
from conftest import row_counts
from sqlalchemy import func, select

from approval.models import AuditEntry, Comment, Post, Revision
from approval.workflow.states import Role, State


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Post, Revision, AuditEntry)


def test_new_post_with_bad_fields(make, web, db_session):
    market = make.market("FR")
    account = make.account(market)
    other = make.account(make.market("KE", "Africa/Nairobi", ("en",)))
    web.login(make.user(Role.community_manager, markets=[market]))
    before = _counts(db_session)
    cases = [
        ({"account_id": account.id, "body": ""}, "The post has no text."),
        ({"account_id": "abc", "body": "Bonjour."}, "Invalid Choice"),
        ({"account_id": other.id, "body": "Bonjour."}, "Not a valid choice"),
        ({"account_id": account.id, "body": "x" * 70000}, "At most 63,206 characters."),
        ({"account_id": account.id, "campaign_id": "999999", "body": "Bonjour."}, "Not a valid choice"),
        ({"account_id": account.id, "campaign_id": " ", "body": "Bonjour."}, "Invalid Choice"),
    ]
    for data, message in cases:
        response = web.post("/posts/new", data)
        assert response.status_code == 422, data
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
        ("schedule", {"version": approved.version, "local_time": "2099-03-29T02:30"}, 422,
         "The clocks skip from 02:00 to 03:00"),
        ("mark_published", {"version": approved.version, "url": "javascript:alert(1)"}, 422,
         "Give the address (http or https) where the message was published."),
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

    from conftest import PASSWORD

    from approval.db import utcnow

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


def test_a_digit_int_refuses_is_no_id_anywhere(app, make, web, db_session):
    """``str.isdigit`` says yes to "²" and "①"; ``int`` refuses them. Every id read from a query or a form goes
    through ``approval.inputs.parse_id``: such a value is no id (ignored, or a 404), never a 500."""
    from approval import kiosks

    france = make.market("FR")
    pm = make.user(Role.project_manager, markets=[france])
    cm = make.user(Role.community_manager, markets=[france])
    post = make.post(State.draft, account=make.account(france), author=cm)
    kiosk = kiosks.create_kiosk(db_session, "Lobby", ["FR"])
    for digit in ("%C2%B2", "%E2%91%A0"):
        assert app.test_client().get(f"/hub/k/{kiosk.token}?campaign={digit}").status_code == 200
    web.login(pm)
    for url in ("/hub?campaign=%C2%B2", "/posts?account_id=%C2%B2", "/posts?campaign_id=%E2%91%A0",
                "/posts?author_id=%C2%B2", "/review?account_id=%C2%B2", "/calendar?campaign_id=%C2%B2"):
        assert web.get(url).status_code == 200, url
    assert web.post("/notifications/read", {"id": "²"}).status_code == 302
    web.login(cm)
    arranged = web.post(f"/posts/{post.id}/media/arrange", {"version": str(post.version), "item": "²"})
    assert arranged.status_code < 500
    web.login(make.user(Role.admin))
    assert web.post("/hub/kiosks/revoke", {"kiosk_id": "²"}).status_code == 404
    assert web.get("/reports/audit?before=%C2%B2").status_code == 400


def test_a_time_zone_of_spaces_is_refused_and_a_bad_one_saved_before_breaks_no_page(app, make, web, db_session):
    from approval.api.tokens import issue_token
    from approval.models.notifications import NotificationProfile

    pm = make.user(Role.project_manager, markets=[make.market("FR")])
    issue_token(db_session, pm, "dates on the profile page are told in the user's zone")
    web.login(pm)
    for blank in (" ", "\t", "\u3000", "Mars/Olympus"):
        answer = web.post("/notifications/preferences", {"timezone": blank})
        assert answer.status_code == 422, blank
        assert "Not a valid choice" in answer.get_data(as_text=True)
    assert db_session.get(NotificationProfile, pm.id) is None
    db_session.add(NotificationProfile(user_id=pm.id, timezone=" "))  # saved by an earlier version
    db_session.flush()
    assert web.get("/profile").status_code == 200


@pytest.mark.parametrize("blank", ["\u200b", "   ", "\n\t ", "\u2060\u200b"])
def test_a_text_that_shows_nothing_is_no_post(app, make, web, db_session, blank):
    """Spaces or zero-width characters alone: refused with the same words on the form, on the API's create and
    edit, and by the workflow's gate for a post saved so before."""
    from approval import operations as ops
    from approval.api.tokens import issue_token
    from approval.workflow.errors import GuardFailed

    france = make.market("FR")
    cm = make.user(Role.community_manager, markets=[france])
    account = make.account(france)
    before = _counts(db_session)
    web.login(cm)
    page = web.post("/posts/new", {"account_id": account.id, "body": blank})
    assert page.status_code == 422 and "The post has no text." in page.get_data(as_text=True)
    _token, secret = issue_token(db_session, cm, "tests")
    headers = {"Authorization": f"Bearer {secret}"}
    api = app.test_client()
    created = api.post("/api/v1/posts", json={"account_id": account.id, "body": blank}, headers=headers)
    assert created.status_code == 422 and created.json["errors"]["body"] == ["The post has no text."]
    post = make.post(State.approved, account=account, author=cm)
    etag = api.get(f"/api/v1/posts/{post.id}", headers=headers).headers["ETag"]
    edited = api.patch(f"/api/v1/posts/{post.id}", json={"body": blank}, headers={**headers, "If-Match": etag})
    assert edited.status_code == 422 and edited.json["errors"]["body"] == ["The post has no text."]
    assert _counts(db_session)[1] == before[1] + 1  # the approved post's one revision, nothing more
    with pytest.raises(GuardFailed) as refused:
        ops.edit_post(db_session, post, cm, blank, expected_version=post.version)
    assert refused.value.errors == {"body": ["The post has no text."]}


def test_a_page_that_shows_control_characters_on_its_form_still_never_takes_one():
    """A view marked ``shows_characters_on_form`` gets its form's control characters to show on their fields; when
    it answers a success all the same (its form did not report them, or it saved without looking), the request is
    refused as any other, and nothing it wrote is committed."""
    from flask import Flask
    from flask_babel import Babel
    from flask_wtf import FlaskForm
    from wtforms import StringField

    from approval import inputs
    from approval.forms.characters import ShowsControlCharacters

    class NameForm(ShowsControlCharacters, FlaskForm):
        name = StringField()

    tiny = Flask("tiny")
    tiny.config.update(SECRET_KEY="x", WTF_CSRF_ENABLED=False)
    Babel(tiny)
    inputs.init_app(tiny)

    @tiny.post("/careless")
    @inputs.shows_characters_on_form
    def careless() -> str:
        return "saved"  # never reads its form

    @tiny.post("/hasty")
    @inputs.shows_characters_on_form
    def hasty() -> str:
        NameForm().validate()
        return "saved"  # its form said no, and it saved all the same

    @tiny.post("/careful")
    @inputs.shows_characters_on_form
    def careful() -> tuple[str, int]:
        form = NameForm()
        return ("saved", 200) if form.validate() else (" ".join(form.name.errors), 422)

    @tiny.post("/unmarked")
    def unmarked() -> str:
        return "saved"

    client = tiny.test_client()
    for path in ("/careless", "/hasty", "/unmarked"):
        answer = client.post(path, data={"name": "x\x00"})
        assert answer.status_code == 422 and b"saved" not in answer.data, path
    shown = client.post("/careful", data={"name": "x\x00"})
    assert shown.status_code == 422 and "holds a control character (U+0000)" in shown.get_data(as_text=True)
    assert client.post("/careful", data={"name": "x"}).status_code == 200
