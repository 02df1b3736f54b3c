"""The reports' "Words of change requests and rejections": the words of the reviewers' comments that say why, per
language (each comment read in its market's language, or English), without each language's common words and the
words every review says, counted regardless of case and accents."""

from __future__ import annotations

import csv
import io
import re

from approval.queries import reports
from approval.workflow.states import Role

from test_reports_review_fixes import PERIOD, Desk, T


def _csv(response) -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_words_are_each_languages_reasons_grouped_by_language(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    paris, nairobi = Desk(make, db_session, france), Desk(make, db_session, kenya)
    paris.rejected(T(3, 10), comment="Ajoutez le lien vers le règlement, merci.")
    paris.rejected(T(4, 10), comment="Nous attendons le règlement du jeu : LIEN manquant.")
    paris.rejected(T(5, 10), comment="Évènement déjà annoncé, le reglement n'est pas validé.")
    nairobi.rejected(T(3, 11), comment="Please address the giveaway rules, the rules are missing.")
    nairobi.rejected(T(4, 11), comment="Add the rules and the accounts of the partners.")
    viewer = make.user(Role.project_manager, markets=[france, kenya])
    web.login(viewer)

    rows = _csv(web.get(f"/reports/reasons.csv?{PERIOD}"))
    assert rows[0] == ["language", "word", "count"]
    french = [row[1:] for row in rows[1:] if row[0] == "French"]
    english = [row[1:] for row in rows[1:] if row[0] == "English"]
    assert [row[0] for row in rows[1:]] == ["French"] * len(french) + ["English"] * len(english)  # grouped
    # "règlement" and "reglement", "lien" and "LIEN": one word each, as most often written.
    assert french[:2] == [["règlement", "3"], ["lien", "2"]], french
    assert english[0] == ["rules", "3"], english
    said = {word for word, _count in french + english}
    assert not said & {"ajoutez", "attendons", "merci", "nous", "vers", "please", "address", "add", "the"}, said
    assert {"manquant", "annoncé", "giveaway", "missing", "partners"} <= said

    chart = web.get(f"/reports/reasons.svg?{PERIOD}").get_data(as_text=True)
    assert "règlement (French)" in chart and "rules (English)" in chart
    alone = web.get(f"/reports/reasons.svg?market=FR&{PERIOD}").get_data(as_text=True)
    assert re.search(r">règlement<", alone) and "(French)" not in alone  # one language: the words alone


def test_a_comment_is_read_in_the_market_language_it_uses_most():
    assert reports.comment_language("Bitte den Link zum Gewinnspiel ergänzen.", ["de", "fr"]) == "de"
    assert reports.comment_language("Merci de préciser la date et le lieu.", ["de", "fr"]) == "fr"
    assert reports.comment_language("Please give the date of the draw.", ["fr"]) == "en"
    assert reports.comment_language("Hors charte.", ["fr"]) == "fr"  # no common word at all: the market's
    assert reports.fold("Évènement") == reports.fold("evenement")
