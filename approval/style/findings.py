"""What the style gate says about a text: findings, and the context it checks a text in."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    start: int
    end: int
    suggestion: str | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        if data["suggestion"] is None:
            del data["suggestion"]
        return data


@dataclass(frozen=True)
class Context:
    """Where a text is going: enough for every rule, and nothing that needs Flask or a database."""

    network: str | None = None
    market: str | None = None
    languages: tuple[str, ...] = ()
    #: Per-rule overrides from the market's policy: rule id -> "off" | "warning" | "error".
    rules: dict[str, str] = field(default_factory=dict)
