"""Sentence boundaries in a social post, for the house rules.

Written by hand rather than borrowed: the general-purpose segmenters (pysbd, blingfire) decide a boundary by the
capital letter that follows, which hides exactly the mistake the house rule looks for ("… ce soir ! rendez-vous");
they also split inside links ("https://…?x=1") and missed French abbreviations or e-mail addresses in our trials.
Here a boundary is decided from what precedes it:

* ``!`` and ``?`` (in any run: ``?!``, ``!!!``) followed by a space or the end are boundaries;
* ``.`` is one unless it closes an abbreviation: titles and initials (M., Mme, Dr., J.) never end a sentence,
  abbreviations that often do (etc., p.m., U.S., Inc.) end one only before an upper-case word;
* an ellipsis (``…``, ``...``) ends a sentence only before an upper-case word;
* marks inside quotes or brackets (« On y croit ! » a dit…) are not boundaries;
* a line break always ends a sentence;
* links, e-mail addresses, domains and decimals hold no boundary (a mark must be followed by a space);
* a run of hashtags, mentions, links and emoji at the end of a line is not part of its last sentence;
* a line whose prose ends with a colon introduces what follows (a link on the same line, the next lines): it is a
  *lead-in*, and the bulleted lines right after it are the *items* of its list, which may start in lower case and
  end without a full stop (« Au programme :\n- concerts\n- ateliers »);
* month names and the usual abbreviations of the demo's languages (janv., Oct., lut., Des.; tzw., np., k.m.) end a
  sentence only before an upper-case word, or never, as their kind says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from approval.style.text import DOMAIN, EMAIL, HASHTAG, MENTION, URL, is_symbolic

#: Abbreviations that introduce what follows, never the end of a sentence: as written (M., Mme, Dr., No.)...
TITLES = frozenset([
    "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Me", "Mgr", "Dr", "Drs", "Pr", "Prof", "Pres", "St", "Ste", "Sts",
    "Mr", "Mrs", "Ms", "Messrs", "Mt", "Ft", "Gen", "Gov", "Sen", "Rep", "Rev", "Capt", "Cpt", "Lt", "Col", "Sgt",
    "Cdt", "No", "Nos", "N°", "Vol", "Art", "Chap", "Fig", "Tél", "Réf"
])
#: ... or in any case (cf., e.g., p. 12, par ex., vs.).
ANY_CASE_TITLES = frozenset([
    "cf", "e.g", "i.e", "p", "pp", "ex", "env", "av", "apr", "bd", "boul", "vs", "viz", "al", "ca", "approx", "dept",
    "réf", "ref", "tél"
])
#: Titles in Polish and Swahili (Pan/Pani are words; Bw. Bwana, Bi. Bibi, Dkt. Daktari, Mh. Mheshimiwa).
TITLES |= frozenset(["Bw", "Bi", "Dkt", "Mh", "Mhe", "Inż", "Mec", "Ks", "Hab"])
#: Polish and French abbreviations inside a sentence (tzw. "so-called", np. "for example", ok. "about", godz. "hour",
#: ul. "street", pl. "square", m.in. "among others", wg "according to"; c.-à-d. "that is").
ANY_CASE_TITLES |= frozenset(["tzw", "np", "ok", "godz", "ul", "pl", "m.in", "ww", "tj", "c.-à-d", "cit", "resp"])
#: Abbreviations that may end a sentence: a boundary only before a word that is not in lower case.
TERMINAL = frozenset(["etc", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "u.s.a", "inc", "ltd", "co", "corp", "cie", "jr",
                      "sr", "j.-c", "j.c",
                      # Polish "and so on" and "year"; minutes, hours, seconds; Swahili "and so on"
                      "itd", "itp", "r", "min", "hrs", "sec", "n.k"])
#: Abbreviated months (French, English, Polish, Swahili): "le 3 janv. pour", "on 12 Oct. at", "5 lut. w", "3 Des.
#: katika" go on; "… le 3 janv. Puis" ends a sentence.
MONTHS = frozenset([
    "janv", "févr", "fév", "avr", "juil", "sept", "oct", "nov", "déc",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sty", "lut", "kwi", "cze", "lip", "sie", "wrz", "paź", "lis", "gru",
    "mac", "mei", "ago", "okt", "des",
])
TERMINAL |= MONTHS

_OPENERS = {"«": "»", "“": "”", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_MARKS = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]?[\"'”’»)\]])*(?=\s|$)")
_TOKEN = re.compile(r"\S+")
_INITIAL = re.compile(r"[^\W\d_]")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_LEADING_OPENERS = "\"'“‘«([¿¡"


#: A list item's mark at the start of a line: a dash, a bullet, an arrow, "1." or "a)".
_BULLET = re.compile(r"[ \t]*(?:[-–—•*·▪▫◦‣→➡►✓✔☑]|\d{1,2}[.)]|[a-z][)])[ \t\u00a0]+")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int  # after the final mark and closers, or after the last word when the mark is missing
    #: It ends with a colon and introduces what follows (a link, a list): no full stop is due.
    lead_in: bool = False
    #: An item of the list a lead-in introduced: it may start in lower case and end without a full stop.
    item: bool = False


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, each line on its own, trailing entity blocks left out."""
    result: list[Sentence] = []
    line_start = 0
    in_list = False
    for line in text.split("\n"):
        first = len(result)
        _line_sentences(text, line_start, line_start + len(line), result)
        if line.strip():
            is_item = in_list and _BULLET.match(line) is not None
            if is_item:
                result[first:] = [replace(s, item=True) for s in result[first:]]
            in_list = is_item
            if result[first:] and text[:result[-1].end].rstrip().endswith(":"):
                result[-1] = replace(result[-1], lead_in=True)
                in_list = True
        line_start += len(line) + 1
    if result and result[-1].lead_in and not text[result[-1].end:].strip():
        result[-1] = replace(result[-1], lead_in=False)  # a colon that introduces nothing
    return result


def _line_sentences(text: str, start: int, end: int, out: list[Sentence]) -> None:
    line = text[start:end]
    if not line.strip():
        return
    depth = _quote_depths(line)
    begin = 0
    for match in _MARKS.finditer(line):
        mark_at = match.start()
        if depth is not None and depth[mark_at] > 0:
            continue
        if not _is_boundary(line, match):
            continue
        _add(text, start + begin, start + match.end(), out)
        begin = match.end()
    _add(text, start + begin, end, out)


def _add(text: str, start: int, end: int, out: list[Sentence]) -> None:
    end = _prose_end(text, start, end)
    if end > start and any(c.isalpha() for c in text[start:end]):  # "🇫🇷 1-0 🇵🇹" is a score, not a sentence
        out.append(Sentence(start, end))


def _prose_end(text: str, start: int, end: int) -> int:
    """Where the prose of ``text[start:end]`` ends: before trailing hashtags, mentions, links and emoji."""
    tokens = list(_TOKEN.finditer(text, start, end))
    stop = end
    for token in reversed(tokens):
        if _is_tail_token(token.group()):
            stop = token.start()
            continue
        stop = token.end()
        break
    else:
        return start
    return stop


_TAIL_ATOM = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (URL, EMAIL, DOMAIN, MENTION, HASHTAG)) + r"|[^\w\s.,;:!?…]+"
)


def _is_tail_token(token: str) -> bool:
    if is_symbolic(token):
        return True
    if token[0] not in "#＃@hHwW" and "." not in token:
        return False
    position = 0
    while position < len(token):
        match = _TAIL_ATOM.match(token, position)
        if not match or match.end() == position:
            return False
        position = match.end()
    return True


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    marks = match.group().rstrip("\"'”’»)] \u00a0\u202f")
    if "!" in marks or "?" in marks:
        return True
    following = _next_char(line, match.end())
    if marks != ".":  # an ellipsis, "…" or "..."
        return following is None or following.isupper()
    word = _word_before(line, match.start())
    if not word:
        return True
    if word in TITLES or word.lower() in ANY_CASE_TITLES or (_INITIAL.fullmatch(word) and word.isupper()):
        return False
    if word.lower() in TERMINAL or _DOTTED.fullmatch(word):
        return following is None or not (following.islower() or following.isdigit())
    return True


def _word_before(line: str, end: int) -> str:
    start = end
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    return line[start:end].lstrip(_LEADING_OPENERS)


def _next_char(line: str, position: int) -> str | None:
    for char in line[position:]:
        if not char.isspace():
            return char
    return None


def _quote_depths(line: str) -> list[int] | None:
    """The nesting depth of quotes and brackets before each character, or None when there are none or they do not
    balance (then they say nothing reliable about boundaries)."""
    if not any(c in line for c in '«“([")]»”'):
        return None
    depths = []
    stack: list[str] = []
    for char in line:
        depths.append(len(stack))
        if char == '"':
            if stack and stack[-1] == '"':
                stack.pop()
            else:
                stack.append('"')
        elif char in _OPENERS:
            stack.append(char)
        elif char in _CLOSERS:
            if not stack or stack[-1] != _CLOSERS[char]:
                return None
            stack.pop()
    return depths if not stack else None
