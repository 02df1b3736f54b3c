"""What a walk of the wall and the dashboard on a busy evening found (stop switches on, posts failing): the dashboard
named as "next to go out" a post a switch covers; "Needs attention" counted the rows it showed, not the posts that
need attention, and an older failure dropped off the wall; "Nothing scheduled" beside "scheduled 3"; the week's style
findings as rule ids; the corner cells of the counts had no name; the way back to the pages sat over the counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from test_browser import ARTIFACTS, chromium  # noqa: F401 - the shared Chromium fixture

from approval import administration as admin
from approval import kiosks
from approval.db import utcnow
from approval.publishing import controls
from approval.queries.hub import ROWS, ROWS_ALONE, Selection, Viewer, build_wall, summary
from approval.workflow import engine as workflow
from approval.workflow.states import Action, Role, State
from tests.conftest import ONE_BACKEND


@pytest.fixture()
def france(make):
    return make.market("FR")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _panel(page: str, name: str) -> str:
    return page[page.index(f'class="panel {name}'):].split("</section>")[0]


# The dashboard ----------------------------------------------------------------------------------------------------


def test_the_dashboards_next_to_go_out_is_not_a_post_a_stop_switch_covers(make, db_session, france):
    """A campaign's switch on: its post due first is not "next to go out" (the worker holds it at its time); the
    next is the first post the switch does not cover, and none while a switch covers the whole market."""
    account = make.account(france, "x")
    report = admin.create_campaign(db_session, "Rapport annuel", None)
    covered, free = make.post(State.scheduled, account=account), make.post(State.scheduled, account=account)
    covered.campaign_id = report.id
    now = utcnow()
    covered.scheduled_at, free.scheduled_at = now + timedelta(hours=2), now + timedelta(hours=5)
    db_session.flush()
    pm = make.user(Role.project_manager, markets=[france])
    (row,) = summary(db_session, pm, market="FR")
    assert row.next_scheduled_at == covered.scheduled_at
    campaign_stop = controls.turn_on(db_session, None, "campaign", campaign_id=report.id, reason="Chiffres à vérifier.")
    (row,) = summary(db_session, pm, market="FR")
    assert row.next_scheduled_at == free.scheduled_at
    # Another market's post: France's switch holds none of it.
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    elsewhere = make.post(State.scheduled, account=make.account(kenya, "x"))
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu.")
    rows = {row.code: row for row in summary(db_session, make.user(Role.admin))}
    assert rows["FR"].next_scheduled_at is None
    assert rows["KE"].next_scheduled_at == elsewhere.scheduled_at
    controls.turn_off(db_session, None, campaign_stop.id)
    (row,) = summary(db_session, pm, market="FR")
    assert row.next_scheduled_at is None  # the market's switch still covers both


# Needs attention ------------------------------------------------------------------------------------------------


def _failed(make, db_session, account, at):  # noqa: ANN001, ANN202
    post = make.post(State.scheduled, account=account, body=f"Échec de {at:%H:%M}.")
    workflow.record_step(db_session, post, Action.fail, now=at, payload={}, comment="HTTP 400: refused.")
    return post


def _unconfirmed(make, db_session, account, at):  # noqa: ANN001, ANN202
    post = make.post(State.scheduled, account=account, body=f"Sans réponse de {at:%H:%M}.")
    post.claim_token, post.claimed_until = "t" * 32, at + timedelta(minutes=2)  # a call sent, its worker gone
    workflow.record_step(db_session, post, Action.claim, now=at - timedelta(seconds=30), payload={})
    post.claim_token = post.claimed_until = None
    workflow.record_step(db_session, post, Action.lose, now=at, payload={}, comment="No complete answer in 15 s.")
    return post


def test_needs_attention_counts_every_post_and_lists_the_most_urgent_then_the_newest(make, web, db_session, france):
    """Eight posts left unconfirmed, then one older failure: the wall said 7 (the rows it kept) where the desk said
    9, and the failure, older than the seven newest, was on no wall at all. The most urgent kind comes first, each
    kind the newest first (the room has seen the older ones)."""
    account = make.account(france, "x")
    now = utcnow().replace(microsecond=0)
    failed = _failed(make, db_session, account, now - timedelta(hours=3))
    unconfirmed = [_unconfirmed(make, db_session, account, now - timedelta(minutes=50 - 5 * i)) for i in range(8)]
    db_session.flush()
    admin_user = make.user(Role.admin)
    wall = build_wall(db_session, Viewer(user_id=admin_user.id), Selection())
    assert wall.problems_total == 9
    # The failure first (what did not go out), then the posts left unconfirmed, the newest first.
    newest = list(reversed(unconfirmed))
    assert [post.id for post, _why in wall.problems] == [failed.id] + [post.id for post in newest[:ROWS - 1]]
    alone = build_wall(db_session, Viewer(user_id=admin_user.id), Selection(view="problems"))
    assert alone.problems_total == 9 and len(alone.problems) == 9 <= ROWS_ALONE

    web.login(admin_user)
    panel = _panel(web.get("/hub").get_data(as_text=True), "problems")
    assert re.search(r'Needs attention <span class="count">9</span>', panel), panel[:300]
    assert "Échec de" in panel
    # The posts not sent at all are said, as many as they are (the screen adds those it has no room for).
    ol = re.search(r"<ol[^>]*>", panel).group(0)
    assert 'data-total="9"' in ol, ol
    assert '<li class="more">+2 more</li>' in panel


def test_the_counts_of_the_lists_cover_every_post_not_only_those_sent(make, db_session, france):
    account = make.account(france, "x")
    for _ in range(ROWS + 2):
        make.post(State.in_review, account=account)
    soon = [make.post(State.scheduled, account=account) for _ in range(ROWS + 1)]
    for i, post in enumerate(soon):
        post.scheduled_at = utcnow() + timedelta(hours=1, minutes=i)
    db_session.flush()
    wall = build_wall(db_session, Viewer(user_id=make.user(Role.admin).id), Selection())
    assert (len(wall.queue), wall.queue_total) == (ROWS, ROWS + 2)
    assert (len(wall.upcoming), wall.upcoming_total) == (ROWS, ROWS + 1)


# Next 24 hours --------------------------------------------------------------------------------------------------


def test_next_24_hours_says_that_the_scheduled_posts_are_held_not_that_there_are_none(make, web, db_session, france):
    account = make.account(france, "x")
    for hours in (2, 5, 30):
        post = make.post(State.scheduled, account=account)
        post.scheduled_at = utcnow() + timedelta(hours=hours)
    db_session.flush()
    admin_user = make.user(Role.admin)
    web.login(admin_user)
    assert "Nothing goes out" not in web.get("/hub").get_data(as_text=True)
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu.")
    wall = build_wall(db_session, Viewer(user_id=admin_user.id), Selection())
    assert wall.upcoming == [] and wall.held_total == 2  # the post due in 30 hours is not why nothing goes out today
    for url in ("/hub", "/hub?view=next"):
        panel = _text(_panel(web.get(url).get_data(as_text=True), "next"))
        assert "Nothing goes out in the next 24 hours: 2 scheduled posts are held." in panel, panel
        assert "Nothing scheduled" not in panel


# The week's style findings ----------------------------------------------------------------------------------------


def test_the_weeks_style_findings_are_named_in_the_readers_language(make, web, db_session, france, app):
    post = make.post(State.in_review, account=make.account(france, "x"))
    post.current_revision.findings = [{"rule": "typo.fr-spacing", "severity": "warning"},
                                      {"rule": "policy.campaign-hashtag", "severity": "warning"},
                                      {"rule": "policy.competitors", "severity": "warning"}]
    db_session.flush()
    web.login(make.user(Role.admin))
    panel = _panel(web.get("/hub").get_data(as_text=True), "findings")
    # By the problem each is (tests/test_onboarding_wording.py), no longer by what its rule asks.
    assert "French no-break spaces missing" in _text(panel)
    assert "Campaign hashtag missing" in panel
    assert ">typo.fr-spacing<" not in panel
    assert "<code>policy.competitors</code>" in panel  # a market's own list of terms: its id is its name
    french = _panel(web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True), "findings")
    with app.test_request_context(), force_locale("fr"):  # as the catalogue has it (translated apart from the code)
        assert gettext("Campaign hashtag missing") in french


# Names and landmarks ----------------------------------------------------------------------------------------------


def test_the_corner_cells_are_named_and_the_way_back_is_in_the_walls_head(make, web, db_session, france):
    make.post(State.in_review, account=make.account(france, "x"))
    web.login(make.user(Role.admin))
    page = web.get("/hub").get_data(as_text=True)
    assert "<th></th>" not in page
    assert '<th><span class="visually-hidden">Market</span></th>' in page
    assert '<th><span class="visually-hidden">Network</span></th>' in page
    # The screen's "+3 more", in the page's language, for one post and for several (static/hub.js).
    assert 'data-more-one="+{n} more" data-more-other="+{n} more"' in page
    # The switches' alert and the panels are the page's main content (the alert stood outside any landmark).
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu.")
    stopped = web.get("/hub").get_data(as_text=True)
    main = stopped[stopped.index('<main class="wall-main">'):stopped.index("</main>")]
    assert 'class="stops alert"' in main and 'class="wall-grid' in main and "Match perdu." in main
    head = page[page.index('<header class="wall-head">'):].split("</header>")[0]
    assert 'class="leave" href="/"' in head
    assert page.count('class="leave"') == 1
    kiosk = kiosks.create_kiosk(db_session, "Salle 1", ["FR"])
    db_session.flush()
    screen = web.get(kiosk.path).get_data(as_text=True)  # a kiosk opens the wall only: no way to the pages
    assert 'class="leave"' not in screen and "<th></th>" not in screen


# The layout, in a real Chromium -----------------------------------------------------------------------------------


def _busy_evening(url: str) -> None:
    """The walk's evening: two stop switches on with long reasons (three lines of banner), five posts awaiting
    review, a failure and eight posts left unconfirmed, seven published, the one scheduled post held."""
    from conftest import Factory
    from hub_live import seed

    from approval import create_app
    from approval.db import db

    seed(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "wall-walk", "TESTING": True})
    with app.app_context(), db.transaction() as session:
        make = Factory(session)
        france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
        x, facebook = make.account(kenya, "x"), make.account(france, "facebook")
        now = utcnow()
        for i in range(5):
            make.post(State.in_review, account=x if i % 2 else facebook, body=f"Texte numéro {i + 1} à relire.")
        _failed(make, session, x, now - timedelta(minutes=50))
        for i in range(8):
            _unconfirmed(make, session, x if i % 2 else facebook, now - timedelta(minutes=40 - 3 * i))
        for i in range(7):
            make.post(State.published, account=x if i % 2 else facebook, body=f"Nouvelle numéro {i + 1}.")
        report = admin.create_campaign(session, "Integrated annual report", None)
        held = make.post(State.scheduled, account=facebook)
        held.campaign_id, held.scheduled_at = report.id, now + timedelta(hours=3)
        controls.turn_on(session, None, "campaign", campaign_id=report.id,
                         reason="Annual report on hold: the figures are being checked by the auditors.")
        controls.turn_on(session, None, "market", market_code="FR",
                         reason="Match lost: the team asks to pause all French posts until the press conference.")


#: Each list panel shown: its name, its box, the posts it shows (top, bottom), its "+N more", its heading's count.
PANELS = """() => Array.from(document.querySelectorAll('.panel')).filter(p => p.offsetParent && p.querySelector('ol'))
  .map(p => { const box = p.getBoundingClientRect(), more = p.querySelector('li.more');
    const count = p.querySelector('h2 .count');
    const shown = Array.from(p.querySelectorAll('ol > li:not(.more)')).filter(li => !li.hidden);
    return {name: p.classList[1], top: box.top, bottom: box.bottom, height: box.height,
            items: shown.map(li => [li.getBoundingClientRect().top, li.getBoundingClientRect().bottom]),
            last: Math.max(...Array.from(p.querySelectorAll('ol > li')).filter(li => !li.hidden)
                           .map(li => li.getBoundingClientRect().bottom)),
            more: more ? more.textContent : null, count: count ? +count.textContent : null}; })"""


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 900), (3840, 2160)])
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_wall_uses_its_panels_and_the_way_back_covers_nothing(chromium, databases, backend, tmp_path,  # noqa: F811
                                                                  width, height):
    from hub_live import PASSWORD
    from test_browser_hub import Server

    url = databases.migrated_url(backend)
    _busy_evening(url)
    server = Server(url, tmp_path / "instance")
    server.start()
    folder = ARTIFACTS / f"wall-walk-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="en-GB",
                                   timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        base = f"http://127.0.0.1:{server.port}"
        page.goto(base + "/login")
        page.fill("input[name=email]", "lucile@helio.example")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(base + "/hub")
        page.wait_for_selector("body[data-connection=open]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(folder / f"{width}x{height}.png"))
        # The way back to the pages covers no panel (it sat over the counts' last row).
        leave = page.locator("a.leave").bounding_box()
        assert leave is not None
        covered = page.evaluate("""l => Array.from(document.querySelectorAll('.panel')).filter(p => {
            const b = p.getBoundingClientRect();
            return p.offsetParent && b.left < l.x + l.width && l.x < b.right && b.top < l.y + l.height
              && l.y < b.bottom; }).map(p => p.className)""", leave)
        assert covered == [], covered
        panels = {panel["name"]: panel for panel in page.evaluate(PANELS)}
        assert set(panels) == {"queue", "problems", "next", "published"}, panels
        for name, panel in panels.items():
            # Nothing cut by the panel's edge.
            assert panel["last"] <= panel["bottom"] + 1, (name, panel)
            if panel["more"] is None:
                continue
            # "+N more" says how many are not shown, those the server did not send counted.
            shown = len(panel["items"])
            total = {"queue": 5, "problems": 10, "published": 7}[name]
            assert panel["more"] == f"+{total - shown} more", (name, panel)
            # The room under the last line is less than a third of the panel (it was half of it under one post).
            assert panel["bottom"] - panel["last"] < panel["height"] / 3, (name, panel)
        assert panels["problems"]["count"] == 10  # the failure, the eight unconfirmed, the post held
        # "Next 24 hours" says that the scheduled post is held, and takes no more than it needs: "Published" under
        # it shows more than one post.
        assert "1 scheduled post is held" in page.inner_text(".panel.next")
        assert len(panels["published"]["items"]) >= 2, panels["published"]
    finally:
        context.close()
        server.stop()
