"""A scheduled post's mail, through the real sender and a real SMTP server, tells the slot in its reader's language:
"Goes out on Dec 8, 2027, 09:00 (...)", "Part le 8 déc. 2027, 09:00 (...)"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approval.db import utcnow
from approval.workflow.states import Action, State
from test_dates_in_sentences import PARIS, _day, _offset
from test_notification_mail import make, scene, send, session, smtp, world  # noqa: F401 - fixtures


@pytest.mark.parametrize(("language", "sentence"), [("en", "Goes out on {when}."), ("fr", "Part le {when}.")])
def test_a_scheduled_posts_mail_tells_the_slot_in_the_readers_language(world, session, make, scene, smtp,  # noqa: F811
                                                                       language, sentence):
    author = scene["cm"]
    author.locale = language
    post = make.post(State.approved, account=scene["account"], author=author, body="Le stade ce soir.")
    session.commit()
    slot = (utcnow() + timedelta(days=30)).astimezone(PARIS).replace(hour=9, minute=0, second=0, microsecond=0)
    make.act(post, Action.schedule, scene["pm"], scheduled_at=slot)
    session.commit()
    send(world, session)
    [mail] = [m for m in smtp.take() if m.to == (author.email,)]
    expected = sentence.format(when=f"{_day(slot.date(), language)}, 09:00 (Europe/Paris, {_offset(slot)})")
    for part in ("plain", "html"):
        assert expected in mail.part(part).replace("\u202f", " ").replace("\u00a0", " "), part
    assert f"{slot:%Y-%m-%d} 09:00" not in mail.part("plain")
