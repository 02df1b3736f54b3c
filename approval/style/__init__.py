"""The style and editorial policy gate: text + context -> findings. Pure Python: no Flask app, no database.

``check`` is the one entry point the workflow, the editor and the command line call::

    findings = style.check(text, style.context_for(account))

Modules: ``findings`` (Finding, Context, Policy: plain data), ``rules`` (the registry and default severities),
``house`` + ``sentences`` (capital and full stop), ``network`` + ``twitter`` (lengths as each network counts,
hashtags, media), ``policy`` (forbidden and sensitive terms, disclosure, campaign hashtag), ``language``
(lang.mismatch), ``typography`` (French spacing, double spaces, shouting, exclamation marks), ``text`` (what the
rules share about one text), ``i18n`` (messages as msgids + parameters), ``cli`` (``approval lint``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from approval.style.findings import Context, Finding, Policy, Severity, Term, localize
from approval.style.network import LIMITS, length
from approval.style.rules import BY_ID, RULES, Rule
from approval.style.text import Analysis

if TYPE_CHECKING:
    from approval.models import Account

__all__ = ["BY_ID", "LIMITS", "RULES", "Context", "Finding", "Policy", "Rule", "Severity", "Term", "check",
           "context_for", "length", "localize", "rule_settings"]


def rule_settings(context: Context) -> dict[str, Severity]:
    """The severity each enabled rule runs with in ``context`` (rules set "off" are absent)."""
    settings = {}
    for rule in RULES:
        setting = context.rules.get(rule.id)
        if setting != "off":
            settings[rule.id] = Severity(setting) if setting in ("error", "warning") else rule.severity
    return settings


#: The findings of one rule a check keeps, the first in the text: a text of 30,000 lines without a full stop made
#: 60,000 findings, megabytes on every page showing them. Fixing the first shows the next.
MAX_PER_RULE = 50


def check(text: str, context: Context | None = None) -> list[Finding]:
    """Every finding of every enabled rule (the first ``MAX_PER_RULE`` of each), sorted by (start, end, rule)."""
    context = context or Context()
    analysis = Analysis(text, context)
    overrides = context.rules
    findings: list[Finding] = []
    seen: Counter[str] = Counter()
    for rule in RULES:
        setting = overrides.get(rule.id)
        if setting == "off":
            continue
        for finding in rule.check(analysis):
            wanted = overrides.get(finding.rule, setting) if finding.rule != rule.id else setting
            if wanted == "off":
                continue
            if wanted in ("error", "warning") and wanted != finding.severity:
                finding = finding.with_severity(Severity(wanted))
            findings.append(finding)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    capped = []
    for finding in findings:
        seen[finding.rule] += 1
        if seen[finding.rule] <= MAX_PER_RULE:
            capped.append(finding)
    return capped


def context_for(account: Account, *, campaign: Any = None, has_media: bool | None = None,
                **fields: Any) -> Context:
    """The context of a post on ``account`` (duck-typed: ``account.network.value``, ``account.market.code`` and
    ``.languages``); a campaign adds its hashtag (``campaign.hashtag``) and, when it has a true
    ``disclosure_required``, the disclosure rule. Other ``Context`` fields (policy, rules) pass through."""
    market = account.market
    if campaign is not None:
        fields.setdefault("campaign_hashtag", getattr(campaign, "hashtag", None) or None)
        fields.setdefault("disclosure_required", bool(getattr(campaign, "disclosure_required", False)))
    return Context(network=account.network.value, market=market.code, languages=tuple(market.languages or ()),
                   has_media=has_media, **fields)

