"""A writer's proposed time over the API, as the market's wall-clock time: ``proposed_local_time`` (with
``proposed_fold`` for the hour the clocks repeat) on ``POST /posts`` and ``PATCH /posts/{id}``, read as the schedule
action reads its ``local_time``; and instants that hold no control character, in every field that takes one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import marshmallow as ma
import pytest
from conftest import row_counts

from approval.api.calendar import CalendarArgs
from approval.api.fields import Instant
from approval.api.schemas import Args, PostCreateArgs, PostEditArgs, PostListArgs, TransitionArgs
from approval.db import utcnow
from approval.models import AuditEntry, Post, Revision
from approval.workflow.states import Role, State

from .contract import assert_error, assert_post_shape

PARIS = ZoneInfo("Europe/Paris")


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _next_change(month: int) -> str:
    """02:30 in Paris on the next last Sunday of ``month`` (March: skipped; October: repeated), a day or more away:
    2027-03-28T02:30 and 2027-10-31T02:30 as these tests were written."""
    today = utcnow().astimezone(PARIS).date()
    for year in (today.year, today.year + 1):
        day = _last_sunday(year, month)
        if day > today + timedelta(days=1):
            return f"{day.isoformat()}T02:30"
    raise AssertionError("no change of the clocks within a year")


def _ahead(days: int = 10, hour: int = 9) -> str:
    """A wall-clock day ``days`` ahead (in any zone: a day of margin either side), at ``hour``."""
    return f"{(utcnow().date() + timedelta(days=days)).isoformat()}T{hour:02d}:00"


def _utc(local: str, zone: str, fold: int = 0) -> str:
    instant = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture()
def writing(make, api, db_session):
    """``writing(code, zone)``: a writer of a market in ``zone``, their client, an account there and a draft of
    theirs on it."""

    def setting(code: str = "FR", zone: str = "Europe/Paris"):  # noqa: ANN202
        market = make.market(code, timezone=zone, languages=("fr",) if code == "FR" else ("en",))
        writer = make.user(Role.community_manager, markets=[market])
        account = make.account(market)
        return api(writer), account, make.post(State.draft, account=account, author=writer)

    return setting


def _create(client, account, **fields):  # noqa: ANN001, ANN003, ANN202
    return client.post("/posts", {"account_id": account.id, "body": "Rendez-vous mardi.", **fields})


def _edit(client, post, **fields):  # noqa: ANN001, ANN003, ANN202
    return client.patch(f"/posts/{post.id}", fields, if_match=client.get(f"/posts/{post.id}").headers["ETag"])


def _both(client, account, post, **fields):  # noqa: ANN001, ANN003, ANN202
    """The answers of a new post and of an edit carrying ``fields``."""
    return _create(client, account, **fields), _edit(client, post, **fields)


def _reasons(answer, field: str) -> str:  # noqa: ANN001
    return " ".join(answer.get_json().get("errors", {}).get(field, []))


# The market's wall-clock time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "zone", "local"), [
    ("FR", "Europe/Paris", _ahead(20, 9)),
    ("US", "America/New_York", _ahead(40, 9)),
    ("IN", "Asia/Kolkata", _ahead(60, 9)),  # UTC+05:30: a half hour off
])
def test_a_proposal_in_the_market_local_time_is_kept_as_its_instant(writing, db_session, code, zone, local):
    client, account, post = writing(code, zone)
    created = _create(client, account, proposed_local_time=local)
    assert created.status_code == 201, created.get_json()
    assert_post_shape(created.get_json())
    assert created.get_json()["proposed_at"] == _utc(local, zone)
    later = _ahead(21 + len(code), 18)
    edited = _edit(client, post, proposed_local_time=later)
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["proposed_at"] == _utc(later, zone)
    db_session.expire_all()
    assert db_session.get(Post, post.id).proposed_at.strftime("%Y-%m-%dT%H:%M:%SZ") == _utc(later, zone)


def test_kolkata_reads_its_half_hour(writing):
    client, account, _post = writing("IN", "Asia/Kolkata")
    local = _ahead(30, 9)
    answer = _create(client, account, proposed_local_time=local)
    assert answer.get_json()["proposed_at"] == f"{local[:10]}T03:30:00Z"


def test_the_time_the_clocks_skip_is_refused_naming_the_zone_and_the_hour(writing, db_session):
    client, account, post = writing()
    counts = row_counts(db_session, Post, Revision, AuditEntry)
    for answer in _both(client, account, post, proposed_local_time=_next_change(3)):
        assert_error(answer, 422, "proposed_local_time")
        said = _reasons(answer, "proposed_local_time")
        assert "Europe/Paris" in said and "02:00" in said and "03:00" in said, said
    assert row_counts(db_session, Post, Revision, AuditEntry) == counts


def test_a_repeated_time_needs_its_fold_then_takes_the_one_chosen(writing, db_session):
    client, account, post = writing()
    twice = _next_change(10)
    counts = row_counts(db_session, Post, Revision, AuditEntry)
    for answer in _both(client, account, post, proposed_local_time=twice):
        assert_error(answer, 422, "proposed_local_time", "proposed_fold")
        said = _reasons(answer, "proposed_local_time")
        assert "Europe/Paris" in said and "UTC+02:00" in said and "UTC+01:00" in said, said
        assert "fold 0" in _reasons(answer, "proposed_fold") and "1" in _reasons(answer, "proposed_fold")
    assert row_counts(db_session, Post, Revision, AuditEntry) == counts

    first = _create(client, account, proposed_local_time=twice, proposed_fold=0)
    second = _create(client, account, proposed_local_time=twice, proposed_fold=1)
    assert first.status_code == second.status_code == 201, (first.get_json(), second.get_json())
    assert first.get_json()["proposed_at"] == f"{twice[:10]}T00:30:00Z" == _utc(twice, "Europe/Paris", 0)
    assert second.get_json()["proposed_at"] == f"{twice[:10]}T01:30:00Z" == _utc(twice, "Europe/Paris", 1)
    edited = _edit(client, post, proposed_local_time=twice, proposed_fold=1)
    assert edited.status_code == 200 and edited.get_json()["proposed_at"] == f"{twice[:10]}T01:30:00Z"
    # Outside the repeated hour, a fold changes nothing (as the schedule's).
    plain = _create(client, account, proposed_local_time=_ahead(20, 9), proposed_fold=1)
    assert plain.get_json()["proposed_at"] == _utc(_ahead(20, 9), "Europe/Paris")


@pytest.mark.parametrize("fold", [True, False, "1", "0", 2, -1, 1.0, 0.5, [1], {"fold": 1}])
def test_a_fold_is_0_or_1_as_the_schedule_takes_it(writing, api, make, db_session, fold):
    client, account, post = writing()
    counts = row_counts(db_session, Post, Revision, AuditEntry)
    for answer in _both(client, account, post, proposed_local_time=_next_change(10), proposed_fold=fold):
        assert_error(answer, 422, "proposed_fold")
        assert "Unknown field" not in _reasons(answer, "proposed_fold")
    assert row_counts(db_session, Post, Revision, AuditEntry) == counts
    # The schedule action refuses the same values.
    approved = make.post(State.approved, account=account)
    manager = api(make.user(Role.project_manager, markets=[account.market]))
    assert_error(manager.act(approved, "schedule", local_time=_next_change(10), fold=fold), 422, "fold")


@pytest.mark.parametrize("fields", [
    {"proposed_at": "2027-06-01T09:00:00Z", "proposed_local_time": "2027-06-01T11:00"},
    {"proposed_at": None, "proposed_local_time": "2027-06-01T11:00"},  # clear and set at once
])
def test_both_forms_at_once_are_refused(writing, db_session, fields):
    client, account, post = writing()
    fields = {key: (_ahead(20, 9) if key == "proposed_local_time" else value) for key, value in fields.items()}
    counts = row_counts(db_session, Post, Revision, AuditEntry)
    for answer in _both(client, account, post, **fields):
        assert_error(answer, 422, "proposed_local_time")
        assert "proposed_at" in _reasons(answer, "proposed_local_time")
    assert row_counts(db_session, Post, Revision, AuditEntry) == counts


@pytest.mark.parametrize(("fields", "field"), [
    ({"proposed_fold": 1}, "proposed_fold"),  # a fold without the time it picks
    ({"proposed_at": "2099-06-01T09:00:00Z", "proposed_fold": 0}, "proposed_fold"),
    ({"proposed_local_time": None}, "proposed_local_time"),  # null is proposed_at's: "none"
    ({"proposed_local_time": "2027-06-01T09:00:00"}, "proposed_local_time"),
    ({"proposed_local_time": "2027-06-01T09:00+02:00"}, "proposed_local_time"),
    ({"proposed_local_time": "2027-06-01 09:00"}, "proposed_local_time"),
    ({"proposed_local_time": "2027-06-01T09:00\x00"}, "proposed_local_time"),
    ({"proposed_local_time": "2001-06-01T09:00"}, "proposed_local_time"),  # past
    ({"proposed_local_time": "2099-06-01T09:00"}, "proposed_local_time"),  # more than a year ahead
    ({"proposed_local_time": "9999-12-31T23:59"}, "proposed_local_time"),
    ({"proposed_local_time": "0001-01-01T00:30"}, "proposed_local_time"),  # out of range once in UTC
    ({"proposed_local_time": 1735689600}, "proposed_local_time"),
])
def test_a_bad_local_proposal_is_a_field_error(writing, db_session, fields, field):
    client, account, post = writing()
    counts = row_counts(db_session, Post, Revision, AuditEntry)
    for answer in _both(client, account, post, **fields):
        body = assert_error(answer, 422, field)
        assert "Unknown field" not in _reasons(answer, field), body
    assert row_counts(db_session, Post, Revision, AuditEntry) == counts


def test_an_instant_proposal_still_works_and_null_clears_it(writing):
    client, account, post = writing()
    when = (utcnow() + timedelta(days=4)).replace(microsecond=0)
    created = _create(client, account, proposed_at=when.astimezone(PARIS).isoformat())
    assert created.status_code == 201 and created.get_json()["proposed_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _edit(client, post, proposed_local_time=_ahead(5)).get_json()["proposed_at"] is not None
    cleared = _edit(client, post, proposed_at=None)
    assert cleared.status_code == 200 and cleared.get_json()["proposed_at"] is None


def test_the_document_describes_the_local_proposal(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    for name in ("PostCreateArgs", "PostEditArgs"):
        properties = document["components"]["schemas"][name]["properties"]
        assert {"proposed_at", "proposed_local_time", "proposed_fold"} <= set(properties), name
        for field in ("proposed_at", "proposed_local_time", "proposed_fold"):
            assert properties[field].get("description"), (name, field)
        assert set(properties["proposed_fold"]["enum"]) - {None} == {0, 1}, properties["proposed_fold"]
        assert properties["proposed_local_time"]["pattern"], properties["proposed_local_time"]


# Instants hold no control character -------------------------------------------------------------------------------

CONTROLS = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\n", "\t"]
INSTANT = "2027-03-02T19:00:00+00:00"


def _input_schemas() -> list[type[ma.Schema]]:
    """Every input schema of the API (``Args`` and what derives from it)."""
    found, todo = [], [Args]
    while todo:
        schema = todo.pop()
        found.append(schema)
        todo.extend(schema.__subclasses__())
    return found


def test_every_instant_field_of_the_api_is_listed():
    instants = {(schema.__name__, name) for schema in _input_schemas()
                for name, field in schema._declared_fields.items() if isinstance(field, Instant)}
    assert {("PostCreateArgs", "proposed_at"), ("PostEditArgs", "proposed_at"), ("PostListArgs", "updated_since"),
            ("TransitionArgs", "scheduled_at"), ("CalendarArgs", "from_"), ("CalendarArgs", "to")} <= instants
    assert {PostCreateArgs, PostEditArgs, PostListArgs, TransitionArgs, CalendarArgs} <= set(_input_schemas())


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("where", ["end", "before the offset", "start"])
def test_an_instant_with_a_control_character_is_refused_in_every_field(app, control, where):
    value = {"end": INSTANT + control, "start": control + INSTANT,
             "before the offset": INSTANT[:19] + control + INSTANT[19:]}[where]
    with app.test_request_context():
        for schema in _input_schemas():
            for name, field in schema._declared_fields.items():
                if not isinstance(field, Instant):
                    continue
                with pytest.raises(ma.ValidationError) as refused:
                    field.deserialize(value)
                messages = refused.value.messages
                said = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
                assert "control character" in said, (schema.__name__, name, said)


@pytest.mark.parametrize("control", ["\x00", "\x1f", "\x7f"], ids=["NUL", "U+001F", "DEL"])
def test_a_control_character_in_an_instant_of_a_body_is_a_422_on_its_field(writing, make, api, db_session,
                                                                             control):
    client, account, post = writing()
    approved = make.post(State.approved, account=account)
    manager = api(make.user(Role.project_manager, markets=[account.market]))
    counts = row_counts(db_session, Post, Revision, AuditEntry)
    value = INSTANT + control
    for answer in _both(client, account, post, proposed_at=value):
        assert_error(answer, 422, "proposed_at")
        assert "control character" in _reasons(answer, "proposed_at")
    answer = manager.act(approved, "schedule", scheduled_at=value)
    assert_error(answer, 422, "scheduled_at")
    assert "control character" in _reasons(answer, "scheduled_at")
    assert row_counts(db_session, Post, Revision, AuditEntry) == counts


@pytest.mark.parametrize(("path", "field"), [
    ("/posts?updated_since={}", "updated_since"),
    ("/calendar?from={}&to=2027-03-20T00:00:00Z", "from"),
    ("/calendar?from=2027-03-01T00:00:00Z&to={}", "to"),
])
def test_a_control_character_in_an_instant_of_a_query_is_a_422_on_its_field(writing, path, field):
    client, _account, _post = writing()
    assert_error(client.get(path.format("2027-03-02T19:00:00%2B00:00%00")), 422, field)
