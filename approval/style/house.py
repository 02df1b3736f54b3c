"""The house rules: every sentence starts with a capital letter and ends with a full stop.

A sentence ends at ".", "!", "?" or "…" followed by a space or the end of the text; a trailing block of hashtags,
@mentions and links after the last sentence is not a sentence. Abbreviations, URLs inside sentences and the finer
points of the segmenter belong to the policy-engine issue; this is the interface and a sound first cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask_babel import gettext as _

from approval.style.findings import Finding, Severity

_END_MARKS = ".!?…"
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«([¿¡ "
_ABBREVIATIONS = {"m", "mme", "mlle", "dr", "mr", "mrs", "ms", "st", "etc", "e.g", "i.e", "p.m", "a.m", "u.s", "vs"}
_TAIL_TOKEN = re.compile(r"^(#\w+|@\w+|https?://\S+|[^\w\s]+)$", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?=\s|$)")
_URL = re.compile(r"https?://\S+|\b[\w.-]+@[\w-]+\.[\w.]+\b|\bwww\.\S+")


def _strip_tail(text: str) -> int:
    """The end of the prose: where a trailing block of hashtags, mentions, links and emoji starts."""
    tokens = list(re.finditer(r"\S+", text))
    end = len(text.rstrip())
    for token in reversed(tokens):
        if _TAIL_TOKEN.match(token.group()) and not _SENTENCE_END.fullmatch(token.group()):
            end = token.start()
            continue
        break
    return len(text[:end].rstrip())


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of the prose part of ``text``."""
    prose_end = _strip_tail(text)
    masked = _URL.sub(lambda m: "x" * len(m.group()), text[:prose_end])
    start = 0
    for match in _SENTENCE_END.finditer(masked):
        word = re.search(r"([\w.]+)$", masked[start:match.start()])
        if match.group()[0] == "." and word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        yield start, match.end()
        start = match.end()
    if masked[start:].strip():
        yield start, prose_end


def check(text: str) -> list[Finding]:
    findings = []
    for start, end in sentences(text):
        chunk = text[start:end]
        offset = len(chunk) - len(chunk.lstrip(_OPENERS + "\n\t"))
        first = start + offset
        if first < end:
            char = text[first]
            if char.isalpha() and char.islower():
                word = re.match(r"\w+", text[first:end])
                internal_capital = word and any(c.isupper() for c in word.group()[1:])
                if not internal_capital:
                    findings.append(Finding(
                        "house.capital-start", Severity.error,
                        _("A sentence starts with a capital letter."), first, first + 1, char.upper(),
                    ))
        body = text[start:end].rstrip().rstrip(_CLOSERS)
        if body and body[-1] not in _END_MARKS:
            stop = start + len(body)
            findings.append(Finding(
                "house.full-stop-end", Severity.error,
                _("A sentence ends with a full stop."), stop, stop, ".",
            ))
    return findings
