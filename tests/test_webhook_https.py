"""A webhook's address is https (the product walk: http://hooks.example/... was taken, and the worker then sent
unpublished and embargoed text and signed links to files unencrypted). Plain http is taken for this machine's
loopback alone (localhost, 127.0.0.0/8, ::1: a relay on the same machine, nothing crossing a network), judged by the
address as written, never by what a name resolves to. The same rule on the publishing settings, the new-account form
and ``approval account connect``; an account saved on plain http before says it needs an admin."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from approval.models import Account
from approval.publishing import controls

SECRET = "a-secret-of-enough-length"
SAID = ("Use an https:// address: each call carries unpublished and embargoed text and links to its files, which "
        "plain http sends unencrypted (http is taken for this machine only: localhost, 127.0.0.1, ::1).")


def said(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


@pytest.mark.parametrize("url", ["http://hooks.example/approval", "HTTP://hooks.example/approval",
                                 "http://93.184.216.34/hook", "http://localhost.hooks.example/hook",
                                 "http://127.0.0.1.hooks.example/hook", "http://[2001:db8::1]/hook",
                                 "http://localhost./hook", "http://LOCALHOST./hook", "http://127.0.0.1./hook"])
def test_a_plain_http_address_off_this_machine_is_refused(app, url):
    with app.test_request_context():
        checked = controls.check_webhook(url)
    assert checked.refused is not None and checked.refused.errors == {"url": [SAID]}, url


@pytest.mark.parametrize("url", ["https://hooks.example/approval", "http://127.0.0.1:8301/hook",
                                 "http://127.8.9.10/hook", "http://localhost:8080/hook", "http://LOCALHOST/hook",
                                 "http://[::1]:8080/hook", "http://[::ffff:127.0.0.1]/hook"])
def test_https_or_this_machine_s_loopback_is_taken(app, url):
    with app.test_request_context():  # the tests allow the server's own network (a relay of one's own)
        checked = controls.check_webhook(url)
    assert checked.refused is None and checked.address, url


def test_the_publishing_settings_refuse_it_on_the_address_nothing_saved(make, admin_web, db_session):
    account = make.account(make.market("FR"))
    db_session.commit()

    refused = admin_web.post(f"/publishing/settings/accounts/{account.id}",
                             {"connector": "webhook", "url": "http://hooks.example/approval", "secret": SECRET})

    page = said(refused)
    assert refused.status_code == 422 and SAID in page
    row = page[page.index(f'id="account-{account.id}"'):]
    address_cell = row[row.index('name="url"'):row.index('name="secret"')]
    assert SAID in address_cell and "aria-invalid" in address_cell
    db_session.expire_all()
    assert db_session.get(Account, account.id).connector is None
    saved = admin_web.post(f"/publishing/settings/accounts/{account.id}",
                           {"connector": "webhook", "url": "https://hooks.example/approval", "secret": SECRET})
    assert saved.status_code == 302


def test_the_new_account_form_refuses_it_and_makes_no_account(make, admin_web, db_session):
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))

    refused = admin_web.post("/admin/accounts/new", {
        "market_id": kenya.id, "network": "instagram", "handle": "globexkenya", "brand": "", "kind": "brand",
        "executive_id": "", "connector": "webhook", "url": "http://hooks.example/globex", "secret": SECRET})

    assert refused.status_code == 422
    assert f'id="url-errors"><p class="error">{SAID}</p>' in said(refused)
    assert db_session.scalar(select(func.count()).select_from(Account)) == 0


def test_account_connect_refuses_it_with_exit_2(cli_in_process, databases):
    cli = cli_in_process
    databases.migrate(cli.url)
    cli("market", "create", "FR", "--name", "France", "--tz", "Europe/Paris", "--lang", "fr")
    account_id = cli("account", "create", "--market", "FR", "--network", "x", "--handle", "helio_fr").stdout.split()[-1]

    refused = cli("account", "connect", account_id, "--connector", "webhook", "--url", "http://hooks.example/x",
                  "--secret", SECRET, check=False)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--url" in refused.stderr and SAID in " ".join(refused.stderr.split())
    assert f"{account_id}\tFR\tX\t@helio_fr\tnot connected" in cli("account", "list").stdout
    assert cli("account", "connect", account_id, "--connector", "webhook", "--url", "http://127.0.0.1:9/hook",
               "--secret", SECRET).returncode == 0


def test_an_account_saved_on_plain_http_before_needs_an_admin(make, admin_web, db_session):
    account = make.account(make.market("FR"))
    account.connector, account.connector_url, account.connector_secret = "webhook", "http://hooks.example/a", SECRET
    local = make.account(make.market("KE", "Africa/Nairobi", ("en", "sw")))
    local.connector, local.connector_url, local.connector_secret = "webhook", "http://127.0.0.1:9/a", SECRET
    db_session.commit()

    page = said(admin_web.get("/publishing/settings"))

    warning = ("Needs an admin: its webhook's address is plain http, which sends its posts unencrypted; give an "
               "https:// one.")
    row = page[page.index(f'id="account-{account.id}"'):]
    assert warning in row[:row.index("</tr>")]
    row = page[page.index(f'id="account-{local.id}"'):]
    assert warning not in row[:row.index("</tr>")]
