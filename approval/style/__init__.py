"""The style gate: text + context -> findings. Pure Python: no Flask app, no database.

``check`` is the one entry point the workflow, the editor and the command line call. The full editorial policy
engine (network limits as each network counts, per-market lists) plugs in here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from approval.style import house
from approval.style.findings import Context, Finding, Severity

if TYPE_CHECKING:
    from approval.models import Account

__all__ = ["Context", "Finding", "Severity", "check", "context_for"]


def check(text: str, context: Context | None = None) -> list[Finding]:
    context = context or Context()
    findings = house.check(text)
    overrides = context.rules
    result = []
    for finding in findings:
        setting = overrides.get(finding.rule)
        if setting == "off":
            continue
        if setting in (Severity.error, Severity.warning) and setting != finding.severity:
            finding = Finding(finding.rule, Severity(setting), finding.message, finding.start, finding.end,
                              finding.suggestion)
        result.append(finding)
    return sorted(result, key=lambda f: (f.start, f.end, f.rule))


def context_for(account: Account) -> Context:
    market = account.market
    return Context(network=account.network.value, market=market.code, languages=tuple(market.languages or ()))


#: Each network's limit on a post's length, in the network's own count (see ``length``).
LIMITS: dict[str, int] = {
    "x": 280,
    "facebook": 63206,
    "instagram": 2200,
    "linkedin": 3000,
    "youtube": 5000,
    "snapchat": 250,
}


def length(text: str, network: str | None) -> int:
    """The length the network counts. Code points for now; X's weighted count comes with the policy engine."""
    return len(text)
