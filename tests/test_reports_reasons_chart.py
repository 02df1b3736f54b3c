"""The reports' "Words of change requests and rejections" chart (the product walk: 38 bars in its 260 pixels piled
their labels over each other): each language's 15 most used words written at least twice, the page saying how many
there are when it cuts, a chart as tall as its bars; the CSV has every word."""

from __future__ import annotations

import re

from approval.workflow.states import Role

from test_reports_review_fixes import PERIOD, Desk, T, _csv

#: Twenty words no stop list knows, the first the most used.
WORDS = ["bannière", "calendrier", "diapositive", "éphéméride", "fanion", "gabarit", "horodatage", "illustration",
         "jalonnement", "kiosque", "logotype", "maquette", "néon", "oriflamme", "panonceau", "quadrichromie",
         "rotative", "sérigraphie", "typographie", "vignette"]


def test_the_chart_draws_each_languages_top_words_and_the_csv_all_of_them(make, web, db_session):
    france = make.market("FR")
    paris = Desk(make, db_session, france)
    paris.rejected(T(3, 10), comment=" ".join(WORDS))
    paris.rejected(T(4, 10), comment=" ".join(WORDS[:-1]))  # "vignette" written once: not drawn
    paris.rejected(T(5, 10), comment="bannière bannière")
    web.login(make.user(Role.project_manager, markets=[france]))

    rows = _csv(web.get(f"/reports/reasons.csv?market=FR&{PERIOD}"))
    assert {row[1] for row in rows[1:]} == set(WORDS)

    chart = web.get(f"/reports/reasons.svg?market=FR&{PERIOD}").get_data(as_text=True)
    drawn = [word for word in WORDS if f">{word}<" in chart]
    assert len(drawn) == 15 and "bannière" in drawn and "vignette" not in drawn, drawn
    height = int(re.search(r'viewBox="0 0 800 (\d+)"', chart)[1])  # type: ignore[index]
    assert height >= 15 * 20, height  # room for each bar's line of label

    page = web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
    assert "French: the top 15 of the 19 words written at least twice (the CSV has them all)." in page
    assert re.search(rf'<img src="[^"]*/reports/reasons\.svg[^"]*"[^>]* height="{height}"', page)


def test_a_language_with_few_words_is_drawn_whole_and_not_said_cut(make, web, db_session):
    france = make.market("FR")
    Desk(make, db_session, france).rejected(T(3, 10), comment=" ".join(WORDS[:5]))
    Desk(make, db_session, france).rejected(T(4, 10), comment=" ".join(WORDS[:5]))
    web.login(make.user(Role.project_manager, markets=[france]))
    chart = web.get(f"/reports/reasons.svg?market=FR&{PERIOD}").get_data(as_text=True)
    assert all(f">{word}<" in chart for word in WORDS[:5])
    assert "the top 15" not in web.get(f"/reports?market=FR&{PERIOD}").get_data(as_text=True)
