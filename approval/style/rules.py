"""The rules the gate knows, with their default severity, in the order they run.

A market turns a rule off or changes its severity through ``Context.rules`` (rule id -> "off" | "warning" |
"error"); ids a market adds under ``policy.`` (a list of terms filed as ``policy.competitors``) take the same
settings. A rule that is off is not run at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from approval.style import house, media, network, policy, typography
from approval.style.findings import Finding, Severity
from approval.style.i18n import N_
from approval.style.text import Analysis


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    check: Callable[[Analysis], Iterable[Finding]]
    #: What the rule asks, for the administration screen (an msgid).
    description: str
    #: What a finding of it is, as a problem counted ("Sentences without a full stop: 3", on the wall): the
    #: description is the rule's requirement, which beside a count read as that many posts met it (an msgid).
    problem: str


def _language(analysis: Analysis) -> Iterable[Finding]:
    from approval.style.language import check_mismatch

    return check_mismatch(analysis)


RULES: tuple[Rule, ...] = (
    Rule(house.CAPITAL, Severity.error, house.check_capital,
         N_("Every sentence starts with a capital letter."), N_("Sentences without a capital letter")),
    Rule(house.FULL_STOP, Severity.error, house.check_full_stop,
         N_("Every sentence ends with a full stop."), N_("Sentences without a full stop")),
    Rule(network.LENGTH, Severity.error, network.check_length,
         N_("The post fits the network's length, counted as the network counts."),
         N_("Posts too long for the network")),
    Rule(network.HASHTAGS, Severity.error, network.check_hashtags,
         N_("No more hashtags than the network takes."), N_("Too many hashtags")),
    Rule(network.MEDIA, Severity.error, network.check_media,
         N_("Instagram, YouTube and Snapchat posts carry a picture or a video."), N_("Picture or video missing")),
    Rule(policy.FORBIDDEN, Severity.error, policy.check_forbidden,
         N_("None of the market's forbidden terms."), N_("Forbidden terms")),
    Rule(policy.SENSITIVE, Severity.warning, policy.check_sensitive,
         N_("The market's sensitive terms are pointed out to the reviewer."), N_("Sensitive terms")),
    Rule(policy.DISCLOSURE, Severity.error, policy.check_disclosure,
         N_("A partnership post carries its disclosure (#ad, #partenariat…)."), N_("Partnership disclosure missing")),
    Rule(policy.CAMPAIGN_HASHTAG, Severity.warning, policy.check_campaign_hashtag,
         N_("A campaign's post carries the campaign's hashtag."), N_("Campaign hashtag missing")),
    Rule("lang.mismatch", Severity.warning, _language,
         N_("The post is written in one of the market's languages."),
         N_("Not in a language of the market")),
    Rule(typography.FR_SPACING, Severity.warning, typography.check_fr_spacing,
         N_("French text has no-break spaces before ; : ! ? and inside « »."),
         N_("French no-break spaces missing")),
    Rule(typography.DOUBLE_SPACE, Severity.warning, typography.check_double_space,
         N_("No double spaces."), N_("Double spaces")),
    Rule(typography.SHOUTING, Severity.warning, typography.check_shouting,
         N_("No words in capitals that shout."), N_("Words in capitals that shout")),
    Rule(typography.EXCLAMATIONS, Severity.warning, typography.check_exclamations,
         N_("One exclamation mark at a time."), N_("Repeated exclamation marks")),
    *(Rule(*spec) for spec in media.RULES),  # pictures and videos, per network (issue 11)
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
