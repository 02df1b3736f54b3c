"""``approval notify requeue``: mails given up (a server that refused them for good, or eight failed tries) go back in
the queue, once, said in the log and on the row, and the next pass sends them. Run as an operator runs it, in a
subprocess, on a fresh database of each backend; the mail servers are real (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from approval import create_app
from approval.db import utcnow
from approval.migrate import upgrade
from approval.models.notifications import Notification
from approval.notifications import outbox
from approval.notifications.mailer import Mailer
from approval.workflow.states import Role, State
from tests.conftest import Factory
from tests.notification_helpers import SmtpServer


class RefusingServer(SmtpServer):
    """A mail server that refuses every mail for good (550): the mailer gives each up at once."""

    async def handle_DATA(self, _server, _session, _envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
        return "550 5.7.1 Relaying denied"


@pytest.fixture()
def world(cli, tmp_path):
    upgrade(cli.url)
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
