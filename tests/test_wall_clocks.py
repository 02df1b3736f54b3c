"""The wall's market clocks, in a real headless Chromium: every clock shows where the head line has room for them (six
markets at 1440 and at 1920 pixels wide), with a campaign chosen too, and those it has no room for fold into "+N"
(the last: the least urgent). Three of six showed at 1440 beside "+3" with room left on the line, five at 1920, and
with ``?campaign=`` none: the campaign's name in the title left them no room, and "+6" stood for them all.
Screenshots land in test-artifacts/browser/wall-clocks-<backend>/."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import administration as admin
from approval import create_app
from approval.db import make_engine
from approval.workflow.states import Role

from conftest import ONE_BACKEND
from test_browser import ARTIFACTS, PASSWORD, chromium, sign_in  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

MARKETS = [("FR", "France", "Europe/Paris", "fr"), ("KE", "Kenya", "Africa/Nairobi", "en"),
           ("PL", "Poland", "Europe/Warsaw", "pl"), ("DE", "Germany", "Europe/Berlin", "de"),
           ("BR", "Brazil", "America/Sao_Paulo", "pt"), ("JP", "Japan", "Asia/Tokyo", "ja")]

#: Each clock of the head line: its market, whether it shows, its box; and the "+N" that stands for those folded.
CLOCKS = """() => { const list = document.querySelector('.clocks'), more = list.querySelector('li.more');
  const box = e => { const b = e.getBoundingClientRect(); return {left: b.left, right: b.right, top: b.top,
                                                                   bottom: b.bottom}; };
  return {clocks: Array.from(list.querySelectorAll('li:not(.more)')).map(li => ({
            market: li.querySelector('.mk').textContent, shown: !li.hidden && li.offsetParent !== null, box: box(li)})),
          more: more.hidden ? null : more.textContent, list: box(list),
          overflows: list.scrollWidth > list.clientWidth + 1,
          main: box(document.querySelector('.wall-main'))}; }"""


@pytest.fixture()
def six_markets(backend, databases):  # noqa: ANN001, ANN201
    """A live server over six markets, a group-wide project manager (a wall with its way back to the pages in its
    head line) and a campaign of every market: (its address, the campaign's id)."""
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        for code, name, zone, language in MARKETS:
            market = admin.create_market(session, code, name, zone, [language])
            admin.create_account(session, market, "x", f"helio_{code.lower()}", "Helio")
        admin.create_user(session, "lucile@helio.example", "Lucile Tardieu", Role.project_manager, PASSWORD,
                          all_markets=True)
        campaign = admin.create_campaign(session, "Euro football tournament", None).id
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "wall-clocks", "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", campaign
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
@pytest.mark.parametrize("width, height", [(1440, 900), (1920, 1080)])
def test_every_markets_clock_shows_where_they_fit_a_campaign_chosen_or_not(chromium, six_markets, backend,  # noqa: F811
                                                                            width, height):
    base, campaign = six_markets
    folder = ARTIFACTS / f"wall-clocks-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        for name, address in (("all", "/hub"), ("campaign", f"/hub?campaign={campaign}")):
            page.goto(base + address)
            page.wait_for_selector("body[data-connection=open]")
            page.wait_for_timeout(200)
            page.screenshot(path=str(folder / f"{width}x{height}-{name}.png"))
            said = page.evaluate(CLOCKS)
            assert sorted(clock["market"] for clock in said["clocks"]) == sorted(code for code, *_ in MARKETS)
            assert all(clock["shown"] for clock in said["clocks"]), (name, said)
            assert said["more"] is None and not said["overflows"], (name, said)
            for clock in said["clocks"]:  # each whole, on the screen, in the head above the panels
                box = clock["box"]
                assert 0 <= box["left"] and box["right"] <= width, (name, clock)
                assert box["bottom"] <= said["main"]["top"] + 1, (name, clock, said["main"])
    finally:
        context.close()


@ONE_BACKEND
def test_clocks_without_room_fold_into_a_count_the_last_first(chromium, six_markets):  # noqa: F811
    """Where the line has no room for all of them (a narrow screen), as many as fit show, and "+N" counts the others:
    the last ones, the least urgent (the server sends them the most urgent first)."""
    base, _campaign = six_markets
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, base, "lucile@helio.example")
        page.goto(base + "/hub")
        page.wait_for_selector("body[data-connection=open]")
        # Twenty-four more markets' clocks, as a group's wall has them: the screen folds those it has no room for.
        # Added, fitted (the resize's handler runs at once) and read in one task: the wall's live updates redraw the
        # head with its six markets between two tasks.
        grow = """() => { const list = document.querySelector('.clocks'), more = list.querySelector('li.more');
          const first = list.querySelector('li:not(.more)');
          for (let i = 0; i < 24; i++) { const copy = first.cloneNode(true);
            copy.querySelector('.mk').textContent = 'M' + i; list.insertBefore(copy, more); }
          window.dispatchEvent(new Event('resize')); }"""
        said = page.evaluate(f"() => {{ ({grow})(); return ({CLOCKS})(); }}")
        shown = [clock["market"] for clock in said["clocks"] if clock["shown"]]
        assert 6 <= len(shown) < 30 and not said["overflows"], said
        assert shown == [clock["market"] for clock in said["clocks"]][:len(shown)]  # the first ones
        assert said["more"] == f"+{30 - len(shown)}", said
    finally:
        context.close()
