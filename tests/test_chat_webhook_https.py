"""A market's chat webhook is https, as a publishing webhook is (``controls.unencrypted``): its messages carry
excerpts of unpublished and embargoed posts and links to them. Plain http is taken for this machine's loopback alone
(a relay on the same machine), judged by the address as written. The settings page is the one place it is set (no
command, no API); one saved on plain http before the rule is still called (an upgrade does not silently stop a
team's notifications) and flagged where the markets and their chat webhooks are listed and edited."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from approval.models.notifications import MarketNotificationSettings
from approval.workflow.states import Role

SAID = ("Use an https:// address: each message carries excerpts of unpublished and embargoed posts and links to "
        "them, which plain http sends unencrypted (http is taken for this machine only: localhost, 127.0.0.1, ::1).")
FLAG = ("The chat webhook of FR is plain http: its messages, with excerpts of unpublished and embargoed posts, go "
        "out unencrypted. They are still sent until it is given an https:// address.")
CELL = "yes, on plain http (unencrypted)"


def said(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


@pytest.fixture()
def france(make, db_session):  # noqa: ANN001, ANN201
    market = make.market("FR")
    make.user(Role.project_manager, markets=[market])
    db_session.commit()
    return market


@pytest.mark.parametrize("url", ["http://hooks.example/chat", "HTTP://hooks.example/chat",
                                 "http://93.184.216.34/hook", "http://localhost./hook", "http://LOCALHOST./hook",
                                 "http://127.0.0.1./hook", "http://127.0.0.1.evil.example/hook",
                                 "http://localhost.evil.example/hook", "http://[2001:db8::1]/hook"])
def test_a_plain_http_chat_webhook_off_this_machine_is_refused_nothing_saved(france, admin_web, db_session, url):
    refused = admin_web.post("/notifications/settings/FR", {"reminder_minutes": "60", "chat_webhook_url": url})

    page = said(refused)
    assert refused.status_code == 422 and SAID in page, url
    assert f'id="chat_webhook_url-errors"><p class="error">{SAID}</p>' in page  # on its field
    db_session.expire_all()
    assert db_session.scalar(select(MarketNotificationSettings)) is None


@pytest.mark.parametrize("url", ["https://hooks.example/chat", "http://127.0.0.1:8080/hook", "http://127.8.9.10/hook",
                                 "http://localhost:8080/hook", "http://LOCALHOST/hook", "http://[::1]:8080/hook",
                                 "http://[::ffff:127.0.0.1]/hook"])
def test_https_or_this_machine_s_loopback_is_saved(france, admin_web, db_session, url):
    # The tests allow the server's own network (a relay of one's own), as the operator may.
    saved = admin_web.post("/notifications/settings/FR", {"reminder_minutes": "60", "chat_webhook_url": url})

    assert saved.status_code == 302, said(saved)[-3000:]
    db_session.expire_all()
    assert db_session.get(MarketNotificationSettings, france.id).chat_webhook_url == url
    assert FLAG not in said(admin_web.get("/notifications/settings/FR"))


def _saved_before(db_session, market, url: str) -> None:  # noqa: ANN001
    """What an upgrade leaves: a row written before the rule, straight into the table."""
    db_session.execute(MarketNotificationSettings.__table__.insert().values(
        market_id=market.id, reminder_minutes=240, chat_webhook_url=url))
    db_session.commit()


def test_a_chat_webhook_saved_on_plain_http_before_is_flagged_where_it_is_listed_and_edited(france, make,
                                                                                            admin_web, db_session):
    _saved_before(db_session, france, "http://hooks.example/chat")
    kenya = make.market("KE", "Africa/Nairobi", ("en", "sw"))
    _saved_before(db_session, kenya, "http://127.0.0.1:9/hook")  # this machine: nothing to flag

    listed = said(admin_web.get("/notifications/settings"))
    row = listed[listed.index("/notifications/settings/FR"):]
    assert CELL in row[:row.index("</tr>")]
    row = listed[listed.index("/notifications/settings/KE"):]
    assert CELL not in row[:row.index("</tr>")] and "yes" in row[:row.index("</tr>")]

    assert FLAG in said(admin_web.get("/notifications/settings/FR"))
    assert "The chat webhook of KE" not in said(admin_web.get("/notifications/settings/KE"))

    markets = said(admin_web.get("/admin/markets"))
    assert FLAG in markets and "The chat webhook of KE" not in markets
    flag = markets[markets.index(FLAG):]
    assert 'href="/notifications/settings/FR"' in flag[:flag.index("</p>")]
    assert FLAG in said(admin_web.get(f"/admin/markets/{france.id}/edit"))
    assert "The chat webhook of" not in said(admin_web.get(f"/admin/markets/{kenya.id}/edit"))


def test_saving_the_settings_again_asks_for_an_https_address(france, admin_web, db_session):
    _saved_before(db_session, france, "http://hooks.example/chat")

    refused = admin_web.post("/notifications/settings/FR", {"reminder_minutes": "120",
                                                            "chat_webhook_url": "http://hooks.example/chat"})

    assert refused.status_code == 422 and SAID in said(refused)
    saved = admin_web.post("/notifications/settings/FR", {"reminder_minutes": "120",
                                                          "chat_webhook_url": "https://hooks.example/chat"})
    assert saved.status_code == 302
    db_session.expire_all()
    assert db_session.get(MarketNotificationSettings, france.id).chat_webhook_url == "https://hooks.example/chat"
    assert FLAG not in said(admin_web.get("/notifications/settings/FR"))
    assert FLAG not in said(admin_web.get("/admin/markets"))
