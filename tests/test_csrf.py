"""Every state-changing form is refused without its CSRF token, and the refusal writes nothing."""

from __future__ import annotations

from conftest import row_counts

from approval.models import AuditEntry, Comment, Market, Post, Revision, User
from approval.workflow.states import Role, State


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(session, Post, Revision, Comment, AuditEntry, Market, User)


def test_every_post_route_refuses_a_form_without_token(app, make, web, db_session):
    post = make.post(State.in_review)
    admin = make.user(Role.admin)
    pm = make.user(Role.project_manager, markets=[post.account.market])
    before = _counts(db_session)
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        web.login(admin if rule.endpoint.startswith("admin.") else pm)
        values = {name: post.id for name in rule.arguments}
        if "action" in rule.arguments:
            values["action"] = "approve"
        url = rule.build(values)[1]
        response = web.post(url, {"body": "Sans jeton.", "version": post.version, "comment": "x"}, csrf=False)
        assert response.status_code == 400, f"POST {url} without a CSRF token -> {response.status_code}"
        checked.append(rule.endpoint)
    assert {"auth.login", "auth.logout", "posts.new_post", "posts.act", "posts.edit_post"} <= set(checked)
    assert _counts(db_session) == before
    db_session.refresh(post)
    assert post.state is State.in_review


def test_the_same_form_with_its_token_goes_through(make, web, db_session):
    post = make.post(State.in_review)
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    response = web.post(f"/posts/{post.id}/actions/approve", {"version": post.version})
    assert response.status_code == 302
    db_session.refresh(post)
    assert post.state is State.approved
