"""Reports, as a user prober found them:

- one figure, two rates: 60 approvals of 79 decisions read 76.0 % on the card and 75.9 % on the chart and in the CSV
  (the rate was rounded to 4 digits, 0.7595, and the page rounded that again). Rounded once, the same everywhere;
- the French "By market" table spilled out of its card at 1366 px: a wide table scrolls inside its card, in a region
  a keyboard reaches and a screen reader names; and at a desktop's width the tables fit their card, nothing hidden
  to scroll to (a campaign week's walk found the last column cut at 1440 px).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_browser import ARTIFACTS, chromium  # noqa: F401 - fixture

from approval.queries import reports
from approval.workflow.states import Action, Role, State

PERIOD = "from=2026-11-02&to=2026-11-15"
NBSP = "\u00a0"
CSS = Path(__file__).parents[1] / "approval" / "static" / "app.css"


def _csv(response, delimiter: str = ",") -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8").lstrip("\ufeff")), delimiter=delimiter))


def _first_cell(page: str, key: str) -> str:
    """The first figure of a row of the "By market" table: its approval rate."""
    return re.search(rf'<tr data-key="{key}">\s*<th[^>]*>[^<]*</th>\s*<td[^>]*>([^<]*)<', page).group(1).strip()


@pytest.fixture()
def sixty_of_79(make, db_session):  # noqa: ANN001, ANN201
    """A French market where the project manager approved 60 posts and asked for changes 19 times (79 decisions), on
    two networks; the project manager covers Kenya too (so the report has a table per market), where nothing
    happened."""
    fr, ke = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    accounts = (make.account(fr), make.account(fr, network="x"))
    cm = make.user(Role.community_manager, markets=[fr])
    pm = make.user(Role.project_manager, markets=[fr, ke])
    at = lambda n, minute: datetime(2026, 11, 3 + n // 10, 8 + n % 10, minute, tzinfo=UTC)  # noqa: E731
    for n in range(60):
        post = make.post(State.draft, account=accounts[n % 2], author=cm)
        make.act(post, Action.submit, cm, now=at(n, 0))
        if n < 19:
            make.act(post, Action.request_changes, pm, now=at(n, 10), comment="Plus court, s’il vous plaît.")
            make.act(post, Action.submit, cm, now=at(n, 20))
        make.act(post, Action.approve, pm, now=at(n, 30))
    db_session.flush()
    return pm


def test_a_rate_keeps_its_exact_value():
    totals = reports.Totals(decisions=Counter({Action.approve: 60, Action.request_changes: 19}),
                            outcomes=Counter(on_time=60, late=19))
    assert totals.approval_rate == 60 / 79 and totals.on_time_rate == 60 / 79


def test_the_filter_and_the_exports_round_a_rate_once_and_alike(app):
    """The cases where two roundings part: 0.7595 (a rate rounded to 4 digits first), and 0.0005, which the
    filter (Babel, half to even) read 0.0 % and the exports (Python's round of 0.05 as a float) 0.1."""
    from approval.filters import percent, percentage

    for rate, shown in ((60 / 79, 75.9), (0.0005, 0.1), (1 / 16, 6.3), (2 / 3, 66.7), (1.0, 100.0), (0.0, 0.0)):
        assert percentage(rate) == shown, rate
        with app.test_request_context(headers={"Accept-Language": "en"}):
            assert percent(rate) == f"{shown:.1f}%", rate
    assert percentage(None) is None


def test_sixty_approvals_of_79_decisions_read_75_9_percent_everywhere(sixty_of_79, web):
    web.login(sixty_of_79)
    page = web.get(f"/reports?{PERIOD}").get_data(as_text=True)
    card = re.search(r'<div id="approval-rate">.*?<dd>([^<]*)</dd>', page, re.S).group(1)
    assert card == "75.9%", card
    assert _first_cell(page, "FR") == "75.9%"
    rates = _csv(web.get(f"/reports/rates.csv?market=FR&{PERIOD}"))
    assert rates[1] == ["approved", "60", "79", "75.9"]
    markets = _csv(web.get(f"/reports/markets.csv?{PERIOD}"))
    assert markets[1][:5] == ["FR", "Market FR", "60", "79", "75.9"], markets[1]
    svg = web.get(f"/reports/rates.svg?market=FR&{PERIOD}").get_data(as_text=True)
    assert ">75.9%<" in svg and ">76.0%<" not in svg
    # The market's own page says the same.
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert re.search(r'<div id="approval-rate">.*?<dd>75\.9%</dd>', page, re.S)


def test_in_french_too(sixty_of_79, web, db_session):
    sixty_of_79.locale = "fr"
    db_session.flush()
    web.login(sixty_of_79)
    page = web.get(f"/reports?{PERIOD}").get_data(as_text=True)
    assert re.search(rf'<div id="approval-rate">.*?<dd>75,9{NBSP}%</dd>', page, re.S)
    assert _first_cell(page, "FR") == f"75,9{NBSP}%"
    assert _csv(web.get(f"/reports/rates.csv?market=FR&{PERIOD}"), delimiter=";")[1][1:] == ["60", "79", "75,9"]
    assert f">75,9{NBSP}%<" in web.get(f"/reports/rates.svg?market=FR&{PERIOD}").get_data(as_text=True)


# The wide tables ----------------------------------------------------------------------------------------------------

FITS = """(id) => {
  const section = document.getElementById('section-' + id), table = document.getElementById(id);
  const region = table.closest('[role=region]');
  const label = region && document.getElementById(region.getAttribute('aria-labelledby'));
  return {section: [section.scrollWidth, section.clientWidth],
          page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
          table: table.getBoundingClientRect().width,
          region: region && {tabindex: region.getAttribute('tabindex'), name: label && label.textContent,
                             overflow: getComputedStyle(region).overflowX,
                             inside: region.getBoundingClientRect().right <= section.getBoundingClientRect().right,
                             scrolls: region.scrollWidth > region.clientWidth}};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_wide_report_table_scrolls_inside_its_card(sixty_of_79, web, db_session, chromium, locale):  # noqa: F811
    """At 1366 px the French "By market" table was 1173 px in a card of 1135 that does not scroll: its last
    column stood over the card's edge. It scrolls in its card now, in a region named by the table's heading that
    the keyboard reaches (tabindex 0); on a phone each row is a card of its own, as before."""
    sixty_of_79.locale = locale
    db_session.flush()
    web.login(sixty_of_79)
    html = web.get(f"/reports?{PERIOD}&by=network").get_data(as_text=True)
    folder = ARTIFACTS / "reports-tables"
    folder.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page = chromium.new_page(viewport={"width": width, "height": height})
        try:
            page.set_content(re.sub(r"<script[^>]*></script>|<link[^>]*stylesheet[^>]*>", "", html))
            page.add_style_tag(content=CSS.read_text())
            for table_id, heading in (("by-market", {"en": "By market", "fr": "Par marché"}[locale]),
                                      ("by-network", None)):
                seen = page.evaluate(FITS, table_id)
                assert seen["section"][0] <= seen["section"][1], (width, table_id, seen)  # nothing over its edge
                assert seen["page"][0] <= seen["page"][1], (width, table_id, seen)  # nor over the window's
                region = seen["region"]
                assert region and region["tabindex"] == "0" and region["inside"], (width, table_id, seen)
                if heading:
                    assert region["name"] == heading
                if region["scrolls"]:  # and the keyboard scrolls it
                    assert region["overflow"] in ("auto", "scroll"), seen
                    scroller = page.locator(f"#section-{table_id} [role=region]")
                    scroller.focus()
                    page.keyboard.press("ArrowRight")
                    # Chromium scrolls smoothly: wait until it has moved (a timeout fails the test).
                    page.wait_for_function("(el) => el.scrollLeft > 0", arg=scroller.element_handle(), timeout=5000)
            page.locator("#section-by-market").screenshot(path=str(folder / f"by-market-{locale}-{width}.png"))
        finally:
            page.close()


REPORTS_CSS = CSS.with_name("reports.css")
#: The right edge of a table's last heading and of its scrolling region.
LAST_HEADING = """(id) => {
  const table = document.getElementById(id), region = table.closest('[role=region]');
  const headings = table.querySelectorAll('thead th');
  return [headings[headings.length - 1].getBoundingClientRect().right, region.getBoundingClientRect().right];
}"""


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_report_tables_fit_their_card_at_a_desktops_width(sixty_of_79, web, db_session, chromium,  # noqa: F811
                                                               locale):
    """Scrolling inside its card, the French "Par marché" table still hid its last column, "Temps jusqu'à la
    publication", at 1440 px until one scrolled. Its headings wrap between words and its cells are tight
    (reports.css): at 1366 and 1440 px both tables fit their card, nothing to scroll, in English and in French."""
    sixty_of_79.locale = locale
    db_session.flush()
    web.login(sixty_of_79)
    html = web.get(f"/reports?{PERIOD}&by=network").get_data(as_text=True)
    assert 'href="/static/reports.css"' in html
    for width in (1366, 1440):
        page = chromium.new_page(viewport={"width": width, "height": 900})
        try:
            page.set_content(re.sub(r"<script[^>]*></script>|<link[^>]*stylesheet[^>]*>", "", html))
            page.add_style_tag(content=CSS.read_text())
            page.add_style_tag(content=REPORTS_CSS.read_text())
            for table_id in ("by-market", "by-network"):
                seen = page.evaluate(FITS, table_id)
                assert not seen["region"]["scrolls"], (width, table_id, seen)
                assert seen["section"][0] <= seen["section"][1], (width, table_id, seen)
                last, edge = page.evaluate(LAST_HEADING, table_id)
                assert last <= edge + 0.5, (width, table_id, last, edge)  # the last column whole, in sight
        finally:
            page.close()
