"""``POST /api/v1/posts/{id}/published-url``: the live link of a post handed to the outbox, over the API, with the
page's rules (tests/test_live_link.py) and the API's shapes: 422 by field, 412/428 for If-Match, 403 by role, 404
outside the user's markets, 409 for a post no outbox published."""

from __future__ import annotations

import pytest
from api.contract import ApiClient, assert_error, assert_post_shape
from sqlalchemy import select
from test_live_link import LIVE, handed_to_outbox

from approval.api.tokens import issue_token
from approval.models import AuditEntry
from approval.workflow.states import Role, State


@pytest.fixture()
def api(app, db_session):  # noqa: ANN001, ANN201
    def client_for(user) -> ApiClient:  # noqa: ANN001
        _token, secret = issue_token(db_session, user, "tests")
        db_session.flush()
        return ApiClient(app, secret, user)

    return client_for


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def pm(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france])


@pytest.fixture()
def outbox_post(make, db_session, app, france):  # noqa: ANN001, ANN201
    return handed_to_outbox(make, db_session, app, france)


def _etag(post) -> str:  # noqa: ANN001
    return f'"post-{post.id}-v{post.version}"'


def _rows(db_session, post) -> list[AuditEntry]:  # noqa: ANN001
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)))


def test_a_project_manager_gives_the_live_link(api, db_session, pm, outbox_post):
    outbox, version = outbox_post.published_url, outbox_post.version
    answer = api(pm).post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE}, if_match=_etag(outbox_post))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert_post_shape(body)
    assert body["state"] == "published" and body["published_url"] == LIVE and body["version"] == version + 1
    assert answer.headers["ETag"] == f'"post-{outbox_post.id}-v{version + 1}"'
    assert body["publication"]["url"] == outbox  # the publication's own record: what the outbox said
    trail = api(pm).get(f"/posts/{outbox_post.id}/transitions").get_json()["items"]
    assert (trail[-1]["action"], trail[-1]["from_state"], trail[-1]["to_state"]) == ("edit", "published",
                                                                                    "published")
    last = _rows(db_session, outbox_post)[-1]
    assert last.payload == {"live_link": True, "url": LIVE, "previous_url": outbox, "outbox_url": outbox}


def test_the_link_corrected_again(api, db_session, pm, outbox_post):
    client = api(pm)
    first = client.post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE}, if_match=_etag(outbox_post))
    again = "https://www.facebook.com/helio/posts/77"
    answer = client.post(f"/posts/{outbox_post.id}/published-url", {"url": again}, if_match=first.headers["ETag"])
    assert answer.status_code == 200 and answer.get_json()["published_url"] == again
    assert _rows(db_session, outbox_post)[-1].payload["previous_url"] == LIVE


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "https://x.com/helio/status/1"}, "url"),
    # Another site, for a browser (a backslash is a slash there), though Python reads its host as Facebook's.
    ({"url": "https://evil.example\\@www.facebook.com/posts/1"}, "url"),
    ({"url": "https://www.facebook.com/" + "a" * 2000}, "url"),
    ({"url": None}, "url"),
    ({}, "url"),
    ({"url": LIVE, "version": 3}, "version"),
])
def test_a_bad_body_is_422_by_field(api, db_session, pm, outbox_post, body, field):
    before = len(_rows(db_session, outbox_post))
    answer = api(pm).post(f"/posts/{outbox_post.id}/published-url", body, if_match=_etag(outbox_post))
    assert_error(answer, 422, field)
    assert len(_rows(db_session, outbox_post)) == before


def test_if_match_is_required_and_a_stale_one_refused(api, db_session, pm, outbox_post):
    client = api(pm)
    assert_error(client.post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE}), 428)
    stale = f'"post-{outbox_post.id}-v{outbox_post.version - 1}"'
    assert_error(client.post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE}, if_match=stale), 412)
    assert_error(client.post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE}, if_match="*"), 428)
    db_session.expire_all()
    assert outbox_post.published_url.startswith("outbox:")


@pytest.mark.parametrize("role", [Role.community_manager, Role.admin])
def test_other_roles_are_403(api, make, db_session, france, outbox_post, role):
    user = make.user(role, markets=[france] if role is Role.community_manager else None)
    assert_error(api(user).post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE},
                                if_match=_etag(outbox_post)), 403)


def test_outside_the_markets_is_404(api, make, db_session, outbox_post):
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    for outsider in (make.user(Role.project_manager, markets=[kenya]),
                     make.user(Role.cabinet, executives=[make.executive("Someone Else")])):
        assert_error(api(outsider).post(f"/posts/{outbox_post.id}/published-url", {"url": LIVE},
                                        if_match=_etag(outbox_post)), 404)
    db_session.expire_all()
    assert outbox_post.published_url.startswith("outbox:")


def test_a_post_no_outbox_published_is_409(api, make, db_session, pm, france):
    post = make.post(State.published, account=make.account(france), reviewer=pm)
    body = assert_error(api(pm).post(f"/posts/{post.id}/published-url", {"url": LIVE}, if_match=_etag(post)), 409,
                        "_workflow")
    assert "not handed to the outbox" in body["message"]
    approved = make.post(State.approved, account=make.account(france), reviewer=pm)
    assert_error(api(pm).post(f"/posts/{approved.id}/published-url", {"url": LIVE}, if_match=_etag(approved)), 409)
