"""A notice of a slot says it in the post's market's time and, when the reader's clock reads otherwise, in theirs, as
the post pages do ("12:00 (Europe/Paris, UTC+01:00) · 06:00 your time (America/New_York)"): in the list, and in
the mail, in its recipient's zone and language. A New York community manager read Paris' noon and did the sum.
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from approval.models.notifications import NotificationProfile
from approval.notifications.mailer import Mailer
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory
from tests.notification_helpers import SmtpServer

#: Noon in Paris, six in the morning in New York.
SLOT = datetime(2026, 12, 15, 11, 0, tzinfo=UTC)
PARIS_NOON = "Dec 15, 2026, 12:00 (Europe/Paris, UTC+01:00)"
NEW_YORK = "06:00 your time (America/New_York)"


def scheduled(make, market, writer, reviewer):  # noqa: ANN001, ANN201
    post = make.post(State.approved, account=make.account(market), author=writer, reviewer=reviewer)
    make.act(post, Action.schedule, reviewer, scheduled_at=SLOT)
    return post


def test_the_list_says_the_slot_in_the_readers_time_too(make, web, db_session):
    fr = make.market("FR")
    camille = make.user(Role.community_manager, markets=[fr], name="Camille")
    pierre = make.user(Role.project_manager, markets=[fr], name="Pierre")
    camille.locale = pierre.locale = "en"
    db_session.add(NotificationProfile(user_id=camille.id, timezone="America/New_York"))
    scheduled(make, fr, camille, pierre)
    db_session.flush()
    web.login(camille)
    page = web.get("/notifications").get_data(as_text=True)
    assert f"Goes out on {PARIS_NOON} · {NEW_YORK}." in page
    db_session.delete(db_session.get(NotificationProfile, camille.id))
    db_session.flush()
    page = web.get("/notifications").get_data(as_text=True)  # Paris reads Paris: nothing added
    assert f"Goes out on {PARIS_NOON}." in page and "your time" not in page


# The mail ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp():  # noqa: ANN201
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory, smtp):  # noqa: ANN001, ANN201
    return committed_app(databases, backend, tmp_path_factory, SMTP_URL=smtp.url)


@pytest.fixture()
def session(world, smtp):  # noqa: ANN001, ANN201
    smtp.take()
    smtp.refuse(0)
    yield from app_session(world)


_TESTS = itertools.count(1)


@pytest.fixture()
def mail_make(session) -> Factory:  # noqa: ANN001
    return numbered_factory(session, _TESTS, 43)


@pytest.mark.parametrize(("locale", "zone", "said"), [
    ("en", "America/New_York", f"Goes out on {PARIS_NOON} · {NEW_YORK}."),
    ("fr", "America/New_York", "soit 06:00 à votre heure (America/New_York)"),
])
def test_the_mail_says_the_slot_in_the_recipients_time_and_language(world, session, mail_make, smtp, locale, zone,
                                                                    said):
    market = mail_make.market(None, timezone="Europe/Paris")
    writer = mail_make.user(Role.community_manager, markets=[market], name="Camille Martin")
    reviewer = mail_make.user(Role.project_manager, markets=[market], name="Pierre Durand")
    writer.locale = locale
    session.add(NotificationProfile(user_id=writer.id, timezone=zone))
    scheduled(mail_make, market, writer, reviewer)
    session.commit()
    Mailer(world).run_once()
    [mail] = [m for m in smtp.take() if m.to == (writer.email,)]
    assert said in mail.part("plain")
    assert said in mail.part("html")
