"""Dates inside sentences read as a person writes them in the page's language ("Dec 8, 2027, 09:00",
"8 déc. 2027, 09:00"), in the market's zone for a post's slot and in the viewer's beside it; never "2027-12-08 09:00".
Values meant for machines (form inputs, the API, data attributes) stay ISO."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from approval.db import utcnow
from approval.models import Post
from approval.models.notifications import NotificationProfile
from approval.notifications import texts
from approval.workflow.states import Role, State

PARIS = ZoneInfo("Europe/Paris")
#: Babel's (CLDR's) abbreviated month names, as a French reader expects them.
FRENCH_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(day: date, language: str) -> str:
    if language == "fr":
        return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _text(answer) -> str:  # noqa: ANN001
    return unescape(answer.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


def _offset(local: datetime) -> str:
    offset = local.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def _reader(make, language: str, role: Role, markets: list, zone: str | None = None):  # noqa: ANN001, ANN202
    make.chosen_locale = language
    user = make.user(role, markets=markets)
    make.chosen_locale = None
    if zone is not None:
        make.session.add(NotificationProfile(user_id=user.id, timezone=zone))
        make.session.flush()
    return user


def _scheduled_in_paris(make, db_session, france, at: datetime) -> Post:  # noqa: ANN001
    post = make.post(State.scheduled, account=make.account(france), body="Le stade ce soir.")
    post.scheduled_at = at
    db_session.flush()
    return post


# A flash: what the person just did ------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "sentence"), [("en", "Scheduled for {when}."),
                                                    ("fr", "Programmée pour le {when}.")])
def test_the_flash_after_scheduling_tells_the_slot_in_the_pages_language(make, web, db_session, language, sentence):
    france = make.market("FR")
    pm = _reader(make, language, Role.project_manager, [france], "Europe/Paris")
    post = make.post(State.approved, account=make.account(france))
    local = (utcnow() + timedelta(days=30)).astimezone(PARIS).replace(hour=18, minute=0, second=0, microsecond=0)
    web.login(pm)
    answer = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                              "local_time": local.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = _text(web.get(f"/posts/{post.id}"))
    when = f"{_day(local.date(), language)}, 18:00 (Europe/Paris, {_offset(local)})"
    assert sentence.format(when=when) in page
    assert f"{local:%Y-%m-%d} 18:00" not in page  # ISO stays in the form's values only ("…T18:00")


# The post page's slot line --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "line"), [
    ("en", "Scheduled for <strong>{there} (Europe/Paris, UTC+01:00) · 03:00 your time (America/New_York)</strong>"),
    ("fr", "Programmée pour le <strong>{there} (Europe/Paris, UTC+01:00) · soit 03:00 à votre heure "
           "(America/New_York)</strong>")])
def test_the_post_page_tells_the_slot_in_the_markets_time_and_the_viewers(make, web, db_session, language, line):
    france = make.market("FR")
    year = datetime.now(UTC).year + 1
    post = _scheduled_in_paris(make, db_session, france, datetime(year, 12, 8, 8, 0, tzinfo=UTC))
    web.login(_reader(make, language, Role.project_manager, [france], "America/New_York"))
    page = _text(web.get(f"/posts/{post.id}"))
    assert line.format(there=f"{_day(date(year, 12, 8), language)}, 09:00") in page
    assert f"{year}-12-08 09:00" not in page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_slot_on_another_day_in_the_viewers_zone_gives_that_day_too(make, web, db_session, language):
    france = make.market("FR")
    year = datetime.now(UTC).year + 1
    post = _scheduled_in_paris(make, db_session, france, datetime(year, 12, 9, 4, 30, tzinfo=UTC))
    web.login(_reader(make, language, Role.project_manager, [france], "America/New_York"))
    page = _text(web.get(f"/posts/{post.id}"))
    assert f"{_day(date(year, 12, 9), language)}, 05:30 (Europe/Paris, UTC+01:00) · " in page
    mine = f"{_day(date(year, 12, 8), language)}, 23:30"
    assert (f"{mine} your time (America/New_York)" if language == "en" else
            f"soit {mine} à votre heure (America/New_York)") in page


# A notification's mail text -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "sentence"), [("en", "Goes out on {when}."), ("fr", "Part le {when}.")])
def test_a_scheduled_posts_mail_line_tells_the_slot_in_the_readers_language(app, make, db_session, language,
                                                                             sentence):
    france = make.market("FR")
    year = datetime.now(UTC).year + 1
    post = _scheduled_in_paris(make, db_session, france, datetime(year, 12, 8, 8, 0, tzinfo=UTC))
    with app.test_request_context(), force_locale(language):  # as the mailer writes each reader's mail
        line = texts.slot_line(post)
    assert line is not None
    assert line.replace("\u202f", " ").replace("\u00a0", " ") == sentence.format(
        when=f"{_day(date(year, 12, 8), language)}, 09:00 (Europe/Paris, UTC+01:00)")
