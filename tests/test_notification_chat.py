"""After the commit: the market's chat webhook (a real HTTP server on 127.0.0.1), the review reminders and their
escalation with an injected clock, the worker's failures told, and `approval notify --once` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from approval import create_app
from approval.db import utcnow
from approval.models.notifications import MarketNotificationSettings, Notification
from approval.notifications.chat import ChatSender
from approval.notifications.reminders import Reminders, working_minutes
from approval.publishing.worker import Worker
from approval.workflow.states import Role, State
from tests.conftest import PASSWORD, Factory
from tests.notification_helpers import ChatServer, SmtpServer
from tests.test_notification_mail import make, session, smtp, world  # noqa: F401 - the module's committed world

PARIS = "Europe/Paris"


@pytest.fixture(scope="module")
def chat():
    with ChatServer() as server:
        yield server


@pytest.fixture()
def scene(make, session, chat):  # noqa: F811
    chat.take()
    chat.fail(0)
    market = make.market(None, timezone=PARIS, languages=("fr",))
    group = make.market(None, timezone="Africa/Nairobi")
    scene = {"market": market, "account": make.account(market),
             "cm": make.user(Role.community_manager, markets=[market], name="Camille"),
             "pm": make.user(Role.project_manager, markets=[market], name="Pierre"),
             "group": make.user(Role.project_manager, all_markets=True, name="Gaia"),
             "elsewhere": make.user(Role.project_manager, markets=[group], name="Otieno")}
    session.add(MarketNotificationSettings(market_id=market.id, reminder_minutes=240,
                                           chat_webhook_url=chat.url(f"/hook/{market.code}")))
    session.commit()
    return scene


def chat_pass(world, session, now: datetime | None = None):  # noqa: F811, ANN001, ANN202
    """One pass of the chat sender; the test's session ends its transaction first (SQLite's write lock)."""
    session.commit()
    return ChatSender(world, clock=(lambda: now) if now else utcnow).run_once()


def told(session, post, kinds) -> list[tuple[str, str]]:  # noqa: F811, ANN001
    session.expire_all()
    rows = session.scalars(select(Notification).where(Notification.post_id == post.id,
                                                      Notification.kind.in_(kinds)).order_by(Notification.id))
    return [(n.user.name, n.kind.value) for n in rows]


def test_the_markets_chat_hears_of_a_post_awaiting_review_in_its_language(world, session, make, scene, chat):  # noqa: F811
    post = make.post(State.in_review, account=scene["account"], author=scene["cm"])
    session.commit()
    assert chat_pass(world, session).sent == 1
    [body] = chat.take()
    assert body["path"] == f"/hook/{scene['market'].code}" and body["type"] == "application/json"
    assert body["text"].startswith(f"[{scene['market'].code}] Une publication attend votre relecture")
    assert f"/posts/{post.id}" in body["text"]
    assert chat_pass(world, session).sent == 0 and chat.take() == []


def test_the_chat_names_a_suggested_message_as_one(world, session, make, scene, chat):  # noqa: F811
    """A suggested message (an executive's account) was told to the chat as "a post": its words agree with it."""
    account = make.account(scene["market"], executive=make.executive())
    make.post(State.in_review, account=account, author=scene["cm"])
    session.commit()
    assert chat_pass(world, session).sent == 1
    [body] = chat.take()
    assert body["text"].startswith(f"[{scene['market'].code}] Un message proposé attend votre relecture"), body


def test_a_failing_webhook_is_retried_until_it_takes_the_message_once(world, session, make, scene, chat):  # noqa: F811
    make.post(State.in_review, account=scene["account"], author=scene["cm"])
    session.commit()
    chat.fail(2)
    now = utcnow()
    bodies = []
    for minutes in range(0, 10):
        chat_pass(world, session, now + timedelta(minutes=minutes))
        bodies += chat.take()
    assert len(bodies) == 1


def test_a_post_the_worker_could_not_publish_is_told_to_its_author_its_managers_and_the_chat(
        world, session, make, scene, chat):  # noqa: F811
    post = make.post(State.scheduled, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])
    due = post.scheduled_at + timedelta(minutes=1)
    session.commit()
    Worker(world, clock=lambda: due).run(once=True)  # the account is not connected: the post fails
    # Its account's configuration: the project manager (and the admins) hear of it, not the writer, who cannot fix it.
    assert sorted(told(session, post, ["failed"])) == [("Pierre", "failed")]
    chat_pass(world, session, due)
    texts = [b["text"] for b in chat.take()]
    assert any("La publication d’un message a échoué" in t for t in texts), texts


def test_a_missed_slot_is_told(world, session, make, scene):  # noqa: F811
    from approval.publishing import controls

    controls.connect_account(session, scene["account"], "outbox")
    post = make.post(State.scheduled, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])
    late = post.scheduled_at + timedelta(hours=2)
    session.commit()
    Worker(world, clock=lambda: late).run(once=True)
    assert sorted(told(session, post, ["missed"])) == [("Camille", "missed"), ("Pierre", "missed")]


def test_a_slot_missed_under_a_switch_reaches_the_chat_without_its_reason_nor_who_turned_it_on(
        world, session, make, scene, chat):  # noqa: F811
    """The switches are never told to a market's chat (outside the app); a slot missed under one names it in the app
    (its reason, who turned it on), and in the chat says only that a hold kept it past its grace period."""
    from approval.publishing import controls

    controls.connect_account(session, scene["account"], "outbox")
    post = make.post(State.scheduled, account=scene["account"], author=scene["cm"], reviewer=scene["pm"])
    slot = post.scheduled_at
    stop = controls.turn_on(session, None, "market", market_code=scene["market"].code,
                            reason="Rappel produit confidentiel.")
    session.commit()
    try:
        Worker(world, clock=lambda: slot + timedelta(seconds=1)).run(once=True)  # held at its slot
        chat.take()
        Worker(world, clock=lambda: slot + timedelta(minutes=20)).run(once=True)  # past its grace period: missed
        assert sorted(told(session, post, ["missed"])) == [("Camille", "missed"), ("Pierre", "missed")]
        chat_pass(world, session, slot + timedelta(minutes=20))  # the worker's pass may have sent it already
        said = "\n".join(b["text"] for b in chat.take())
        assert "Un interrupteur d’arrêt ou un embargo l’a retenue" in said, said
        assert "Rappel produit" not in said and "ligne de commande" not in said, said
    finally:
        controls.turn_off(session, None, stop.id)
        session.commit()


def _in_review_since(session, make, scene, since: datetime):  # noqa: F811, ANN001, ANN202
    post = make.post(State.in_review, account=scene["account"], author=scene["cm"])
    post.submitted_at = since
    session.commit()
    return post


def _remind(world, session, at: datetime):  # noqa: F811, ANN001, ANN202
    session.commit()
    return Reminders(world, clock=lambda: at).run_once()


def test_a_post_waiting_beyond_the_threshold_reminds_the_markets_managers_once_then_escalates(
        world, session, make, scene):  # noqa: F811
    monday_nine = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    post = _in_review_since(session, make, scene, monday_nine)
    kinds = ["review_reminder", "review_escalation"]
    _remind(world, session, monday_nine + timedelta(minutes=239))
    assert told(session, post, kinds) == []
    _remind(world, session, monday_nine + timedelta(minutes=240))
    assert told(session, post, kinds) == [("Pierre", "review_reminder")]
    _remind(world, session, monday_nine + timedelta(minutes=300))
    assert told(session, post, kinds) == [("Pierre", "review_reminder")]
    _remind(world, session, monday_nine + timedelta(minutes=480))
    after = told(session, post, kinds)
    # Every group-wide project manager (each test of the module made one), nobody of the market twice.
    assert after[0] == ("Pierre", "review_reminder") and {pair for pair in after[1:]} == {("Gaia", "review_escalation")}
    _remind(world, session, monday_nine + timedelta(days=3))
    assert told(session, post, kinds) == after


def test_the_threshold_counts_working_hours_only(world, session, make, scene):  # noqa: F811
    friday_five = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 17:00 in Paris, one working hour left
    post = _in_review_since(session, make, scene, friday_five)
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    _remind(world, session, monday + timedelta(minutes=179))
    assert told(session, post, ["review_reminder"]) == []
    _remind(world, session, monday + timedelta(minutes=180))
    assert told(session, post, ["review_reminder"]) == [("Pierre", "review_reminder")]
    assert working_minutes(friday_five, monday, PARIS) == 60
    assert working_minutes(monday, monday + timedelta(hours=24), PARIS) == 540
    assert working_minutes(monday, monday - timedelta(hours=1), PARIS) == 0


def test_a_market_with_a_shorter_threshold_reminds_sooner(world, session, make, scene):  # noqa: F811
    session.get(MarketNotificationSettings, scene["market"].id).reminder_minutes = 30
    monday_nine = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    post = _in_review_since(session, make, scene, monday_nine)
    _remind(world, session, monday_nine + timedelta(minutes=30))
    assert told(session, post, ["review_reminder"]) == [("Pierre", "review_reminder")]


def test_approval_notify_once_sends_the_mail_from_the_command_line(backend, databases, tmp_path):
    url = databases.migrated_url(backend)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.app_context():
        with app.extensions["approval.db"]["sessionmaker"]() as session:
            make = Factory(session)
            market = make.market("FR")
            pm = make.user(Role.project_manager, markets=[market])
            make.post(State.in_review, account=make.account(market))
            session.commit()
            email = pm.email
    with SmtpServer() as server:
        env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path),
               "APPROVAL_SMTP_URL": server.url}
        result = subprocess.run([sys.executable, "-m", "approval.cli", "notify", "--once"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "mails 1," in result.stderr
        assert [m.to for m in server.take()] == [(email,)]
    assert PASSWORD
