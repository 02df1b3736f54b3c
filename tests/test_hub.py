"""The Social Hub wall, its kiosk links, the dashboard and the admins' page for kiosks and thresholds.

The live stream is tested against a real server (tests/test_hub_live.py); here, the pages and their scoping."""

from __future__ import annotations

import io

from zoneinfo import ZoneInfo

import pytest

from approval import kiosks
from approval.db import utcnow
from approval.queries.hub import Selection, Viewer, build_wall
from approval.workflow.states import Role, State


@pytest.fixture()
def markets(make):
    return make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))


def test_the_wall_shows_what_the_user_sees_and_nothing_else(make, web, markets):
    france, kenya = markets
    fr_post = make.post(State.in_review, account=make.account(france, "x"), body="Le match commence bientôt.")
    make.post(State.in_review, account=make.account(kenya, "x"), body="Mechi inaanza hivi karibuni.")
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/hub").get_data(as_text=True)
    assert "Le match commence" in page
    assert "Mechi inaanza" not in page and ">KE<" not in page
    # Asking for a market outside one's own shows nothing of it.
    assert "Mechi inaanza" not in web.get("/hub?market=KE").get_data(as_text=True)
    assert fr_post.id


def test_another_markets_campaign_is_never_named_on_the_wall(make, web, db_session, markets):
    """The wall narrowed to a campaign names it in its title: a campaign of a market outside the viewer's stays
    unnamed (the calendar and the lists already hid it); their own and group-wide ones are named."""
    from approval import administration as admin

    france, kenya = markets
    rally = admin.create_campaign(db_session, "Safari Rally", kenya)
    report = admin.create_campaign(db_session, "Rapport annuel", None)
    db_session.flush()
    web.login(make.user(Role.community_manager, markets=[france]))
    assert "Safari Rally" not in web.get(f"/hub?campaign={rally.id}").get_data(as_text=True)
    assert "Rapport annuel" in web.get(f"/hub?campaign={report.id}").get_data(as_text=True)


def test_each_view_renders_and_the_selection_is_in_the_url(make, web, markets):
    france, _kenya = markets
    make.post(State.scheduled, account=make.account(france, "linkedin"), body="Dans deux heures, en direct.")
    make.post(State.published, account=make.account(france, "facebook"), body="C'est en ligne.")
    web.login(make.user(Role.project_manager, markets=[france]))
    for view in ("overview", "queue", "next", "published", "problems", "bogus"):
        response = web.get(f"/hub?view={view}&market=FR&campaign=abc")
        assert response.status_code == 200, view
    assert "C&#39;est en ligne." in web.get("/hub?view=published").get_data(as_text=True)


def test_the_walls_times_say_how_far_from_now_on_one_scale_then_each_markets_clock(make, web, db_session, markets):
    """Posts of several zones in one list: "in 3 hr." and "2 hr" (an age, as the queue says it) read in order whatever
    their markets; each line keeps its market's clock time (New York's 07:00 beside Paris's 13:00 for the same
    instant), its zone by its offset."""
    from datetime import timedelta

    france, _kenya = markets
    usa = make.market("US", timezone="America/New_York", languages=("en",))
    soon = make.post(State.scheduled, account=make.account(usa, "x"), body="Kick-off soon in New York.")
    later = make.post(State.scheduled, account=make.account(france, "x"), body="Coup d'envoi plus tard.")
    done = make.post(State.published, account=make.account(france, "facebook"), body="C'est en ligne.")
    now = utcnow().replace(second=0, microsecond=0)
    soon.scheduled_at, later.scheduled_at = now + timedelta(minutes=95), now + timedelta(hours=3, minutes=5)
    done.published_at = now - timedelta(hours=2)
    db_session.flush()
    web.login(make.user(Role.admin))
    page = web.get("/hub").get_data(as_text=True)
    assert page.index('<span class="rel">in 2 hr.</span>') < page.index('<span class="rel">in 3 hr.</span>')
    assert '<span class="rel">2 hr</span>' in page
    new_york = soon.scheduled_at.astimezone(ZoneInfo("America/New_York"))
    offset = int(new_york.utcoffset().total_seconds() // 3600)
    assert (f'{new_york:%H:%M} <abbr class="tz" title="America/New_York">UTC\u2212{-offset}</abbr></time> '
            '<span class="mk">US</span>') in page  # with whose clock it is
    french = web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<span class="rel">dans 3\u00a0h</span>' in french or '<span class="rel">dans 3 h</span>' in french
    # A column of counts: plural, where the state's label is one post's; a soft hyphen where a narrow column breaks it.
    assert ">program\u00admées</th>" in french and ">sched\u00aduled</th>" in page


def test_the_wall_counts_states_per_market_and_network_and_lists_problems(make, db_session, markets):
    france, kenya = markets
    x = make.account(france, "x")
    for state in (State.in_review, State.in_review, State.approved, State.scheduled):
        make.post(state, account=x)
    make.post(State.draft, account=make.account(kenya, "facebook"))
    admin = make.user(Role.admin)
    wall = build_wall(db_session, Viewer(user_id=admin.id), Selection(markets=("FR",)))
    assert [row.market.code for row in wall.by_market] == ["FR"]
    assert wall.by_market[0].counts == {State.in_review: 2, State.approved: 1, State.scheduled: 1}
    assert wall.by_network["x"][State.in_review] == 2 and wall.by_network["facebook"] == {}
    assert wall.queue_total == 2 and len(wall.queue) == 2
    assert len(wall.upcoming) == 1  # the factory schedules a day ahead... within 24 hours
    # A stop switch on: the post is not "going out", it needs attention (held).
    from approval.publishing import controls

    stop = controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu.")
    held = build_wall(db_session, Viewer(user_id=admin.id), Selection(markets=("FR",)))
    assert held.upcoming == [] and [why for _post, why in held.problems] == ["held"]
    controls.turn_off(db_session, None, stop.id)
    kiosk_wall = build_wall(db_session, Viewer(kiosk_markets=(kenya.id,)), Selection())
    assert [row.market.code for row in kiosk_wall.by_market] == ["KE"]
    assert kiosk_wall.by_market[0].counts == {State.draft: 1}


def test_a_post_the_worker_keeps_retrying_needs_attention_on_the_wall(make, web, db_session, markets):
    """A webhook that does not answer: the worker tries again every minute, and the wall said "Needs attention 0"."""
    from datetime import timedelta

    from approval.db import utcnow

    from approval.publishing.controls import connect_account

    france, _kenya = markets
    retrying = make.post(State.scheduled, account=make.account(france, "facebook"), body="Le stade est plein.")
    calm = make.post(State.scheduled, account=connect_account(db_session, make.account(france, "x"), "outbox"),
                     body="Coup d'envoi demain.")
    retrying.next_attempt_at = utcnow() + timedelta(minutes=1)
    db_session.flush()
    admin = make.user(Role.admin)
    wall = build_wall(db_session, Viewer(user_id=admin.id), Selection(markets=("FR",)))
    assert [(post.id, why) for post, why in wall.problems] == [(retrying.id, "retrying")]
    assert calm.id not in [post.id for post, _why in wall.problems]
    web.login(admin)
    page = web.get("/hub?market=FR&view=problems").get_data(as_text=True)
    assert 'class="why why-retrying">retrying</span>' in page and "Le stade est plein." in page


def test_a_kiosk_link_opens_the_wall_of_its_markets_only(make, web, db_session, markets):
    france, kenya = markets
    make.post(State.in_review, account=make.account(france, "x"), body="Le match commence bientôt.")
    make.post(State.in_review, account=make.account(kenya, "x"), body="Mechi inaanza hivi karibuni.")
    kiosk = kiosks.create_kiosk(db_session, "Nairobi screen", ["KE"])
    page = web.get(kiosk.path).get_data(as_text=True)
    assert "Mechi inaanza" in page and "Le match commence" not in page
    assert 'class="leave"' not in page  # a screen opens the wall only
    outside = web.get(f"{kiosk.path}?market=FR").get_data(as_text=True)
    assert "Le match commence" not in outside and "FR is not one of this screen’s markets." in outside
    assert web.get(kiosk.path).headers["Cache-Control"] == "no-store"
    # Names url_for keeps for itself, in a kiosk's query string (anyone holding the link can write one): ignored.
    strays = "token=x&endpoint=x&_anchor=x&_method=POST&_external=1&_scheme=javascript&market=KE"
    page = web.get(f"{kiosk.path}?{strays}").get_data(as_text=True)
    assert "Mechi inaanza" in page and f'data-stream="{kiosk.path}/stream?market=KE"' in page


def test_a_kiosk_link_follows_its_market_through_a_new_code(make, web, db_session, markets):
    """An admin corrects a market's code (UK to GB, its ISO code) before it has accounts (a code stays once it has
    some): the London screen still shows it, and a market given the old code later does not appear on it."""
    from approval import administration

    britain = make.market("UK", timezone="Europe/London", languages=("en",))
    kiosk = kiosks.create_kiosk(db_session, "London screen", ["UK"])
    administration.update_market(db_session, britain, "GB", britain.name, britain.timezone, britain.languages)
    make.post(State.in_review, account=make.account(britain, "x"), body="Kick-off in ten minutes.")
    newcomer = make.market("UK", timezone="Europe/Kyiv", languages=("uk",))
    make.post(State.in_review, account=make.account(newcomer, "x"), body="Матч почнеться за десять хвилин.")
    db_session.commit()
    page = web.get(kiosk.path).get_data(as_text=True)
    assert "Kick-off in ten minutes." in page and "Матч" not in page
    assert kiosks.find_kiosk(db_session, kiosk.id).market_codes == ["GB"]


def test_a_kiosk_token_opens_nothing_else(make, web, db_session, markets):
    france, _kenya = markets
    post = make.post(State.in_review, account=make.account(france, "x"))
    kiosk = kiosks.create_kiosk(db_session, "Lobby", [])
    token = kiosk.token
    for url in (f"/posts?token={token}", f"/posts/{post.id}?k={token}", f"/hub?token={token}",
                f"/calendar.ics?token={token}", f"/hub/dashboard?token={token}", f"/admin?token={token}",
                f"/posts/{token}", f"/hub/k/{token}/other", f"/api/v1/posts?token={token}"):
        assert web.get(url).status_code == 404, url
    for path in ("/api/v1/posts", "/api/v1/me", "/api/v1/hub/summary", "/api/v1/calendar"):
        response = web.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404, path
    upload = web.client.post(f"/api/v1/posts/{post.id}/media", data={"file": (io.BytesIO(b"GIF89a"), "a.gif")},
                             content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})
    assert upload.status_code == 404  # an upload too, whose body is read later than any other call's
    # No session comes with it: the wall did not log anyone in.
    assert web.get(kiosk.path).status_code == 200
    assert web.get("/posts").status_code == 302


def test_a_revoked_or_unknown_kiosk_link_is_a_404(make, web, db_session):
    kiosk = kiosks.create_kiosk(db_session, "Lobby", [])
    assert web.get(kiosk.path).status_code == 200
    kiosks.revoke_kiosk(db_session, kiosk.id)
    assert web.get(kiosk.path).status_code == 404
    assert web.get(f"{kiosk.path}/stream").status_code == 404
    assert web.get("/hub/k/kio1_unknown").status_code == 404
    assert web.get("/hub/k/whatever").status_code == 404


def test_the_wall_needs_a_session_or_a_kiosk_link(web):
    assert web.get("/hub").status_code == 302
    assert web.get("/hub/stream").status_code == 302


def test_admins_create_and_revoke_kiosk_links_and_set_thresholds(make, admin_web, db_session, markets):
    created = admin_web.post("/hub/kiosks", {"name": "Command room 3", "markets": ["FR", "KE"]})
    assert created.status_code == 303
    page = admin_web.get("/hub/kiosks").get_data(as_text=True)
    assert "Command room 3" in page and "/hub/k/kio1_" in page
    kiosk = kiosks.list_kiosks(db_session)[-1]
    assert kiosk.market_codes == ["FR", "KE"]
    # Each view of the wall, ready to open on its screen.
    assert f'href="/hub/k/{kiosk.token}?view=queue" target="_blank"' in page
    assert admin_web.get(f"/hub/k/{kiosk.token}?view=queue").status_code == 200
    assert admin_web.post("/hub/kiosks", {"name": " ", "markets": []}).status_code == 422
    assert admin_web.post("/hub/kiosks", {"name": "X", "markets": ["ZZ"]}).status_code == 422
    assert admin_web.post("/hub/kiosks/revoke", {"kiosk_id": kiosk.id}).status_code == 303
    db_session.expire_all()
    assert kiosk.revoked_at is not None
    assert admin_web.post("/hub/kiosks/revoke", {"kiosk_id": "x"}).status_code == 404
    assert admin_web.post("/hub/kiosks/revoke", {"kiosk_id": "123456"}).status_code == 404
    assert admin_web.post("/hub/thresholds", {"review_amber_minutes": 30, "review_red_minutes": 90}).status_code == 303
    assert admin_web.post("/hub/thresholds", {"review_amber_minutes": 90, "review_red_minutes": 30}).status_code == 422
    assert 'value="30"' in admin_web.get("/hub/kiosks").get_data(as_text=True)


def test_only_admins_manage_kiosk_links(make, web, markets):
    for role in (Role.community_manager, Role.project_manager, Role.cabinet):
        web.login(make.user(role))
        assert web.get("/hub/kiosks").status_code == 403
        assert web.post("/hub/kiosks", {"name": "Mine"}).status_code == 403
        assert web.post("/hub/kiosks/revoke", {"kiosk_id": 1}).status_code == 403
        assert web.post("/hub/thresholds", {"review_amber_minutes": 1, "review_red_minutes": 2}).status_code == 403


def test_the_dashboard_gives_the_summary_numbers_for_the_users_markets(make, web, markets):
    france, kenya = markets
    make.post(State.in_review, account=make.account(france, "x"))
    make.post(State.in_review, account=make.account(kenya, "x"))
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    page = web.get("/hub/dashboard").get_data(as_text=True)
    assert 'href="/posts?market=FR&amp;state=in_review">1</a>' in page
    assert "market=KE" not in page
    web.login(make.user(Role.community_manager, markets=[france]))
    assert web.get("/hub/dashboard").status_code == 403


def test_the_dashboards_next_to_go_out_is_a_slot_to_come_neither_overdue_nor_held(make, db_session, markets):
    """A slot gone by (the worker is late, the grace period runs) and a post a stop switch holds are not "next": the
    next is the first slot still to come that nothing holds."""
    from datetime import timedelta

    from approval.queries.hub import summary

    france, _kenya = markets
    account = make.account(france, "x")
    overdue, held, coming = (make.post(State.scheduled, account=account) for _ in range(3))
    now = utcnow()
    overdue.scheduled_at = now - timedelta(minutes=5)
    held.scheduled_at, held.held_at = now + timedelta(minutes=10), now
    coming.scheduled_at = now + timedelta(hours=2)
    db_session.flush()
    pm = make.user(Role.project_manager, markets=[france])
    (row,) = summary(db_session, pm, market="FR")
    assert row.next_scheduled_at == coming.scheduled_at
    held.held_at = None
    db_session.flush()
    (row,) = summary(db_session, pm, market="FR")
    assert row.next_scheduled_at == held.scheduled_at


def test_kiosk_commands(cli_in_process, databases):
    cli = cli_in_process  # in this process: the commands' output and exit status are the point
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    created = cli("kiosk", "create", "--name", "Screen 1", "--market", "FR")
    path = created.stdout.strip().splitlines()[-1]
    assert path.startswith("/hub/k/kio1_")
    listed = cli("kiosk", "list").stdout
    assert "Screen 1" in listed and path in listed
    assert cli("kiosk", "create", "--name", "Bad", "--market", "ZZ", check=False).returncode == 2
    cli("kiosk", "revoke", path.rsplit("/", 1)[-1])
    assert "revoked" in cli("kiosk", "list").stdout
    assert cli("kiosk", "revoke", "999", check=False).returncode == 1
    assert utcnow()


def test_the_kept_counts_follow_every_change_of_state(make, db_session, markets):
    """post_counts, kept by triggers, always equals a count of the posts: through creations, transitions, an edit
    back to review."""
    from sqlalchemy import func, select

    from approval import operations as ops
    from approval.models import Post, PostCount

    france, kenya = markets
    x, fb = make.account(france, "x"), make.account(kenya, "facebook")
    posts = [make.post(state, account=account) for state, account in (
        (State.draft, x), (State.in_review, x), (State.approved, fb), (State.scheduled, x), (State.published, fb),
        (State.withdrawn, x), (State.rejected, fb))]
    author = posts[2].created_by
    ops.edit_post(db_session, posts[2], author, "Un nouveau texte pour la revue.", expected_version=posts[2].version)
    db_session.flush()

    def kept() -> dict:
        return {(a, State(s)): n for a, s, n in db_session.execute(
            select(PostCount.account_id, PostCount.state, PostCount.n).where(PostCount.n > 0))}

    def counted() -> dict:
        return {(a, State(s)): n for a, s, n in db_session.execute(
            select(Post.account_id, Post.state, func.count()).group_by(Post.account_id, Post.state))}

    assert kept() == counted()
    assert kept()[(fb.id, State.in_review)] == 1


@pytest.mark.parametrize("ending", ["deactivated", "sessions ended", "password changed"])
def test_a_signed_in_walls_stream_sends_the_wall_and_ends_when_its_session_no_longer_opens(make, web, db_session,
                                                                                           markets, app, ending):
    """Deactivated, signed out everywhere by an admin, or a new password: the open stream stops showing posts (it
    went on sending new texts after "end all sessions")."""
    from approval.hub_feed import feed_for

    france, _kenya = markets
    make.post(State.in_review, account=make.account(france, "x"), body="Le match commence bientôt.")
    pm = make.user(Role.project_manager, markets=[france])
    web.login(pm)
    response = web.client.get("/hub/stream", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    wall = ""
    while "event: wall" not in wall:
        wall = next(chunks).decode()  # one event per chunk
    assert "Le match commence" in wall
    if ending == "deactivated":
        pm.active = False
    elif ending == "sessions ended":
        pm.end_sessions()
    else:
        pm.set_password("another-long-password")
    db_session.flush()
    feed = feed_for(app)
    feed._answer = None  # as if the database said something changed: the wall is rebuilt
    feed._poll()
    ending = ""
    while "event: revoked" not in ending:
        ending += next(chunks).decode()
    assert "data: ended" in ending
    response.close()


def test_the_wall_tells_the_day_of_a_time_that_is_not_today(app):
    """"09:00" at 16:56 read as this morning: a time another day shows its day, in the market's zone."""
    from datetime import UTC, datetime

    from approval.views.hub import _wall_clock

    now = datetime(2026, 12, 2, 15, 56, tzinfo=UTC)  # 16:56 in Paris, a Wednesday
    with app.test_request_context():
        hm = _wall_clock(now)
        assert hm(datetime(2026, 12, 2, 20, 0, tzinfo=UTC), "Europe/Paris") == "21:00"
        assert hm(datetime(2026, 12, 3, 8, 0, tzinfo=UTC), "Europe/Paris") == "Thu 09:00"
        assert hm(datetime(2026, 11, 12, 15, 55, tzinfo=UTC), "Europe/Paris") == "12 Nov 16:55"
        assert hm(datetime(2026, 12, 2, 22, 30, tzinfo=UTC), "Asia/Kolkata") == "Thu 04:00"  # already tomorrow there


def test_every_role_finds_the_wall_from_its_pages(make, web, markets):
    """Community managers and cabinets open the Social Hub from the navigation; managers from their dashboard."""
    france, _kenya = markets
    for role in (Role.community_manager, Role.cabinet):
        web.login(make.user(role, markets=[france] if role == Role.community_manager else None))
        assert 'href="/hub"' in web.get("/posts").get_data(as_text=True), role
        wall = web.get("/hub")
        assert wall.status_code == 200 and 'class="leave" href="/"' in wall.get_data(as_text=True)  # and back
    web.login(make.user(Role.project_manager, markets=[france]))
    assert 'href="/hub"' in web.get("/hub/dashboard").get_data(as_text=True)


def test_a_refused_kiosk_or_threshold_keeps_what_was_typed(admin_web, markets):
    """A screen meant for Kenya, refused for its missing name, comes back with Kenya still ticked (unticked, the
    next click would make a link to every market); thresholds come back as typed, beside their reason."""
    import re

    page = admin_web.post("/hub/kiosks", {"name": " ", "markets": ["KE"]}).get_data(as_text=True)
    assert re.search(r'value="KE" checked', page) and not re.search(r'value="FR" checked', page)
    assert "Name the screen." in page
    page = admin_web.post("/hub/thresholds", {"review_amber_minutes": "500", "review_red_minutes": "100"}
                          ).get_data(as_text=True)
    assert 'value="500"' in page and 'value="100"' in page and "a larger red one" in page
