"""What every rule needs to know about a text, computed once per check and only when a rule asks.

* the entities of a social post: links (with or without a scheme: ``orange.com``), e-mail addresses, @mentions and
  #hashtags, so that rules about prose skip them;
* ``masked``: the text with those entities blanked out (same length, same offsets);
* ``folded``: the text without case and accents (``Société`` -> ``societe``), with a map back to the original
  offsets, for the editorial lists;
* the language, detected lazily (``approval.style.language``).
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from approval.style.findings import Context

#: What an entity is replaced with in ``masked``: not a space, not a letter, not punctuation.
MASK = "\x1a"

_TRAILING_PUNCTUATION = r"[^\s<>\"«»“”‘’'.,;:!?…)\]]"
URL = re.compile(r"(?i:https?://|www\.)[^\s<>\"«»“”]*" + _TRAILING_PUNCTUATION)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
#: A domain without a scheme (orange.com, helio.example/hub): lower-case top-level label of two letters or more.
DOMAIN = re.compile(
    r"(?<![\w@./-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[a-z]{2,}(?![\w@-])"
    r"(?:/(?:[^\s<>\"«»“”]*" + _TRAILING_PUNCTUATION + ")?)?"
)
MENTION = re.compile(r"(?<![\w@])@\w(?:[\w.]*\w)?")
HASHTAG = re.compile(r"(?<![\w#&])[#＃]\w*[^\W\d_]\w*")
_ENTITY_SCAN = re.compile(r"[:@#＃.]")  # no entity without one of these: most posts skip the regexes below


@dataclass(frozen=True)
class Entity:
    kind: str  # "url", "email", "mention", "hashtag"
    start: int
    end: int


def find_entities(text: str) -> list[Entity]:
    """Links, e-mail addresses, mentions and hashtags, in order and without overlaps (the first kind wins)."""
    if not _ENTITY_SCAN.search(text):
        return []
    taken: list[Entity] = []
    # Which characters an entity already holds, one byte each: an overlap is one search of the match's span, where
    # comparing with every entity taken made 8,000 hashtags cost 32 million steps (20 s of the style gate).
    held = bytearray(len(text))
    for kind, pattern in (("url", URL), ("email", EMAIL), ("url", DOMAIN), ("mention", MENTION),
                          ("hashtag", HASHTAG)):
        for match in pattern.finditer(text):
            start, end = match.span()
            if held.find(1, start, end) < 0:
                taken.append(Entity(kind, start, end))
                held[start:end] = b"\x01" * (end - start)
    return sorted(taken, key=lambda e: e.start)


#: Letters and symbols that draw nothing: the Hangul fillers and the blank Braille pattern, the usual ways past a
#: "not blank" check.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def shows_anything(text: str) -> bool:
    """Whether ``text`` holds a character a reader sees: not only spaces, line breaks, zero-width and other format
    characters, marks with nothing to sit on (a lone accent, the emoji presentation selector U+FE0F), or blank
    letters (a reason made of U+200B or U+3164 says nothing)."""
    return any(not c.isspace() and c not in _BLANK and unicodedata.category(c) not in _INVISIBLE for c in text)


_INVISIBLE = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"))


# Folding ------------------------------------------------------------------------------------------------------

_SPECIAL_FOLDS = {
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
    "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d",
    "‐": "-", "‑": "-", "–": "-", "—": "-",
}
_fold_cache: dict[str, str] = {}


def fold_char(char: str) -> str:
    folded = _fold_cache.get(char)
    if folded is None:
        folded = _SPECIAL_FOLDS.get(char)
        if folded is None:
            decomposed = unicodedata.normalize("NFKD", char)
            folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        if len(_fold_cache) < 20000:
            _fold_cache[char] = folded
    return folded


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a phrase (for the editorial lists)."""
    return "".join(map(fold_char, text))


@dataclass(frozen=True)
class Folded:
    text: str
    #: ``index[j]`` is the offset in the original text of the folded character ``j`` (None: the same offsets).
    index: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.index is None:
            return start, end
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.index[end - 1] + 1


def fold_with_index(text: str) -> Folded:
    if text.isascii():
        return Folded(text.lower(), None)
    parts: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        folded = fold_char(char)
        parts.append(folded)
        index.extend([i] * len(folded))
    index.append(len(text))
    return Folded("".join(parts), tuple(index))


# Emoji and symbols -------------------------------------------------------------------------------------------

_END_MARKS = frozenset(".!?…")


def is_symbolic(token: str) -> bool:
    """A token with no letter, digit or sentence mark: emoji, arrows, bullets, separators."""
    return not any(c.isalnum() or c in _END_MARKS or c in ",;:" for c in token)


# The analysis ------------------------------------------------------------------------------------------------


class Analysis:
    """One text in one context; each property is computed on first use and kept for the other rules."""

    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.context = context

    @cached_property
    def entities(self) -> list[Entity]:
        return find_entities(self.text)

    @cached_property
    def sentences(self) -> list:
        from approval.style.sentences import sentences

        return sentences(self.text)

    @cached_property
    def masked(self) -> str:
        if not self.entities:
            return self.text
        chars = list(self.text)
        for entity in self.entities:
            chars[entity.start:entity.end] = MASK * (entity.end - entity.start)
        return "".join(chars)

    @cached_property
    def folded(self) -> Folded:
        return fold_with_index(self.text)

    @cached_property
    def _links(self) -> tuple[list[int], list[int]]:
        """The links' and addresses' starts in order, and for each the furthest end among it and those before."""
        spans = sorted((e.start, e.end) for e in self.entities if e.kind in ("url", "email"))
        return [start for start, _ in spans], list(itertools.accumulate((end for _, end in spans), max))

    def inside_link(self, start: int, end: int) -> bool:
        """Whether ``start:end`` lies within a link or an e-mail address: a search, not a walk over every entity
        (a policy term found in each of 8,000 hashtags walked them all each time)."""
        starts, furthest = self._links
        before = bisect.bisect_right(starts, start)
        return before > 0 and end <= furthest[before - 1]

    @cached_property
    def language(self) -> str | None:
        """The detected language (ISO 639-1), or None when the text is too short to tell."""
        from approval.style import language

        return language.detect(self.masked, extra=self.context.languages)

    @cached_property
    def is_french(self) -> bool:
        """French typography applies: the text reads as French, or the market writes only French and the text is
        too short to tell."""
        detected = self.language
        if detected is not None:
            return detected == "fr"
        return tuple(self.context.languages) == ("fr",)
