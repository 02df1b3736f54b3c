"""Texts cut short on the pages (the desk, the lists, the notifications): an ellipsis after the last whole word,
never "boutiques...." (three dots after a full stop) nor "boutiques.…"."""

from __future__ import annotations

from approval.filters import truncate

TEXT = "Retrouvez nos maillots dans toutes nos boutiques. Et en ligne, dès ce soir, pour tous les supporters."


def test_a_text_cut_after_a_full_stop_ends_with_one_ellipsis(app):
    with app.app_context():
        shown = app.jinja_env.from_string("{{ text | truncate(55) }}").render(text=TEXT)
    assert shown == "Retrouvez nos maillots dans toutes nos boutiques. Et…"


def test_the_cut_drops_what_punctuation_it_left_and_keeps_whole_words():
    assert truncate("Nos boutiques, partout en France.", 20, leeway=0) == "Nos boutiques…"
    assert truncate("Dans toutes nos boutiques. Et en ligne aussi.", 30, leeway=0) == "Dans toutes nos boutiques…"
    assert truncate("Court.", 90) == "Court."  # nothing cut, nothing added
    assert truncate("https://helio.example/un-tres-long-lien", 20, True, leeway=0) == "https://helio.examp…"
    assert truncate(None, 10) == ""
