"""An account's network stays once it has posts (the product walk: @HelioPolska moved from Facebook to X on its
page, and a post approved and scheduled for Facebook went out on X without a new review, while #52, published on
Facebook, then said "X"). In Hootsuite, Sprout or Planable a profile's network is fixed: another network is another
account. The form shows the network fixed, and the rule refuses a form made by hand too."""

from __future__ import annotations

import re

import pytest
from test_admin import assert_form_error, assert_redirect, edit, text

from approval import administration as admin
from approval.models import Account, Network
from approval.workflow.states import State

REFUSED = ("The network stays Facebook once the account has posts: they were written and approved for Facebook, and "
           "their history names it. To publish on another network, add a new account for it.")


def _form(account: Account, network: str) -> dict:
    return {"market_id": account.market_id, "network": network, "handle": account.handle, "brand": "Helio",
            "kind": "brand", "executive_id": ""}


def test_an_account_with_posts_keeps_its_network_on_its_form(admin_web, make, db_session):
    poland = make.market("PL", "Europe/Warsaw", ("pl",))
    account = make.account(poland, "facebook")
    scheduled = make.post(State.scheduled, account=account)
    published = make.post(State.published, account=account)
    path = f"/admin/accounts/{account.id}/edit"

    select = re.search(r'<select[^>]*name="network"[^>]*>', text(admin_web.get(path)))
    assert select and "disabled" in select.group(0)  # shown fixed

    refused = edit(admin_web, path, _form(account, "x"))  # sent by hand all the same

    assert_form_error(refused, REFUSED)
    db_session.expire_all()
    assert db_session.get(Account, account.id).network is Network.facebook
    assert scheduled.account.network is Network.facebook and published.account.network is Network.facebook
    # The rest of the form still saves, the network as it is.
    assert_redirect(edit(admin_web, path, {**_form(account, "facebook"), "handle": "HelioPL"}))
    db_session.expire_all()
    assert db_session.get(Account, account.id).handle == "HelioPL"


@pytest.mark.parametrize("state", [State.draft, State.published])
def test_the_rule_refuses_another_network_whatever_the_posts_state(make, db_session, state):
    account = make.account(make.market("PL", "Europe/Warsaw", ("pl",)), "facebook")
    make.post(state, account=account)
    assert admin.network_is_fixed(db_session, account)
    with pytest.raises(admin.Refused) as refused:
        admin.update_account(db_session, account, account.market, "x", account.handle, "Helio")
    assert refused.value.errors == {"network": [REFUSED]}
    assert admin.account_refusals(db_session, "x", account.handle, "Helio", account) == {"network": [REFUSED]}


def test_an_account_without_posts_may_still_change_network(admin_web, make, db_session):
    account = make.account(make.market("PL", "Europe/Warsaw", ("pl",)), "facebook")
    path = f"/admin/accounts/{account.id}/edit"
    select = re.search(r'<select[^>]*name="network"[^>]*>', text(admin_web.get(path)))
    assert select and "disabled" not in select.group(0)

    assert_redirect(edit(admin_web, path, _form(account, "x")))

    db_session.expire_all()
    assert db_session.get(Account, account.id).network is Network.x
