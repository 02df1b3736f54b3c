"""Each network's posting quota per account, as data (shared/context/networks.md, with its sources).

The worker holds a post back rather than exceed its account's quota. A setting overrides a network's entry
(``PUBLISH_QUOTAS``: ``{"x": [100, 900]}``: posts, window in seconds; ``null`` for none).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    posts: int
    window_s: int


QUOTAS: dict[str, Quota | None] = {
    # X: POST /2/tweets 100 per 15 minutes per user (rate-limits table, changed on 2026-01-16; older prose: 200).
    "x": Quota(100, 15 * 60),
    # Instagram: 50 API-published posts per 24 hours (content_publishing_limit; the carousel section says 50).
    "instagram": Quota(50, 24 * 3600),
    # LinkedIn: 150 requests per day per member (resets at 00:00 UTC; a rolling day here).
    "linkedin": Quota(150, 24 * 3600),
    # YouTube: 100 videos.insert per day.
    "youtube": Quota(100, 24 * 3600),
    # Facebook: Business Use Case limits scale with the page's audience; no fixed per-post count is documented.
    "facebook": None,
    # Snapchat: none documented in the sources found.
    "snapchat": None,
}


def quota_for(network: str, overrides: dict | None = None) -> Quota | None:
    if overrides and network in overrides:
        value = overrides[network]
        return None if value is None else Quota(int(value[0]), int(value[1]))
    return QUOTAS.get(network)
