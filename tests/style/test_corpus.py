"""Every post of the hand-labelled corpus gives exactly the findings written beside it."""

from __future__ import annotations

from collections import Counter

import pytest

from approval import style

from .corpus import CORPUS, Expected, Post


@pytest.mark.parametrize("post", CORPUS, ids=lambda p: p.id)
def test_the_gate_finds_what_the_corpus_says(post: Post):
    found = [Expected(f.rule, f.severity.value, f.start, f.end) for f in style.check(post.text, post.context)]
    assert Counter(found) == Counter(post.expected), "\n".join(
        f"{f.rule} {f.severity} {f.start}:{f.end} {post.text[f.start:f.end]!r}" for f in found)


def test_the_corpus_is_large_and_covers_every_rule():
    assert len(CORPUS) >= 150
    rules = {e.rule for post in CORPUS for e in post.expected}
    assert {r.id for r in style.RULES} <= rules | {"policy.forbidden"}
    assert "policy.competitors" in rules  # a market's own rule id
    languages = Counter(post.lang for post in CORPUS if post.lang)
    assert languages["fr"] >= 60 and languages["en"] >= 25 and languages["pl"] >= 5 and languages["sw"] >= 5
    assert sum(1 for post in CORPUS if not post.expected) >= 50  # posts that must pass clean, too
