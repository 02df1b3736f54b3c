"""Properties: any text, in any context, gives findings inside the text, sorted, and never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approval import style
from approval.style import Context, Policy, Severity, Term
from approval.style.text import fold, fold_with_index

from .corpus import CORPUS

RULE_IDS = [rule.id for rule in style.RULES] + ["policy.competitors"]
#: Pieces that reach the rules' corners: abbreviations, links, quotes, marks, emoji sequences, no-break spaces.
PIECES = ["M.", "Mme", "etc.", "p.m.", "U.S.", " ", "  ", "\u00a0", "\u202f", "\n", ".", "!", "?", "…", "...", "«",
          "»", "\"", "(", ")", "#EURO2028", "@Helio", "https://helio.fr/a?b=1", "orange.com", "contact@helio.fr",
          "2.5", "10:30", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "é", "É", "ß", "œ", "İ", "ǅ", "日本", "\u0301", "\ufeff", "\r\n",
          "la", "La", "BRAVO", "gratuit", "Société", "!!", ":)", "iPhone", "\U0001f426\u200d\U0001f525"]

texts = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join),
    st.sampled_from([post.text for post in CORPUS]),
)
terms = st.builds(Term,
                  st.text(min_size=0, max_size=12) | st.sampled_from(["gratuit", "concurren*", "a b", "*", "#ad"]),
                  st.text(max_size=10), st.none() | st.text(max_size=5),
                  st.none() | st.sampled_from(["policy.competitors", "policy.forbidden", "not-a-policy"]))
contexts = st.builds(
    Context,
    network=st.none() | st.sampled_from(sorted(style.LIMITS) + ["myspace"]),
    market=st.none() | st.sampled_from(["FR", "KE", "PL"]),
    languages=st.lists(st.sampled_from(["fr", "en", "sw", "pl", "xx", "zz"]), max_size=3).map(tuple),
    rules=st.dictionaries(st.sampled_from(RULE_IDS), st.sampled_from(["off", "warning", "error", "bogus"]),
                          max_size=4),
    policy=st.builds(Policy, forbidden=st.lists(terms, max_size=3).map(tuple),
                     sensitive=st.lists(terms, max_size=3).map(tuple),
                     disclosures=st.lists(st.text(max_size=8) | st.just("#ad"), max_size=3).map(tuple),
                     capital_exceptions=st.lists(st.text(max_size=6), max_size=2).map(tuple),
                     strict_full_stop=st.booleans()),
    campaign_hashtag=st.none() | st.text(max_size=10) | st.just("#EURO2028"),
    disclosure_required=st.booleans(),
    has_media=st.none() | st.booleans(),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.none() | contexts)
def test_findings_stay_inside_the_text_and_come_sorted(text, context):
    findings = style.check(text, context)
    for finding in findings:
        assert 0 <= finding.start <= finding.end <= len(text)
        assert isinstance(finding.severity, Severity)
        assert finding.message and isinstance(finding.message, str)
        assert finding.suggestion is None or isinstance(finding.suggestion, str)
        assert set(finding.as_dict()) >= {"rule", "severity", "message", "start", "end"}
    keys = [(f.start, f.end, f.rule) for f in findings]
    assert keys == sorted(keys)
    if context is not None:
        for rule, setting in context.rules.items():
            if setting == "off":
                assert all(f.rule != rule for f in findings)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_lengths_are_never_negative_and_x_agrees_with_the_overflow_offset(text):
    for network in [None, *style.LIMITS]:
        assert style.length(text, network) >= 0
    from approval.style import twitter

    offset = twitter.overflow_offset(text, 10)
    assert 0 <= offset <= len(text)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_folding_maps_every_match_back_inside_the_text(text):
    folded = fold_with_index(text)
    assert folded.text == fold(text) or text.isascii()
    for start in range(len(folded.text) + 1):
        for end in (start, min(start + 3, len(folded.text))):
            a, b = folded.span(start, end)
            assert 0 <= a <= b <= len(text)


def test_entities_never_overlap_and_the_first_kind_wins():
    """A link holds its own "#fragment" and "@" (no hashtag, no mention inside it); thousands of hashtags are each
    one entity (the overlap check is a search of the span, no longer a comparison with every entity taken)."""
    from approval.style.text import find_entities

    text = "Voir https://helio.example/page#tarifs et @helio_fr #Euro2028 contact@helio.example " + "#a " * 8000
    found = find_entities(text)
    assert [(e.kind, text[e.start:e.end]) for e in found[:4]] == [
        ("url", "https://helio.example/page#tarifs"), ("mention", "@helio_fr"), ("hashtag", "#Euro2028"),
        ("email", "contact@helio.example")]
    assert len(found) == 4 + 8000
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))


def test_links_are_read_word_by_word_and_a_dotted_run_is_plain_text():
    """The link extractor's expression takes the square of a word's length on dotted text ("a." a thousand times
    took 5 s): links are read word by word, and a word with more dots than any link is counted as text."""
    from approval.style import twitter

    assert twitter.parse("Voir orange.com et https://helio.com/a.b.c ce soir.").weighted_length == \
        len("Voir  et  ce soir.") + 2 * 23
    dotted = "a." * (twitter.MAX_DOTS_IN_A_WORD + 1)
    assert twitter.parse(dotted).weighted_length == len(dotted)
    assert twitter.parse("a." * 20 + "com").weighted_length == 23  # within the bound: still a link
