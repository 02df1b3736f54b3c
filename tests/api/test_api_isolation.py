"""Market isolation over the API: every operation that takes an id, called by someone outside the object's markets
(or executives), answers 404 and changes nothing. A new API route with an id fails
``test_every_api_route_with_an_id_is_covered`` until it is listed here."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from approval.models import AuditEntry, Comment, IdempotencyKey, Post, Revision
from approval.workflow.states import Role, State
from approval.workflow.table import USER_ACTIONS

from .contract import assert_error

#: Endpoint -> the requests to try on it: (method, path with {post}, JSON body or None).
API_ROUTES: dict[str, list[tuple[str, str, dict | None]]] = {
    "api_posts.get_post": [("GET", "/posts/{post}", None)],
    "api_posts.edit_post": [("PATCH", "/posts/{post}", {"body": "Texte modifié par un intrus."})],
    "api_posts.act_on_post": [
        ("POST", "/posts/{post}/transitions",
         {"action": action.value, "comment": "Intrus.",
          **({"local_time": "2099-01-01T10:00"} if action.value == "schedule" else {}),
          **({"url": "https://example.com/p/1"} if action.value == "mark_published" else {})})
        for action in USER_ACTIONS
    ],
    "api_posts.list_transitions": [("GET", "/posts/{post}/transitions", None)],
    "api_posts.add_live_link": [("POST", "/posts/{post}/published-url", {"url": "https://example.com/p/1"})],
    "api_posts.list_comments": [("GET", "/posts/{post}/comments", None)],
    "api_posts.add_comment": [("POST", "/posts/{post}/comments", {"body": "Intrus."})],
    "api_posts.list_revisions": [("GET", "/posts/{post}/revisions", None)],
    "api_posts.get_revision": [("GET", "/posts/{post}/revisions/1", None)],
    "api_posts.diff_revisions": [("GET", "/posts/{post}/revisions/1/diff/1", None)],
    "api_media.upload_media": [("POST", "/posts/{post}/media", None)],
    "api_media.set_media": [("PUT", "/posts/{post}/media", {"items": []})],
    "api_media.delete_media": [("DELETE", "/posts/{post}/media/1", None)],
    # A file's own isolation (a file of a post in another market) is tested in tests/test_media.py.
    "api_media.get_media": [("GET", "/media/{post}", None)],
}


#: Endpoints whose id is a stop switch's: tests/test_publishing_pages.py turns another market's off from outside (404).
STOP_ROUTES = frozenset({"api_stops.delete_stop"})


def test_every_api_route_with_an_id_is_covered(app):
    uncovered = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api_") and rule.arguments and rule.endpoint not in STOP_ROUTES:
            tried = {method for method, _path, _body in API_ROUTES.get(rule.endpoint, [])}
            if not (rule.methods - {"HEAD", "OPTIONS"}) <= tried:
                uncovered.append(f"{rule.endpoint} {sorted(rule.methods)} {rule.rule}")
    assert not uncovered, f"API routes with an id missing from the isolation matrix: {uncovered}"


def _snapshot(session) -> tuple:
    session.expire_all()
    posts = tuple(session.execute(select(Post.id, Post.state, Post.version, Post.current_revision_id,
                                         Post.scheduled_at).order_by(Post.id)).all())
    counts = tuple(session.scalar(select(func.count()).select_from(model))
                   for model in (Revision, Comment, AuditEntry, IdempotencyKey))
    return posts, counts


@pytest.mark.parametrize("state", [State.draft, State.in_review, State.approved, State.with_cabinet])
def test_api_operations_answer_404_outside_the_users_scope(make, api, db_session, state):
    market = make.market("FR")
    executive = make.executive("Hélène Marchand")
    account = make.account(market, "x", executive=executive if state is State.with_cabinet else None)
    post = make.post(state, account=account)
    etag = f'"post-{post.id}-v{post.version}"'  # even the right ETag opens nothing
    elsewhere = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    outsiders = {
        "community manager of another market": make.user(Role.community_manager, markets=[elsewhere]),
        "project manager of another market": make.user(Role.project_manager, markets=[elsewhere]),
        "cabinet of another executive": make.user(Role.cabinet, executives=[make.executive("Someone Else")]),
    }
    if state is State.draft:
        outsiders["cabinet of the executive, before the post leaves drafting"] = make.user(
            Role.cabinet, executives=[executive])
    before = _snapshot(db_session)
    for who, outsider in outsiders.items():
        client = api(outsider)
        for endpoint, requests in API_ROUTES.items():
            for number, (method, path, body) in enumerate(requests):
                url = path.format(post=post.id)
                response = client.request(method, url, json=body, if_match=etag, key=f"{who}-{endpoint}-{number}")
                assert response.status_code == 404, f"{who}: {method} {url} ({endpoint}) -> {response.status_code}"
                assert_error(response, 404)
        listed = client.get("/posts").json["items"] + client.get(f"/posts?account_id={account.id}").json["items"]
        assert post.id not in {p["id"] for p in listed}, f"{who} sees the post in a listing"
    assert _snapshot(db_session) == before
