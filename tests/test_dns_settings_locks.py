"""Setting a webhook looks its name up (up to ``addresses.SET_LOOKUP_S``) with the account free: the publishing
worker, and anyone else who writes the account, do not wait for name servers behind the admin who sets it (nor
another save of a market's chat settings, behind one who sets its chat webhook).

The name server is the machine's resolver, ``socket.getaddrinfo``, replaced for ``HOST`` by one that, while it is
asked, has another connection take the account for writing without waiting (PostgreSQL: ``FOR UPDATE NOWAIT`` on
its row; SQLite: the database's write lock, ``BEGIN IMMEDIATE`` with no busy timeout), then answers a public
address. The address is then saved as ever."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, select

from approval.models import Account
from approval.models.notifications import MarketNotificationSettings
from approval.workflow.states import Role
from tests.conftest import WebClient, app_session, committed_app, numbered_factory
from tests.test_webhook_rebinding import PUBLIC

HOST = "hooks.locks.example"
SECRET = "a-secret-of-enough-length"
_TESTS = itertools.count(1)


def free_or_why(engine: Engine, account_id: int, row: Any = None) -> str:
    """"free" when another connection takes the account (or ``row``: a query of one row) for writing at once, else
    why it could not."""
    try:
        if engine.dialect.name == "sqlite":  # one writer at a time: the write lock itself
            other = engine.raw_connection()
            try:
                other.execute("PRAGMA busy_timeout = 0")
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
        else:
            with engine.connect() as connection:
                query = row if row is not None else select(Account.id).where(Account.id == account_id)
                connection.execute(query.with_for_update(nowait=True))
                connection.rollback()
    except Exception as error:  # noqa: BLE001 - what the test reports
        return f"{type(error).__name__}: {error}"
    return "free"


@pytest.fixture()
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """``resolver(engine, account_id, row=None)``: from then on, each lookup of ``HOST`` tries the account's lock
    (or ``row``'s) first; the list returned fills with what each try found."""

    def install(engine: Engine, account_id: int, row: Any = None) -> list[str]:
        found: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if host != HOST:
                return real(host, port, *args, **kwargs)
            found.append(free_or_why(engine, account_id, row))
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (PUBLIC, port))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return found

    return install


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory) -> Iterator[Flask]:  # noqa: ANN001
    """PostgreSQL alone: on SQLite a web request that writes holds the database's write lock from its first read
    (the logged-in user's), lookup or not."""
    app = committed_app(databases, "postgresql", tmp_path_factory, WEBHOOK_PRIVATE_ADDRESSES=False)
    yield app
    app.extensions["approval.db"]["engine"].dispose()


def test_the_settings_page_looks_the_name_up_with_the_account_free(world, resolver):
    for session in app_session(world):
        make = numbered_factory(session, _TESTS, 10)
        account = make.account(make.market("FR"))
        admin = make.user(Role.admin)
        session.commit()
        account_id, port = account.id, 8400 + next(_TESTS)
        session.refresh(admin)
        session.expunge(admin)  # its e-mail kept, for the login
    # The requests outside the test's application context: each has its own, as in production.
    web = WebClient(world.test_client())
    web.login(admin)
    found = resolver(world.extensions["approval.db"]["engine"], account_id)
    saved = web.post(f"/publishing/settings/accounts/{account_id}",
                     {"connector": "webhook", "url": f"https://{HOST}:{port}/hook", "secret": SECRET})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    assert found == ["free"]
    for session in app_session(world):
        account = session.get(Account, account_id)
        assert (account.connector, account.connector_url, account.connector_secret) == (
            "webhook", f"https://{HOST}:{port}/hook", SECRET)


def test_the_chat_settings_page_looks_the_name_up_with_the_markets_settings_free(world, resolver):
    """The same for a market's chat webhook: its settings' row is locked to compare and save, after the lookup."""
    for session in app_session(world):
        make = numbered_factory(session, _TESTS, 10)
        market = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
        session.add(MarketNotificationSettings(market_id=market.id, reminder_minutes=240))
        admin = make.user(Role.admin)
        session.commit()
        session.refresh(admin)
        session.expunge(admin)
        market_id, port = market.id, 8400 + next(_TESTS)
    web = WebClient(world.test_client())
    web.login(admin)
    row = select(MarketNotificationSettings.market_id).where(MarketNotificationSettings.market_id == market_id)
    found = resolver(world.extensions["approval.db"]["engine"], 0, row)
    saved = web.post("/notifications/settings/KE", {"reminder_minutes": "120",
                                                     "chat_webhook_url": f"https://{HOST}:{port}/chat"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    assert found == ["free"]
    for session in app_session(world):
        settings = session.get(MarketNotificationSettings, market_id)
        assert (settings.reminder_minutes, settings.chat_webhook_url) == (120, f"https://{HOST}:{port}/chat")


def test_account_connect_looks_the_name_up_with_the_account_free(cli_in_process, resolver, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr").stdout.split()[-1]
    engine = create_engine(cli.url)
    try:
        found = resolver(engine, int(account_id))
        cli.env["APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"] = "0"
        cli("account", "connect", account_id, "--connector", "webhook", "--url", f"https://{HOST}:8450/hook",
            "--secret", SECRET)
    finally:
        engine.dispose()
    assert found == ["free"]
    cli.env["APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"] = "1"
    assert f"{account_id}\tFR\tX\t@helio_fr\thttps://{HOST}:8450/hook" in cli("account", "list").stdout
