"""Which language a post is written in, with lingua (accurate on short texts), loaded once and lazily.

The detector only chooses among the languages that matter here: those of the group's markets and their neighbours
(``CANDIDATES``) plus any language a context names. Restricting the set keeps it fast and small, and a post in a
language outside the set reads as its nearest candidate, which is still "not one of the market's languages".

Links, mentions, hashtags, emoji and digits are removed first; below ``MIN_LETTERS`` letters, or when the best
language is not clearly ahead, ``detect`` answers None and the rules that depend on it stay silent.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from approval.style.findings import Finding, Severity
from approval.style.i18n import N_

if TYPE_CHECKING:
    from approval.style.text import Analysis

MISMATCH = "lang.mismatch"

#: Languages the detector chooses among (ISO 639-1), beyond those a market names.
CANDIDATES = ("en", "fr", "pl", "sw", "de", "es", "it", "pt", "nl")
#: Fewer words or letters than this and a post is too short to tell ("Merci à tous !", "Replay, photos et
#: interviews" reads as English as much as French).
MIN_WORDS = 5
MIN_LETTERS = 16
#: The best language's share of lingua's relative confidence needed to answer.
MIN_CONFIDENCE = 0.5
#: lingua's high-accuracy mode (all n-gram models): on the labelled corpus it never names a wrong language with the
#: thresholds above, where the low-accuracy mode (trigrams only) names three; it costs ~235 MB once loaded for the
#: nine candidates (low: ~18 MB) and ~120 µs a post (low: ~40 µs).
HIGH_ACCURACY = True

_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def prose(text: str) -> tuple[str, int]:
    """The words of ``text`` (entities already masked out) and how many letters they hold."""
    words = _WORDS.findall(text)
    return " ".join(words), sum(map(len, words))


#: A text is checked again and again (the editor's live check, saving, submitting, approving, scheduling): the
#: detector, the gate's slowest part, answers each text once per process. Longer texts are not kept.
DETECTIONS_KEPT = 2048
LONGEST_KEPT = 4000


def detect(text: str, extra: Iterable[str] = ()) -> str | None:
    words, letters = prose(text)
    if letters < MIN_LETTERS or words.count(" ") + 1 < MIN_WORDS:
        return None
    languages = frozenset(CANDIDATES) | frozenset(c.lower() for c in extra if known(c))
    if len(words) > LONGEST_KEPT:
        return _best_language(words, languages)
    return _kept_best_language(words, languages)


def _best_language(words: str, languages: frozenset[str]) -> str | None:
    values = _detector(languages).compute_language_confidence_values(words)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    return values[0].language.iso_code_639_1.name.lower()


_kept_best_language = lru_cache(maxsize=DETECTIONS_KEPT)(_best_language)


def forget_detections() -> None:
    """Empty the detections kept (a benchmark timing the detector itself)."""
    _kept_best_language.cache_clear()


def known(code: str) -> bool:
    """Whether ``code`` is an ISO 639-1 language the detector knows ("fr"; not "zz", not "FR ")."""
    from lingua import IsoCode639_1

    return isinstance(code, str) and code.isascii() and code.isalpha() and hasattr(IsoCode639_1, code.upper())


def name(code: str, locale: str = "en") -> str:
    """A language's name in ``locale``'s language, for messages: ("pl") -> "Polish", ("pl", "fr") -> "polonais"
    (CLDR's names, through Babel); the code itself when neither is known."""
    try:
        return _language_names(str(locale)).get(code.lower()) or code
    except (AttributeError, ValueError):
        return code


@lru_cache(maxsize=16)
def _language_names(locale: str) -> Mapping[str, str]:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale).languages
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale("en").languages


def named_in(params: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A language finding's parameters with the languages named in ``locale`` (a French page says « français », not
    "French"), from the codes the finding keeps; a finding stored before it kept the expected ones names them as it
    did. The caller renders the message with them (``approval.labels.finding_message``)."""
    named = dict(params)
    if isinstance(params.get("code"), str):
        named["language"] = name(params["code"], locale)
    expected = params.get("expected_codes")
    if isinstance(expected, list | tuple) and all(isinstance(code, str) for code in expected):
        named["expected"] = " / ".join(name(code, locale) for code in expected)
    return named


def preload() -> None:
    """Build the default detector and load its models now, rather than on the first check (lingua reads a
    language's models the first time it weighs that language: 2-3 s for the candidates)."""
    _detector(frozenset(CANDIDATES)).compute_language_confidence_values("Merci à tous, rendez-vous demain soir")


_preloading: threading.Thread | None = None


def preload_in_background() -> threading.Thread:
    """Start ``preload`` in a daemon thread, once per process, so that a server answers at once and its first live
    checks find the models loaded. A check that comes earlier waits for the same models (lingua loads each once)."""
    global _preloading
    if _preloading is None:
        _preloading = threading.Thread(target=preload, name="approval-language-models", daemon=True)
        _preloading.start()
    return _preloading


@lru_cache(maxsize=8)
def _detector(codes: frozenset[str]):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = []
    for code in sorted(codes):
        iso = getattr(IsoCode639_1, code.upper(), None)
        if iso is not None:
            languages.append(Language.from_iso_code_639_1(iso))
    builder = LanguageDetectorBuilder.from_languages(*languages)
    if not HIGH_ACCURACY:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def check_mismatch(analysis: Analysis) -> Iterator[Finding]:
    expected = tuple(code.lower() for code in analysis.context.languages)
    if not expected:
        return
    detected = analysis.language
    if detected is None or detected in expected:
        return
    text = analysis.text
    words = list(_WORDS.finditer(analysis.masked))
    start, end = (words[0].start(), words[-1].end()) if words else (0, len(text))
    # The names in English, for the message and the command line; the codes, to name them in a reader's language.
    yield Finding.make(MISMATCH, Severity.warning,
                       N_("This text reads as %(language)s, not as the market's %(expected)s."), start, end,
                       language=name(detected), expected=" / ".join(name(code) for code in expected),
                       code=detected, expected_codes=list(expected))
