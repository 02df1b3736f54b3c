"""X's weighted length: the twitter-text algorithm with configuration v3.

``CONFIG_V3`` is twitter/twitter-text's ``config/v3.json`` (Copyright Twitter, Inc., Apache License 2.0; the
license is in ../shared/conformance/twitter-text/LICENSE and in the twitter-text repository), copied unchanged as a
Python literal; a test compares it with the shared copy. The algorithm (twitter-text's ``parseTweet``): the text is
NFC-normalised, each URL counts ``transformedURLLength``, each emoji sequence counts ``defaultWeight`` once, every
other code point counts the weight of the range it falls in (``defaultWeight`` outside them), all divided by
``scale``.

Two well-kept libraries do the hard parts:

* URLs: ``twitter-text-parser``'s ``extract_urls_with_indices``, a port of twitter-text's URL extractor with its
  lists of top-level domains (``orange.com`` is a link, ``helio.example`` is not);
* emoji sequences: ``emoji`` (current Unicode data: ZWJ sequences, flags, keycaps, skin tones), faster and newer
  than twitter-text-parser's own emoji table (Unicode 12, one giant regex: 0.5 ms a post).

Both together pass every case of the v3 sections of twitter-text's conformance file (tests/style).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CONFIG_V3: dict[str, Any] = {  # a JSON document: its values are of several types
    "version": 3,
    "maxWeightedTweetLength": 280,
    "scale": 100,
    "defaultWeight": 200,
    "emojiParsingEnabled": True,
    "transformedURLLength": 23,
    "ranges": [
        {"start": 0, "end": 4351, "weight": 100},
        {"start": 8192, "end": 8205, "weight": 100},
        {"start": 8208, "end": 8223, "weight": 100},
        {"start": 8242, "end": 8247, "weight": 100},
    ],
}

MAX_LENGTH: int = CONFIG_V3["maxWeightedTweetLength"]
_SCALE: int = CONFIG_V3["scale"]
_DEFAULT: int = CONFIG_V3["defaultWeight"]
_URL_WEIGHT: int = CONFIG_V3["transformedURLLength"] * _SCALE
_LINE_ENDINGS = re.compile(r"\r\n|\r")
_INVALID = re.compile("[\ufffe\ufeff\uffff]")


def _range_classes() -> list[tuple[int, re.Pattern[str]]]:
    by_weight: dict[int, list[str]] = {}
    for r in CONFIG_V3["ranges"]:
        by_weight.setdefault(r["weight"], []).append(f"\\U{r['start']:08x}-\\U{r['end']:08x}")
    return [(weight, re.compile("[" + "".join(parts) + "]")) for weight, parts in by_weight.items()]


_RANGES = _range_classes()


def _plain_weight(text: str) -> int:
    """The weight of ``text`` counted code point by code point (no URL, no emoji sequence)."""
    total = 0
    counted = 0
    for weight, pattern in _RANGES:
        n = len(pattern.findall(text))
        total += n * weight
        counted += n
    return total + (len(text) - counted) * _DEFAULT


def _char_weight(char: str) -> int:
    code = ord(char)
    for r in CONFIG_V3["ranges"]:
        if r["start"] <= code <= r["end"]:
            return r["weight"]
    return _DEFAULT


@lru_cache(maxsize=1)
def _emoji_firsts() -> str:
    """The characters an emoji sequence can start with, beyond ASCII, as the inside of a character class (keycaps
    start with a digit: see ``_emoji_runs``)."""
    import emoji

    firsts = sorted({ord(e[0]) for e in emoji.EMOJI_DATA if ord(e[0]) > 127})
    parts = []
    start = previous = firsts[0]
    for code in firsts[1:] + [None]:
        if code is not None and code == previous + 1:
            previous = code
            continue
        parts.append(f"\\U{start:08x}" if start == previous else f"\\U{start:08x}-\\U{previous:08x}")
        if code is not None:
            start = previous = code
    return "".join(parts)


@lru_cache(maxsize=1)
def _emoji_start() -> re.Pattern[str]:
    return re.compile("[" + _emoji_firsts() + "\u20e3]")


#: What continues an emoji sequence: the joiner, variation selectors, keycap, skin tones, the tags of a flag.
_JOINING = "\u200d\ufe0f\ufe0e\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"


@lru_cache(maxsize=1)
def _emoji_runs() -> re.Pattern[str]:
    """Stretches of emoji characters and what joins them (a keycap's digit with its keycap): every sequence lies
    inside one."""
    return re.compile("(?:[0-9#*]\ufe0f?\u20e3|[" + _emoji_firsts() + _JOINING + "])+")


#: The longest stretch handed to the ``emoji`` package at once. Its search takes the square of a chain's length
#: ("\U0001f468\u200d" 30,000 times: 95 s, the database locked meanwhile); the longest sequence Unicode names is 10
#: code points (a kiss with two skin tones), so a longer stretch is cut where a sequence may begin anew.
MAX_RUN = 32


def _emoji(text: str) -> list[tuple[int, int]]:
    if text.isascii() or not _emoji_start().search(text):
        return []
    import emoji

    found = []
    for run in _emoji_runs().finditer(text):
        for offset, piece in _pieces(run[0]):
            at = run.start() + offset
            found += [(at + e["match_start"], at + e["match_end"]) for e in emoji.emoji_list(piece)]
    return found


_CONTINUES = re.compile("[" + _JOINING + "]")


def _begins(run: str, i: int) -> bool:
    """Whether a sequence may begin at ``run[i]``: an emoji or a keycap's digit, neither joined to what is before
    it nor continuing it (a skin tone, a selector), nor inside a row of regional indicators (the package pairs
    them into flags its own way; a row longer than ``MAX_RUN`` is cut at an even length, which a stray letter
    before a row of more than 16 flags may shift by one)."""
    if run[i - 1] == "\u200d" or _CONTINUES.match(run, i) or (_is_regional(run[i]) and _is_regional(run[i - 1])):
        return False
    return run[i] in "0123456789#*" or _emoji_start().match(run, i) is not None


def _is_regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _pieces(run: str) -> list[tuple[int, str]]:
    """``run`` in stretches of at most ``MAX_RUN`` characters, each cut before an emoji that does not continue the
    one before it (after a character that is no joiner), else at ``MAX_RUN`` (a chain no one writes)."""
    pieces, start = [], 0
    while len(run) - start > MAX_RUN:
        cut = next((i for i in range(start + MAX_RUN, start, -1) if _begins(run, i)), start + MAX_RUN)
        pieces.append((start, run[start:cut]))
        start = cut
    pieces.append((start, run[start:]))
    return pieces


_WORD = re.compile(r"\S+")
#: A word (no space) holding more dots than this is no link anyone writes, and the extractor's expression takes the
#: square of its length on one ("a." a thousand times: 5 s; a whole post: hours).
MAX_DOTS_IN_A_WORD = 40


# twitter-text imports pkg_resources, whose deprecation warning every command that counted a post for X printed, into
# the workers' logs too. That warning, from that package, alone; set before ``_urls`` first imports it.
warnings.filterwarnings("ignore", message=r"pkg_resources is deprecated as an API", category=UserWarning,
                        module=r"twitter_text(\.|$)")


def _urls(text: str) -> list[tuple[int, int]]:
    """The links of ``text``, read word by word (a link holds no space): the extractor's cost is that of the
    longest word, not of the whole text."""
    if "." not in text:
        return []
    from twitter_text import extract_urls_with_indices

    found: list[tuple[int, int]] = []
    for word in _WORD.finditer(text):
        if "." in word[0] and word[0].count(".") <= MAX_DOTS_IN_A_WORD:
            found += [(word.start() + u["indices"][0], word.start() + u["indices"][1])
                      for u in extract_urls_with_indices(word[0])]
    return found


def _entities(text: str) -> list[tuple[int, int, int]]:
    """(start, end, weight) of each URL and emoji sequence; a URL wins over an emoji it overlaps (one search of
    the characters links hold, not a comparison with every link: thousands of both took seconds)."""
    urls = [(s, e, _URL_WEIGHT) for s, e in _urls(text)]
    linked = bytearray(len(text))
    for start, end, _weight in urls:
        linked[start:end] = b"\x01" * (end - start)
    emoji = [(s, e, _DEFAULT) for s, e in _emoji(text) if linked.find(1, s, e) < 0]
    return sorted(urls + emoji)


@dataclass(frozen=True)
class Count:
    weighted_length: int
    #: No character X refuses (U+FFFE, U+FEFF, U+FFFF) and a length within 1..280.
    valid: bool


def parse(text: str) -> Count:
    normalized = _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    total = _plain_weight(normalized)
    for start, end, weight in _entities(normalized):
        total += weight - _plain_weight(normalized[start:end])
    length = total // _SCALE
    valid = 0 < length <= MAX_LENGTH and not _INVALID.search(normalized)
    return Count(length, valid)


def weighted_length(text: str) -> int:
    return parse(text).weighted_length


def overflow_offset(text: str, limit: int = MAX_LENGTH) -> int:
    """The offset in ``text`` of the first character past ``limit`` (``len(text)`` when none is)."""
    entities = {start: (end, weight) for start, end, weight in _entities(text)}
    total = 0
    i = 0
    while i < len(text):
        if i in entities:
            end, weight = entities[i]
        else:
            end, weight = i + 1, _char_weight(text[i])
        total += weight
        if total > limit * _SCALE:
            return i
        i = end
    return len(text)


def invalid_characters(text: str) -> list[int]:
    """Offsets of the characters X refuses."""
    return [m.start() for m in _INVALID.finditer(text)]
