"""Market isolation: every route that takes an id, called by someone outside the object's markets, answers 404 and
changes nothing. A new route with an id fails ``test_every_route_with_an_id_is_covered`` until it is listed here."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from approval.access import VIEWER_ID, Scope, scoped_posts, viewer_id, visible_markets
from approval.models import AuditEntry, Comment, Post, Revision
from approval.workflow.states import Action, Role, State
from approval.workflow.table import USER_ACTIONS

#: Endpoint -> the requests to try on it, with {post} standing for the post's id.
POST_ROUTES: dict[str, list[tuple[str, str, dict]]] = {
    "posts.show_post": [("GET", "/posts/{post}", {})],
    "posts.edit_post": [
        ("GET", "/posts/{post}/edit", {}),
        ("POST", "/posts/{post}/edit", {"body": "Texte modifié par un intrus.", "version": "{version}"}),
    ],
    "posts.act": [
        ("POST", f"/posts/{{post}}/actions/{action.value}",
         {"version": "{version}", "comment": "Intrus.", "local_time": "2099-01-01T10:00",
          "url": "https://example.com/p/1"})
        for action in USER_ACTIONS
    ] + [
        # "Approve and schedule at" a time typed; "Publish now" from a browser without scripts (the page asks).
        ("POST", "/posts/{post}/actions/approve",
         {"version": "{version}", "and_schedule": "at", "local_time": "2099-01-01T10:00", "acknowledge_warnings": "y",
          "comment": "Intrus."}),
        ("POST", "/posts/{post}/actions/schedule", {"version": "{version}", "when": "now", "ask_first": "now"}),
        ("POST", "/posts/{post}/actions/schedule", {"version": "{version}", "when": "now"}),
    ],
    "posts.add_comment": [("POST", "/posts/{post}/comments", {"body": "Intrus."})],
    "posts.add_live_link": [("GET", "/posts/{post}/live-link", {}),
                            ("POST", "/posts/{post}/live-link", {"url": "https://example.com/p/1",
                                                                 "version": "{version}"})],
    "posts.post_version": [("GET", "/posts/{post}/version", {})],
    "media.upload_media": [("POST", "/posts/{post}/media", {"version": "{version}", "alt": "Intrus."})],
    "media.arrange_media": [("POST", "/posts/{post}/media/arrange", {"version": "{version}", "remove": "1"})],
}

#: Endpoint -> the requests to try on a post set's page and its bulk actions, {set} standing for the set's id and
#: {version} for its member's version.
SET_ROUTES: dict[str, list[tuple[str, str, dict]]] = {
    "sets.show_set": [("GET", "/sets/{set}", {})],
    "sets.submit_all": [("POST", "/sets/{set}/submit", {"version-{post}": "{version}"})],
    "sets.apply_text": [("POST", "/sets/{set}/apply-text", {"version-{post}": "{version}", "source": "1",
                                                            "source_revision": "1"})],
    "sets.approve_all": [("POST", "/sets/{set}/approve", {"version-{post}": "{version}", "and_schedule": "1"}),
                         ("POST", "/sets/{set}/approve", {"version-{post}": "{version}", "and_schedule": "at",
                                                          "local_time": "2099-01-01T10:00",
                                                          "acknowledge_warnings": "y", "comment": "Intrus."})],
}

#: Endpoints whose argument is a token, not an object's id: a kiosk's (tests/test_hub.py opens them with live,
#: revoked and unknown tokens, and checks that a kiosk token opens nothing else) and a publication's file's signed
#: link (tests/test_media_worker.py tries forged, expired and other files' links); a link to choose a password, from
#: an invitation or "Forgot your password?" (tests/test_invitations.py: a link for one user changes no other, a
#: reset link opens no invitation, forged, expired and used links are refused).
TOKEN_ROUTES = frozenset({"hub.kiosk_wall", "hub.kiosk_stream", "media.published_file", "auth.accept_invitation",
                          "auth.reset_password"})
#: Endpoints whose id is a stop switch's: tests/test_publishing_pages.py turns another market's off from outside (404).
STOP_ROUTES = frozenset({"publishing.turn_off"})
#: Publishing settings, admins only (group-wide): tests/test_publishing_pages.py checks everyone else gets 403.
PUBLISHING_ADMIN_ROUTES = frozenset({"publishing.set_grace", "publishing.connect_account", "publishing.set_embargo"})
#: Endpoints whose id is a media file's: tests/test_media_pages.py and tests/test_media.py open another market's (404).
MEDIA_ROUTES = frozenset({"media.show_file", "media.thumbnail"})
#: A notification's id: tests/test_notifications.py opens someone else's (404). A market's notification settings:
#: admins only (tests/test_notifications.py). The reports' charts take a chart's name, not an object's id.
OTHER_ROUTES = frozenset({"notifications.open_notification", "notifications.market_settings", "reports.chart_csv",
                          "reports.chart_svg",
                          # Someone else's group of notices: tests/test_notifications_sets.py (404).
                          "notifications.open_group",
                          # A campaign's: tests/test_campaigns.py (another market's 404, a group-wide one 403).
                          "campaigns.edit_campaign"})
#: Every page that lists posts: an outsider's version of each must not show the post (role-gated ones may refuse).
LISTINGS = ("/posts", "/posts?q=Texte", "/review", "/cabinet", "/hub", "/hub?view=queue", "/hub/dashboard",
            "/calendar", "/calendar?view=list", "/calendar?view=week", "/sets", "/sets?q=Texte")

#: Endpoints of the administration, open to admins only (group-wide): everyone else gets 403.
ADMIN_PREFIX = "admin."
#: Endpoints of the JSON API: tests/api/test_isolation.py has their own matrix (and its own coverage check).
API_PREFIX = "api_"


def test_every_route_with_an_id_is_covered(app):
    uncovered = []
    for rule in app.url_map.iter_rules():
        if rule.arguments - {"action"} and not rule.endpoint.startswith(("static", ADMIN_PREFIX, API_PREFIX)):
            if rule.endpoint not in (POST_ROUTES.keys() | SET_ROUTES.keys() | TOKEN_ROUTES | STOP_ROUTES
                                     | PUBLISHING_ADMIN_ROUTES | MEDIA_ROUTES | OTHER_ROUTES):
                uncovered.append(f"{rule.endpoint} {rule.rule}")
    assert not uncovered, f"routes with an id missing from the isolation matrix: {uncovered}"


def _snapshot(session) -> tuple:
    session.expire_all()
    posts = tuple(session.execute(select(Post.id, Post.state, Post.version, Post.current_revision_id)
                                  .order_by(Post.id)).all())
    counts = tuple(session.scalar(select(func.count()).select_from(model)) for model in (Revision, Comment, AuditEntry))
    return posts, counts


def _outsiders(make, post):
    elsewhere = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    stranger_executive = make.executive("Someone Else")
    return {
        "community manager of another market": make.user(Role.community_manager, markets=[elsewhere]),
        "project manager of another market": make.user(Role.project_manager, markets=[elsewhere]),
        "cabinet of another executive": make.user(Role.cabinet, executives=[stranger_executive]),
    }


@pytest.mark.parametrize("state", [State.draft, State.in_review, State.approved, State.with_cabinet])
def test_post_routes_answer_404_outside_the_users_scope(make, web, db_session, state):
    market = make.market("FR")
    executive = make.executive("Hélène Marchand")
    account = make.account(market, "x", executive=executive if state is State.with_cabinet else None)
    post = make.post(state, account=account)
    before = _snapshot(db_session)
    for who, outsider in _outsiders(make, post).items():
        web.login(outsider)
        for endpoint, requests in POST_ROUTES.items():
            for method, url, data in requests:
                url = url.format(post=post.id)
                form = {k: v.format(version=post.version) for k, v in data.items()}
                response = web.get(url) if method == "GET" else web.post(url, form)
                assert response.status_code == 404, f"{who}: {method} {url} ({endpoint}) -> {response.status_code}"
        for url in LISTINGS:
            listing = web.get(url).get_data(as_text=True)
            assert f"/posts/{post.id}\"" not in listing, f"{who} sees the post in {url}"
            assert post.body[:40] not in listing, f"{who} sees the post's text in {url}"
    assert _snapshot(db_session)[0] == before[0]
    assert _snapshot(db_session)[1][:3] == before[1][:3]


@pytest.mark.parametrize("state", [State.draft, State.in_review])
def test_set_routes_answer_404_outside_the_users_scope(make, web, db_session, state):
    """A post set's page and bulk actions, asked by someone who sees none of its members: not found, nothing done."""
    from approval import operations as ops

    market = make.market("FR")
    writer = make.user(Role.community_manager, markets=[market])
    post_set = ops.create_post_set(db_session, writer, 2)
    posts = [ops.create_post(db_session, writer, make.account(market, network), "Texte du lot.", post_set=post_set)
             for network in ("x", "facebook")]
    if state is State.in_review:
        for post in posts:
            make.act(post, Action.submit, writer)
    db_session.flush()
    before = _snapshot(db_session)
    for who, outsider in _outsiders(make, posts[0]).items():
        web.login(outsider)
        for endpoint, requests in SET_ROUTES.items():
            for method, url, data in requests:
                url = url.format(set=post_set.id)
                form = {k.format(post=posts[0].id): v.format(version=posts[0].version) for k, v in data.items()}
                response = web.get(url) if method == "GET" else web.post(url, form)
                assert response.status_code == 404, f"{who}: {method} {url} ({endpoint}) -> {response.status_code}"
        listing = web.get("/sets").get_data(as_text=True)
        assert f'/sets/{post_set.id}"' not in listing and "Texte du lot." not in listing, f"{who} sees the set"
    assert _snapshot(db_session) == before


def test_admin_routes_are_refused_to_every_other_role(app, make, web, db_session):
    before = _snapshot(db_session)
    for role in (Role.community_manager, Role.project_manager, Role.cabinet):
        web.login(make.user(role))
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith(ADMIN_PREFIX):
                continue
            url = rule.build({name: 1 for name in rule.arguments})[1]
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = web.get(url) if method == "GET" else web.post(url, {})
                assert response.status_code == 403, f"{role}: {method} {url} -> {response.status_code}"
    assert _snapshot(db_session) == before


def test_cabinet_sees_only_its_executives_suggested_messages(make, web, db_session):
    market = make.market("FR")
    ceo, cfo = make.executive("CEO"), make.executive("CFO")
    for_ceo = make.post(State.with_cabinet, account=make.account(market, "x", executive=ceo),
                        body="Fière de nos équipes.")
    for_cfo = make.post(State.with_cabinet, account=make.account(market, "linkedin", executive=cfo),
                        body="Nos résultats annuels sont en ligne.")
    draft_for_ceo = make.post(State.draft, account=for_ceo.account, body="Brouillon interne.")
    cabinet = make.user(Role.cabinet, executives=[ceo])
    web.login(cabinet)
    inbox = web.get("/cabinet").get_data(as_text=True)
    assert "Fière de nos équipes." in inbox
    assert "Nos résultats annuels" not in inbox
    assert web.get(f"/posts/{for_cfo.id}").status_code == 404
    assert web.get(f"/posts/{draft_for_ceo.id}").status_code == 404  # drafting stays between CM and PM
    assert web.get(f"/posts/{for_ceo.id}").status_code == 200


def test_a_cabinet_sees_a_suggestion_only_once_it_was_sent_to_it(make, web, app, db_session):
    """The cabinet saw every post of its executive's accounts but drafts: one in the project managers' review, and
    one they rejected before it ever reached the cabinet, with their comment ("Hors de question, trop risqué.")."""
    from approval.api.tokens import issue_token
    from approval.workflow.states import Action

    market = make.market("FR")
    ceo = make.executive("CEO")
    account = make.account(market, "x", executive=ceo)
    cabinet = make.user(Role.cabinet, executives=[ceo])
    pm = make.user(Role.project_manager, markets=[market])
    reviewing = make.post(State.in_review, account=account, body="Encore en relecture.")
    refused = make.post(State.in_review, account=account, body="Trop risqué pour le dirigeant.")
    make.act(refused, Action.reject, pm, comment="Hors de question, trop risqué.")
    sent = make.post(State.in_review, account=account, body="Fière de nos équipes.")
    make.act(sent, Action.approve, pm)
    make.act(sent, Action.request_changes, cabinet, comment="Plus court, s'il vous plaît.")
    assert sent.state is State.changes_requested  # back with the writer, at the cabinet's request: still its own
    _row, secret = issue_token(db_session, cabinet, "script")
    db_session.flush()
    web.login(cabinet)
    listed = web.get("/posts").get_data(as_text=True)
    assert "Fière de nos équipes." in listed
    assert "Encore en relecture." not in listed and "Trop risqué" not in listed
    for post in (reviewing, refused):
        assert web.get(f"/posts/{post.id}").status_code == 404
        api = app.test_client().get(f"/api/v1/posts/{post.id}/transitions",
                                    headers={"Authorization": f"Bearer {secret}"})
        assert api.status_code == 404
    assert web.get(f"/posts/{sent.id}").status_code == 200
    mine = app.test_client().get("/api/v1/posts", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [item["id"] for item in mine["items"]] == [sent.id]
    all_chip = listed[listed.index(">All <"):].split("</a>")[0]
    assert '<span class="count">1</span>' in all_chip, all_chip  # the counts agree with the list: one, not three


def test_a_cabinet_follows_a_suggestion_from_its_sending_on_not_the_review_before(make, web, app, db_session):
    """What the writer and the project managers said before the suggestion reached the cabinet stays between them
    (the page's history and discussion, and the API's trail and comments); from its sending on, the cabinet follows
    it, the rounds it asked for included."""
    from approval import operations as ops
    from approval.api.tokens import issue_token
    from approval.workflow.states import Action

    market = make.market("FR")
    ceo = make.executive("CEO")
    account = make.account(market, "x", executive=ceo)
    cabinet = make.user(Role.cabinet, executives=[ceo])
    writer = make.user(Role.community_manager, markets=[market])
    pm = make.user(Role.project_manager, markets=[market])
    post = make.post(State.in_review, account=account, author=writer, body="Fière de nos équipes.")
    ops.act_on_post(db_session, post, Action.request_changes, pm, expected_version=post.version,
                    comment="Interne : trop plat pour le dirigeant.")
    ops.edit_post(db_session, post, writer, "Fière de nos équipes, bravo à tous.", expected_version=post.version)
    ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.approve, pm, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.request_changes, cabinet, expected_version=post.version,
                    comment="Plus court, s'il vous plaît.")
    _row, secret = issue_token(db_session, cabinet, "script")
    db_session.flush()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    web.login(cabinet)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    comments = api.get(f"/api/v1/posts/{post.id}/comments", headers=headers).get_json()["items"]
    trail = api.get(f"/api/v1/posts/{post.id}/transitions", headers=headers).get_json()["items"]
    assert "trop plat pour le dirigeant" not in page
    assert [c["body"] for c in comments] == ["Plus court, s'il vous plaît."]
    assert [t["action"] for t in trail] == ["approve", "request_changes"]
    assert "Plus court" in page
    web.login(pm)  # the project managers still read it all
    assert "trop plat pour le dirigeant" in web.get(f"/posts/{post.id}").get_data(as_text=True)


@pytest.mark.parametrize("scope", [Scope.markets, Scope.cabinet])
def test_a_scope_built_once_for_every_user_refuses_to_run_without_the_users_id(db_session, scope):
    query = select(Post.id).join(Post.account).where(scoped_posts(scope, viewer_id()))
    with pytest.raises(StatementError, match=VIEWER_ID):
        db_session.execute(query)


def test_markets_listed_for_a_cabinet_member_follow_their_executives_or_all_when_group_wide(make, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en", "sw"))
    ceo = make.executive("Hélène Marchand")
    make.account(france, executive=ceo)
    served = make.user(Role.cabinet, executives=[ceo])
    everywhere = make.user(Role.cabinet, executives=[ceo], all_markets=True)
    assert [m.code for m in db_session.scalars(visible_markets(served))] == ["FR"]
    assert {france.code, kenya.code} <= {m.code for m in db_session.scalars(visible_markets(everywhere))}


@pytest.mark.parametrize("state", [State.scheduled, State.published])
def test_the_calendar_the_feed_and_the_wall_keep_to_the_users_markets(make, web, db_session, state):
    """What goes out and what went out: outsiders see it in no calendar, feed, wall or dashboard of theirs."""
    from datetime import timedelta

    from approval.db import utcnow
    from approval.feeds import issue_feed_token

    market = make.market("FR")
    post = make.post(state, account=make.account(market, "x"), body="Texte réservé aux équipes françaises.")
    day = (post.scheduled_at or post.published_at or utcnow()).date().isoformat()
    for who, outsider in _outsiders(make, post).items():
        web.login(outsider)
        for url in (f"/calendar?view=list&date={day}", f"/calendar?view=month&date={day}",
                    f"/calendar?view=week&date={day}", f"/calendar?view=list&date={day}&market=FR", "/hub",
                    "/hub?market=FR&view=next", "/hub?view=published", "/hub/dashboard?market=FR"):
            page = web.get(url).get_data(as_text=True)
            assert f"/posts/{post.id}\"" not in page and "Texte réservé" not in page, f"{who}: {url}"
        _token, secret = issue_feed_token(db_session, outsider)
        feed = web.get(f"/calendar.ics?token={secret}")
        assert feed.status_code == 200 and f"post-{post.id}@".encode() not in feed.data, who
        assert web.get(f"/calendar.ics?token={secret}&market=FR").status_code == 404, who
    insider = make.user(Role.project_manager, markets=[market])
    web.login(insider)
    assert f"/posts/{post.id}\"" in web.get(f"/calendar?view=list&date={day}").get_data(as_text=True)
    assert timedelta


def _a_draft_for_an_executive(make):  # noqa: ANN001, ANN202
    """A draft for an executive's X account in France: the executive's cabinet member, its writer, a project
    manager, and the draft."""
    market = make.market("FR")
    ceo = make.executive("CEO")
    cabinet = make.user(Role.cabinet, executives=[ceo])
    writer = make.user(Role.community_manager, markets=[market])
    pm = make.user(Role.project_manager, markets=[market])
    post = make.post(State.draft, account=make.account(market, "x", executive=ceo), author=writer,
                     body="Une première version risquée.")
    return cabinet, writer, pm, post


def test_a_cabinet_reads_the_revisions_from_the_one_it_was_sent_not_the_drafts_before(make, web, app, db_session):
    """The drafts written before the suggestion reached the cabinet stay between the writer and the project
    managers, as the review's history does: their texts (the page's ?r= and comparisons, the API's revisions and
    diffs) and their files. So does what the writer saves once the cabinet sent it back: the cabinet reads the
    revisions a project manager sent it (tests/test_cabinet_drafting_isolation.py follows the others)."""
    from approval import operations as ops
    from approval.api.tokens import issue_token
    from approval.media import attach, samples
    from approval.models import RevisionMedia
    from approval.workflow.states import Action

    cabinet, writer, pm, post = _a_draft_for_an_executive(make)
    with app.app_context():  # the store is the application's
        samples.attach_bytes(db_session, post, writer, samples.draw_picture((64, 48), "brouillon"), "brouillon.jpg")
    draft_file = db_session.scalars(select(RevisionMedia.media_file_id)
                                    .where(RevisionMedia.revision_id == post.current_revision_id)).one()
    ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.request_changes, pm, expected_version=post.version,
                    comment="Trop risqué.")
    ops.edit_post(db_session, post, writer, "Fière de nos équipes.", expected_version=post.version)
    attach.remove_media(db_session, post, writer, draft_file, expected_version=post.version)
    with app.app_context():
        samples.attach_bytes(db_session, post, writer, samples.draw_picture((64, 48), "stade"), "stade.jpg")
    ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.approve, pm, expected_version=post.version)
    sent = post.current_revision.number
    ops.act_on_post(db_session, post, Action.request_changes, cabinet, expected_version=post.version,
                    comment="Plus court.")
    ops.edit_post(db_session, post, writer, "Fiers de nos équipes.", expected_version=post.version)
    _row, secret = issue_token(db_session, cabinet, "script")
    db_session.flush()
    last = post.current_revision.number
    assert sent > 1
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    listed = api.get(f"/api/v1/posts/{post.id}/revisions", headers=headers).get_json()["items"]
    assert [item["number"] for item in listed] == [sent]
    assert api.get(f"/api/v1/posts/{post.id}/revisions/1", headers=headers).status_code == 404
    assert api.get(f"/api/v1/posts/{post.id}/revisions/1/diff/{last}", headers=headers).status_code == 404
    assert api.get(f"/api/v1/posts/{post.id}/revisions/{sent}/diff/{sent}", headers=headers).status_code == 200
    assert api.get(f"/api/v1/posts/{post.id}/revisions/{sent}/diff/{last}", headers=headers).status_code == 404
    web.login(cabinet)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Fière de nos équipes." in page and "Fiers de nos équipes." not in page
    assert "première version risquée" not in page and "brouillon.jpg" not in page
    for query in ("?r=1", f"?r={last}", f"?diff_from=1&diff_to={last}", f"?diff_from={last}&diff_to=1"):
        assert web.get(f"/posts/{post.id}{query}").status_code == 404, query
    assert web.get(f"/media/{draft_file}").status_code == 404
    assert web.get(f"/media/{draft_file}/thumbnail").status_code == 404
    assert api.get(f"/api/v1/media/{draft_file}", headers=headers).status_code == 404
    web.login(pm)  # the project managers read them all
    assert "première version risquée" in web.get(f"/posts/{post.id}?r=1").get_data(as_text=True)
    assert web.get(f"/media/{draft_file}").status_code == 200


def test_a_cabinet_s_first_revision_does_not_hang_on_the_clocks_of_two_machines(make, db_session):
    """The revision a suggestion was sent on is the one the trail's sending names: a web process whose clock runs a
    second behind another's wrote that revision "after" the sending, by the timestamps, and the cabinet read the
    draft before it instead (or, with no draft before, no revision at all)."""
    from datetime import timedelta

    from sqlalchemy import update

    from approval import operations as ops
    from approval.models import Revision
    from approval.workflow.states import Action

    cabinet, writer, pm, post = _a_draft_for_an_executive(make)
    ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.request_changes, pm, expected_version=post.version, comment="Non.")
    ops.edit_post(db_session, post, writer, "Fière de nos équipes.", expected_version=post.version)
    ops.act_on_post(db_session, post, Action.submit, writer, expected_version=post.version)
    ops.act_on_post(db_session, post, Action.approve, pm, expected_version=post.version)
    sent = post.current_revision
    db_session.execute(update(Revision).where(Revision.id == sent.id)
                       .values(created_at=post.sent_to_cabinet_at + timedelta(seconds=2)))
    db_session.expire_all()

    post = db_session.get(Post, post.id)
    assert [r.number for r in ops.post_revisions(db_session, post, cabinet)] == [sent.number]
