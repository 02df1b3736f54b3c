"""A market's editorial policy, the matching part: forbidden and sensitive terms, disclosure, campaign hashtag.

Terms match without case or accents ("societe" finds "Société", "oeuvre" finds "œuvre") and on word boundaries
("concurrent" does not find "concurrentiel"; "concurren*" does); the spaces of a phrase match any run of spaces and a
phrase also matches as one hashtag ("coupe du monde" finds "#CoupeDuMonde"). Offsets point into the original text.
Links and e-mail addresses are not searched, unless the term itself looks like one (``competitor.com``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from approval.style.findings import Finding, Severity, Term, disclosures_for
from approval.style.i18n import N_
from approval.style.text import Analysis, fold

FORBIDDEN = "policy.forbidden"
SENSITIVE = "policy.sensitive"
DISCLOSURE = "policy.disclosure"
CAMPAIGN_HASHTAG = "policy.campaign-hashtag"


def _term_pattern(phrase: str) -> str:
    words = fold(phrase).split()
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    pattern = r"\s+".join(parts)
    if len(words) > 1 and all(re.fullmatch(r"\w+\*?", w) for w in words):
        pattern = f"(?:{pattern}|#{''.join(parts)})"
    return rf"(?<!\w){pattern}(?!\w)"


@lru_cache(maxsize=256)
def compile_terms(terms: tuple[Term, ...]) -> re.Pattern[str] | None:
    """One regex for a whole list, longest phrases first; group ``t<i>`` is ``terms[i]``."""
    usable = [(i, t) for i, t in enumerate(terms) if fold(t.phrase).strip(" *")]
    if not usable:
        return None
    usable.sort(key=lambda item: -len(item[1].phrase))
    return re.compile("|".join(f"(?P<t{i}>{_term_pattern(t.phrase)})" for i, t in usable))


def find_terms(analysis: Analysis, terms: tuple[Term, ...]) -> Iterator[tuple[Term, int, int]]:
    pattern = compile_terms(terms)
    if pattern is None:
        return
    folded = analysis.folded
    for match in pattern.finditer(folded.text):
        group = match.lastgroup
        assert group is not None  # every term is a named group of the pattern, "_<index>"
        term = terms[int(group[1:])]
        start, end = folded.span(*match.span())
        if analysis.inside_link(start, end) and not re.search(r"[./@]", term.phrase):
            continue
        yield term, start, end


def _custom_rule(term: Term, default: str) -> str:
    return term.rule if term.rule and term.rule.startswith("policy.") else default


def check_forbidden(analysis: Analysis) -> Iterator[Finding]:
    return _term_findings(analysis, analysis.context.policy.forbidden, FORBIDDEN, Severity.error,
                          N_("“%(term)s” may not be said here: %(reason)s"),
                          N_("“%(term)s” may not be said here."))


def check_sensitive(analysis: Analysis) -> Iterator[Finding]:
    return _term_findings(analysis, analysis.context.policy.sensitive, SENSITIVE, Severity.warning,
                          N_("“%(term)s” is sensitive, the reviewer must acknowledge it: %(reason)s"),
                          N_("“%(term)s” is sensitive: the reviewer must acknowledge it."))


def _term_findings(analysis: Analysis, terms: tuple[Term, ...], rule: str, severity: Severity, with_reason: str,
                   without_reason: str) -> Iterator[Finding]:
    """A finding per listed term the text holds, saying the term's reason when the list gives one."""
    for term, start, end in find_terms(analysis, terms):
        yield Finding.make(_custom_rule(term, rule), severity, with_reason if term.reason else without_reason,
                           start, end, term.instead, term=analysis.text[start:end], reason=term.reason)


def _insertion_point(text: str) -> int:
    return len(text.rstrip())


@lru_cache(maxsize=64)
def _markers(markers: tuple[str, ...]) -> re.Pattern[str] | None:
    return compile_terms(tuple(Term(m) for m in markers))


def check_disclosure(analysis: Analysis) -> Iterator[Finding]:
    context = analysis.context
    markers = tuple(m for m in disclosures_for(context.languages, context.policy.disclosures) if m.strip())
    if not context.disclosure_required or not markers:
        return
    pattern = _markers(markers)
    if pattern is not None and pattern.search(analysis.folded.text):
        return
    at = _insertion_point(analysis.text)
    yield Finding.make(DISCLOSURE, Severity.error,
                       N_("A partnership post says so: add %(markers)s."), at, at, " " + markers[0],
                       markers=" / ".join(markers[:3]))


def check_campaign_hashtag(analysis: Analysis) -> Iterator[Finding]:
    hashtag = (analysis.context.campaign_hashtag or "").strip()
    if not hashtag:
        return
    if not hashtag.startswith(("#", "＃")):
        hashtag = "#" + hashtag
    pattern = compile_terms((Term(hashtag),))
    if pattern is not None and pattern.search(analysis.folded.text):
        return
    at = _insertion_point(analysis.text)
    yield Finding.make(CAMPAIGN_HASHTAG, Severity.warning, N_("The campaign's hashtag %(hashtag)s is missing."),
                       at, at, " " + hashtag, hashtag=hashtag)
