"""What the head of social media's walk of the Social Hub wall found (/tmp reports walk, "M1"-"m4" and polish):

- an address naming a market the screen does not cover, a typo or an unknown campaign drew zeros and a green
  "nothing needs attention" while Kenya had a failed post;
- a post due and not out (no worker running) and one on an account connected to nothing were on no panel, while the
  publishing desk listed them as overdue and "will fail";
- "Nothing goes out in the next 24 hours: 2 held" counted a post held for March;
- "Needs attention" put the newest incident last; a network's raw answer (``HTTP 400 {"error": ...``) took five
  lines; "CET" beside "GMT+1", "5 min" beside "5 min. ago";
- with 28 markets the counts shrank to 8.6 px (tests/test_wall_reports_walk.py, the browser part);
- a kiosk name over 100 characters was cut without a word, and two live links could share a name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import ONE_BACKEND, Factory
from hub_live import seed
from sqlalchemy.orm import Session
from test_browser import ARTIFACTS, chromium  # noqa: F401 - the shared Chromium fixture

from approval import administration as admin
from approval import create_app, kiosks
from approval.db import db, make_engine, utcnow
from approval.publishing import controls
from approval.queries.hub import ROWS, Selection, Viewer, build_wall
from approval.workflow import engine as workflow
from approval.workflow.states import Action, Role, State

ALL_CLEAR = "No post overdue, failed, unconfirmed, bound to fail, missed, held or retrying."
NETWORK_JSON = 'HTTP 400 {"error": {"message": "Media type not supported for this account (code 36003)."}}'


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _panel(page: str, name: str) -> str:
    return page[page.index(f'class="panel {name}') :].split("</section>")[0]


def _connected(account):  # noqa: ANN001, ANN202
    """An account that publishes (the factory's are connected to nothing: their posts would fail)."""
    controls.connect_account(Session.object_session(account), account, "outbox")
    return account


def _failed(make, db_session, account, at, comment="HTTP 400: refused.", payload=None):  # noqa: ANN001, ANN202
    post = make.post(State.scheduled, account=account, body=f"Échec de {at:%H:%M}.")
    workflow.record_step(db_session, post, Action.fail, now=at, payload=payload or {}, comment=comment)
    return post


@pytest.fixture()
def markets(make):
    return make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))


# M1: an address that names what the screen does not cover ---------------------------------------------------------


def test_an_address_naming_what_a_kiosk_does_not_cover_says_so_and_never_all_clear(make, web, db_session, markets):
    france, kenya = markets
    make.post(State.in_review, account=make.account(france, "x"), body="Le match commence bientôt.")
    _failed(make, db_session, make.account(kenya, "facebook"), utcnow() - timedelta(minutes=20), NETWORK_JSON)
    screen = kiosks.create_kiosk(db_session, "FR screen", ["FR"])
    everywhere = kiosks.create_kiosk(db_session, "Command room", [])
    for address, said in (
        (f"{screen.path}?market=KE", "KE is not one of this screen’s markets."),
        (f"{everywhere.path}?market=FX", "No market FX."),
        (f"{everywhere.path}?market=FRA", "No market FRA."),  # was dropped: every market shown
        (f"{everywhere.path}?campaign=999", "No campaign 999."),
        (f"{everywhere.path}?campaign=abc", "No campaign abc."),
        (f"{screen.path}?market=KE&view=problems", "KE is not one of this screen’s markets."),
    ):
        response = web.get(address)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, address
        assert f'<p class="unmatched everything" role="alert">{said}</p>' in page, address
        # No panel: no zeros, no green "all clear".
        assert 'class="panel' not in page and ALL_CLEAR not in page, address
        # The live stream keeps the selection as typed: it says the same.
        assert re.search(r'data-stream="[^"]*(market=|campaign=)', page), address
    # A part of it the screen covers: shown, and what it does not cover said above it.
    page = web.get(f"{everywhere.path}?market=FR&market=FX").get_data(as_text=True)
    assert '<p class="unmatched" role="alert">No market FX.</p>' in page
    assert "Le match commence" in page and 'class="panel counts' in page
    page = web.get(f"{screen.path}?market=FR&market=KE").get_data(as_text=True)
    assert '<p class="unmatched" role="alert">KE is not one of this screen’s markets.</p>' in page
    assert "Le match commence" in page
    # What it covers: nothing said.
    assert 'class="unmatched' not in web.get(f"{screen.path}?market=FR").get_data(as_text=True)
    assert 'class="unmatched' not in web.get(everywhere.path).get_data(as_text=True)


def test_the_signed_in_wall_says_so_too_without_telling_which_markets_exist(make, web, db_session, markets):
    france, kenya = markets
    rally = admin.create_campaign(db_session, "Safari Rally", kenya)
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france]))
    # Kenya is a market, FX none: both are "not among yours" (a reader of one market does not learn the others).
    for code in ("KE", "FX"):
        page = web.get(f"/hub?market={code}").get_data(as_text=True)
        assert f'<p class="unmatched everything" role="alert">No market {code} among yours.</p>' in page, code
        assert ALL_CLEAR not in page
    page = web.get(f"/hub?campaign={rally.id}").get_data(as_text=True)  # another market's campaign: not named
    assert f"No campaign {rally.id}." in page and "Safari Rally" not in page
    web.login(make.user(Role.admin))
    assert '<p class="unmatched everything" role="alert">No market FX.</p>' in web.get("/hub?market=FX").get_data(
        as_text=True
    )
    page = web.get("/hub?market=KE&market=fx").get_data(as_text=True)
    assert '<p class="unmatched" role="alert">No market FX.</p>' in page and 'class="panel counts' in page


def test_a_wall_matching_nothing_runs_none_of_the_walls_queries(make, db_session, markets):
    france, _kenya = markets
    kiosk = kiosks.create_kiosk(db_session, "FR screen", ["FR"])
    viewer = Viewer(kiosk_markets=(france.id,))
    wall = build_wall(db_session, viewer, Selection(markets=("KE",)))
    assert wall.unmatched.everything and wall.unmatched.outside == ("KE",) and wall.by_market == []
    wall = build_wall(db_session, viewer, Selection(campaign_id=999))
    assert wall.unmatched.everything and wall.unmatched.campaign == "999"
    assert kiosk.id


# M2: overdue and bound to fail, as the publishing desk lists them ---------------------------------------------------


def test_needs_attention_lists_the_desks_overdue_and_will_fail_posts_overdue_first(make, web, db_session, markets):
    france, _kenya = markets
    now = utcnow()
    overdue = make.post(
        State.scheduled,
        account=_connected(make.account(france, "linkedin")),
        body="Le direct commence à midi sur notre page.",
    )
    overdue.scheduled_at = now - timedelta(minutes=5)  # due, and no worker took it
    deactivated = make.account(france, "facebook")
    bound = make.post(
        State.scheduled, account=_connected(deactivated), body="Les billets pour la finale sont en vente demain."
    )
    bound.scheduled_at = now + timedelta(hours=2)
    deactivated.active = False
    nowhere = make.post(
        State.scheduled, account=make.account(france, "x"), body="Le coup d'envoi est donné dans une heure."
    )
    nowhere.scheduled_at = now + timedelta(hours=3)
    later = make.post(
        State.scheduled, account=make.account(france, "x"), body="Rendez-vous dans deux jours au stade de France."
    )
    later.scheduled_at = now + timedelta(days=2)  # bound to fail too, but not today: the desk has it
    failed = _failed(make, db_session, _connected(make.account(france, "x")), now - timedelta(minutes=30))
    db_session.flush()
    pm = make.user(Role.project_manager, markets=[france])
    wall = build_wall(db_session, Viewer(user_id=pm.id), Selection())
    assert [(post.id, why) for post, why in wall.problems] == [
        (overdue.id, "overdue"),
        (failed.id, "failed"),
        (bound.id, "unconnected"),
        (nowhere.id, "unconnected"),
    ]
    assert wall.problems_total == 4 and wall.overdue_total == 1
    assert overdue.id not in [post.id for post in wall.upcoming]

    web.login(pm)
    page = web.get("/hub").get_data(as_text=True)
    # It stands out: above the panels, in every view, and first in "Needs attention".
    strip = '<p class="overdue alert" role="alert">1 post is due and not out yet: is a publishing worker running?</p>'
    assert strip in page and strip in web.get("/hub?view=next").get_data(as_text=True)
    problems = _text(_panel(page, "problems"))
    assert "Needs attention 4 5 min FR LinkedIn" in problems, problems
    assert "overdue Is a publishing worker running?" in problems
    assert "in 2 hr. FR Facebook" in problems and "will fail The account is deactivated." in problems
    assert "The account is not connected to a publisher." in problems
    # The desk lists the same posts under the same words.
    desk = web.get("/publishing").get_data(as_text=True)
    for post in (overdue, bound, nowhere, later):
        assert f"#{post.id}" in desk or f"/posts/{post.id}" in desk, post.id


def test_a_held_post_is_held_not_overdue_nor_bound_to_fail(make, db_session, markets):
    france, _kenya = markets
    post = make.post(State.scheduled, account=make.account(france, "x"))  # connected to nothing
    post.scheduled_at = utcnow() - timedelta(minutes=5)
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu.")
    wall = build_wall(db_session, Viewer(user_id=make.user(Role.admin).id), Selection())
    assert [why for _post, why in wall.problems] == ["held"] and wall.overdue_total == 0


# m3: held within the day ----------------------------------------------------------------------------------------


def test_nothing_goes_out_tonight_counts_the_posts_held_within_the_day_only(make, web, db_session, markets):
    france, _kenya = markets
    account = _connected(make.account(france, "facebook"))
    for delay in (timedelta(hours=2), timedelta(hours=30), timedelta(days=110)):
        post = make.post(State.scheduled, account=account)
        post.scheduled_at = utcnow() + delay
    controls.turn_on(db_session, None, "market", market_code="FR", reason="Match perdu : on se tait ce soir.")
    admin_user = make.user(Role.admin)
    wall = build_wall(db_session, Viewer(user_id=admin_user.id), Selection())
    assert wall.held_total == 1 and [why for _post, why in wall.problems] == ["held"]
    web.login(admin_user)
    assert "Nothing goes out in the next 24 hours: 1 scheduled post is held." in _text(
        _panel(web.get("/hub").get_data(as_text=True), "next")
    )


# m4: the newest first, each reason on one line; polish: the network's words, zones, ages -----------------------


def test_needs_attention_puts_the_most_urgent_kind_first_then_the_newest(make, db_session, markets):
    france, _kenya = markets
    account = _connected(make.account(france, "x"))
    now = utcnow().replace(microsecond=0)
    failures = [_failed(make, db_session, account, now - timedelta(minutes=m)) for m in (40, 23, 1)]
    missed = make.post(State.approved, account=account)
    missed.missed_at = now - timedelta(minutes=2)
    db_session.flush()
    wall = build_wall(db_session, Viewer(user_id=make.user(Role.admin).id), Selection())
    assert [post.id for post, _why in wall.problems] == [*reversed([p.id for p in failures]), missed.id]
    assert len(wall.problems) <= ROWS


def test_the_networks_raw_answer_reads_in_a_few_words_on_the_wall_and_whole_on_the_desk(make, web, db_session, markets):
    france, kenya = markets
    now = utcnow()
    refused = _failed(
        make,
        db_session,
        _connected(make.account(kenya, "facebook")),
        now - timedelta(minutes=3),
        NETWORK_JSON,
        {"outcome": "refused", "message": NETWORK_JSON},
    )
    expired = _failed(
        make,
        db_session,
        _connected(make.account(kenya, "x")),
        now - timedelta(minutes=9),
        "HTTP 401 The access token has expired: reconnect the account.",
        {},
    )
    waiting = make.post(State.scheduled, account=_connected(make.account(france, "x")), body="Le stade est plein.")
    waiting.scheduled_at, waiting.next_attempt_at = now - timedelta(minutes=2), now + timedelta(minutes=3)
    waiting.claim_token, waiting.claimed_until = "t" * 32, now + timedelta(minutes=2)  # a worker took it...
    workflow.record_step(db_session, waiting, Action.claim, now=now - timedelta(minutes=2), payload={})
    waiting.claim_token = waiting.claimed_until = None  # ... and the network said "later"
    workflow.record_step(
        db_session,
        waiting,
        Action.postpone,
        now=now - timedelta(minutes=2),
        payload={"outcome": "temporary_error"},
        comment="HTTP 503 <html>Service Unavailable</html>",
    )
    db_session.flush()
    admin_user = make.user(Role.admin)
    web.login(admin_user)
    problems = _panel(web.get("/hub").get_data(as_text=True), "problems")
    assert '<span class="reason">Refused by the network (HTTP 400)</span>' in problems
    assert '<span class="reason">Reconnect the account (HTTP 401)</span>' in problems
    assert '<span class="reason">Network unavailable for now (HTTP 503)</span>' in problems
    assert "{&#34;error" not in problems and "{&quot;error" not in problems and "access token" not in problems
    # The desk keeps the network's whole answer.
    desk = web.get("/publishing").get_data(as_text=True)
    assert "Media type not supported" in desk and "The access token has expired" in desk
    french = _panel(web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True), "problems")
    assert refused.id and expired.id and "(HTTP 400)" in french


def test_the_wall_writes_every_zone_and_every_age_one_way(make, web, db_session, markets, app):
    from approval.views.hub import zone_name

    assert zone_name(datetime(2026, 12, 6, 4, 0, tzinfo=UTC)) == "UTC"
    assert zone_name(datetime(2026, 12, 6, 4, 0, tzinfo=ZoneInfo("Europe/Paris"))) == "UTC+1"
    assert zone_name(datetime(2026, 7, 6, 4, 0, tzinfo=ZoneInfo("Asia/Kolkata"))) == "UTC+5:30"
    assert zone_name(datetime(2026, 12, 6, 4, 0, tzinfo=ZoneInfo("America/New_York"))) == "UTC\u22125"
    france, kenya = markets
    now = utcnow()
    coming = make.post(State.scheduled, account=_connected(make.account(kenya, "x")), body="Kick-off in Nairobi.")
    coming.scheduled_at = now + timedelta(hours=2)
    _failed(make, db_session, _connected(make.account(france, "x")), now - timedelta(minutes=12))
    waiting = make.post(State.in_review, account=make.account(france, "facebook"))
    waiting.submitted_at = now - timedelta(minutes=12)
    db_session.flush()
    web.login(make.user(Role.admin))
    page = web.get("/hub").get_data(as_text=True)
    nairobi = coming.scheduled_at.astimezone(ZoneInfo("Africa/Nairobi"))
    assert f'{nairobi:%H:%M} <abbr class="tz" title="Africa/Nairobi">UTC+3</abbr>' in page
    assert not re.search(r'class="tz"[^>]*>[A-Z]{3,4}<', page)  # no "CET", "EAT"
    # An age is said one way: "12 min" in the queue and in "Needs attention", never "12 min. ago".
    assert '<span class="age">12 min</span>' in _panel(page, "queue")
    assert '<time class="rel" datetime' in _panel(page, "problems") and ">12 min</time>" in _panel(page, "problems")
    assert " ago" not in _text(_panel(page, "problems"))
    assert "UTC" in page[page.index('class="updated"') :][:200]


# The counts' order ----------------------------------------------------------------------------------------------


def test_the_counts_list_the_markets_with_something_pending_first(make, web, db_session):
    """Failed first, then awaiting review (those also going out within the day before the others), then going out
    within the day, then anything pending; those with nothing pending last (a screen of many markets folds them).
    The clocks in the head line follow the rows."""
    poland, belgium, kenya, france, germany, spain = (make.market(c) for c in ("PL", "BE", "KE", "FR", "DE", "ES"))
    for market in (poland, france):
        coming = make.post(State.scheduled, account=_connected(make.account(market, "x")))
        coming.scheduled_at = utcnow() + timedelta(hours=3)
    make.post(State.approved, account=make.account(belgium, "x"))
    _failed(make, db_session, _connected(make.account(kenya, "x")), utcnow() - timedelta(minutes=5))
    make.post(State.in_review, account=make.account(france, "x"))
    make.post(State.in_review, account=make.account(germany, "x"))
    make.post(State.draft, account=make.account(spain, "x"))  # a draft is nobody's to handle yet
    make.market("AT")
    db_session.flush()
    admin_user = make.user(Role.admin)
    wall = build_wall(db_session, Viewer(user_id=admin_user.id), Selection())
    order = ["KE", "FR", "DE", "PL", "BE", "AT", "ES"]
    assert [row.market.code for row in wall.by_market] == order
    assert [row.market.code for row in wall.by_market if row.idle] == ["AT", "ES"]
    web.login(admin_user)
    page = web.get("/hub").get_data(as_text=True)
    head = page[page.index('<header class="wall-head">') :].split("</header>")[0]
    assert re.findall(r'<span class="mk">(\w\w)</span> <time class="clock"', head) == order
    rows = page[page.index('<table class="markets">') :].split("</table>")[0]
    assert re.findall(r'<tr class="(idle)?"><th class="mk">(\w\w)</th>', rows) == [
        ("idle" if code in ("AT", "ES") else "", code) for code in order
    ]


# Kiosk names (the admin walk, m4) --------------------------------------------------------------------------------


def test_a_kiosk_name_too_long_or_already_a_live_links_is_refused_with_the_reason(admin_web, db_session, markets):
    response = admin_web.post("/hub/kiosks", {"name": "k" * 101, "markets": ["FR"]})
    assert response.status_code == 422 and "At most 100 characters." in response.get_data(as_text=True)
    assert kiosks.list_kiosks(db_session) == []
    assert admin_web.post("/hub/kiosks", {"name": "k" * 100, "markets": ["FR"]}).status_code == 303
    assert admin_web.post("/hub/kiosks", {"name": "Salle 📺 écran 3"}).status_code == 303
    response = admin_web.post("/hub/kiosks", {"name": "  SALLE 📺  ÉCRAN 3 ", "markets": ["KE"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "A kiosk link named “Salle 📺 écran 3” exists already." in page
    assert 'value="KE" checked' in page  # what was typed comes back
    # Revoked, its name is free again (a screen's new link).
    first = next(k for k in kiosks.list_kiosks(db_session) if k.name == "Salle 📺 écran 3")
    kiosks.revoke_kiosk(db_session, first.id)
    assert admin_web.post("/hub/kiosks", {"name": "Salle 📺 écran 3"}).status_code == 303


def test_the_kiosk_command_refuses_them_too(cli_in_process, databases):
    cli = cli_in_process  # the command's output and exit status: no process of its own needed
    databases.migrate(cli.url)
    too_long = cli("kiosk", "create", "--name", "k" * 101, check=False)
    assert too_long.returncode == 2 and "At most 100 characters." in too_long.stderr
    cli("kiosk", "create", "--name", "Command room")
    twice = cli("kiosk", "create", "--name", "command ROOM", check=False)
    assert twice.returncode == 2 and "exists already" in twice.stderr and "--name" in twice.stderr


# In a browser: 28 markets on a 1080p screen ---------------------------------------------------------------------

CODES = (
    "BE",
    "BF",
    "BW",
    "CD",
    "CF",
    "CI",
    "CM",
    "EG",
    "ES",
    "GN",
    "GW",
    "JO",
    "LR",
    "LU",
    "MA",
    "MD",
    "MG",
    "ML",
    "NE",
    "RO",
    "SK",
    "SL",
    "SN",
    "TN",
    "US",
)


def _twenty_eight_markets(url: str) -> str:
    """The demo's three markets with something to do (a failure, posts in review, one going out), 25 with nothing,
    four incidents with long reasons and one overdue post; returns an all-markets kiosk's path."""
    seed(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "wall-28", "TESTING": True})
    with app.app_context(), db.transaction() as session:
        make = Factory(session)
        france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
        poland = make.market("PL", "Europe/Warsaw", ("pl",))
        for code in CODES:
            make.market(code)
        now = utcnow()
        for market in (france, kenya, poland):
            make.post(State.in_review, account=make.account(market, "x"), body="Le coup d'envoi est à 21 heures.")
        coming = make.post(
            State.scheduled,
            account=_connected(make.account(poland, "facebook")),
            body="Strefa kibica otwarta w sobotę.",
        )
        coming.scheduled_at = now + timedelta(hours=5)
        late = make.post(
            State.scheduled,
            account=_connected(make.account(france, "linkedin")),
            body="Nous publions aujourd'hui notre rapport annuel.",
        )
        late.scheduled_at = now - timedelta(minutes=4)
        _failed(
            make,
            session,
            _connected(make.account(kenya, "facebook")),
            now - timedelta(minutes=23),
            NETWORK_JSON,
            {"outcome": "refused"},
        )
        _failed(
            make,
            session,
            _connected(make.account(kenya, "x")),
            now - timedelta(minutes=1),
            "HTTP 401 The access token has expired: reconnect the account in the network's settings page.",
            {},
        )
        missed = make.post(
            State.approved,
            account=_connected(make.account(france, "facebook")),
            body="Gagnez vos places pour la finale.",
        )
        missed.missed_at = now - timedelta(minutes=8)
        kiosk = kiosks.create_kiosk(session, "All markets", [])
        return kiosk.path


def _counts_seen(page) -> dict:  # noqa: ANN001
    return page.evaluate("""() => {
      const px = e => parseFloat(getComputedStyle(e).fontSize);
      const counts = document.querySelector('.panel.counts');
      const shown = Array.from(counts.querySelectorAll('table.markets tbody tr:not(.fold)')).filter(r => !r.hidden);
      const fold = counts.querySelector('tr.fold');
      const heads = Array.from(counts.querySelectorAll('table.markets thead th.st'));
      return {markets: px(counts.querySelector('table.markets tbody td')),
              networks: px(counts.querySelector('table.networks tbody td')),
              shown: shown.map(r => r.querySelector('th').textContent),
              fold: fold.hidden ? null : fold.textContent.trim(),
              overflows: counts.scrollHeight > counts.clientHeight + 1,
              // A rotated heading on one line is as wide as one line of its type (two lines: twice that).
              heading_widths: heads.map(h => { const r = document.createRange(); r.selectNodeContents(h);
                return r.getBoundingClientRect().width / px(h); })};
    }""")


@pytest.mark.browser
@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_twenty_eight_markets_read_from_five_metres_on_a_1080p_screen(
    chromium,  # noqa: F811
    databases,
    backend,
    tmp_path,
):
    from test_browser_hub import Server

    url = databases.migrated_url(backend)
    kiosk_path = _twenty_eight_markets(url)
    server = Server(url, tmp_path / "instance", worker=False)  # no worker: the post due stays overdue
    server.start()
    folder = ARTIFACTS / f"wall-28-markets-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB", timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.port}{kiosk_path}")
        page.wait_for_selector("body[data-connection=open]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(folder / "1920x1080-three-busy.png"))
        assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight")
        seen = _counts_seen(page)
        # Never under the body's type (40 px at 1080p: 25 mm on a 55" screen); the networks' table its own size.
        assert seen["markets"] >= 40 and seen["networks"] >= 40, seen
        assert not seen["overflows"], seen
        # The markets with something pending first, those with nothing folded into one line.
        assert seen["shown"][:3] == ["KE", "FR", "PL"], seen
        assert seen["fold"] == "+25 markets with nothing pending", seen
        # The state headings on one line each.
        assert max(seen["heading_widths"]) < 1.6, seen
        # "Needs attention": the overdue post first, each reason whole (wrapped, never cut: "failed Reconnect the…"
        # said nothing), three incidents or more whole on the screen (with their reasons whole, the fourth is "+1
        # more" at 1080p).
        problems = page.evaluate("""() => Array.from(document.querySelectorAll('.panel.problems li.bad'))
          .filter(li => !li.hidden).map(li => { const c = li.querySelector('.cause');
            return {why: li.querySelector('.why').textContent, brief: li.classList.contains('brief'),
                    cut: c.scrollWidth > c.clientWidth + 1}; })""")
        assert problems[0]["why"] == "overdue", problems
        assert len(problems) >= 3, problems
        assert not any(p["cut"] for p in problems), problems
        assert "1 post is due and not out yet" in page.inner_text(".overdue.alert")
        updated = page.inner_text(".wall-head .updated")
        assert re.search(r"\d\d:\d\d UTC\+[12]$", updated), updated  # the screen's zone, as the markets' are written

        # Every market busy: they cannot all be shown legibly; the least urgent fold, the type stays legible.
        engine = make_engine(url)
        with Session(engine) as session:
            make = Factory(session)
            make.counter = 1000  # names apart from the first factory's
            for code in CODES:
                make.post(State.in_review, account=make.account(make.market(code), "x"))
            session.commit()
        engine.dispose()
        page.wait_for_function(
            "() => { const f = document.querySelector('tr.fold');"
            " return f && !f.hidden && f.textContent.includes('more market'); }",
            timeout=10000,
        )
        page.wait_for_timeout(300)
        page.screenshot(path=str(folder / "1920x1080-all-busy.png"))
        seen = _counts_seen(page)
        assert seen["markets"] >= 40 and seen["networks"] >= 40 and not seen["overflows"], seen
        assert seen["shown"][:3] == ["KE", "FR", "PL"] and len(seen["shown"]) >= 4, seen
        assert seen["fold"] == f"+{28 - len(seen['shown'])} more markets", seen
    finally:
        context.close()
        server.stop()
