"""The Social Hub wall read from five metres on a 55" screen, in a real headless Chromium, and what it says of the
posts to handle and of a lost connection.

A 55" 1080p screen shows about 0.63 mm per pixel: the wall's 20 px excerpts were 12 mm tall, where a reader five metres
away needs 25 mm or more. The wall scales with the screen: a 4K screen (3840x2160 CSS pixels at a device pixel ratio
of 1, or 1920x1080 at 2) shows the same physical sizes as a 1080p one of the same diagonal. Screenshots land in
test-artifacts/browser/wall-readability-<backend>/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import ONE_BACKEND, Factory
from hub_live import seed
from test_browser import ARTIFACTS, chromium  # noqa: F401 - the shared Chromium fixture
from test_browser_hub import Server

from approval import administration as admin
from approval import create_app
from approval.db import db, utcnow
from approval.publishing import controls, reasons
from approval.workflow import engine as workflow
from approval.workflow.states import Action, Role, State

LONG_BODY = ("La Tour Eiffel brille ce soir aux couleurs de l'équipe la plus soutenue de France, et le Social Hub "
             "ouvre ses portes aux supporters jusqu'à minuit.")
HANDLE = "helio.france.officielle"
REFUSED = "HTTP 400: the page refused the text, which is longer than the network allows."

#: (selector, the least font size in CSS pixels at 1920x1080, what it is). Before: 19.8, 22, 24, 18, 18, 24, 17.6.
SIZES = (
    (".panel.queue li .text", 40, "an excerpt"),
    (".panel.queue li .handle", 40, "a handle"),
    (".counts tbody td", 48, "a count"),
    (".counts thead th.st", 36, "a column's heading"),
    (".wall-head .updated", 32, "the time of the last update"),
    (".panel h2", 36, "a panel's heading"),
    (".panel.published .url", 30, "a published address"),
)


def _scene(url: str) -> str:
    """The wall of a busy evening in France: posts awaiting review (one long, on an account with a long handle), one
    going out in two hours, one published, one the network refused twelve minutes ago; returns the kiosk's path."""
    kiosk_path, *_rest = seed(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "wall-readability", "TESTING": True})
    with app.app_context(), db.transaction() as session:
        make = Factory(session)
        france = make.market("FR")
        long_handle = admin.create_account(session, france, "facebook", HANDLE, "Helio")
        make.post(State.in_review, account=long_handle, body=LONG_BODY)
        make.post(State.in_review, account=make.account(france, "x"), body="Le coup d'envoi est à 21 heures.")
        coming = make.post(State.scheduled, account=make.account(france, "linkedin"),
                           body="Nous publions aujourd'hui notre rapport annuel sur la connectivité.")
        coming.scheduled_at = utcnow() + timedelta(hours=2)
        make.post(State.published, account=make.account(france, "x"),
                  body="Revivez l'illumination de la Tour Eiffel en vidéo.")
        failed = make.post(State.scheduled, account=make.account(france, "facebook"),
                           body="Notre fan zone ouvre ses portes samedi à 10 heures, entrée libre.")
        workflow.record_step(session, failed, Action.fail, now=utcnow() - timedelta(minutes=12), payload={},
                             comment=REFUSED)
    return kiosk_path


def _css_px(page, selector: str) -> float:  # noqa: ANN001
    """Read in one step, the wall as it stands: the stream may replace it between two of Playwright's steps."""
    return page.evaluate("s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector)


#: The WCAG contrast of an element's text on its panel's background.
CONTRAST = """s => { const e = document.querySelector(s);
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const fg = lum(getComputedStyle(e).color), bg = lum(getComputedStyle(e.closest('.panel')).backgroundColor);
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


#: The queue's item of an account (its handle): its text, how many lines it takes, whether any of it or of the handle
#: is cut.
ITEM = """handle => {
  const item = Array.from(document.querySelectorAll('.panel.queue li')).find(li => li.textContent.includes(handle));
  const text = item.querySelector('.text'), at = item.querySelector('.handle');
  const box = at.getBoundingClientRect(), panel = item.closest('.panel').getBoundingClientRect();
  return {text: text.textContent, handle: at.textContent,
          lines: text.getBoundingClientRect().height / parseFloat(getComputedStyle(text).lineHeight),
          text_whole: text.scrollHeight <= text.clientHeight + 1,
          handle_whole: at.scrollWidth <= at.clientWidth + 1 && box.right <= panel.right && box.width > 0};
}"""


def _serve(databases, backend: str, instance):  # noqa: ANN001, ANN202
    """The scene on a database of its own, served by a server of its own: (the kiosk's address, server, folder)."""
    url = databases.migrated_url(backend)
    kiosk_path = _scene(url)
    server = Server(url, instance)
    server.start()
    folder = ARTIFACTS / f"wall-readability-{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield f"http://127.0.0.1:{server.port}{kiosk_path}", server, folder
    finally:
        server.stop()


@pytest.fixture(scope="module")
def wall(databases, backend, tmp_path_factory):  # noqa: ANN001, ANN201
    """The wall the tests that only look at it share: its scene written and its server started once."""
    yield from _serve(databases, backend, tmp_path_factory.mktemp("wall") / "instance")


@pytest.fixture()
def served(databases, backend, tmp_path):  # noqa: ANN001, ANN201
    """A wall of the test's own, for a test that stops its server."""
    yield from _serve(databases, backend, tmp_path / "instance")


def _open(chromium, address: str, width: int, height: int, scale: float = 1, locale: str = "en-GB"):  # noqa: ANN001, ANN202, F811
    context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                   locale=locale, timezone_id="Europe/Paris")
    page = context.new_page()
    page.goto(address)
    page.wait_for_selector("#wall .wall-head")
    page.wait_for_selector("body[data-connection=open]")
    return context, page


def _fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight "
                         "&& document.documentElement.scrollWidth <= window.innerWidth")


@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_the_wall_reads_from_five_metres_on_a_1080p_screen_and_the_same_on_a_4k_one(chromium, wall):  # noqa: F811
    address, _server, folder = wall
    context, page = _open(chromium, address, 1920, 1080)
    try:
        assert _fits(page), "the wall scrolls at 1920x1080"
        sizes = {selector: _css_px(page, selector) for selector, _least, _what in SIZES}
        for selector, least, what in SIZES:
            assert sizes[selector] >= least, f"{what} ({selector}) is {sizes[selector]} px at 1920x1080"
        # A zero is quieter than a count, and still readable: WCAG AA (4.5:1) on its panel, as are the muted names.
        for selector in (".counts td.zero", ".counts thead th.st", ".counts tbody th.net", ".panel.published .url",
                         ".panel h2"):
            ratio = page.evaluate(CONTRAST, selector)
            assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}:1"
        # The counts use the height of their column: the tables reach its lower part, not its first half.
        used = page.evaluate("""() => { const panel = document.querySelector('.panel.counts').getBoundingClientRect();
            const tables = document.querySelectorAll('.panel.counts table');
            const last = tables[tables.length - 1].getBoundingClientRect();
            return (last.bottom - panel.top) / panel.height; }""")
        assert used >= 0.75, f"the counts fill {used:.0%} of their column"
        # No list shows a line cut by the bottom of its panel.
        cut = page.evaluate("""() => Array.from(document.querySelectorAll('.panel li')).filter(li => {
            if (!li.offsetParent) return false;
            const box = li.getBoundingClientRect(), panel = li.closest('.panel').getBoundingClientRect();
            return box.bottom > panel.bottom + 1; }).length""")
        assert cut == 0, f"{cut} lines cut by the bottom of their panel"
        page.screenshot(path=str(folder / "1920x1080.png"))
    finally:
        context.close()

    # A 4K screen of the same diagonal: in CSS pixels at a device pixel ratio of 1 every size doubles with the screen
    # (the same millimetres); at a ratio of 2 the CSS sizes are those of 1080p, drawn with twice the pixels.
    for width, height, scale, name in ((3840, 2160, 1, "3840x2160-dpr1"), (1920, 1080, 2, "3840x2160-dpr2")):
        context, page = _open(chromium, address, width, height, scale)
        try:
            assert _fits(page), name
            for selector, _least, what in SIZES:
                expected = sizes[selector] * width / 1920
                assert _css_px(page, selector) == pytest.approx(expected, rel=0.02), f"{what} at {name}"
            page.screenshot(path=str(folder / f"{name}.png"))
            png = (folder / f"{name}.png").read_bytes()
            assert int.from_bytes(png[16:20], "big") == 3840  # the screenshot's width in device pixels
        finally:
            context.close()


@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_excerpts_and_handles_are_cut_by_the_screen_not_by_the_server(chromium, wall):  # noqa: F811
    address, _server, folder = wall
    context, page = _open(chromium, address, 1920, 1080)
    try:
        # The server sends the whole text; the screen shows two lines at most. The handle is never cut: all of it
        # inside its panel.
        seen = page.evaluate(ITEM, HANDLE)
        assert seen["text"] == LONG_BODY
        assert 0.9 < seen["lines"] <= 2.05, seen
        assert seen["handle"] == "@" + HANDLE
        assert seen["handle_whole"], "the handle is cut"
        # On a screen showing that list alone, the whole text shows: nothing cut where there is room.
        page.goto(address + "?view=queue")
        page.wait_for_selector("body[data-connection=open]")
        seen = page.evaluate(ITEM, HANDLE)
        assert seen["text"] == LONG_BODY
        assert seen["text_whole"], "the text is cut on a full-width line"
        page.screenshot(path=str(folder / "queue-1920x1080.png"))
    finally:
        context.close()


@ONE_BACKEND  # in a browser: the layout and the scripts, the same on either database
def test_a_lost_connection_keeps_the_clocks_in_view_says_since_when_and_the_ages_go_on(chromium, served):  # noqa: F811
    address, server, folder = served
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB",
                                   timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        page.clock.install()
        page.goto(address)
        page.wait_for_selector("#wall .wall-head")
        page.wait_for_selector("body[data-connection=open]")
        before = page.inner_text(".panel.queue li .age")
        server.stop()
        page.wait_for_selector("#connection:not([hidden])", timeout=10000)
        banner = page.inner_text("#connection")
        assert re.search(r"Connection lost since \d\d:\d\d", banner), banner
        # The banner covers neither the clocks nor the time of the last update, which stay undimmed.
        covered = page.evaluate("""() => {
            const banner = document.getElementById('connection').getBoundingClientRect();
            return Array.from(document.querySelectorAll('.wall-head .clocks, .wall-head .updated')).filter(e => {
              const box = e.getBoundingClientRect();
              return box.left < banner.right && banner.left < box.right && box.top < banner.bottom
                && banner.top < box.bottom; }).length; }""")
        assert covered == 0, "the banner hides the clocks or the time of the last update"
        dimmed = page.evaluate("""() => { let found = [];
            const e = document.querySelector('.wall-head');
            for (let node = e; node && node.nodeType === 1; node = node.parentNode) {
              const style = getComputedStyle(node);
              if (style.opacity !== '1' || style.filter !== 'none') found.push(node.id || node.className); }
            return found; }""")
        assert dimmed == [], f"the head line is dimmed by {dimmed}"
        assert page.evaluate("() => getComputedStyle(document.querySelector('.wall-grid')).opacity") != "1"
        page.screenshot(path=str(folder / "connection-lost.png"))
        # Five minutes later, still down: the ages count on, and the last update says how old it is.
        page.clock.fast_forward("05:00")
        page.wait_for_function("before => document.querySelector('.panel.queue li .age').innerText !== before",
                               arg=before, timeout=5000)
        assert "5 min" in page.inner_text(".wall-head .updated"), page.inner_text(".wall-head .updated")
        page.screenshot(path=str(folder / "connection-lost-5-minutes.png"))
    finally:
        context.close()


# The same, as the server renders it (both databases, no browser) ------------------------------------------------


def test_each_post_to_handle_says_why_and_since_when(make, web, db_session):
    france = make.market("FR")
    now = utcnow()
    failed = make.post(State.scheduled, account=make.account(france, "facebook"), body="Notre fan zone ouvre samedi.")
    workflow.record_step(db_session, failed, Action.fail, now=now - timedelta(minutes=12), payload={},
                         comment=REFUSED)
    waiting = make.post(State.scheduled, account=make.account(france, "x"), body="Le stade est plein.")
    waiting.scheduled_at, waiting.next_attempt_at = now - timedelta(minutes=5), now + timedelta(minutes=3)
    waiting.claim_token, waiting.claimed_until = "t" * 32, now + timedelta(minutes=2)  # a worker took it...
    workflow.record_step(db_session, waiting, Action.claim, now=now - timedelta(minutes=2), payload={})
    waiting.claim_token = waiting.claimed_until = None  # ... and the network said "later"
    workflow.record_step(db_session, waiting, Action.postpone, now=now - timedelta(minutes=2), payload={},
                         comment="HTTP 503 Service Unavailable")
    missed = make.post(State.scheduled, account=make.account(france, "linkedin"), body="Rendez-vous à midi.")
    why = [reasons.reason(reasons.MISSED_UNSENT)]
    missed.missed_at = now - timedelta(hours=2)
    workflow.record_step(db_session, missed, Action.miss, now=now - timedelta(hours=2), payload={"why": why},
                         comment=reasons.text(why))
    db_session.flush()
    web.login(make.user(Role.admin))
    page = web.get("/hub?view=problems").get_data(as_text=True)
    items = {m.group(1): m.group(0) for m in re.finditer(r'<li class="bad[^"]*">.*?class="why why-(\w+)".*?</li>',
                                                          page, re.S)}
    assert set(items) == {"failed", "retrying", "missed"}, items
    # The network's answer in a few words (the desk keeps the whole of it); how long ago, as the queue says it.
    assert "Refused by the network (HTTP 400)" in items["failed"] and ">12 min</time>" in items["failed"]
    assert "Network unavailable for now (HTTP 503)" in items["retrying"] and "in 3 min." in items["retrying"]
    assert "No publishing worker sent it within its grace period" in items["missed"]
    assert ">2 hr</time>" in items["missed"]
    for item in items.values():
        assert re.search(r'datetime="\d{4}-\d\d-\d\dT', item), item
    # In the reader's language, as the publishing desk says it.
    french = web.get("/hub?view=problems", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Aucun processus de publication ne l’a envoyée" in french and ">12\u00a0min</time>" in french


def test_a_stop_switch_reason_ending_a_sentence_is_not_followed_by_a_lower_case_word(make, web, db_session):
    france = make.market("FR")
    controls.turn_on(db_session, None, "market", market_code=france.code, reason="Match perdu, on se tait ce soir.")
    web.login(make.user(Role.admin))
    page = web.get("/hub", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    stops = page[page.index('class="stops'):].split("</section>")[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", stops))
    assert "on se tait ce soir." in text
    assert not re.search(r"soir\. depuis", text), text
    assert "(depuis " in text


def test_kiosk_create_prints_the_whole_address_where_it_is_known(cli_in_process, databases):
    cli = cli_in_process  # in this process: what the command prints is the point
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    unknown = cli("kiosk", "create", "--name", "Screen 1", "--market", "FR").stdout.strip().splitlines()
    path = unknown[-1]
    assert path.startswith("/hub/k/kio1_")  # alone on the last line (CONTRACT.md)
    said = "\n".join(unknown[:-1])
    assert "APPROVAL_PUBLIC_URL" in said and "http" not in said.split("APPROVAL_PUBLIC_URL")[0], said
    cli.env["APPROVAL_PUBLIC_URL"] = "https://approval.helio.example/"
    known = cli("kiosk", "create", "--name", "Screen 2").stdout.strip().splitlines()
    assert known[-1].startswith("/hub/k/kio1_")
    assert f"https://approval.helio.example{known[-1]}" in "\n".join(known[:-1])

