"""The notification preferences offer mail "at once" or "in a daily digest": with no mail server configured
(``APPROVAL_SMTP_URL`` unset) nothing left, and the page did not say so. It says it now, to an admin with the setting
to give, to anyone else with whom to ask."""

from __future__ import annotations

from approval.workflow.states import Role


def test_the_preferences_say_mail_is_off_until_a_server_is_set(app, web, make, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    web.login(make.user(Role.community_manager))
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert "E-mail is not set up on this server yet" in page and "APPROVAL_SMTP_URL" not in page
    web.login(make.user(Role.admin))
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert "E-mail is off on this server (APPROVAL_SMTP_URL is not set)" in page

    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:2525")
    page = web.get("/notifications/preferences").get_data(as_text=True)
    assert "mail-off" not in page
