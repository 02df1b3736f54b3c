"""Two admins editing one market, account, executive, user, campaign or settings row at once, or one person with
two tabs of their preferences: the second save is a 409 naming what the first saved, never a silent overwrite; a
field only one of them changed is no conflict; saving again, knowingly, goes through. Each tab sends back exactly
what its page held, as a browser does."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from approval import administration as admin
from approval.models import Account, Campaign, Executive, Market, User
from approval.workflow.states import Role

from conftest import WebClient


class FormValues(HTMLParser):
    """What a browser sends for the first form of a page with ``class="card"``: its inputs' values, the checked
    boxes, the selected options, the textareas' text."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self.inside = self.done = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and not self.done and "card" in (a.get("class") or "").split():
            self.inside = True
        elif not self.inside or not a.get("name") and tag != "option":
            return
        elif tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.values.append((a["name"], a.get("value") or ("y" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.values.append((self.select, a.get("value") or ""))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.values.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self.textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


class Tab:
    """One browser tab on an edit page."""

    def __init__(self, web: WebClient, path: str) -> None:
        self.web, self.path = web, path
        self.reload()

    def reload(self) -> None:
        page = self.web.get(self.path)
        assert page.status_code == 200
        self.read(page.get_data(as_text=True))

    def read(self, html: str) -> None:
        parser = FormValues()
        parser.feed(html)
        self.fields = dict(parser.values)
        self.fields.pop("market_ids", None)
        self.checked = [value for name, value in parser.values if name in ("market_ids", "executive_ids")]
        self.many = {name: [v for n, v in parser.values if n == name] for name in ("market_ids", "executive_ids")}

    def save(self, **changes: object):  # noqa: ANN201
        data = {**self.fields, **{name: values for name, values in self.many.items() if values}}
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        answer = self.web.client.post(self.path, data=data)
        if answer.status_code == 409:
            self.read(answer.get_data(as_text=True))
        return answer


def _two_admins(app, make) -> tuple[WebClient, WebClient]:
    tabs = []
    for name in ("Ada", "Grace"):
        web = WebClient(app.test_client())
        web.login(make.user(Role.admin, name=f"{name} (admin)"))
        tabs.append(web)
    return tabs[0], tabs[1]


def test_a_market_saved_meanwhile_is_a_conflict_that_names_it(app, make, db_session):
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    ada, grace = _two_admins(app, make)
    path = f"/admin/markets/{market.id}/edit"
    first, second = Tab(ada, path), Tab(grace, path)

    assert first.save(name="Polska").status_code == 303
    refused = second.save(timezone="Europe/London")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Someone saved this while you were editing it" in page and "Polska" in page
    db_session.expire_all()
    assert (market.name, market.timezone) == ("Polska", "Europe/Warsaw")  # nothing overwritten
    assert 'value="Europe/London"' in page  # what they typed is still there

    # Sent again, knowingly: their values are saved (the name they had is theirs again, as they chose).
    assert second.save().status_code == 303
    db_session.expire_all()
    assert (market.name, market.timezone) == ("Market PL", "Europe/London")


def test_the_same_change_or_a_field_only_one_changed_is_no_conflict(app, make, db_session):
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    ada, grace = _two_admins(app, make)
    path = f"/admin/markets/{market.id}/edit"
    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(name="Polska").status_code == 303
    assert second.save(name="Polska").status_code == 303  # both made the same change

    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(name="Pologne").status_code == 303
    # The second changed the very field the first saved, to another value: that is a conflict.
    assert second.save(name="Poland").status_code == 409


@pytest.mark.parametrize("what", ["campaign", "user", "account", "executive"])
def test_every_administered_object_keeps_the_first_save(app, make, db_session, what):
    france = make.market("FR")
    ada, grace = _two_admins(app, make)
    if what == "campaign":
        thing = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
        path, first_change, second_change = (f"/campaigns/{thing.id}/edit", {"hashtag": "#EURO2028FR"},
                                             {"disclosure_required": "y"})
        kept = lambda: db_session.get(Campaign, thing.id).hashtag == "#EURO2028FR"  # noqa: E731
    elif what == "user":
        thing = make.user(Role.community_manager, markets=[france], name="Camille")
        path, first_change, second_change = (f"/admin/users/{thing.id}/edit", {"role": "project_manager"},
                                             {"name": "Camille Dubois"})
        kept = lambda: db_session.get(User, thing.id).role is Role.project_manager  # noqa: E731
    elif what == "account":
        thing = make.account(france, "x")
        path, first_change, second_change = (f"/admin/accounts/{thing.id}/edit", {"handle": "helio_fr"},
                                             {"brand": "Helio Sport"})
        kept = lambda: db_session.get(Account, thing.id).handle == "helio_fr"  # noqa: E731
    else:
        thing = make.executive("Hélène Marchand")
        path, first_change, second_change = (f"/admin/executives/{thing.id}/edit", {"title": "CEO"},
                                             {"name": "Hélène Marchand-Roy"})
        kept = lambda: db_session.get(Executive, thing.id).title == "CEO"  # noqa: E731
    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(**first_change).status_code == 303
    refused = second.save(**second_change)
    assert refused.status_code == 409, refused.get_data(as_text=True)[:2000]
    db_session.expire_all()
    assert kept()


def test_a_form_sent_without_what_it_showed_is_taken_as_it_comes(app, make, db_session):
    """A script, or a page from before the field existed: nothing to compare with, nothing refused."""
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    ada, _grace = _two_admins(app, make)
    tab = Tab(ada, f"/admin/markets/{market.id}/edit")
    assert tab.save(seen=None, name="Polska").status_code == 303
    for hostile in ("[" * 10000, "{}", '{"name": [1, {"a": null}]}', "not json"):
        tab = Tab(ada, f"/admin/markets/{market.id}/edit")
        assert tab.save(seen=hostile, name="Polska").status_code in (303, 422)
    assert db_session.scalar(select(Market.name).where(Market.id == market.id)) == "Polska"


def test_a_markets_notification_settings_keep_the_first_save(app, make, db_session):
    from approval.models.notifications import MarketNotificationSettings

    france = make.market("FR")
    ada, grace = _two_admins(app, make)
    path = "/notifications/settings/FR"
    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(chat_webhook_url="https://chat.example.com/hooks/social").status_code == 302
    refused = second.save(reminder_minutes="120")
    assert refused.status_code == 409
    assert "https://chat.example.com/hooks/social" in refused.get_data(as_text=True)
    db_session.expire_all()
    settings = db_session.get(MarketNotificationSettings, france.id)
    assert (settings.chat_webhook_url, settings.reminder_minutes) == ("https://chat.example.com/hooks/social", 240)


def test_a_publishing_settings_row_keeps_the_first_save(app, make, db_session):
    import re

    france = make.market("FR")
    ada, grace = _two_admins(app, make)

    def was(web: WebClient) -> str:
        page = web.get("/publishing/settings").get_data(as_text=True)
        form = re.search(rf'action="/publishing/settings/markets/{france.id}">(.*?)</form>', page).group(1)
        return re.search(r'name="was" value="([^"]*)"', form).group(1)

    first, second = was(ada), was(grace)
    path = f"/publishing/settings/markets/{france.id}"
    assert ada.post(path, {"grace_minutes": "30", "was": first}).status_code == 302
    refused = grace.post(path, {"grace_minutes": "20", "was": second})
    assert refused.status_code == 409 and "30 minutes" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Market, france.id).grace_minutes == 30
    assert grace.post(path, {"grace_minutes": "20", "was": was(grace)}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Market, france.id).grace_minutes == 20


def test_preferences_saved_in_another_tab_are_not_overwritten(app, make, db_session):
    import re

    from approval.models.notifications import MailMode, NotificationPreference

    pm = make.user(Role.project_manager, markets=[make.market("FR")])
    web = WebClient(app.test_client())
    web.login(pm)

    def was() -> str:
        return re.search(r'name="was" value="([^"]*)"', web.get("/notifications/preferences")
                         .get_data(as_text=True)).group(1)

    first, second = was(), was()
    assert web.post("/notifications/preferences", {"mode-review_requested": "off", "was": first}).status_code == 302
    refused = web.post("/notifications/preferences", {"mode-failed": "daily", "was": second})
    assert refused.status_code == 409
    db_session.expire_all()
    saved = dict(db_session.execute(select(NotificationPreference.kind, NotificationPreference.mode)
                                    .where(NotificationPreference.user_id == pm.id)).all())
    assert {kind.value: mode for kind, mode in saved.items()} == {"review_requested": MailMode.off}
