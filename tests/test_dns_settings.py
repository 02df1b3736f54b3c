"""A name server that does not answer holds no one who sets a webhook. When a webhook's address is set (the admin's
publishing settings page, ``approval account connect --url``, a market's chat settings page), its name is looked up
to refuse an address on the server's own network; that lookup is bounded (``addresses.SET_LOOKUP_S``), and a name
not resolved in time is refused on the address's field, nothing saved: the admin checks the name or tries again.

The name server is the machine's resolver, ``socket.getaddrinfo``, replaced for ``HOST`` by one that answers
127.0.0.1 only after ``STALL_S`` (``tests.test_dns_deadline.Resolver``); everything else is real. Each test asks for
its own port: the lookups still waiting are shared by name and port, and one a test left must not answer the next."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from approval.models import Account
from approval.models.notifications import MarketNotificationSettings
from approval.publishing import addresses
from approval.workflow.states import Role
from tests.conftest import row_counts
from tests.test_dns_deadline import HOST, SLACK_S, STALL_S, Resolver

#: The bound the tests give the lookup, well under the resolver's ``STALL_S``.
BOUND_S = 0.5
SECRET = "a-secret-of-enough-length"


#: What the admin reads, on the address's field (``BOUND_S`` as said).
SAID = f"{HOST} could not be resolved in 0.5 s; check the name or try again."


@pytest.fixture()
def stalled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    monkeypatch.setattr(addresses, "SET_LOOKUP_S", BOUND_S)
    resolver = Resolver(monkeypatch, STALL_S)
    yield resolver
    resolver.ended.set()


@pytest.fixture()
def private_refused(app) -> Iterator[None]:  # noqa: ANN001
    """As in production: an address on the server's own network is refused, so the name is looked up when set."""
    app.config["WEBHOOK_PRIVATE_ADDRESSES"] = False
    try:
        yield
    finally:
        app.config["WEBHOOK_PRIVATE_ADDRESSES"] = True


def test_the_bound_is_a_few_seconds():
    assert 1 <= addresses.SET_LOOKUP_S <= 10


def test_a_stalled_lookup_refuses_the_publishing_webhook_on_its_field_nothing_saved(make, admin_web, db_session,
                                                                                   stalled, private_refused):
    account = make.account(make.market("FR"))
    db_session.commit()
    before = row_counts(db_session, Account)
    started = time.monotonic()
    refused = admin_web.post(f"/publishing/settings/accounts/{account.id}",
                             {"connector": "webhook", "url": f"http://{HOST}:8301/hook", "secret": SECRET})
    took = time.monotonic() - started
    assert took < BOUND_S + SLACK_S, took  # not the resolver's STALL_S: the web worker is free again
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422, page[:500]
    row = page[page.index(f'id="account-{account.id}"'):]
    row = row[:row.index("</tr>")]
    assert '<p class="error" role="alert">' in row and SAID in row  # the row's message
    address_cell = row[row.index('name="url"'):row.index('name="secret"')]
    assert SAID in address_cell and "aria-invalid" in address_cell  # and beside the address
    stalled.wait_for_answer()  # the late answer saves nothing either
    assert row_counts(db_session, Account) == before
    account = db_session.get(Account, account.id)
    assert (account.connector, account.connector_url, account.connector_secret) == (None, None, None)


def test_a_slow_lookup_in_time_still_refuses_an_address_on_the_servers_own_network(make, admin_web, db_session,
                                                                                  monkeypatch, private_refused):
    """The bound changes nothing for a name servers answer in time: 127.0.0.1 is refused as ever."""
    monkeypatch.setattr(addresses, "SET_LOOKUP_S", 2.0)
    resolver = Resolver(monkeypatch, 0.2)
    account = make.account(make.market("FR"))
    db_session.commit()
    try:
        refused = admin_web.post(f"/publishing/settings/accounts/{account.id}",
                                 {"connector": "webhook", "url": f"http://{HOST}:8302/hook", "secret": SECRET})
    finally:
        resolver.ended.set()
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "127.0.0.1 is on this server&#39;s own network" in page
    assert "could not be resolved" not in page and resolver.asked == 1
    db_session.expire_all()
    assert db_session.get(Account, account.id).connector is None


def test_private_addresses_allowed_ask_no_name_server_when_set(make, admin_web, db_session, stalled):
    """The operator allows the private network (the tests' default): nothing to check, nothing looked up."""
    account = make.account(make.market("FR"))
    db_session.commit()
    saved = admin_web.post(f"/publishing/settings/accounts/{account.id}",
                           {"connector": "webhook", "url": f"https://{HOST}:8303/hook", "secret": SECRET})
    assert saved.status_code == 302 and stalled.asked == 0


def test_a_stalled_lookup_refuses_account_connect_with_exit_2_nothing_saved(cli_in_process, stalled, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr").stdout.split()[-1]
    cli.env["APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"] = "0"
    started = time.monotonic()
    refused = cli("account", "connect", account_id, "--connector", "webhook", "--url", f"http://{HOST}:8304/hook",
                  "--secret", SECRET, check=False)
    took = time.monotonic() - started
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--url" in refused.stderr and SAID in " ".join(refused.stderr.split())
    assert took < BOUND_S + 2 * SLACK_S, took  # the command's own start counts too
    stalled.wait_for_answer()
    cli.env["APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"] = "1"
    assert f"{account_id}\tFR\tX\t@helio_fr\tnot connected" in cli("account", "list").stdout


def test_a_stalled_lookup_refuses_the_markets_chat_webhook_on_its_field_nothing_saved(make, web, admin_user,
                                                                                     db_session, stalled,
                                                                                     private_refused):
    france = make.market("FR")
    make.user(Role.project_manager, markets=[france])
    db_session.commit()
    web.login(admin_user)
    started = time.monotonic()
    refused = web.post("/notifications/settings/FR", {"reminder_minutes": "60",
                                                       "chat_webhook_url": f"http://{HOST}:8305/hook"})
    took = time.monotonic() - started
    assert took < BOUND_S + SLACK_S, took
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and SAID in page
    assert f'<div class="errors" id="chat_webhook_url-errors"><p class="error">{SAID}</p>' in page  # on its field
    stalled.wait_for_answer()
    assert db_session.scalar(select(MarketNotificationSettings)) is None
