"""What a visual and accessibility walk checks, kept checked: text on coloured fills reads (WCAG contrast), every page
offers to skip its top bar, a table folded into cards on a phone keeps each value's name, a radio button or a link
is big enough for a finger, a refused decision brings the reviewer to the field that needs fixing, and the top bar
says where one is. The first tests read the HTML; the others run in a real Chromium, as the browser journey does."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import administration as admin
from approval import operations as ops
from approval.models import Account, User
from approval.workflow.states import Action, Role, State

from conftest import ONE_BACKEND
from test_browser import PASSWORD, chromium, live_server, sign_in  # noqa: F401 - the shared browser fixtures

PHONE = {"width": 375, "height": 800}

# WCAG's relative luminance and contrast ratio, computed from the colours the browser actually draws: a text's colour
# against the first ancestor (itself included) with an opaque background.
CONTRAST_JS = """() => {
window.__contrast = (element) => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map((c) => { c /= 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); })
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  let back = element;
  while (back && (rgb(getComputedStyle(back).backgroundColor)[3] === 0)) { back = back.parentElement; }
  const fg = luminance(rgb(getComputedStyle(element).color));
  const bg = luminance(rgb(back ? getComputedStyle(back).backgroundColor : "rgb(255, 255, 255)"));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
};
}"""


def _contrasts(page, selector: str) -> list[tuple[str, float]]:  # noqa: ANN001
    page.evaluate(CONTRAST_JS)
    return page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector))
        .filter((e) => e.getClientRects().length)
        .map((e) => [e.className + ' ' + e.textContent.trim().slice(0, 30), window.__contrast(e)])""", selector)


# The HTML ------------------------------------------------------------------------------------------------------


def test_every_page_starts_with_a_link_to_its_content(web, make):
    """A keyboard's first Tab skips the top bar's dozen links."""
    page = web.get("/login").get_data(as_text=True)
    body = page[page.index("<body"):]
    first = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)
    assert 'class="skip-link"' in first and 'href="#main"' in first, first
    assert '<main id="main" tabindex="-1">' in body


def _current_in_the_bar(page: str) -> list[str]:
    """The top bar's entries marked as the current page: each for the eye (``active``) and for a screen reader."""
    bar = page[page.index('<header class="topbar">'):page.index("</header>")]
    marked = []
    for tag, text in re.findall(r"(<a\b[^>]*>)(.*?)</a>", bar, re.S):
        current = 'aria-current="page"' in tag
        assert current == bool(re.search(r'class="[^"]*\bactive\b', tag)), tag
        if current:
            title = re.search(r'title="([^"]*)"', tag)
            marked.append(title.group(1) if title else re.sub(r"<[^>]+>", "", text).strip())
    return marked


def test_an_admin_page_is_under_administration_in_the_top_bar(admin_web):
    """Publishing settings and the audit trail are tabs of the administration: its entry is the one highlighted."""
    for path in ("/publishing/settings", "/reports/audit", "/admin/log", "/admin/markets", "/hub/kiosks"):
        current = _current_in_the_bar(admin_web.get(path).get_data(as_text=True))
        assert current == ["Administration"], (path, current)


def test_the_top_bar_tells_a_screen_reader_where_one_is(web, make):
    """The current page's entry was only underlined: it is also marked aria-current (on a phone it is in the menu)."""
    manager = make.user(Role.project_manager, markets=[make.market("FR")])
    web.login(manager)
    for path, entry in (("/review", "Review"), ("/posts", "Posts"), ("/posts/new", "Posts"),
                        ("/hub/dashboard", "Dashboard"), ("/reports", "Reports"), ("/publishing", "Publishing"),
                        ("/notifications", "Notifications"), ("/profile", manager.name)):
        assert _current_in_the_bar(web.get(path).get_data(as_text=True)) == [entry], path


def test_the_cells_of_admin_tables_say_what_they_hold(admin_web, make):
    """On a phone a table's header row is hidden: each cell names its column (data-label), as the dashboard's do."""
    market = make.market("FR")
    account = make.account(market, "linkedin", executive=make.executive("Hélène Marchand"))
    make.post(State.in_review, account=account)
    # (/admin's table reads without: its rows are named, "Markets 3 New market".)
    for path in ("/admin/markets", "/admin/accounts", "/admin/users", "/admin/executives",
                 "/reports/audit", "/notifications/settings", f"/admin/markets/{market.id}/policy"):
        page = admin_web.get(path).get_data(as_text=True)
        assert "<tbody" in page, path
        checked = 0
        for table in re.findall(r"<table.*?</table>", page, re.S):
            heads = re.search(r"<thead>(.*?)</thead>", table, re.S)
            if not heads:
                continue
            # A column named for a screen reader only ("Actions") holds actions that say what they do: no label.
            names = [re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", h)).strip()
                     for h in re.findall(r"<th[^>]*>(.*?)</th>", heads.group(1), re.S)]
            for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", table.split("<tbody", 1)[1], re.S):
                cells = re.findall(r"<(td|th)\b([^>]*)>", row)
                if len(cells) != len(names):
                    continue  # "no row matches", across every column
                for name, (tag, attributes) in zip(names, cells):
                    if name and tag == "td":  # a row's own header (th) names it
                        assert f'data-label="{name}"' in attributes, (path, name, attributes)
                        checked += 1
        assert checked, path  # not a page whose rows all escaped the check


def test_a_refused_decision_marks_its_comment_field_and_focuses_it(web, make):
    """"Request changes" without the comment it requires: the page comes back with the field invalid, the error tied to
    it, and the field focused (on a phone the error was a long scroll away from it)."""
    post = make.post(State.in_review)
    manager = make.user(Role.project_manager, markets=[post.account.market])
    web.login(manager)
    page = web.post(f"/posts/{post.id}/actions/request_changes",
                    data={"version": post.version, "comment": ""}).get_data(as_text=True)
    assert "A comment is required" in page
    field = re.search(r'<textarea id="decide-comment"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "autofocus" in field, field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    for id_ in described.split():
        assert re.search(rf'<p class="error" id="{id_}">[^<]*comment', page), id_
    # Opened afresh, the field is neither invalid nor focused.
    fresh = web.get(f"/posts/{post.id}").get_data(as_text=True)
    field = re.search(r'<textarea id="decide-comment"[^>]*>', fresh).group(0)
    assert "aria-invalid" not in field and "autofocus" not in field


def test_the_decision_comment_and_the_discussion_are_named_apart(web, make):
    post = make.post(State.in_review)
    web.login(make.user(Role.project_manager, markets=[post.account.market]))
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert re.search(r'<label for="decide-comment">Comment for your decision', page)
    assert re.search(r'<label for="body">Add a comment to the discussion</label>', page)
    assert ">Comment</button>" not in page and ">Add the comment</button>" in page


def test_the_wall_has_one_kind_of_live_region_and_tells_count_changes_politely(web, make):
    web.login(make.user(Role.project_manager, all_markets=True))
    page = web.get("/hub").get_data(as_text=True)
    connection = re.search(r'<div id="connection"[^>]*>', page).group(0)
    assert 'role="alert"' in connection and "aria-live" not in connection, connection
    news = re.search(r'<div id="wall-news"[^>]*>', page).group(0)
    assert 'role="status"' in news and 'class="visually-hidden"' in news, news


# In the browser ------------------------------------------------------------------------------------------------

browser = pytest.mark.browser


def _add_admin(engine) -> None:  # noqa: ANN001
    with Session(engine) as session:
        admin.create_user(session, "ada@helio.example", "Ada Admin", Role.admin, PASSWORD)
        session.commit()


def _posts_in_every_state(engine) -> dict[State, int]:  # noqa: ANN001
    """One post in review, one approved, one scheduled and one withdrawn, for lists, badges and the wall."""
    from datetime import timedelta

    from approval.db import utcnow

    with Session(engine) as session:
        writer = session.scalar(select(User).where(User.email == "camille@helio.example"))
        manager = session.scalar(select(User).where(User.email == "lucile@helio.example"))
        account = session.scalar(select(Account).where(Account.handle == "helio_fr"))
        ids = {}
        for state in (State.in_review, State.approved, State.scheduled, State.withdrawn):
            post = ops.create_post(session, writer, account, f"Le stade ouvre ses portes ({state.value}).")
            if state is State.withdrawn:
                ops.act_on_post(session, post, Action.withdraw, writer, expected_version=post.version)
            else:
                ops.act_on_post(session, post, Action.submit, writer, expected_version=post.version)
            if state in (State.approved, State.scheduled):
                ops.act_on_post(session, post, Action.approve, manager, expected_version=post.version)
            if state is State.scheduled:
                ops.act_on_post(session, post, Action.schedule, manager, expected_version=post.version,
                                scheduled_at=utcnow() + timedelta(days=2))
            ids[state] = post.id
        session.commit()
        return ids


def _signed_in(launched, base: str, email: str, viewport: dict | None = None):  # noqa: ANN001, ANN202
    """A page of a new context of the ``launched`` browser (British English, a laptop's window unless
    ``viewport``), signed in (on a laptop's window, where "Log out" is in the bar: a phone's is in its menu)."""
    page = launched.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    sign_in(page, base, email)
    if viewport:
        page.set_viewport_size(viewport)
    return page


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_text_on_the_orange_buttons_and_the_state_badges_reads(chromium, live_server):  # noqa: F811
    """White on the brand orange was 2.63:1, "withdrawn" grey on grey 3.86:1: each at least 4.5:1 now."""
    base, engine = live_server
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "lucile@helio.example")
    seen = []
    for path in ("/posts", "/posts/new", "/review", "/calendar?view=month"):
        page.goto(base + path)
        shown = _contrasts(page, ".button.primary, .button.small, .state")
        seen += shown
        weak = [(what, round(ratio, 2)) for what, ratio in shown if ratio < 4.5]
        assert weak == [], (path, weak)
    assert any("withdrawn" in what for what, _ in seen) and any("primary" in what for what, _ in seen)
    # Every state's badge, shown or not.
    page.goto(base + "/posts")
    page.evaluate("""() => { for (const s of ['draft', 'in_review', 'changes_requested', 'with_cabinet', 'approved',
        'scheduled', 'publishing', 'published', 'failed', 'unconfirmed', 'rejected', 'declined', 'withdrawn', 'missed',
        'held', 'retrying']) { const b = document.createElement('span'); b.className = 'state probe state-' + s;
        b.textContent = s; document.querySelector('main').append(b); } }""")
    weak = [(what, round(ratio, 2)) for what, ratio in _contrasts(page, ".state.probe") if ratio < 4.5]
    assert weak == []
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_the_calendar_days_of_other_months_read(chromium, live_server):  # noqa: F811
    """Their numbers are links: #aaa on #f6f6f6 was 2.15:1."""
    base, _engine = live_server
    page = _signed_in(chromium, base, "lucile@helio.example")
    page.goto(base + "/calendar?view=month&date=2026-12-01")
    shown = _contrasts(page, ".calendar .day-number")
    assert len(shown) >= 35
    assert [(what, round(ratio, 2)) for what, ratio in shown if ratio < 4.5] == []
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["laptop", "phone"])
def test_the_skip_link_is_the_first_tab_stop_and_shows_when_focused(chromium, live_server, viewport):  # noqa: F811
    base, _engine = live_server
    page = _signed_in(chromium, base, "lucile@helio.example", viewport)
    page.goto(base + "/posts")
    skip = page.locator("a.skip-link")
    hidden = skip.bounding_box()
    assert hidden["y"] + hidden["height"] <= 0  # out of sight until focused
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box["width"] > 40 and box["height"] >= 24 and box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is in the page, past the top bar
    assert page.evaluate("!!document.activeElement.closest('main')")
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_the_dashboard_fits_a_tablet(chromium, live_server):  # noqa: F811
    """At 768 px the dashboard's eleven columns were 929 px wide: below 950 px each market is a card."""
    base, engine = live_server
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "lucile@helio.example", {"width": 768, "height": 1024})
    for width in (768, 900, 375):
        page.set_viewport_size({"width": width, "height": 1024})
        page.goto(base + "/hub/dashboard")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        # Each count keeps its name.
        cell = page.locator("table.dashboard td[data-label='in review']").first
        assert "in review" in page.evaluate("(e) => getComputedStyle(e, '::before').content", cell.element_handle())
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_a_phones_targets_are_big_enough_for_a_finger(chromium, live_server):  # noqa: F811
    """The top bar's links were 16 to 21 px tall, "EN"/"FR" 31x19, the dashboard's counts 10x20: at least 24 px
    each way now (WCAG 2.5.8); the desktop bar stays one slim row."""
    base, engine = live_server
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "lucile@helio.example", PHONE)
    page.goto(base + "/hub/dashboard")
    targets = page.evaluate("""() => Array.from(document.querySelectorAll(
          'header.topbar a, header.topbar button, main .button, table.dashboard a'))
        .filter((e) => e.getClientRects().length && !e.classList.contains('skip-link'))
        .map((e) => { const r = e.getBoundingClientRect();
                      return [e.textContent.trim().slice(0, 20) || e.className, r.width, r.height]; })""")
    assert len(targets) >= 6  # the bar's name, "Menu" and bell, the dashboard's counts
    small = [t for t in targets if t[1] < 24 or t[2] < 24]
    assert small == [], small
    # The menu's: a finger's 44 px for its links, 40 for the rest.
    page.get_by_role("button", name="Menu").click()
    menu = page.evaluate("""() => Array.from(document.querySelectorAll('header.topbar a, header.topbar button'))
        .filter((e) => e.getClientRects().length && !e.classList.contains('skip-link'))
        .map((e) => { const r = e.getBoundingClientRect();
                      return [e.textContent.trim().slice(0, 20) || e.className, r.width, r.height,
                              !!e.closest('nav') && !e.classList.contains('button')]; })""")
    assert len(menu) >= 12
    small = [t for t in menu if t[1] < 40 or t[2] < (44 if t[3] else 40)]
    assert small == [], small
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(base + "/hub/dashboard")
    assert page.locator("header.topbar").bounding_box()["height"] <= 56
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_a_phones_menu_opens_and_closes_with_the_keyboard(chromium, live_server):  # noqa: F811
    """On a phone the top bar is the product's name, "Menu" and the bell, its count in sight; the button says
    whether the menu is open, Enter opens it, Tab goes through its links, Escape closes it and the focus comes back."""
    base, engine = live_server
    _posts_in_every_state(engine)  # posts in review: the bell counts them
    page = _signed_in(chromium, base, "lucile@helio.example", PHONE)
    page.goto(base + "/review")
    menu = page.get_by_role("button", name="Menu")
    count = page.locator("header .bell .count")
    assert count.is_visible() and int(count.inner_text()) >= 1
    links = page.locator("header nav a")
    names = [name.strip() for name in links.all_inner_texts()]
    assert len(names) >= 6 and not any(link.is_visible() for link in links.all())
    focused = "document.activeElement.textContent.trim()"
    for stop in ("Skip to content", "approval", "Menu"):  # the skip link first, as ever
        page.keyboard.press("Tab")
        assert page.evaluate(focused) == stop
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.getElementById(document.activeElement.getAttribute('aria-controls'))"
                         ".contains(document.querySelector('header nav'))")
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    reached = []
    for _ in names:  # its links follow the button
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getClientRects().length > 0")
        reached.append(page.evaluate(focused))
    assert reached == names
    assert page.evaluate("document.activeElement.closest('nav').getAttribute('aria-label')") == "Main"
    # The focus is drawn: an outline, or the browser's own ring (outline-style auto).
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    for _ in range(3):  # the bell, the profile, "Log out"
        page.keyboard.press("Tab")
    assert page.evaluate(focused) == "Log out"
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    assert not any(link.is_visible() for link in links.all()) and count.is_visible()
    page.keyboard.press("Space")  # a button: Space opens it too
    assert menu.get_attribute("aria-expanded") == "true" and links.first.is_visible()
    page.keyboard.press("Space")
    assert menu.get_attribute("aria-expanded") == "false"
    # Through the menu to another page: that page's entry is the current one.
    menu.click()
    page.get_by_role("link", name="Calendar").click()
    page.wait_for_url("**/calendar*")
    assert menu.get_attribute("aria-expanded") == "false"
    menu.click()
    assert page.locator("header nav [aria-current=page]").inner_text().strip() == "Calendar"
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_notification_choices_are_labelled_on_a_phone(chromium, live_server):  # noqa: F811
    """The header row is hidden on a phone: each radio button shows its choice's name, and the label is the target."""
    base, _engine = live_server
    page = _signed_in(chromium, base, "lucile@helio.example", PHONE)
    page.goto(base + "/notifications/preferences")
    radios = page.locator(".preferences input[type=radio]")
    assert radios.count() >= 9
    for i in range(radios.count()):
        radio = radios.nth(i)
        label = radio.locator("xpath=ancestor::label[1]")
        assert label.count() == 1
        assert label.inner_text().strip(), i  # a visible name beside the button
        box = label.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (i, box)
    # A tap on the name chooses.
    last = radios.nth(radios.count() - 1)
    last.locator("xpath=ancestor::label[1]").click()
    assert last.is_checked()
    # On a wide screen the headings say it: the names are not repeated in every row.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator(".preferences .choice-name").first.bounding_box()["width"] <= 1
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_narrow_admin_tables_keep_their_column_names(chromium, live_server):  # noqa: F811
    base, engine = live_server
    _add_admin(engine)
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "ada@helio.example", PHONE)
    for path in ("/reports/audit", "/admin/markets", "/admin/accounts", "/admin/users"):
        page.goto(base + path)
        assert not page.locator("table thead").first.is_visible(), path
        bare = page.evaluate("""() => Array.from(document.querySelectorAll('table tbody td'))
            .filter((td) => td.getClientRects().length && td.textContent.trim() && !td.querySelector('button')
                            && getComputedStyle(td, '::before').content === 'none'
                            // a row's action ("Edit") says what it does
                            && !(td.children.length === 1 && td.children[0].tagName === 'A'
                                 && td.children[0].textContent.trim() === td.textContent.trim()))
            .map((td) => td.textContent.trim().slice(0, 30))""")
        assert bare == [], (path, bare)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_the_wall_reads_from_three_metres(chromium, live_server):  # noqa: F811
    """At 1920x1080 and 3840x2160: a zero is quieter than a count but still 3:1; the state headings are no smaller
    than the "Updated" line and no word of theirs is broken over two lines; a single view's heading and "Updated"
    line grow with its items."""
    base, engine = live_server
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "lucile@helio.example", {"width": 1920, "height": 1080})
    with page.expect_navigation():  # French saved before the hub is opened
        page.click("header button[name=language][value=fr]")  # the longest headings
    for size in ({"width": 1920, "height": 1080}, {"width": 3840, "height": 2160}):
        page.set_viewport_size(size)
        page.goto(base + "/hub")
        zero = dict(_contrasts(page, ".counts td.zero"))
        counted = dict(_contrasts(page, ".counts td:not(.zero):not(.bad)"))
        assert zero and counted
        assert min(zero.values()) >= 3 and max(zero.values()) < min(counted.values())
        root = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        heading = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.counts thead th.st')).fontSize)")
        updated = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.updated')).fontSize)")
        assert heading >= updated and heading >= 0.8 * root, (size, heading, updated, root)
        broken = page.evaluate("""() => Array.from(document.querySelectorAll('.counts thead th.st')).flatMap((th) => {
            // The heading's text, or its short visible form's (a span beside the whole word for screen readers).
            let node = th.firstChild; if (node && node.nodeType === 1) node = node.firstChild; if (!node) return [];
            const text = node.textContent; const out = []; let at = 0;
            for (const word of text.split(' ')) {
              const range = document.createRange(); range.setStart(node, at); range.setEnd(node, at + word.length);
              // Pieces of one line share their top (horizontal text) or their left (upright text): a word on two
              // lines has pieces that share neither.
              const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
              const tops = new Set(rects.map((r) => Math.round(r.top)));
              const lefts = new Set(rects.map((r) => Math.round(r.left)));
              if (tops.size > 1 && lefts.size > 1) out.push(word.replace(/\\u00ad/g, ''));
              at += word.length + 1; }
            return out; })""")
        assert broken == [], (size, broken)
        fits = page.evaluate("document.documentElement.scrollHeight <= innerHeight"
                             " && document.documentElement.scrollWidth <= innerWidth")
        assert fits, size
        page.goto(base + "/hub?view=queue")
        item = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.panel li')).fontSize)")
        title = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.panel h2')).fontSize)")
        updated = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.updated')).fontSize)")
        assert title >= item and updated >= 0.8 * item, (size, title, item, updated)
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_a_refused_decision_brings_a_phone_back_to_the_comment(chromium, live_server):  # noqa: F811
    base, engine = live_server
    post_id = _posts_in_every_state(engine)[State.in_review]
    page = _signed_in(chromium, base, "lucile@helio.example", PHONE)
    page.goto(f"{base}/posts/{post_id}")
    with page.expect_navigation():  # the refusal's page, not the one the click left (its button had the focus)
        page.click("button.action-request_changes")
    # Chromium moves the focus to an autofocus field at its next rendering step, a moment after the page loaded.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'decide-comment'", timeout=5000)
    box = page.locator("#decide-comment").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]  # in sight
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
def test_reloading_a_refused_forms_page_opens_it_again_without_sending_the_form(chromium, live_server):  # noqa: F811
    """A refusal is drawn at the form's address: a reload sent the form again (the browser asks first, and a phone's
    browser may not). The page's address is marked as a GET's, which leads back to the post."""
    base, engine = live_server
    post_id = _posts_in_every_state(engine)[State.in_review]
    page = _signed_in(chromium, base, "lucile@helio.example", PHONE)
    page.goto(f"{base}/posts/{post_id}")
    with page.expect_navigation():
        page.click("button.action-request_changes")  # no comment: refused, drawn at the action's address
    assert page.url.endswith(f"/posts/{post_id}/actions/request_changes")
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url)) if request.is_navigation_request()
            else None)
    page.reload()
    assert sent and sent[0] == ("GET", f"{base}/posts/{post_id}/actions/request_changes"), sent
    assert page.url == f"{base}/posts/{post_id}"
    page.context.close()


@ONE_BACKEND  # in a browser: the layout, the same on either database
@browser
def test_a_keyboard_skips_the_filters_to_the_first_post_of_the_review_queue(chromium, live_server):  # noqa: F811
    """The review queue's filters were 28 tab stops before its first post, and "Skip to content" landed before them:
    a "Skip the filters" link, shown when focused, goes to the list."""
    base, engine = live_server
    _posts_in_every_state(engine)
    page = _signed_in(chromium, base, "lucile@helio.example")
    page.goto(base + "/review")
    skip = page.locator("a.skip-filters")
    hidden = skip.bounding_box()
    assert hidden["x"] + hidden["width"] <= 0  # out of sight until focused
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-filters"
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["width"] > 40 and box["height"] >= 24
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.closest('table.posts, .page-line') !== null")
    assert first, page.evaluate("document.activeElement.outerHTML")
    page.context.close()


def test_the_posts_list_skips_its_state_tabs_with_its_filters(web, make):
    """The posts list's state tabs ("All 4", one per state) filter too: "Skip the filters" leads past them, to the
    list's first line, as on the other lists (where it leads right after the form)."""
    france = make.market("FR")
    writer = make.user("community_manager", markets=[france])
    make.post(account=make.account(france), author=writer)
    web.login(writer)
    page = web.get("/posts").get_data(as_text=True)
    assert page.count('id="list-results"') == 1
    assert page.index('href="#list-results"') < page.index('class="tabs"') < page.index('id="list-results"') \
        < page.index('class="page-line"')
    review = web.get("/sets").get_data(as_text=True)
    assert review.count('id="list-results"') == 1 and review.index("</form>") < review.index('id="list-results"')
