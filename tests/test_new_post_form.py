"""What the new-post form carries for its scripts (static/editor.js): each account's market zone, where its proposed
time is read, so that the label names the zone of the account chosen; and the key under which this browser keeps the
text being typed, the writer's own (another person signing in on the same browser is never offered it)."""

from __future__ import annotations

import html
import json
import re

from approval.workflow.states import Role


def test_the_form_knows_each_accounts_market_zone(make, web):
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    paris, nairobi = make.account(france, "x"), make.account(kenya, "x")
    web.login(make.user(Role.community_manager, markets=[france, kenya]))
    page = web.get("/posts/new").get_data(as_text=True)
    zones = json.loads(html.unescape(re.search(r"data-zones='([^']*)'", page).group(1)))
    assert zones == {str(paris.id): "Europe/Paris", str(nairobi.id): "Africa/Nairobi"}
    assert "local time in each account's market zone" in page  # the label the script shows for several zones


def test_the_text_kept_in_the_browser_is_the_writers_own(make, web):
    france = make.market("FR")
    make.account(france, "x")
    writer = make.user(Role.community_manager, markets=[france])
    web.login(writer)
    page = web.get("/posts/new").get_data(as_text=True)
    assert f'data-draft="approval:new-post-draft:{writer.id}"' in page
    assert 'id="draft-offer"' in page and "Restore the text you were writing?" in page


def test_a_set_sent_back_says_its_time_is_read_in_each_zone(make, web):
    """Without scripts too: a set refused (here, its text empty) comes back with its accounts of two zones ticked."""
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    paris, nairobi = make.account(france, "x"), make.account(kenya, "x")
    web.login(make.user(Role.community_manager, markets=[france, kenya]))
    web.get("/posts/new")
    refused = web.post("/posts/new", data={"account_id": str(nairobi.id), "also_account_ids": [str(paris.id)],
                                           "campaign_id": "", "body": "", "save": "1"})
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "Proposed publication time, local time in each account's market zone (optional)" in page
    assert re.search(r"Now: [^<]* in Africa/Nairobi; [^<]* in Europe/Paris", page), page
