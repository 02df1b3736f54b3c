"""Typography: French spacing, double spaces, shouting, repeated exclamation marks. All warnings by default.

French spacing (for French text only, see ``Analysis.is_french``): a no-break space before ; ! ? (the narrow one,
U+202F, is suggested) and before : (U+00A0), and inside « » (U+00A0). Only the first mark of a run ("?!") needs it;
times and scores (10:30, 2:1), emoticons (":)"), links, mentions and hashtags are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from approval.style.findings import Finding, Severity
from approval.style.i18n import N_
from approval.style.text import Analysis

FR_SPACING = "typo.fr-spacing"
DOUBLE_SPACE = "typo.double-space"
SHOUTING = "typo.shouting"
EXCLAMATIONS = "typo.exclamations"

NBSP = "\u00a0"
NNBSP = "\u202f"
_NO_BREAK = (NBSP, NNBSP)
_FR_CANDIDATES = re.compile(r"[;:!?«»]")
_EMOTICON = re.compile(r"[:;]-?[()DPpOo3/|\\*]")


def check_fr_spacing(analysis: Analysis) -> Iterator[Finding]:
    text = analysis.text
    if not _FR_CANDIDATES.search(text) or not analysis.is_french:
        return
    masked = analysis.masked
    for match in _FR_CANDIDATES.finditer(masked):
        i = match.start()
        char = masked[i]
        if char == "«":
            yield from _after_opening(text, i)
            continue
        before = masked[i - 1] if i else ""
        if not before or before == "\n" or (char != "»" and before in ";:!?«"):
            continue  # the first mark of a run carries the space, and a line may start with a mark
        if char == ":" and (_between_digits(masked, i) or _EMOTICON.match(masked, i)):
            continue
        if char == ";" and _EMOTICON.match(masked, i):
            continue
        wanted = NBSP if char in ":»" else NNBSP
        if before in _NO_BREAK:
            continue
        if before == " ":
            yield _finding(i - 1, i, wanted, char)
        else:
            yield _finding(i, i + 1, wanted + char, char)


def _after_opening(text: str, i: int) -> Iterator[Finding]:
    after = text[i + 1] if i + 1 < len(text) else ""
    if not after or after in _NO_BREAK or after == "\n":
        return
    if after == " ":
        yield _finding(i + 1, i + 2, NBSP, "«")
    else:
        yield _finding(i, i + 1, "«" + NBSP, "«")


def _between_digits(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def _finding(start: int, end: int, suggestion: str, mark: str) -> Finding:
    if mark in "«»":
        message = N_("In French, guillemets hold their text with no-break spaces: « … ».")
    else:
        message = N_("In French, a no-break space goes before “%(mark)s”.")
    return Finding.make(FR_SPACING, Severity.warning, message, start, end, suggestion, mark=mark)


_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \u00a0\u202f]{2,}(?=\S)")


def check_double_space(analysis: Analysis) -> Iterator[Finding]:
    text = analysis.text
    if "  " not in text and not re.search("[\u00a0\u202f] |[ \u00a0\u202f][\u00a0\u202f]", text):
        return
    for match in _DOUBLE_SPACE.finditer(text):
        run = match.group()
        keep = next((c for c in run if c in _NO_BREAK), " ")
        yield Finding.make(DOUBLE_SPACE, Severity.warning, N_("Two spaces where one will do."),
                           match.start(), match.end(), keep)


_UPPER_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
#: Capitals shout from this many letters: one long word ("INCROYABLE") or a run of words ("ON A GAGNÉ")...
SHOUT_LETTERS = 8
#: ... of at least this many words (two: "UEFA EURO", "GRAND MERCI" read as names or a slogan).
SHOUT_WORDS = 3


def check_shouting(analysis: Analysis) -> Iterator[Finding]:
    masked = analysis.masked
    if sum(c.isupper() for c in masked) < SHOUT_LETTERS:
        return
    run: list[re.Match[str]] = []
    for word in _UPPER_WORD.finditer(masked):
        gap = masked[run[-1].end():word.start()] if run else ""
        if word.group().isupper() and not ("\n" in gap or any(c in ".!?…" for c in gap)):
            run.append(word)
            continue
        yield from _shout(analysis, run)
        run = [word] if word.group().isupper() else []
    yield from _shout(analysis, run)


def _shout(analysis: Analysis, run: list[re.Match[str]]) -> Iterator[Finding]:
    letters = sum(len(w.group()) for w in run)
    if letters < SHOUT_LETTERS or 1 < len(run) < SHOUT_WORDS:
        return
    text = analysis.text
    start, end = run[0].start(), run[-1].end()
    chars = list(text[start:end])
    for word in run:
        chars[word.start() - start:word.end() - start] = text[word.start():word.end()].lower()
    if _starts_sentence(text, start):
        chars[0] = text[start]
    yield Finding.make(SHOUTING, Severity.warning, N_("Capitals shout: write in lower case."), start, end,
                       "".join(chars))


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \u00a0\u202f\t\"'«“([")
    return not before or before[-1] in ".!?…\n"


_EXCLAMATIONS = re.compile(r"!(?:[ \u00a0\u202f]?!)+")


def check_exclamations(analysis: Analysis) -> Iterator[Finding]:
    if "!" not in analysis.text:
        return
    for match in _EXCLAMATIONS.finditer(analysis.masked):
        yield Finding.make(EXCLAMATIONS, Severity.warning, N_("One exclamation mark is enough."),
                           match.start(), match.end(), "!")
