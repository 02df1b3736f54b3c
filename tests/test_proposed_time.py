"""A writer proposes when a post goes out (``posts.proposed_at``): on the new-post and edit forms as a wall-clock
time in the market's zone, read as a schedule reads one, and through the API as an instant. A proposal is not content:
no new revision, no return to review, but the trail keeps it. A project manager approves and schedules the post at
it in one step (two engine steps, each audited, or nothing); an edit that drops a slot keeps it as the proposal."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import administration as admin
from approval.api.preconditions import etag_of
from approval.api.tokens import issue_token
from approval.db import utcnow
from approval.models import AuditEntry, Post, Revision
from approval.workflow.states import Action, Role, State

from conftest import row_counts

PARIS = ZoneInfo("Europe/Paris")


def _local_ahead(days: int = 10, hour: int = 20) -> datetime:
    """A wall-clock time in Paris, ``days`` from now, as the forms send it."""
    return (utcnow().astimezone(PARIS) + timedelta(days=days)).replace(hour=hour, minute=0, second=0,
                                                                      microsecond=0, tzinfo=None)


def _instant(local: datetime) -> datetime:
    return local.replace(tzinfo=PARIS).astimezone(UTC)


def _typed(local: datetime) -> str:
    return local.strftime("%Y-%m-%dT%H:%M")


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _next_change(month: int) -> datetime:
    """02:30 in Paris on the next last Sunday of ``month`` (March: skipped; October: repeated), a day or more away."""
    today = utcnow().astimezone(PARIS).date()
    for year in (today.year, today.year + 1):
        day = _last_sunday(year, month)
        if day > today + timedelta(days=1):
            return datetime(day.year, day.month, day.day, 2, 30)
    raise AssertionError("no change of the clocks within a year")


def _text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _trail(session, post: Post) -> list[AuditEntry]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id)))


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def writer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france], name="Camille Writer")


@pytest.fixture()
def reviewer(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france], name="Paula Reviewer")


def _edit(web, post: Post, **fields: object):  # noqa: ANN001, ANN202
    """The edit form sent as the page drew it (its proposed time shown in the market's zone), with ``fields``."""
    shown = _typed(post.proposed_at.astimezone(PARIS)) if post.proposed_at else ""
    return web.post(f"/posts/{post.id}/edit", {"body": post.body, "version": post.version,
                                               "campaign_shown": str(post.campaign_id or ""),
                                               "campaign_id": str(post.campaign_id or ""), "proposed_time": shown,
                                               **fields})


# Setting, changing, clearing ---------------------------------------------------------------------------------


def test_a_writer_proposes_a_time_on_the_new_post_form(make, web, db_session, france, writer):
    account = make.account(france, "x")
    local = _local_ahead()
    web.login(writer)
    answer = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Rendez-vous mardi soir.",
                                     "proposed_time": _typed(local)})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:800]
    post = db_session.scalar(select(Post).where(Post.account_id == account.id))
    assert post.proposed_at == _instant(local)
    create = _trail(db_session, post)[0]
    assert create.action == Action.create and create.payload["proposed_at"] == _instant(local).isoformat()


def test_the_new_post_form_says_the_zone(make, web, france, writer):
    make.account(france, "x")
    web.login(writer)
    page = _text(web.get("/posts/new"))
    assert "Proposed publication time, local time in Europe/Paris" in page


def test_changing_the_proposal_is_no_new_revision_and_no_return_to_review(make, web, db_session, france, writer):
    post = make.post(State.approved, account=make.account(france, "x"), author=writer)
    revision, sha, approved = post.current_revision_id, post.current_revision.sha256, post.approved_revision_id
    revisions = row_counts(db_session, Revision)
    web.login(writer)
    local = _local_ahead(days=5)
    answer = _edit(web, post, proposed_time=_typed(local))
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:800]
    db_session.expire_all()
    assert post.state == State.approved and post.proposed_at == _instant(local)
    assert (post.current_revision_id, post.current_revision.sha256, post.approved_revision_id) == \
        (revision, sha, approved)
    assert row_counts(db_session, Revision) == revisions
    last = _trail(db_session, post)[-1]
    assert (last.action, last.from_state, last.to_state) == (Action.edit, State.approved, State.approved)
    assert last.payload == {"proposed_at": _instant(local).isoformat(), "proposal_only": True}

    # Changed again, then cleared: each recorded, the post still approved.
    later = _local_ahead(days=6)
    _edit(web, post, proposed_time=_typed(later))
    db_session.expire_all()
    assert post.proposed_at == _instant(later)
    _edit(web, post, proposed_time="")
    db_session.expire_all()
    assert post.proposed_at is None and post.state == State.approved
    assert _trail(db_session, post)[-1].payload == {"proposed_at": None, "proposal_only": True}


def test_the_history_shows_the_proposal(make, web, db_session, france, writer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    web.login(writer)
    _edit(web, post, proposed_time=_typed(_local_ahead()))
    page = _text(web.get(f"/posts/{post.id}"))
    history = page[page.index("History"):page.index("Revisions")]
    assert "proposed a new time: " in history and "20:00 (Europe/Paris" in history
    assert "Proposed publication time: 20:00" not in page  # the head says it with its date
    assert "Proposed publication time:" in page


def test_the_edit_form_shows_the_proposal_in_the_markets_time(make, web, db_session, france, writer):
    post = make.post(State.draft, account=make.account(france, "x"), author=writer)
    local = _local_ahead()
    web.login(writer)
    _edit(web, post, proposed_time=_typed(local))
    page = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert f'value="{_typed(local)}"' in page
    # Saved again as shown: no change.
    db_session.expire_all()
    rows = len(_trail(db_session, post))
    _edit(web, post, proposed_time=_typed(local))
    assert len(_trail(db_session, post)) == rows


# Refused values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, said", [
    (lambda: _typed(_local_ahead(days=-1)), "The proposed time is in the past."),
    (lambda: _typed(_local_ahead(days=400)), "more than a year ahead"),
    (lambda: _typed(_next_change(3)), "The clocks skip from 02:00 to 03:00"),
])
def test_a_proposal_the_schedule_would_refuse_is_refused(make, web, db_session, france, writer, typed, said):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    counts = row_counts(db_session, AuditEntry, Revision)
    web.login(writer)
    answer = _edit(web, post, proposed_time=typed())
    assert answer.status_code == 422
    assert said in _text(answer), _text(answer)[_text(answer).find("refused") - 300:][:900]
    assert row_counts(db_session, AuditEntry, Revision) == counts
    db_session.expire_all()
    assert post.proposed_at is None


def test_a_repeated_time_asks_which_then_takes_the_one_chosen(make, web, db_session, france, writer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    twice = _next_change(10)
    web.login(writer)
    answer = _edit(web, post, proposed_time=_typed(twice))
    assert answer.status_code == 422
    page = _text(answer)
    assert "happens twice" in page and "the second time (after the clocks go back)" in page
    answer = _edit(web, post, proposed_time=_typed(twice), proposed_fold="1")
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:800]
    db_session.expire_all()
    assert post.proposed_at == twice.replace(tzinfo=PARIS, fold=1).astimezone(UTC)


@pytest.mark.parametrize("fields", [
    {"proposed_time": "２０２７-01-01T10:00"}, {"proposed_time": "tomorrow"}, {"proposed_time": "2027-02-30T10:00"},
    {"proposed_fold": "7"}, {"proposed_fold": "x"}, {"proposed_time": "9999-12-31T23:59"},
])
def test_hostile_values_are_a_form_message(make, web, db_session, france, writer, fields):
    post = make.post(State.draft, account=make.account(france, "x"), author=writer)
    counts = row_counts(db_session, AuditEntry)
    web.login(writer)
    answer = _edit(web, post, **({"proposed_time": _typed(_local_ahead())} | fields))
    assert answer.status_code in (200, 422)
    assert row_counts(db_session, AuditEntry) == counts


# Where decisions are made ------------------------------------------------------------------------------------


def test_the_review_queue_and_the_to_schedule_list_show_it(make, web, db_session, france, writer, reviewer):
    waiting = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    approved = make.post(State.approved, account=make.account(france, "x"), author=writer)
    web.login(writer)
    _edit(web, waiting, proposed_time=_typed(_local_ahead(hour=20)))
    _edit(web, approved, proposed_time=_typed(_local_ahead(hour=21)))
    web.login(reviewer)
    page = _text(web.get("/review"))
    assert "proposed: " in page
    awaiting, to_schedule = page.split("Approved, to schedule")[0], page.split("Approved, to schedule")[1]
    assert "20:00 (Europe/Paris" in awaiting and "21:00 (Europe/Paris" in to_schedule


def test_the_cabinet_sees_when_a_suggestion_would_go_out(make, web, db_session, france, writer):
    executive = make.executive("Claire Dupont")
    cabinet = make.user(Role.cabinet, executives=[executive])
    account = make.account(france, "x", executive=executive)
    post = make.post(State.in_review, account=account, author=writer)
    web.login(writer)
    _edit(web, post, proposed_time=_typed(_local_ahead()))
    db_session.expire_all()
    make.act(post, Action.approve, make.user(Role.project_manager, markets=[france]))
    web.login(cabinet)
    assert "would go out: " in _text(web.get("/cabinet"))
    assert "Proposed publication time:" in _text(web.get(f"/posts/{post.id}"))


# Approve and schedule in one step ----------------------------------------------------------------------------


def _proposed(make, web, db_session, france, writer, *, days: int = 10, account=None) -> Post:  # noqa: ANN001
    post = make.post(State.in_review, account=account or make.account(france, "x"), author=writer)
    web.login(writer)
    _edit(web, post, proposed_time=_typed(_local_ahead(days=days)))
    db_session.expire_all()
    assert post.proposed_at is not None
    return post


def test_approve_and_schedule_writes_both_steps(make, web, db_session, france, writer, reviewer):
    post = _proposed(make, web, db_session, france, writer)
    before = len(_trail(db_session, post))
    web.login(reviewer)
    page = _text(web.get(f"/posts/{post.id}"))
    assert "Approve and schedule for " in page
    answer = web.post(f"/posts/{post.id}/actions/approve", {"version": post.version, "and_schedule": "y"})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:800]
    db_session.expire_all()
    assert post.state == State.scheduled and post.scheduled_at == post.proposed_at
    assert post.approved_revision_id == post.current_revision_id
    rows = _trail(db_session, post)[before:]
    assert [(r.action, r.from_state, r.to_state) for r in rows] == [
        (Action.approve, State.in_review, State.approved), (Action.schedule, State.approved, State.scheduled)]
    assert rows[0].actor_id == rows[1].actor_id == reviewer.id
    assert rows[1].payload["scheduled_at"] == post.proposed_at.isoformat()


def test_approving_alone_still_approves(make, web, db_session, france, writer, reviewer):
    post = _proposed(make, web, db_session, france, writer)
    web.login(reviewer)
    web.post(f"/posts/{post.id}/actions/approve", {"version": post.version})
    db_session.expire_all()
    assert post.state == State.approved and post.scheduled_at is None
    # The schedule form is prefilled with the proposed time.
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f'value="{_typed(post.proposed_at.astimezone(PARIS))}"' in page


@pytest.mark.parametrize("value", ["0", "no", "off", "n", "false"])
def test_a_script_saying_no_to_and_schedule_approves_alone(make, web, db_session, france, writer, reviewer, value):
    post = _proposed(make, web, db_session, france, writer)
    web.login(reviewer)
    web.post(f"/posts/{post.id}/actions/approve", {"version": post.version, "and_schedule": value})
    db_session.expire_all()
    assert post.state == State.approved and post.scheduled_at is None


def _refused(web, db_session, post: Post, user, said: str) -> None:  # noqa: ANN001
    counts = row_counts(db_session, AuditEntry)
    version = post.version
    web.login(user)
    answer = web.post(f"/posts/{post.id}/actions/approve", {"version": version, "and_schedule": "y"})
    assert answer.status_code in (403, 409, 422), answer.status_code
    assert said in _text(answer), _text(answer)[_text(answer).find("refused") - 300:][:900]
    assert row_counts(db_session, AuditEntry) == counts
    db_session.expire_all()
    assert post.state == State.in_review and post.version == version and post.approved_revision_id is None


def test_refused_when_the_proposed_time_has_passed(make, web, db_session, france, writer, reviewer):
    post = _proposed(make, web, db_session, france, writer)
    post.proposed_at = utcnow() - timedelta(minutes=5)  # the time passed while it waited (no state changed)
    db_session.flush()
    db_session.expire_all()
    assert "Approve and schedule for" not in _text((web.login(reviewer), web.get(f"/posts/{post.id}"))[1])
    _refused(web, db_session, post, reviewer, "has passed: nothing was approved")


def test_refused_when_the_reviewer_wrote_the_revision(make, web, db_session, france, reviewer):
    post = _proposed(make, web, db_session, france, reviewer)
    _refused(web, db_session, post, reviewer, "You wrote this revision")


def test_refused_when_an_embargo_forbids_the_time(make, web, db_session, france, writer, reviewer):
    campaign = admin.create_campaign(db_session, "Lancement", france, embargo_until=utcnow() + timedelta(days=30))
    post = _proposed(make, web, db_session, france, writer)
    web.login(writer)
    _edit(web, post, campaign_id=str(campaign.id))
    db_session.expire_all()
    assert post.campaign_id == campaign.id and post.state == State.in_review
    _refused(web, db_session, post, reviewer, "under embargo")


def test_a_suggested_message_offers_no_one_step_schedule(make, web, db_session, france, writer, reviewer):
    executive = make.executive("Claire Dupont")
    make.user(Role.cabinet, executives=[executive])
    post = _proposed(make, web, db_session, france, writer, account=make.account(france, "x", executive=executive))
    web.login(reviewer)
    assert "Approve and schedule for" not in _text(web.get(f"/posts/{post.id}"))
    _refused(web, db_session, post, reviewer, "goes to its cabinet before it is scheduled")


# An edit that drops a slot -----------------------------------------------------------------------------------


def test_an_edit_dropping_a_slot_keeps_it_as_the_proposal(make, web, db_session, france, writer, reviewer):
    post = make.post(State.scheduled, account=make.account(france, "x"), author=writer, reviewer=reviewer)
    slot = post.scheduled_at
    web.login(writer)
    page = _text(web.get(f"/posts/{post.id}/edit"))
    assert "It is kept as the proposed time" in page
    answer = _edit(web, post, body=post.body + " Venez nombreux.")
    assert answer.status_code in (302, 303)
    db_session.expire_all()
    assert post.state == State.in_review and post.scheduled_at is None and post.proposed_at == slot
    edit = _trail(db_session, post)[-1]
    assert edit.payload["proposal_from_slot"] is True and edit.payload["dropped_slot"] == slot.isoformat()
    assert "kept as the proposed time" in _text(web.get(f"/posts/{post.id}"))

    # Approved again in one step, at the same slot.
    another = make.user(Role.project_manager, markets=[france])
    web.login(another)
    web.post(f"/posts/{post.id}/actions/approve", {"version": post.version, "and_schedule": "y"})
    db_session.expire_all()
    assert post.state == State.scheduled and post.scheduled_at == slot


def test_an_edit_keeps_a_proposal_already_set(make, web, db_session, france, writer, reviewer):
    post = make.post(State.scheduled, account=make.account(france, "x"), author=writer, reviewer=reviewer)
    local = _local_ahead(days=3)
    web.login(writer)
    _edit(web, post, proposed_time=_typed(local))
    db_session.expire_all()
    _edit(web, post, body=post.body + " Encore.")
    db_session.expire_all()
    assert post.state == State.in_review and post.proposed_at == _instant(local)


def test_an_edit_keeps_the_slot_when_the_proposal_set_has_passed(make, web, db_session, france, writer, reviewer):
    """A proposal already past and a slot still ahead: the edit kept the useless passed time and dropped the slot."""
    post = make.post(State.scheduled, account=make.account(france, "x"), author=writer, reviewer=reviewer)
    slot = post.scheduled_at
    post.proposed_at = utcnow() - timedelta(hours=1)
    db_session.flush()
    web.login(writer)
    assert "It is kept as the proposed time" in _text(web.get(f"/posts/{post.id}/edit"))
    _edit(web, post, body=post.body + " Encore.")
    db_session.expire_all()
    assert post.state == State.in_review and post.proposed_at == slot


def test_a_change_of_the_proposal_alone_sends_no_text_to_the_findings(make, web, db_session, france, writer):
    """The wall and the reports count the style findings of the texts sent for review: a time set on a post sent
    days before counted its text again, that day."""
    from approval.queries.findings import sent_with_findings

    post = make.post(State.in_review, account=make.account(france, "x"), author=writer,
                     body="Le match commence  ce soir.")
    sent = sent_with_findings(select(AuditEntry.id).select_from(AuditEntry)).where(AuditEntry.post_id == post.id)
    before = db_session.scalars(sent).all()
    assert len(before) == 1  # its submission, with the double space
    web.login(writer)
    _edit(web, post, proposed_time=_typed(_local_ahead(days=3)))
    db_session.expire_all()
    assert _trail(db_session, post)[-1].payload.get("proposal_only") is True
    assert db_session.scalars(sent).all() == before


# The API -----------------------------------------------------------------------------------------------------


def _api(app, db_session, user):  # noqa: ANN001, ANN202
    _row, secret = issue_token(db_session, user, "script")
    db_session.flush()
    client = app.test_client()
    return client, {"Authorization": f"Bearer {secret}"}


def test_the_api_sets_changes_and_clears_it(app, make, db_session, france, writer):
    account = make.account(france, "x")
    client, auth = _api(app, db_session, writer)
    when = (utcnow() + timedelta(days=4)).replace(microsecond=0)
    answer = client.post("/api/v1/posts", json={"account_id": account.id, "body": "Rendez-vous mardi.",
                                                "proposed_at": when.astimezone(PARIS).isoformat()}, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["proposed_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    post = db_session.get(Post, body["id"])
    make.act(post, Action.submit, writer)
    revision = post.current_revision_id
    later = when + timedelta(days=1)
    answer = client.patch(f"/api/v1/posts/{post.id}", json={"proposed_at": later.isoformat()},
                          headers={**auth, "If-Match": etag_of(post.id, post.version)})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["proposed_at"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert answer.get_json()["state"] == "in_review"
    db_session.expire_all()
    assert post.current_revision_id == revision
    answer = client.patch(f"/api/v1/posts/{post.id}", json={"proposed_at": None},
                          headers={**auth, "If-Match": etag_of(post.id, post.version)})
    assert answer.status_code == 200 and answer.get_json()["proposed_at"] is None
    trail = client.get(f"/api/v1/posts/{post.id}/transitions", headers=auth).get_json()["items"]
    assert trail[-1]["action"] == "edit" and trail[-1]["from_state"] == trail[-1]["to_state"] == "in_review"


def _reasons(answer) -> list[str]:  # noqa: ANN001
    """Why the API refused ``proposed_at`` (a field it knows: not "Unknown field.")."""
    return [str(reason) for reason in answer.get_json().get("errors", {}).get("proposed_at", [])]


@pytest.mark.parametrize("value", ["tomorrow", "2027-01-01T10:00:00", 17, "2001-01-01T10:00:00Z",
                                   "2999-01-01T10:00:00Z", ["2027-01-01T10:00:00Z"]])
def test_the_api_refuses_bad_values_with_field_errors(app, make, db_session, france, writer, value):
    post = make.post(State.draft, account=make.account(france, "x"), author=writer)
    client, auth = _api(app, db_session, writer)
    counts = row_counts(db_session, AuditEntry, Post)
    answer = client.patch(f"/api/v1/posts/{post.id}", json={"proposed_at": value},
                          headers={**auth, "If-Match": etag_of(post.id, post.version)})
    assert answer.status_code == 422, answer.get_json()
    assert _reasons(answer) and not any("Unknown field" in reason for reason in _reasons(answer))
    answer = client.post("/api/v1/posts", json={"account_id": post.account_id, "body": "Bonjour.",
                                                "proposed_at": value}, headers=auth)
    assert answer.status_code == 422
    assert _reasons(answer) and not any("Unknown field" in reason for reason in _reasons(answer))
    assert row_counts(db_session, AuditEntry, Post) == counts


# Isolation ---------------------------------------------------------------------------------------------------


def test_a_writer_of_another_market_gets_404(app, make, web, db_session, france, writer):
    post = make.post(State.in_review, account=make.account(france, "x"), author=writer)
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    stranger = make.user(Role.community_manager, markets=[kenya])
    web.login(stranger)
    assert _edit(web, post, proposed_time=_typed(_local_ahead())).status_code == 404
    client, auth = _api(app, db_session, stranger)
    answer = client.patch(f"/api/v1/posts/{post.id}", json={"proposed_at": (utcnow() + timedelta(days=2)).isoformat()},
                          headers={**auth, "If-Match": etag_of(post.id, post.version)})
    assert answer.status_code == 404
    db_session.expire_all()
    assert post.proposed_at is None
