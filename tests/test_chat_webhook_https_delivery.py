"""A market's chat webhook saved on plain http before https was required (``test_chat_webhook_https``) is still
called: the settings flag it, and an upgrade does not silently stop a team's notifications."""

from __future__ import annotations

import pytest

from approval.models.notifications import MarketNotificationSettings
from approval.notifications.chat import ChatSender
from approval.publishing import controls
from approval.workflow.states import Role, State
from tests.notification_helpers import ChatServer
from tests.test_dns_deadline import HOST, Resolver
from tests.test_notification_mail import make, session, smtp, world  # noqa: F401 - the module's committed world


@pytest.fixture(scope="module")
def chat():
    with ChatServer() as server:
        yield server


def test_a_chat_webhook_saved_on_plain_http_before_is_still_called(world, session, make, chat,  # noqa: F811
                                                                   monkeypatch):
    """Plain http to a name (not this machine's loopback as written: flagged, and refused if typed now), which the
    name servers answer with the test's server: the message reaches it, as it did before the rule."""
    Resolver(monkeypatch, 0)
    chat.take()
    market = make.market(None)
    url = f"http://{HOST}:{chat.httpd.server_address[1]}/hook/old"
    session.execute(MarketNotificationSettings.__table__.insert().values(  # as an upgrade leaves it
        market_id=market.id, reminder_minutes=240, chat_webhook_url=url))
    post = make.post(State.in_review, account=make.account(market),
                     author=make.user(Role.community_manager, markets=[market]))
    session.commit()
    assert controls.unencrypted(url)

    assert ChatSender(world).run_once().sent == 1

    [body] = chat.take()
    assert body["path"] == "/hook/old" and f"/posts/{post.id}" in body["text"]
