"""``approval notify requeue``: mails given up (a server that refused them for good, or eight failed tries) go back in
the queue, once, said in the log and on the row, and the next pass sends them. Run as an operator runs it, in a
subprocess, on a fresh database of each backend; the mail servers are real (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from approval import create_app
from approval.db import utcnow
from approval.models.notifications import Notification, NotificationKind as Kind
from approval.notifications import outbox
from approval.notifications.mailer import Mailer, SmtpSettings
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory
from tests.notification_helpers import SmtpServer


class RefusingServer(SmtpServer):
    """A mail server that refuses every mail for good (550): the mailer gives each up at once."""

    async def handle_DATA(self, _server, _session, _envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        return "550 5.7.1 Relaying denied"


@pytest.fixture()
def world(cli, databases, tmp_path):
    databases.migrate(cli.url)
    app = create_app({"TESTING": True, "DATABASE_URL": cli.url, "SECRET_KEY": "test",
                      "PUBLIC_URL": "https://approval.helio.example"})
    app.instance_path = str(tmp_path / "instance")
    return app


def given_up_mails(world, refusing: RefusingServer) -> tuple[list[int], list[int], list[str]]:
    """Two posts in review in a market of two project managers, told while the server refused: four mails given
    up, in two batches (one a person). Returns the first post's rows, the second's, and the managers' addresses."""
    with world.app_context():
        with world.extensions["approval.db"]["sessionmaker"]() as session:
            make = Factory(session)
            market = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
            pms = [make.user(Role.project_manager, markets=[market]) for _ in range(2)]
            author = make.user(Role.community_manager, markets=[market])
            account = make.account(market)
            first = make.post(State.in_review, account=account, author=author)
            session.commit()
            from approval.notifications.mailer import SmtpSettings

            report = Mailer(world, settings=SmtpSettings.from_url(refusing.url)).run_once()
            assert report.given_up == 2
            second = make.post(State.in_review, account=account, author=author)
            session.commit()
            report = Mailer(world, settings=SmtpSettings.from_url(refusing.url)).run_once()
            assert report.given_up == 2
            rows = session.scalars(select(Notification).order_by(Notification.id)).all()
            assert all(n.mail_attempts == outbox.MAX_ATTEMPTS and n.mail_sent_at is None for n in rows)
            return ([n.id for n in rows if n.post_id == first.id], [n.id for n in rows if n.post_id == second.id],
                    sorted(pm.email for pm in pms))


def rows(world) -> list[Notification]:
    with world.app_context():
        with world.extensions["approval.db"]["sessionmaker"]() as session:
            return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_given_up_mails_go_back_in_the_queue_once_and_are_sent(world, cli):
    with RefusingServer() as refusing:
        first, second, addresses = given_up_mails(world, refusing)
    with SmtpServer() as smtp:
        cli.env["APPROVAL_SMTP_URL"] = smtp.url
        # Nothing sends them as they are: given up is given up.
        cli("notify", "--once")
        assert smtp.take() == []

        done = cli("notify", "requeue", "--id", str(first[0]), "--id", str(first[1]))
        assert done.stdout.splitlines()[-1] == "2"
        assert "2 given-up mails are back in the queue" in done.stdout
        assert "put back in the queue by approval notify requeue" in done.stderr  # the log says who, and which
        requeued = {n.id: n for n in rows(world)}
        assert all(requeued[i].mail_attempts == 0 and requeued[i].mail_error.startswith("Requeued at ")
                   and "5.7.1 Relaying denied" in requeued[i].mail_error for i in first)
        assert all(requeued[i].mail_attempts == outbox.MAX_ATTEMPTS for i in second)  # not asked for: left

        again = cli("notify", "requeue", "--id", str(first[0]), "--id", str(first[1]))
        assert again.stdout.splitlines()[-1] == "0"  # idempotent: once back in the queue, nothing more to do
        assert f"{first[0]} is not a given-up mail" in again.stdout

        cli("notify", "--once")
        received = smtp.take()
        assert sorted(m.to[0] for m in received) == addresses  # one mail a manager, the first post's
        assert all(n.mail_sent_at is not None for n in rows(world) if n.id in first)

        # Given up since a time: the second post's, written after it.
        since = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        assert cli("notify", "requeue", "--since", since).stdout.splitlines()[-1] == "2"
        cli("notify", "--once")
        assert sorted(m.to[0] for m in smtp.take()) == addresses
        assert all(n.mail_sent_at is not None for n in rows(world))


def test_requeue_asks_which_mails(world, cli):
    """All the given-up mails of all time, months old some of them, are not sent by a bare command."""
    refused = cli("notify", "requeue", check=False)
    assert refused.returncode == 2 and "--since, --id or --all" in refused.stderr
    bad = cli("notify", "requeue", "--since", "yesterday", check=False)
    assert bad.returncode == 2 and "yesterday" in bad.stderr
    assert cli("notify", "requeue", "--all").stdout.splitlines()[-1] == "0"


def test_requeue_refuses_what_it_cannot_read_and_writes_nothing(world, cli):
    """An id beyond the database's integers (PostgreSQL refused it with a traceback) or a time beyond Python's
    calendar once in UTC (an OverflowError): a usage error, exit 2, and no mail put back, not even those named
    rightly beside it."""
    with RefusingServer() as refusing:
        first, _second, _addresses = given_up_mails(world, refusing)
    for args, said in ((("--id", "99999999999", "--id", str(first[0])), "99999999999"),
                       (("--id", str(2**31),), str(2**31)),
                       (("--since", "0001-01-01T00:00+14:00", "--id", str(first[0])), "0001-01-01T00:00+14:00"),
                       (("--since", "9999-12-31T23:00-05:00"), "9999-12-31T23:00-05:00")):
        refused = cli("notify", "requeue", *args, check=False)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert said in refused.stderr and "Traceback" not in refused.stderr
    assert all(n.mail_attempts == outbox.MAX_ATTEMPTS and n.mail_error.startswith("SMTPDataError")
               for n in rows(world))


def approve(world, notification_id: int) -> None:
    """The post of ``notification_id`` approved by the manager it told: the review it asked for is given."""
    with world.app_context():
        with world.extensions["approval.db"]["sessionmaker"]() as session:
            told = session.get(Notification, notification_id)
            Factory(session).act(told.post, Action.approve, told.user)
            session.commit()


def test_a_requeued_request_that_was_settled_since_is_not_sent(world, cli):
    """Given-up mails put back weeks later: "a post awaits your review" of a post a colleague has reviewed since
    asks for nothing any more. The pass that would send it does not, as the daily digest leaves such requests out,
    and the row says why; the requests still awaited go out."""
    with RefusingServer() as refusing:
        first, second, addresses = given_up_mails(world, refusing)
    approve(world, first[0])
    with SmtpServer() as smtp:
        cli.env["APPROVAL_SMTP_URL"] = smtp.url
        assert cli("notify", "requeue", "--all").stdout.splitlines()[-1] == "4"
        cli("notify", "--once")
        received = [m for m in smtp.take() if m.to[0] in addresses]  # (the author hears of the approval)
    assert sorted(m.to[0] for m in received) == addresses
    assert all(re.search(r"/posts/(\d+)", m.part("plain")).group(1) == str(post_of(world, second[0]))
               for m in received)
    done = {n.id: n for n in rows(world)}
    assert all(done[i].mail_sent_at is not None and done[i].mail_error == "settled before the mail" for i in first)
    assert all(done[i].mail_sent_at is not None and done[i].mail_error is None for i in second)


def post_of(world, notification_id: int) -> int:
    return next(n.post_id for n in rows(world) if n.id == notification_id)


def test_a_request_settled_while_its_mail_waited_for_a_retry_is_not_sent(world):
    """The same for a mail the server refused for a while (451): by its next try, the review it asked for was
    given; it is not sent, and says why."""
    with SmtpServer() as smtp:
        settings = SmtpSettings.from_url(smtp.url)
        with world.app_context():
            with world.extensions["approval.db"]["sessionmaker"]() as session:
                make = Factory(session)
                market = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
                pm = make.user(Role.project_manager, markets=[market])
                post = make.post(State.in_review, account=make.account(market),
                                 author=make.user(Role.community_manager, markets=[market]))
                session.commit()
                smtp.refuse(1)
                assert Mailer(world, settings=settings).run_once().failed == 1
                make.act(post, Action.approve, pm)
                session.commit()
                address, pm_id = pm.email, pm.id
        later = utcnow() + timedelta(hours=1)
        report = Mailer(world, settings=settings, clock=lambda: later).run_once()
        assert [m for m in smtp.take() if m.to[0] == address] == [] and report.sent == 1  # the author's only
    (asked,) = [n for n in rows(world) if n.user_id == pm_id and n.kind is Kind.review_requested]
    assert asked.mail_sent_at is not None and asked.mail_attempts == 1 and asked.mail_error == "settled before the mail"
