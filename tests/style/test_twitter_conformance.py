"""X's weighted length agrees with every case of twitter-text's v3 conformance sections, read at test time."""

from __future__ import annotations

import json

import pytest
import yaml

from approval import style
from approval.style import twitter

from .corpus import TWITTER_TEXT

V3_SECTIONS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")


def _cases() -> list[tuple[str, dict]]:
    data = yaml.safe_load((TWITTER_TEXT / "validate.yml").read_text(encoding="utf-8"))["tests"]
    return [(f"{section}: {case['description']}", case) for section in V3_SECTIONS for case in data[section]]


CASES = _cases()


def test_every_v3_case_is_read():
    assert len(CASES) == 24  # 22 + 2 at twitter-text 30e2430d90cf: a shrinking file would pass silently otherwise


@pytest.mark.parametrize(("description", "case"), CASES, ids=[c[0] for c in CASES])
def test_weighted_length_and_validity_agree_with_twitter_text(description, case):
    count = twitter.parse(case["text"])
    assert count.weighted_length == case["expected"]["weightedLength"], description
    assert count.valid == case["expected"]["valid"], description
    assert style.length(case["text"], "x") == case["expected"]["weightedLength"]


def test_the_packaged_config_is_twitter_texts_v3():
    assert twitter.CONFIG_V3 == json.loads((TWITTER_TEXT / "config-v3.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "weighted"), [
    ("Rendez-vous sur orange.com ce soir.", 16 + 23 + 9),  # a domain without a scheme is a link
    ("Inscription sur helio.example/hub.", 34),  # .example is no top-level domain: counted as text
    ("🐦‍🔥 renaît.", 2 + 8),  # Unicode 15.1 ZWJ sequence: once, even though twitter-text-parser's table is Unicode 12
    ("Bravo 🇫🇷🇫🇷", 6 + 2 + 2),
    ("La\r\nTour", 7),  # CRLF counts as one line break
])
def test_counts_beyond_the_conformance_file(text, weighted):
    assert twitter.weighted_length(text) == weighted


def test_the_overflow_offset_is_the_first_character_past_the_limit():
    text = "a" * 279 + "日本"
    assert twitter.weighted_length(text) == 283
    assert twitter.overflow_offset(text) == 279
    url_text = "x" * 250 + " https://helio.fr/a-very-long-path-indeed"
    assert twitter.weighted_length(url_text) == 274
    assert twitter.overflow_offset(url_text) == len(url_text)


@pytest.mark.parametrize("text", [
    "\U0001f468\u200d" * 300,  # a chain no one writes: the package's search took the square of its length
    "👨🏻‍❤️‍💋‍👨🏼 " * 50 + "👨🏻‍❤️‍💋‍👨🏼" * 20,  # the longest named sequence, alone and back to back
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿" * 40 + "1️⃣2️⃣#️⃣" * 30 + "🇫🇷" * 41 + "👋🏽" * 25,  # flags by tags, keycaps, regional pairs, skin tones
    "👨‍👩‍👧‍👦" * 20 + "Bonjour 👋 la France 🇫🇷.",
    "🇿" + "🇫🇷" * 10 + " " + "a🇿" + "🇫🇷" * 12,  # a stray letter before a row of flags: paired the package's way
])
def test_emoji_are_read_in_stretches_as_the_package_reads_them_whole(text):
    """The ``emoji`` package is given stretches of at most ``MAX_RUN`` characters, cut where a sequence may begin:
    the same sequences as the whole text gives it, without the square of a chain's length in time ("\\U0001f468\\u200d"
    30,000 times: 95 s a view, the database locked meanwhile)."""
    import emoji

    assert twitter._emoji(text) == [(e["match_start"], e["match_end"]) for e in emoji.emoji_list(text)]
    assert twitter.weighted_length("\U0001f468\u200d" * 30_000) == 90_000
