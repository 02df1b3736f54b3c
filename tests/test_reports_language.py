"""The reports' "Words of change requests and rejections" (the product walk): a comment is read in the language it
is written in, among every language the product knows (a French comment on a Kenyan post is French, not English),
its common words left out in that language; the chart shows the words written at least twice, ties alphabetical,
and says how many comments it reads. And the weekly chart: its weeks named as the pages name dates, in the reader's
language, its legend legible on a phone."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from approval.models import ReportDay
from approval.queries import reports
from approval.workflow.states import Action, Role, State

from test_reports_review_fixes import PERIOD, Desk, T, _csv

APPOINTMENT = "Précisez l'heure du rendez-vous."


def _changes_requested(desk: Desk, at, comment: str) -> None:  # noqa: ANN001
    post = desk.make.post(State.draft, account=desk.account, author=desk.cm)
    desk.make.act(post, Action.submit, desk.cm, now=at - timedelta(hours=1))
    desk.make.act(post, Action.request_changes, desk.pm, now=at, comment=comment)


def test_a_comment_is_read_in_the_language_it_is_written_in_among_all_the_products():
    assert reports.comment_language(APPOINTMENT, ["en", "sw"]) == "fr"
    assert reports.comment_language(APPOINTMENT, ["pl"]) == "fr"
    assert reports.comment_language("Please give the exact time of the meeting with the mayor.", ["pl"]) == "en"
    assert reports.comment_language("Bitte den Link zum Gewinnspiel ergänzen.", ["fr"]) == "de"
    assert reports.comment_language("Proszę dodać godzinę spotkania.", ["pl"]) == "pl"
    assert reports.comment_language("Hors charte.", ["fr"]) == "fr"  # no common word at all: the market's
    # A language no built-in candidate is (Czech, Swedish, Hungarian), on its own market or written on another one:
    # weighed with the others (read as French, German and Spanish among the detector's nine alone).
    czech = "Prosím doplňte přesný čas setkání se starostou a odkaz na registraci."
    swedish = "Lägg till den exakta tiden för mötet med borgmästaren och länken till anmälan."
    hungarian = "Kérem, adja meg a polgármesterrel való találkozó pontos idejét és a regisztrációs linket."
    assert reports.comment_language(czech, ["cs"]) == "cs"
    assert reports.comment_language(swedish, ["sv"]) == "sv"
    assert reports.comment_language(hungarian, ["hu"]) == "hu"
    assert reports.comment_language(czech, ["fr"], every=["fr", "cs"]) == "cs"


def test_a_french_comment_on_kenyan_and_polish_posts_counts_as_french(make, web, db_session):
    kenya, poland = make.market("KE", "Africa/Nairobi", ("en", "sw")), make.market("PL", "Europe/Warsaw", ("pl",))
    _changes_requested(Desk(make, db_session, kenya), T(3, 10), APPOINTMENT)
    _changes_requested(Desk(make, db_session, poland), T(4, 10), APPOINTMENT)
    viewer = make.user(Role.project_manager, markets=[kenya, poland])
    viewer.locale = "en"
    web.login(viewer)

    rows = _csv(web.get(f"/reports/reasons.csv?{PERIOD}"))
    assert sorted(rows[1:]) == [["French", "heure", "2"], ["French", "rendez", "2"]], rows  # "vous": a common word
    chart = web.get(f"/reports/reasons.svg?{PERIOD}").get_data(as_text=True)
    assert ">heure<" in chart and "English" not in chart and "vous" not in chart


def test_the_days_kept_read_the_comments_language_and_an_older_kept_day_is_computed_again(make, db_session):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))
    _changes_requested(Desk(make, db_session, kenya), T(3, 10), APPOINTMENT)
    _changes_requested(Desk(make, db_session, kenya), T(4, 10), "Précisez le lieu du rendez-vous.")
    period = reports.Period(T(2, 0), T(16, 0))
    assert reports.roll_up(db_session, date(2026, 11, 2), date(2026, 11, 16), now=T(20, 0)) == 14
    kept = db_session.scalar(select(ReportDay.figures).where(ReportDay.market_id == kenya.id,
                                                             ReportDay.day == date(2026, 11, 3)))
    assert kept["reasons"] == {"fr\theure": 1, "fr\trendez": 1} and kept["comments"] == 1, kept

    built = reports.build(db_session, None, period, now=T(20, 0))
    assert ("fr", "rendez", 2) in built.reasons and built.comments_read == 2
    assert not [row for row in built.reasons if row[0] == "en"]
    # A day kept by the previous definition (the comment read as English, its French common words kept) is read
    # again from the trail, as any day kept by an earlier definition.
    day = db_session.get(ReportDay, (date(2026, 11, 3), kenya.id))
    day.figures = {**kept, "version": 9, "reasons": {"en\tprécisez": 1, "en\tvous": 1}}
    db_session.flush()
    again = reports.build(db_session, None, period, now=T(20, 0))
    assert again.reasons == built.reasons and again.comments_read == 2
    # The worker's roll-up keeps such days again itself, the newest first, a bounded number each time: no page has
    # to compute a year of them in its request.
    db_session.expire_all()
    day = db_session.get(ReportDay, (date(2026, 11, 3), kenya.id))
    day.figures = {**kept, "version": 9, "reasons": {"en\tprécisez": 1, "en\tvous": 1}}
    db_session.flush()
    assert reports.stale_days(db_session, 10) == [(kenya.id, date(2026, 11, 3))]
    assert reports.roll_up(db_session, date(2026, 11, 2), date(2026, 11, 16), now=T(20, 0)) == 1
    db_session.expire_all()
    assert db_session.get(ReportDay, (date(2026, 11, 3), kenya.id)).figures == kept
    assert reports.stale_days(db_session, 10) == []


def test_the_chart_shows_the_words_written_twice_ties_in_alphabetical_order(make, web, db_session):
    france = make.market("FR")
    paris = Desk(make, db_session, france)
    paris.rejected(T(3, 10), comment="Fanion, étiquette et date : bannière floue.")
    paris.rejected(T(4, 10), comment="Date, fanion, étiquette : voir la charte.")
    paris.rejected(T(5, 10), comment="Fanion à refaire.")
    viewer = make.user(Role.project_manager, markets=[france])
    viewer.locale = "en"
    web.login(viewer)

    rows = _csv(web.get(f"/reports/reasons.csv?market=FR&{PERIOD}"))
    assert [row[1:] for row in rows[1:4]] == [["fanion", "3"], ["date", "2"], ["étiquette", "2"]], rows
    assert {"bannière", "charte"} <= {row[1] for row in rows[1:]}  # the CSV has every word
    chart = web.get(f"/reports/reasons.svg?market=FR&{PERIOD}").get_data(as_text=True)
    drawn = re.findall(r">(fanion|date|étiquette|bannière|charte|floue|refaire)<", chart)
    assert drawn and set(drawn) == {"fanion", "date", "étiquette"}, drawn
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert "3 comments read: the chart shows the words written at least twice." in page


def test_comments_whose_words_never_come_back_say_so(make, web, db_session):
    france = make.market("FR")
    paris = Desk(make, db_session, france)
    paris.rejected(T(3, 10), comment="Bannière floue.")
    paris.rejected(T(4, 10), comment="Charte graphique absente.")
    viewer = make.user(Role.project_manager, markets=[france])
    viewer.locale = "en"
    web.login(viewer)
    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert "No word comes back in these comments." in page and "2 comments read" in page
    chart = web.get(f"/reports/reasons.svg?market=FR&{PERIOD}").get_data(as_text=True)
    assert "No word comes back in these comments." in chart and ">floue<" not in chart


def test_the_weekly_chart_names_its_weeks_as_the_pages_do_in_the_readers_language(make, web, db_session):
    france = make.market("FR")
    Desk(make, db_session, france).approved(3)
    viewer = make.user(Role.project_manager, markets=[france])
    web.login(viewer)
    for locale, first, second in (("en", ">Nov 2<", ">Nov 9<"), ("fr", ">2 nov.<", ">9 nov.<")):
        viewer.locale = locale
        db_session.flush()
        for size in ("", "&size=phone"):
            svg = web.get(f"/reports/weekly.svg?market=FR&{PERIOD}{size}").get_data(as_text=True)
            assert first in svg and second in svg and "2026-11-0" not in svg, (locale, size)
    # The CSV keeps the dates a spreadsheet reads.
    assert _csv(web.get(f"/reports/weekly.csv?market=FR&{PERIOD}"), ";")[1][0] == "2026-11-02"


def _legend(svg: str) -> list[tuple[float, float, str]]:
    legends = svg[svg.index('class="legends"'):]
    return [(float(x), float(y), text) for x, y, text in re.findall(r'<text x="([\d.]+)" y="([\d.]+)">([^<]+)</text>',
                                                                      legends)]


def test_the_weekly_legend_never_draws_a_state_over_the_next(make, web, db_session):
    """On a phone, "declined by the cabinet" was drawn over "withdrawn" (two columns of 136 px): each title has the
    room of its letters (half its font size each, at least) before the next one on its line."""
    france = make.market("FR")
    Desk(make, db_session, france).approved(3)
    viewer = make.user(Role.project_manager, markets=[france])
    web.login(viewer)
    for locale in ("en", "fr"):
        viewer.locale = locale
        db_session.flush()
        for size, font_size in (("&size=phone", 15), ("", 14)):
            entries = _legend(web.get(f"/reports/weekly.svg?market=FR&{PERIOD}{size}").get_data(as_text=True))
            assert len(entries) == 4, entries
            for (x, y, text), (next_x, next_y, _next) in zip(entries, entries[1:], strict=False):
                if next_y == y:
                    assert next_x - x >= len(text) * font_size * 0.5 + 12, (locale, size, text, x, next_x)
