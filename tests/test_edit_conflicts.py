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


def _flashes(web: WebClient, answer) -> str:
    """The page a saved form leads to, with its messages."""
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[-2000:]
    return web.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_field_only_the_other_admin_changed_keeps_their_value(app, make, db_session):
    """The reviewer's walk: Ada renames the brand, Grace changes only the handle. Grace's save keeps Ada's brand
    (her form still held the old one) and says so; it used to undo it when she saved again after the conflict."""
    account = make.account(make.market("DE", "Europe/Berlin", ("de",)), "instagram")
    ada, grace = _two_admins(app, make)
    path = f"/admin/accounts/{account.id}/edit"
    first, second = Tab(ada, path), Tab(grace, path)

    assert first.save(brand="Helio Insta DE").status_code == 303
    saved = second.save(handle="helio_de")

    page = _flashes(grace, saved)
    assert "their changes are kept with yours" in page and "Brand: Helio Insta DE" in page
    db_session.expire_all()
    assert (account.brand, account.handle) == ("Helio Insta DE", "helio_de")


def test_a_field_both_changed_is_a_conflict_showing_both_values_and_keeping_the_rest(app, make, db_session):
    account = make.account(make.market("DE", "Europe/Berlin", ("de",)), "instagram")
    ada, grace = _two_admins(app, make)
    path = f"/admin/accounts/{account.id}/edit"
    first, second = Tab(ada, path), Tab(grace, path)

    assert first.save(brand="Helio Insta DE", handle="helio_ada").status_code == 303
    refused = second.save(handle="helio_grace")

    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Someone saved this while you were editing it" in page
    assert "helio_ada" in page and "yours: helio_grace" in page  # the field both changed, with both values
    assert "Their other changes are already in the form" in page and "Helio Insta DE" in page
    assert second.fields["brand"] == "Helio Insta DE"  # Ada's brand, which Grace never touched
    assert second.fields["handle"] == "helio_grace"  # what Grace typed
    db_session.expire_all()
    assert (account.brand, account.handle) == ("Helio Insta DE", "helio_ada")  # nothing overwritten

    # Sent again, knowingly: Grace's handle wins, Ada's brand stays.
    assert second.save().status_code == 303
    db_session.expire_all()
    assert (account.brand, account.handle) == ("Helio Insta DE", "helio_grace")


def test_a_market_saved_meanwhile_is_a_conflict_that_names_it(app, make, db_session):
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    ada, grace = _two_admins(app, make)
    path = f"/admin/markets/{market.id}/edit"
    first, second = Tab(ada, path), Tab(grace, path)

    assert first.save(name="Polska").status_code == 303
    refused = second.save(name="Poland", timezone="Europe/London")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Someone saved this while you were editing it" in page and "Polska" in page
    db_session.expire_all()
    assert (market.name, market.timezone) == ("Polska", "Europe/Warsaw")  # nothing overwritten
    assert 'value="Europe/London"' in page and 'value="Poland"' in page  # what they typed is still there

    # Sent again, knowingly: their values are saved.
    assert second.save().status_code == 303
    db_session.expire_all()
    assert (market.name, market.timezone) == ("Poland", "Europe/London")


def test_the_same_change_or_a_field_only_one_changed_is_no_conflict(app, make, db_session):
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    ada, grace = _two_admins(app, make)
    path = f"/admin/markets/{market.id}/edit"
    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(name="Polska").status_code == 303
    assert second.save(name="Polska").status_code == 303  # both made the same change

    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(name="Pologne").status_code == 303
    assert second.save(timezone="Europe/London").status_code == 303  # another field: both kept
    db_session.expire_all()
    assert (market.name, market.timezone) == ("Pologne", "Europe/London")

    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(name="Polen").status_code == 303
    # The second changed the very field the first saved, to another value: that is a conflict.
    assert second.save(name="Poland").status_code == 409


def _object(db_session, make, what: str):  # noqa: ANN202
    """An administered object's edit page; a field with three values and another field with one, to change; and
    how to read both back."""
    france = make.market("FR")
    if what == "campaign":
        thing = admin.create_campaign(db_session, "Euro 2028", france, "#EURO2028")
        model, first = Campaign, ("hashtag", "#EURO2028FR", "#EURO28", "#EURO2028DE")
        second = ("disclosure_required", "y")
        path = f"/campaigns/{thing.id}/edit"
    elif what == "user":
        thing = make.user(Role.community_manager, markets=[france], name="Camille")
        model, first = User, ("role", "project_manager", "community_manager", "admin")
        second = ("name", "Camille Dubois")
        path = f"/admin/users/{thing.id}/edit"
    elif what == "account":
        thing = make.account(france, "x")
        model, first, second = Account, ("handle", "helio_fr", "helio_france", "helio_fra"), ("brand", "Helio Sport")
        path = f"/admin/accounts/{thing.id}/edit"
    else:
        thing = make.executive("Hélène Marchand")
        model, first, second = Executive, ("title", "CEO", "Chair", "President"), ("name", "Hélène Marchand-Roy")
        path = f"/admin/executives/{thing.id}/edit"

    def read() -> tuple[str, str]:
        db_session.expire_all()
        saved = db_session.get(model, thing.id)
        values = [getattr(saved, name) for name in (first[0], second[0])]
        return tuple(str(getattr(value, "value", value)) for value in values)

    return path, first, second, read


@pytest.mark.parametrize("what", ["campaign", "user", "account", "executive"])
def test_every_administered_object_keeps_both_changes_and_the_first_save(app, make, db_session, what):
    ada, grace = _two_admins(app, make)
    path, (field, first_value, other_value, third_value), (second_field, second_value), read = _object(
        db_session, make, what)

    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(**{field: first_value}).status_code == 303
    assert second.save(**{second_field: second_value}).status_code == 303, "another field: no conflict"
    assert read() == (first_value, "True" if second_value == "y" else second_value)

    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(**{field: other_value}).status_code == 303
    refused = second.save(**{field: third_value})
    assert refused.status_code == 409, refused.get_data(as_text=True)[:2000]
    assert read()[0] == other_value


def test_a_form_sent_without_what_it_showed_is_checked_against_the_saved_values(app, make, db_session):
    """A hand-made request, or a page from before the field existed: what it would change cannot be told from what
    someone else changed. It is shown back with each field it would change and the value saved there; sent again
    (now saying what it showed), it is saved."""
    market = make.market("PL", "Europe/Warsaw", ("pl",))
    ada, _grace = _two_admins(app, make)
    tab = Tab(ada, f"/admin/markets/{market.id}/edit")
    refused = tab.save(seen=None, name="Polska")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "did not say which values it showed" in page and "Market PL" in page and "yours: Polska" in page
    assert db_session.scalar(select(Market.name).where(Market.id == market.id)) == "Market PL"
    assert tab.save().status_code == 303
    for hostile in ("[" * 10000, "{}", '{"name": [1, {"a": null}]}', "not json"):
        tab = Tab(ada, f"/admin/markets/{market.id}/edit")
        assert tab.save(seen=hostile, name="Polska").status_code in (303, 409, 422)
    assert db_session.scalar(select(Market.name).where(Market.id == market.id)) == "Polska"


def test_a_markets_notification_settings_keep_the_first_save(app, make, db_session):
    from approval.models.notifications import MarketNotificationSettings

    france = make.market("FR")
    ada, grace = _two_admins(app, make)
    path = "/notifications/settings/FR"
    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(chat_webhook_url="https://chat.example.com/hooks/social").status_code == 302
    # Another field: the first's webhook stays (the second's form still held none).
    assert second.save(reminder_minutes="120").status_code == 302
    db_session.expire_all()
    settings = db_session.get(MarketNotificationSettings, france.id)
    assert (settings.chat_webhook_url, settings.reminder_minutes) == ("https://chat.example.com/hooks/social", 120)

    first, second = Tab(ada, path), Tab(grace, path)
    assert first.save(reminder_minutes="60").status_code == 302
    refused = second.save(reminder_minutes="90")
    assert refused.status_code == 409 and "</strong>: 60</li>" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(MarketNotificationSettings, france.id).reminder_minutes == 60


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
