"""A market's new time zone lists, before it is saved, the local times its scheduled posts would take: each post's
time in the old zone and in the new one, told in the page's language as every other sentence tells an instant
("Jan 9, 2028, 18:00 (Europe/Warsaw, UTC+01:00) → Jan 10, 2028, 02:00 (Asia/Tokyo, UTC+09:00)"), never
"2028-01-09 18:00"."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from test_admin import edit
from test_dates_in_sentences import _day, _offset, _reader, _text

from approval.db import utcnow
from approval.models import Market
from approval.workflow.states import Role, State


def _said(instant: datetime, zone: str, language: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{_day(local.date(), language)}, {local:%H:%M} ({zone}, {_offset(local)})"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_new_zone_lists_each_scheduled_posts_old_and_new_local_times_in_the_pages_language(make, web, db_session,
                                                                                            language):
    poland = make.market("PL", "Europe/Warsaw", ("pl",))
    post = make.post(State.scheduled, account=make.account(poland))
    # 18:00 in Warsaw in winter, 02:00 the next day in Tokyo.
    post.scheduled_at = datetime(utcnow().year + 1, 1, 9, 17, 0, tzinfo=UTC)
    reader = _reader(make, language, Role.admin, [])
    db_session.flush()
    web.login(reader)

    asked = edit(web, f"/admin/markets/{poland.id}/edit",
                 {"code": "PL", "name": "Poland", "timezone": "Asia/Tokyo", "languages": "pl"})

    assert asked.status_code == 422
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", _text(asked)))
    old, new = _said(post.scheduled_at, "Europe/Warsaw", language), _said(post.scheduled_at, "Asia/Tokyo", language)
    assert f"#{post.id} {old} → {new}" in page, page[-3000:]
    assert f"{post.scheduled_at:%Y-%m-%d}" not in page and "-01-10 02:00" not in page
    db_session.expire_all()
    assert db_session.get(Market, poland.id).timezone == "Europe/Warsaw"  # asked, not saved
