"""The house rules: every sentence starts with a capital letter and ends with a full stop.

Sentences come from ``approval.style.sentences``. Before the capital check, leading quotes, brackets, bullets and
emoji are skipped; a sentence may start with a digit, a mention, a hashtag, a link or an e-mail address, and a first
word with a capital inside (iPhone, eBay) or listed in the market's exceptions is a name. "!", "?" and "…" end a
sentence as well as "." unless the market asks for the full stop strictly. A line ending with a colon that
introduces a link or a list needs no full stop, and the items of that list may start in lower case.

A YouTube post's first line is the video's title (``approval.style.network.youtube_title``), which YouTube shows
apart, above the description: a title, not a sentence, it needs no full stop ("Revivez la finale"); it still starts
with a capital letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from approval.style.findings import Finding, Severity
from approval.style.i18n import N_
from approval.style.network import youtube_title
from approval.style.text import DOMAIN, EMAIL, URL, Analysis

CAPITAL = "house.capital-start"
FULL_STOP = "house.full-stop-end"

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_TRAILING = "\"'”’»)] \u00a0\u202f\t\r"


def check_capital(analysis: Analysis) -> Iterator[Finding]:
    text = analysis.text
    exceptions = analysis.context.policy.capital_exceptions
    for sentence in analysis.sentences:
        if sentence.item:
            continue
        i = sentence.start
        while i < sentence.end and not (text[i].isalnum() or text[i] in "#＃@"):
            i += 1
        if i == sentence.end:
            continue
        char = text[i]
        if not char.islower():  # a capital, a digit, a mention, a hashtag, or a script without case
            continue
        if any(p.match(text, i) for p in (URL, EMAIL, DOMAIN)):
            continue
        match = _WORD.match(text, i)
        word = match.group() if match else char
        if any(c.isupper() for c in word[1:]) or word in exceptions or word.split("-")[0] in exceptions:
            continue
        yield Finding.make(CAPITAL, Severity.error, N_("A sentence starts with a capital letter."), i, i + 1,
                           char.upper())


def check_full_stop(analysis: Analysis) -> Iterator[Finding]:
    text = analysis.text
    strict = analysis.context.policy.strict_full_stop
    title_end = youtube_title(text)[1] if analysis.context.network == "youtube" else -1
    for sentence in analysis.sentences:
        if sentence.lead_in or sentence.item or sentence.end <= title_end:
            continue
        body = text[sentence.start:sentence.end].rstrip(_TRAILING)
        end = sentence.start + len(body)
        if body.endswith((".", "。", "．")) and not (strict and body.endswith("...")):
            continue
        if body and body[-1] in ".!?…！？":
            if not strict:
                continue
            marks = len(body) - len(body.rstrip(".!?…！？"))
            mark = body[-marks:]
            yield Finding.make(FULL_STOP, Severity.error, N_("A sentence ends with a full stop, not “%(mark)s”."),
                               end - marks, end, ".", mark=mark)
            continue
        yield Finding.make(FULL_STOP, Severity.error, N_("A sentence ends with a full stop."), end, end, ".")
