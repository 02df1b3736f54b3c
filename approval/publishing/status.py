"""Where a post stands with publishing, for its page and the API: attempts, hold, missed slot, next try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from approval.models import Outcome, Post, PublicationAttempt
from approval.publishing.holds import Hold, hold_for


@dataclass(frozen=True)
class PublishingStatus:
    attempts: list[PublicationAttempt]
    hold: Hold | None
    missed_at: datetime | None
    next_attempt_at: datetime | None

    @property
    def last_outcome(self) -> Outcome | None:
        return self.attempts[-1].outcome if self.attempts else None

    @property
    def remote_id(self) -> str | None:
        return next((a.remote_id for a in reversed(self.attempts) if a.remote_id), None)

    @property
    def url(self) -> str | None:
        return next((a.url for a in reversed(self.attempts) if a.url), None)


def publishing_status(session: Session, post: Post) -> PublishingStatus:
    attempts = list(session.scalars(
        select(PublicationAttempt).where(PublicationAttempt.post_id == post.id).order_by(PublicationAttempt.id)
    ))
    return PublishingStatus(attempts=attempts, hold=hold_for(session, post), missed_at=post.missed_at,
                            next_attempt_at=post.next_attempt_at)
