"""A finding's excerpt on the post page: whole words around the finding, "…" where the text goes on."""

from __future__ import annotations

import pytest


@pytest.fixture()
def excerpt(app):
    template = app.jinja_env.from_string('{% from "macros.html" import excerpt %}{{ excerpt(body, start, end) }}')

    def render(body: str, start: int, end: int) -> str:
        with app.test_request_context():
            return template.render(body=body, start=start, end=end)

    return render


def test_an_excerpt_is_cut_between_words(excerpt):
    body = "Tout le programme sur https://helio.example/hub ! <script>alert(1)</script> et la suite demain."
    mark = body.index("!")

    shown = excerpt(body, mark, mark + 1)

    assert shown == "…https://helio.example/hub ! &lt;script&gt;alert(1)&lt;/script&gt;…"  # whole words, escaped


def test_a_short_text_is_shown_whole_its_lines_apart(excerpt):
    assert excerpt("Bonjour\nà tous", 0, 7) == "Bonjour ⏎ à tous"  # its lines kept apart (a YouTube title)


def test_an_insertion_point_at_the_end(excerpt):
    body = "Une phrase sans point final qui continue encore un peu plus loin que la marge"
    assert excerpt(body, len(body), len(body)) == "…plus loin que la marge"


def test_a_long_span_shows_its_two_ends(excerpt):
    """The characters past X's 280 of a pasted article: the box quoted all 60,000 of them."""
    words = " ".join(f"mot{n}" for n in range(12_000))
    body = "Un début court. " + words + " et la fin."

    shown = excerpt(body, 16, len(body))

    assert len(shown) < 200, shown
    assert shown.startswith("Un début court. mot0 mot1") and shown.endswith("mot11999 et la fin.")
    assert " … " in shown and "mot6000" not in shown
