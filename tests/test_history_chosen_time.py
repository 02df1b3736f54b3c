"""The post page's history says the wall-clock time a project manager chose for a slot, and in which zone (the
``schedule`` row keeps both): after the market's zone changes, the slot reads another local time there, and the line
still says the one chosen. A slot given as an instant (the API's ``scheduled_at``) had no local time chosen."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from approval import administration as admin
from approval.api.preconditions import etag_of
from approval.api.tokens import issue_token
from approval.db import utcnow
from approval.workflow.states import Role, State

MONTHS = {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
          "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()}


def _history(response) -> str:  # noqa: ANN001
    page = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))
    return page[page.index("History"):page.index("Revisions")]


def _a_time_ahead(days: int = 10) -> datetime:
    """14:00 in Paris, ``days`` from now: a wall-clock time, as the page's form sends it."""
    return (utcnow().astimezone(ZoneInfo("Europe/Paris")) + timedelta(days=days)).replace(
        hour=14, minute=0, second=0, microsecond=0, tzinfo=None)


def _day(local: datetime, language: str = "en") -> str:
    """The day as the history writes it: "8 Dec", with the year when it is not the year the slot was chosen in."""
    day = f"{local.day} {MONTHS[language][local.month - 1]}"
    return day if local.year == utcnow().astimezone(ZoneInfo("Europe/Paris")).year else f"{day} {local.year}"


def test_the_history_says_the_local_time_chosen_and_its_zone(make, web, db_session):
    france = make.market("FR")
    post = make.post(State.approved, account=make.account(france, "x"))
    pm = make.user(Role.project_manager, markets=[france])
    chosen = _a_time_ahead()
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                              "local_time": chosen.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]

    # The slot reads the time chosen in the market's zone: said once.
    history = _history(web.get(f"/posts/{post.id}"))
    assert "14:00 (Europe/Paris" in history and "chosen as" not in history

    # The market moves to Tokyo's time: the slot keeps its instant, so it reads 22:00 there; the line still says 14:00
    # in Paris, the time chosen.
    admin.update_market(db_session, france, "FR", france.name, "Asia/Tokyo", list(france.languages))
    db_session.flush()
    history = _history(web.get(f"/posts/{post.id}"))
    assert "22:00 (Asia/Tokyo, UTC+09:00)" in history
    assert f"chosen as 14:00 on {_day(chosen)} (Europe/Paris)" in history


def test_the_day_chosen_is_written_in_the_readers_language(make, web, db_session):
    france = make.market("FR")
    post = make.post(State.approved, account=make.account(france, "x"))
    chosen = _a_time_ahead(days=40)
    web.login(make.user(Role.project_manager, markets=[france]))
    web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                     "local_time": chosen.strftime("%Y-%m-%dT%H:%M")})
    # The time chosen is said when the slot reads another there now (the market's zone changed).
    admin.update_market(db_session, france, "FR", france.name, "Asia/Tokyo", list(france.languages))
    db_session.flush()
    page = web.get(f"/posts/{post.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert _day(chosen, "fr") in html.unescape(page)


def test_a_slot_given_as_an_instant_says_no_time_chosen(make, web, app, db_session):
    france = make.market("FR")
    post = make.post(State.approved, account=make.account(france, "x"))
    pm = make.user(Role.project_manager, markets=[france])
    _row, secret = issue_token(db_session, pm, "script")
    instant = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    answer = app.test_client().post(
        f"/api/v1/posts/{post.id}/transitions", json={"action": "schedule", "scheduled_at": instant.isoformat()},
        headers={"Authorization": f"Bearer {secret}", "If-Match": etag_of(post.id, post.version)})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    web.login(pm)
    history = _history(web.get(f"/posts/{post.id}"))
    assert "for " in history and "chosen as" not in history
