"""What the style gate says about a text (findings) and what it checks a text against (context, policy).

Everything here is plain data: the database half builds a ``Policy`` from its tables (``Policy.from_dict`` takes the
JSON-ish shape) and a ``Context`` per post; nothing in this package reads a database or a Flask app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from approval.style.i18n import english_number, render


class Severity(StrEnum):
    error = "error"
    warning = "warning"


#: The values a per-market rule setting may take.
SETTINGS = ("off", "warning", "error")


@dataclass(frozen=True)
class Finding:
    """One thing the gate says about a text.

    ``start``/``end`` are Python string indices into the checked text (``start == end`` marks an insertion point, a
    missing full stop for instance). ``suggestion``, when given, is the text to put in place of ``text[start:end]``.
    ``message`` is English; ``message_id`` (the msgid, with ``%(name)s`` placeholders) and ``params`` translate it.
    """

    rule: str
    severity: Severity
    message: str
    start: int
    end: int
    suggestion: str | None = None
    message_id: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def make(cls, rule: str, severity: Severity, message_id: str, start: int, end: int,
             suggestion: str | None = None, **params: Any) -> Finding:
        return cls(rule, Severity(severity), render(message_id, params), start, end, suggestion, message_id, params)

    def localized(self, gettext: Callable[[str], str], number: Callable[[float], str] = english_number) -> str:
        """The message in the reader's language, e.g. ``finding.localized(flask_babel.gettext)``; ``number`` writes
        its decimals (``approval.labels.finding_message`` passes the reader's)."""
        if not self.message_id:
            return self.message
        return render(self.message_id, self.params, gettext, number)

    def with_severity(self, severity: Severity) -> Finding:
        return Finding(self.rule, severity, self.message, self.start, self.end, self.suggestion, self.message_id,
                       self.params)

    def as_dict(self, *, translatable: bool = False) -> dict[str, Any]:
        """The contract's JSON shape (``approval lint --format json``); ``translatable`` adds msgid and params, for
        storage that will be shown later in another language."""
        data: dict[str, Any] = {"rule": self.rule, "severity": self.severity.value, "message": self.message,
                                "start": self.start, "end": self.end}
        if self.suggestion is not None:
            data["suggestion"] = self.suggestion
        if translatable and self.message_id:
            data["message_id"] = self.message_id
            data["params"] = dict(self.params)
        return data


def localize(finding: Mapping[str, Any], gettext: Callable[[str], str],
             number: Callable[[float], str] = english_number) -> str:
    """The message of a stored finding (``as_dict(translatable=True)``) in the reader's language; an older record
    without ``message_id`` keeps its English message."""
    message_id = finding.get("message_id")
    if not message_id:
        return finding.get("message", "")
    return render(message_id, finding.get("params") or {}, gettext, number)


@dataclass(frozen=True)
class Term:
    """An entry of a market's editorial list: a word or phrase, why it is listed, and what to say instead.

    Matching ignores case and accents and respects word boundaries; a trailing ``*`` matches any ending
    (``concurren*``). ``rule`` lets a market file a list under its own id (``policy.competitors``).
    """

    phrase: str
    reason: str = ""
    instead: str | None = None
    rule: str | None = None

    @classmethod
    def coerce(cls, value: Term | str | Mapping[str, Any]) -> Term:
        if isinstance(value, Term):
            return value
        if isinstance(value, str):
            return cls(value)
        return cls(str(value["phrase"]), str(value.get("reason") or ""), value.get("instead"), value.get("rule"))


#: Disclosure markers a partnership post may carry when the market lists none, per language, the usual one first
#: (ARPP's recommendation in France, the FTC's guides, the Dutch Reclamecode Social Media, Poland's UOKiK; in
#: Germany "Werbung" or "Anzeige", as the Medienstaatsvertrag and its courts read it, not "#ad"; Spain's code of
#: conduct on influencers, Italy's IAP Digital Chart, Portugal's DGC guide, Romania's and Slovakia's advertising
#: councils). A market's admin replaces the list on its policy page.
DISCLOSURES_BY_LANGUAGE = {
    "en": ("#ad", "#sponsored", "#partner"),
    "fr": ("#partenariat", "#sponsorisé", "#pub", "#publicité", "#collaborationcommerciale"),
    "de": ("#werbung", "#anzeige"),
    "es": ("#publicidad", "#publi", "#patrocinado"),
    "it": ("#pubblicità", "#adv", "#sponsorizzato"),
    "pt": ("#publicidade", "#pub", "#patrocinado"),
    "nl": ("#advertentie", "#gesponsord", "#samenwerking"),
    "pl": ("#reklama", "#współpraca", "#materiałsponsorowany"),
    "ro": ("#publicitate", "#reclamă", "#sponsorizat"),
    "sk": ("#reklama", "#spolupráca"),
    "sw": ("#tangazo", "#udhamini"),
}
DEFAULT_DISCLOSURES = tuple(marker for markers in DISCLOSURES_BY_LANGUAGE.values() for marker in markers)


def disclosures_for(languages: Iterable[str], markers: tuple[str, ...] = DEFAULT_DISCLOSURES) -> tuple[str, ...]:
    """``markers`` with those of ``languages`` first (in that order), when they are the defaults: a French or Dutch
    market is advised its own words, not "#ad". A market's own list stays as its admin ordered it."""
    if tuple(markers) != DEFAULT_DISCLOSURES:
        return tuple(markers)
    first = [m for code in languages for m in DISCLOSURES_BY_LANGUAGE.get(code.lower(), ())]
    return tuple(dict.fromkeys([*first, *markers]))


@dataclass(frozen=True)
class Policy:
    """A market's editorial policy as plain data (the database half stores and versions it)."""

    forbidden: tuple[Term, ...] = ()
    sensitive: tuple[Term, ...] = ()
    #: Markers that satisfy ``policy.disclosure``; the first one is the suggestion.
    disclosures: tuple[str, ...] = DEFAULT_DISCLOSURES
    #: Words that may start a sentence in lower case (brand names: "bpifrance", "sosh").
    capital_exceptions: tuple[str, ...] = ()
    #: When true, a sentence must end with "." (not "!", "?" or "…").
    strict_full_stop: bool = False
    version: str | int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        def terms(values: Iterable[Any]) -> tuple[Term, ...]:
            return tuple(Term.coerce(v) for v in values or ())

        return cls(
            forbidden=terms(data.get("forbidden", ())),
            sensitive=terms(data.get("sensitive", ())),
            disclosures=tuple(data.get("disclosures") or DEFAULT_DISCLOSURES),
            capital_exceptions=tuple(data.get("capital_exceptions") or ()),
            strict_full_stop=bool(data.get("strict_full_stop", False)),
            version=data.get("version"),
        )


@dataclass(frozen=True)
class Context:
    """Where a text is going: enough for every rule, and nothing that needs Flask or a database."""

    network: str | None = None
    market: str | None = None
    languages: tuple[str, ...] = ()
    #: Per-rule overrides from the market's policy: rule id -> "off" | "warning" | "error".
    rules: Mapping[str, str] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)
    #: The campaign's hashtag ("#EURO2028"): ``policy.campaign-hashtag`` warns when the post lacks it.
    campaign_hashtag: str | None = None
    #: A partnership campaign: ``policy.disclosure`` requires one of ``policy.disclosures``.
    disclosure_required: bool = False
    #: Whether the post carries a photo or a video; None (unknown, the core has no media yet) silences
    #: ``network.media-required``.
    has_media: bool | None = None
    #: The post's pictures and videos in order (``approval.style.media.MediaItem``), for the media rules.
    media: tuple[Any, ...] = ()
