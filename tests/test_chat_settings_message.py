"""A market's chat settings refused say so at the top of the page, as the other forms do (the publishing settings'
banner, the policy's), and again beside the field it is about: a chat webhook whose name was not resolved in time,
or one on the server's own network, was told beside its field only, below the fold on a phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from approval.models.notifications import MarketNotificationSettings
from approval.workflow.states import Role
from tests.test_dns_deadline import HOST
from tests.test_dns_settings import SAID, private_refused, stalled  # noqa: F401 - fixtures

NOT_SAVED = "The notification settings of FR were not saved."


def banner(page: str) -> str:
    """The form-level message: what comes before the form, from the first alert on."""
    top = page[:page.index('<form method="post" class="card">')]
    assert '<section class="flash error refusal" role="alert"' in top, top[-1500:]
    return top[top.index('<section class="flash error refusal" role="alert"'):]


@pytest.fixture()
def admin_on_fr(make, web, admin_user, db_session):  # noqa: ANN001, ANN201
    france = make.market("FR")
    make.user(Role.project_manager, markets=[france])
    db_session.commit()
    web.login(admin_user)
    return web


def test_a_chat_webhook_not_resolved_in_time_is_said_at_the_top_and_on_its_field(admin_on_fr, db_session, stalled,  # noqa: F811
                                                                                 private_refused):  # noqa: F811
    refused = admin_on_fr.post("/notifications/settings/FR", {"reminder_minutes": "60",
                                                              "chat_webhook_url": f"http://{HOST}:8311/hook"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    said = banner(page)
    assert NOT_SAVED in said and SAID in said
    assert 'data-focus="fallback"' in said  # the focus goes to the field first (forms.js), else here
    assert f'<div class="errors" id="chat_webhook_url-errors"><p class="error">{SAID}</p>' in page  # on its field
    stalled.wait_for_answer()
    assert db_session.scalar(select(MarketNotificationSettings)) is None


def test_a_chat_webhook_on_the_servers_own_network_is_said_at_the_top_and_on_its_field(admin_on_fr, db_session,
                                                                                       private_refused):  # noqa: F811
    refused = admin_on_fr.post("/notifications/settings/FR", {"reminder_minutes": "60",
                                                              "chat_webhook_url": "http://127.0.0.1:9/hook"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    said = banner(page)
    assert NOT_SAVED in said and "127.0.0.1 is on this server&#39;s own network" in said
    field = page[page.index('id="chat_webhook_url-errors"'):]
    assert "127.0.0.1 is on this server&#39;s own network" in field[:field.index("</div>")]
    assert db_session.scalar(select(MarketNotificationSettings)) is None


def test_every_reason_is_in_the_message_once(admin_on_fr):
    refused = admin_on_fr.post("/notifications/settings/FR", {"reminder_minutes": "5", "chat_webhook_url": "ftp://x/h"})
    said = banner(refused.get_data(as_text=True))
    assert refused.status_code == 422 and NOT_SAVED in said
    assert said.count("between 15 and 10080") == 1 and said.count("Give an http or https address.") == 1


def test_a_saved_form_and_a_fresh_page_have_no_such_message(admin_on_fr):
    page = admin_on_fr.get("/notifications/settings/FR").get_data(as_text=True)
    assert "flash error" not in page and NOT_SAVED not in page
    saved = admin_on_fr.post("/notifications/settings/FR", {"reminder_minutes": "60"}, follow_redirects=True)
    assert saved.status_code == 200 and NOT_SAVED not in saved.get_data(as_text=True)
