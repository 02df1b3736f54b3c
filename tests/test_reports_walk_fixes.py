"""The reports' walk (findings 4 and 5): the default period starts on a Monday, so that its first week is whole, and
a week the period cuts or that is not over yet says so, on the page and in the chart; the phone's charts read whole:
the rates' axis as percentages in the reader's language, the durations' two measures told apart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale, gettext, ngettext
from test_browser import chromium  # noqa: F401 - fixture

from approval.workflow.states import Action, Role, State

#: Saturday 5 December 2026, noon UTC: the walk's day. The default period is then the 8 whole weeks from Monday
#: 5 October, and the current one, to today included.
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
NBSP = "\u00a0"


@pytest.fixture()
def walk(make, db_session, monkeypatch):  # noqa: ANN001, ANN201
    """A French market whose first post of the default period was published on its first week's Tuesday, seen on
    the walk's Saturday."""
    for module in ("approval.views.reports", "approval.queries.reports"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)
    fr = make.market("FR")
    account = make.account(fr)
    cm = make.user(Role.community_manager, markets=[fr])
    pm = make.user(Role.project_manager, markets=[fr])
    post = make.post(State.draft, account=account, author=cm)
    make.act(post, Action.submit, cm, now=datetime(2026, 10, 6, 9, tzinfo=UTC))
    make.act(post, Action.approve, pm, now=datetime(2026, 10, 6, 10, tzinfo=UTC))
    make.act(post, Action.mark_published, pm, now=datetime(2026, 10, 6, 11, tzinfo=UTC),
             url="https://fb.com/helio/posts/1")
    late = make.post(State.draft, account=account, author=cm)
    make.act(late, Action.submit, cm, now=datetime(2026, 12, 1, 9, tzinfo=UTC))
    make.act(late, Action.approve, pm, now=datetime(2026, 12, 1, 15, tzinfo=UTC))
    db_session.flush()
    return {"pm": pm}


def _texts(svg: bytes | str, *, values: bool = True) -> list[str]:
    """The texts of a chart; ``values``: with those printed on its bars."""
    root = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    return [el.text or "" for el in root.iter() if el.tag.endswith("}text")
            and (values or "value" not in (el.get("class") or "").split())]


def _in_french(walk, db_session) -> None:  # noqa: ANN001
    walk["pm"].locale = "fr"
    db_session.flush()


def _french(app, message: str, plural: str | None = None, num: int = 1, **values: object) -> str:  # noqa: ANN001
    """A message as the French catalogue gives it (the new ones are translated apart from this change)."""
    with app.test_request_context(), force_locale("fr"):
        return ngettext(message, plural, num, **values) if plural else gettext(message, **values)


def test_the_default_period_starts_on_a_monday_and_its_first_week_is_whole(walk, web):
    web.login(walk["pm"])
    page = web.get("/reports").get_data(as_text=True)
    assert 'name="from" value="2026-10-05"' in page and 'name="to" value="2026-12-05"' in page
    assert "weekly.csv?from=2026-10-05&amp;to=2026-12-05" in page
    weekly = web.get("/reports/weekly.csv").get_data(as_text=True).splitlines()
    # The post published on the first week's Tuesday counts (the period began on the Sunday: the week read 0).
    assert weekly[1] == "2026-10-05,1,0,0,0,7,over"
    assert weekly[-1].startswith("2026-11-30,") and len(weekly) == 1 + 9
    # The week not over yet says so in the export too, as the chart's "(so far)": in columns of its own, so that
    # its first cell stays a date.
    assert weekly[0].endswith(",days counted,status") and weekly[-1].endswith(",6,in progress"), weekly[-1]


def test_the_week_not_over_yet_says_so_on_the_page_and_in_the_chart(walk, web, db_session, app):
    web.login(walk["pm"])
    page = web.get("/reports").get_data(as_text=True)
    assert "The week of Nov 30, 2026 is not over yet: its bar counts its days so far." in page
    for size in ("", "&size=phone"):
        texts = _texts(web.get(f"/reports/weekly.svg?from=2026-10-05&to=2026-12-06{size}").get_data())
        assert "Nov 30 (so far)" in texts and "Oct 5" in texts, texts  # the last week's label always shown
        assert not [text for text in texts if "…" in text], texts
    _in_french(walk, db_session)
    page = web.get("/reports").get_data(as_text=True)
    said = _french(app, "The week of %(week)s is not over yet: its bar counts its days so far.", week="30 nov. 2026")
    assert said in page
    label = _french(app, "%(week)s (so far)", week="30 nov.")
    assert label in _texts(web.get("/reports/weekly.svg?from=2026-10-05&to=2026-12-06").get_data())


def test_a_chosen_period_keeps_its_dates_and_says_which_weeks_it_cuts(walk, web, db_session, app):
    web.login(walk["pm"])
    page = web.get("/reports?from=2026-11-04&to=2026-11-12").get_data(as_text=True)
    assert 'name="from" value="2026-11-04"' in page and 'name="to" value="2026-11-12"' in page
    assert "Only 5 days of the week of Nov 2, 2026 are in the period: Nov 4, 2026 to Nov 8, 2026." in page
    assert "Only 4 days of the week of Nov 9, 2026 are in the period: Nov 9, 2026 to Nov 12, 2026." in page
    texts = _texts(web.get("/reports/weekly.svg?from=2026-11-04&to=2026-11-12").get_data())
    assert "Nov 2 (5 days)" in texts and "Nov 9 (4 days)" in texts, texts
    # Whole weeks over: nothing to say.
    page = web.get("/reports?from=2026-11-02&to=2026-11-15").get_data(as_text=True)
    assert "Only " not in page and "not over yet" not in page
    texts = _texts(web.get("/reports/weekly.svg?from=2026-11-02&to=2026-11-15").get_data())
    assert "Nov 2" in texts and "Nov 9" in texts and not [text for text in texts if "(" in text], texts
    # One day of a week: in French too.
    _in_french(walk, db_session)
    page = web.get("/reports?from=2026-11-08&to=2026-11-15").get_data(as_text=True)
    assert _french(app, "Only %(num)s day of the week of %(week)s is in the period: %(first)s to %(last)s.",
                   "Only %(num)s days of the week of %(week)s are in the period: %(first)s to %(last)s.", 1,
                   week="2 nov. 2026", first="8 nov. 2026", last="8 nov. 2026") in page
    texts = _texts(web.get("/reports/weekly.svg?from=2026-11-08&to=2026-11-15").get_data())
    label = _french(app, "%(week)s (%(num)s day)", "%(week)s (%(num)s days)", 1, week="2 nov.")
    assert label in texts and "9 nov." in texts, texts


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_phones_rates_axis_reads_whole_percentages(walk, web, db_session, locale):
    if locale == "fr":
        _in_french(walk, db_session)
    web.login(walk["pm"])
    texts = _texts(web.get("/reports/rates.svg?size=phone").get_data(), values=False)
    sign = f"{NBSP}%" if locale == "fr" else "%"
    assert [f"{n}{sign}" for n in (0, 25, 50, 75, 100)] == [t for t in texts if t.endswith("%")], texts
    assert not [text for text in texts if "…" in text], texts


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_phones_durations_name_their_two_measures_whole(walk, web, db_session, locale):
    if locale == "fr":
        _in_french(walk, db_session)
    web.login(walk["pm"])
    texts = _texts(web.get("/reports/durations.svg?size=phone").get_data())
    names = (("temps en relecture", "temps jusqu’à la publication") if locale == "fr"
             else ("time in review", "time to publish"))
    assert set(names) <= set(texts), texts
    assert not [text for text in texts if "…" in text], texts
    # The desktop's keeps its measures under their bars.
    wide = _texts(web.get("/reports/durations.svg").get_data())
    assert set(names) <= set(wide), wide


OVERLAPS = """() => {
  const svg = document.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const rects = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  const out = [];
  for (const [text, r] of rects) {
    if (r.left < box.left - 1 || r.right > box.right + 1) out.push('outside: ' + text);
  }
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const [a, p] = rects[i], [b, q] = rects[j];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
      out.push(a + ' / ' + b);
  }
  return out;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_phones_charts_drawn_390_px_wide_have_no_label_over_another(walk, web, db_session, chromium,  # noqa: F811
                                                                         locale):
    if locale == "fr":
        _in_french(walk, db_session)
    web.login(walk["pm"])
    page = chromium.new_page(viewport={"width": 390, "height": 800})
    try:
        for name in ("rates", "durations"):
            svg = web.get(f"/reports/{name}.svg?size=phone").get_data(as_text=True)
            svg = re.sub(r"^<\?xml[^>]*\?>", "", svg)
            page.set_content(f'<body style="margin:0"><div style="width:390px">{svg}</div></body>')
            assert page.evaluate(OVERLAPS) == [], (name, locale)
    finally:
        page.close()
