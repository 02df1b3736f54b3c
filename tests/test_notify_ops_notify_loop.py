"""``approval notify`` outlives a moment without its database: its connections cut by PostgreSQL
(``pg_terminate_backend``, as a restart or a failover does) while it loops, it says so in its log, waits a moment and
goes on sending, where it used to exit."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from approval.db import make_engine
from approval.models import Account, User
from approval.notifications.service import Notifier
from approval.workflow.states import Role, State
from tests.conftest import Factory, POSTGRES_ADMIN_URL, committed_app
from tests.notification_helpers import SmtpServer


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory, smtp):
    return committed_app(databases, "postgresql", tmp_path_factory, SMTP_URL=smtp.url)


def terminate_connections(world) -> int:
    """Cut every connection the app holds to its database, as PostgreSQL does to all of them when it restarts."""
    name = world.extensions["approval.db"]["engine"].url.database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                "AND pid <> pg_backend_pid()"), {"name": name}).all())
    finally:
        admin.dispose()


def wait_for(condition, seconds: float = 15.0) -> bool:  # noqa: ANN001
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_notify_loop_waits_out_a_database_blip_and_goes_on(world, smtp, caplog):
    # The test writes through an engine of its own: the notifier's pool is the one under test.
    own = make_engine(str(world.extensions["approval.db"]["engine"].url.render_as_string(hide_password=False)))
    with world.app_context():
        with sessionmaker(own)() as session:
            make = Factory(session)
            market = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
            pm = make.user(Role.project_manager, markets=[market], name="Wanjiku")
            author = make.user(Role.community_manager, markets=[market])
            account = make.account(market)
            session.commit()
            address = pm.email  # read now: the test's session touches no connection while they are cut
            account_id, author_id = account.id, author.id

            notifier = Notifier(world, poll_interval=0.05)
            notifier.outage_wait_s = 0.2
            thread = threading.Thread(target=notifier.run, daemon=True)
            thread.start()
            try:
                make.post(State.in_review, account=account, author=author)
                session.commit()
                assert wait_for(lambda: any(m.to == (address,) for m in smtp.take()))

                # The database goes away for a moment, several times, while the loop polls it.
                caplog.set_level(logging.ERROR, logger="approval.notifications.service")
                cut = 0
                for _ in range(10):
                    cut += terminate_connections(world)
                    time.sleep(0.1)
                assert cut >= 1
                assert wait_for(lambda: "cannot be used" in caplog.text)
                assert thread.is_alive()  # it used to die here, and nothing was mailed until someone restarted it

                own.dispose()  # the test's own connections were cut too
                with sessionmaker(own)() as again:
                    Factory(again).post(State.in_review, account=again.get(Account, account_id),
                                        author=again.get(User, author_id))
                    again.commit()
                assert wait_for(lambda: any(m.to == (address,) for m in smtp.take()))
                assert thread.is_alive()
            finally:
                notifier.stop()
                thread.join(10)
            assert not thread.is_alive()
    own.dispose()
