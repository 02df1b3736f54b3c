"""The mail of a notice a later one superseded (``dispatch.OVERTAKEN_BY``), against a real SMTP server, on SQLite and
PostgreSQL: a digest not sent yet leaves it out (it counts what it tells), as does a mail waiting for another try; a
mail already sent is not recalled."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval.db import utcnow
from approval.models import Post, User
from approval.models.notifications import MailMode, Notification, NotificationPreference
from approval.models.notifications import NotificationKind as Kind
from approval.notifications import dispatch
from approval.notifications.mailer import Mailer, last_digest_time
from approval.publishing import controls
from approval.workflow import engine
from approval.workflow.engine import Step
from approval.workflow.states import Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory, smtp):
    return committed_app(databases, backend, tmp_path_factory, SMTP_URL=smtp.url)


@pytest.fixture()
def session(world, smtp):
    smtp.take()
    smtp.refuse(0)
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    factory = numbered_factory(session, _TESTS, 43)
    factory.chosen_locale = "en"
    return factory


@pytest.fixture()
def scene(make, session):
    market = make.market(None, timezone="Europe/Paris")
    scene = {"market": market, "account": make.account(market),
             "cm": make.user(Role.community_manager, markets=[market], name="Camille Martin"),
             "pm": make.user(Role.project_manager, markets=[market], name="Pierre Durand")}
    session.commit()
    return scene


def send(world, session, now=None):  # noqa: ANN001, ANN201
    session.commit()
    return Mailer(world, clock=(lambda: now) if now else utcnow).run_once()


def _publish(session, post: Post) -> None:  # noqa: ANN001
    post.published_url, post.published_at = f"outbox:{post.id}", utcnow()
    engine.record_steps(session, [Step(post, engine.Action.publish, {}, None)], now=utcnow())


def _rows(session, user: User) -> dict[Kind, Notification]:  # noqa: ANN001
    session.expire_all()
    return {n.kind: n for n in session.scalars(select(Notification).where(Notification.user_id == user.id))}


def test_a_digest_not_sent_yet_leaves_out_what_a_later_notice_superseded(world, session, make, scene, smtp):
    """Camille reads her notices in the 08:00 digest. A switch turned on and off, a post scheduled and published, in
    the day: her digest told all four, the switch "on" and the slot "to come" beside what became of them."""
    cm = scene["cm"]
    session.add_all(NotificationPreference(user_id=cm.id, kind=kind, mode=MailMode.daily)
                    for kind in (Kind.stop_on, Kind.stop_off, Kind.scheduled, Kind.published))
    session.commit()
    switch = controls.turn_on(session, scene["pm"], "market", market_code=scene["market"].code, reason="Elections")
    session.commit()
    controls.turn_off(session, scene["pm"], switch.id)
    post = make.post(State.scheduled, account=scene["account"], author=cm, reviewer=scene["pm"])
    session.commit()
    _publish(session, post)
    session.commit()

    eight = last_digest_time(utcnow() + timedelta(days=1), "Europe/Paris")
    assert send(world, session, eight).digests == 1
    [mail] = [m for m in smtp.take() if m.to == (cm.email,) and "digest" in m.subject]  # "approved" went at once
    assert mail.subject == "Your daily digest: 2 notifications"
    text = mail.part("plain")
    assert "A stop switch was turned off" in text and "Your post was published" in text
    assert "A stop switch was turned on" not in text and "Your post was scheduled" not in text
    rows = _rows(session, cm)
    for kind in (Kind.stop_on, Kind.scheduled):
        assert rows[kind].mail_error == dispatch.OVERTAKEN and rows[kind].mail_sent_at is not None, kind
        assert rows[kind].mail_claim is None and rows[kind].read_at is not None
    assert rows[Kind.stop_off].mail_error is None and rows[Kind.published].mail_error is None
    assert send(world, session, eight + timedelta(days=1)).digests == 0, "not kept for the next one either"


def test_a_mail_sent_is_not_recalled_and_one_waiting_for_another_try_is_not_sent(world, session, make, scene, smtp):
    """Mailed at once, "turned on" went: it stays sent. "Scheduled", refused by the server for a while, waited for
    another try when the post was published: sent then, it told of a slot already come."""
    cm = scene["cm"]
    switch = controls.turn_on(session, scene["pm"], "market", market_code=scene["market"].code, reason="Elections")
    session.commit()
    assert send(world, session).sent == 1 and [m.to for m in smtp.take()] == [(cm.email,)]
    controls.turn_off(session, scene["pm"], switch.id)
    session.commit()
    rows = _rows(session, cm)
    assert rows[Kind.stop_on].mail_error is None and rows[Kind.stop_on].read_at is not None
    assert send(world, session).sent == 1
    assert [m.subject for m in smtp.take()][0].startswith("A stop switch was turned off")

    post = make.post(State.scheduled, account=scene["account"], author=cm, reviewer=scene["pm"])
    session.commit()
    smtp.refuse(2)  # Camille's "scheduled" (its "approved" overtaken in the same mail), Pierre's review request
    now = utcnow()
    assert send(world, session, now).failed == 2 and smtp.take() == []
    _publish(session, post)
    session.commit()
    sent = []
    for minutes in (1, 2, 4):
        send(world, session, now + timedelta(minutes=minutes))
        sent += smtp.take()
    texts = [m.part("plain") for m in sent if m.to == (cm.email,)]
    assert any("Your post was published" in text for text in texts)
    assert not any("Your post was scheduled" in text for text in texts)
    rows = _rows(session, cm)
    assert rows[Kind.scheduled].mail_error == dispatch.OVERTAKEN
    # Approved and scheduled before the first try: "approved" left the mail, the later notice says it all.
    assert rows[Kind.approved].mail_sent_at is not None and rows[Kind.approved].mail_error == dispatch.OVERTAKEN
