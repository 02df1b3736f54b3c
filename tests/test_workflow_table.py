"""The transition table, cell by cell: every state x every user action x everyone who might try it.

The expectations below are written out by hand, not read from ``approval.workflow.table``: when the engine and this
file disagree, one of them is wrong and the test says which cells. For each cell the test checks the outcome (the
new state, or the exact refusal), that an audit row is written on success and only then, and that
``available_actions`` offers exactly the actions that succeed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from approval import administration as admin
from approval import operations as ops
from approval.db import utcnow
from approval.models import AuditEntry, Post, Revision
from approval.workflow import engine
from approval.workflow.errors import GuardFailed, InvalidTransition, NotPermitted, Stale, WorkflowError
from approval.workflow.guards import WORKFLOW
from approval.workflow.states import FINAL_STATES, Action, Role, State
from approval.workflow.table import RECORDED_ACTIONS, TRANSITIONS, USER_ACTIONS
from tests.said_helpers import said_in_english

A, S = Action, State
#: In the table: a state is where the action leads; N is NotPermitted (403: who you are), I InvalidTransition
#: (409: not from this state), G GuardFailed (422: a condition fails).
N, I, G = NotPermitted, InvalidTransition, GuardFailed
BRAND, EXECUTIVE = "brand", "executive"


# The expectations ----------------------------------------------------------------------------------------------

#: The columns of every row below, in this order.
COLUMNS = (A.submit, A.recall, A.approve, A.request_changes, A.reject, A.accept, A.decline, A.schedule,
           A.unschedule, A.withdraw, A.mark_published)
#: The actions after the worker could not publish (retry, confirm) or held the post (release), checked as three more
#: columns: everyone is refused them (N: a role without them, I: a project manager, not from this state) except
#: where AFTER_PUBLISHING says; a scheduled post nothing held has nothing to release (G, HOLD_RELEASE).
LATE_COLUMNS = (A.retry, A.confirm_published, A.release)
LATE_DEFAULT = {"author": (N, N, N), "cm": (N, N, N), "pm": (I, I, I), "cabinet": (N, N, N)}

# Who tries, relative to the post (a French brand or executive account):
#   author         the community manager who wrote the post
#   cm             another community manager of France
#   pm             a project manager of France who wrote none of it
#   cabinet        a member of the cabinet of the executive (of the post's account, when it is an executive's)
# and, refused everything everywhere (OUTSIDERS):
#   other cabinet  serves another executive
#   pm elsewhere   a project manager of Kenya only
#   admin          administers, but takes no part in the workflow

#: May not touch the post at all: outside their scope, or a role with no part in it.
NOTHING = (N, N, N, N, N, N, N, N, N, N, N)
#: A role whose actions all exist, but none from this state.
#                 submit recall approve changes reject accept decline schedule unsched withdraw published
CM_STUCK =      (I,     I,     N,      N,      N,     N,     N,      N,       N,      I,       N)
PM_STUCK =      (I,     I,     I,      I,      I,     N,     N,      I,       I,      I,       I)
CABINET_STUCK = (N,     N,     N,      I,      N,     I,     I,      N,       N,      N,       I)
#: Drafting (draft or changes requested): any writer of the market may submit or withdraw.
CM_DRAFTING =   (S.in_review, I, N,    N,      N,     N,     N,      N,       N,      S.withdrawn, N)
PM_DRAFTING =   (S.in_review, I, I,    I,      I,     N,     N,      I,       I,      S.withdrawn, I)


def _in_review(approved_to: State) -> dict:
    return {
        #            submit recall   approve      changes              reject      accept decline schedule unsched withdraw published
        "author":   (I,     S.draft, N,           N,                   N,          N,     N,      N,       N,      I,       N),
        "cm":       (I,     G,       N,           N,                   N,          N,     N,      N,       N,      I,       N),
        "pm":       (I,     G,       approved_to, S.changes_requested, S.rejected, N,     N,      I,       I,      I,       I),
    }


def _stuck(cabinet_row: tuple) -> dict:
    return {"author": CM_STUCK, "cm": CM_STUCK, "pm": PM_STUCK, "cabinet": cabinet_row}


def _failed() -> dict:
    withdrawn = lambda row: row[:9] + (S.withdrawn,) + row[10:]  # noqa: E731 - the withdraw column
    return {"author": withdrawn(CM_STUCK), "cm": withdrawn(CM_STUCK), "pm": withdrawn(PM_STUCK)}


EXPECTED: dict[tuple[State, str], dict[str, tuple]] = {
    # Drafting: the cabinet never sees a draft.
    (S.draft, BRAND): {"author": CM_DRAFTING, "cm": CM_DRAFTING, "pm": PM_DRAFTING, "cabinet": NOTHING},
    (S.draft, EXECUTIVE): {"author": CM_DRAFTING, "cm": CM_DRAFTING, "pm": PM_DRAFTING, "cabinet": NOTHING},
    (S.changes_requested, BRAND): {"author": CM_DRAFTING, "cm": CM_DRAFTING, "pm": PM_DRAFTING, "cabinet": NOTHING},
    # The posts here never went to the cabinet (the project managers sent them back or refused them): it does not
    # see them (``Post.sent_to_cabinet_at``); one it sent back itself, it sees (test below).
    (S.changes_requested, EXECUTIVE): {"author": CM_DRAFTING, "cm": CM_DRAFTING, "pm": PM_DRAFTING,
                                       "cabinet": NOTHING},
    # Review: only the author recalls; a project manager decides; an executive's post goes on to the cabinet.
    (S.in_review, BRAND): {**_in_review(approved_to=S.approved), "cabinet": NOTHING},
    (S.in_review, EXECUTIVE): {**_in_review(approved_to=S.with_cabinet), "cabinet": NOTHING},
    # The cabinet answers for its executive.
    (S.with_cabinet, EXECUTIVE): {
        "author": CM_STUCK,
        "cm": CM_STUCK,
        #            submit recall approve changes              reject accept      decline     schedule unsched withdraw published
        "pm":       (I,     I,     I,      N,                   I,     N,          N,          I,       I,      I,       I),
        "cabinet":  (N,     N,     N,      S.changes_requested, N,     S.approved, S.declined, N,       N,      N,       I),
    },
    # Approved: a project manager schedules or records a manual publication; so may the cabinet, for its executive.
    # Until the post goes out, the cabinet may also take its acceptance back (sent back, or declined): its own rows,
    # which a project manager may not take (N).
    (S.approved, BRAND): {
        "author": CM_STUCK,
        "cm": CM_STUCK,
        #            submit recall approve changes reject accept decline schedule     unsched withdraw published
        "pm":       (I,     I,     I,      I,      I,     N,     N,      S.scheduled, I,      I,       S.published),
        "cabinet": NOTHING,
    },
    (S.approved, EXECUTIVE): {
        "author": CM_STUCK,
        "cm": CM_STUCK,
        #            submit recall approve changes              reject accept decline     schedule     unsched withdraw published
        "pm":       (I,     I,     I,      N,                   I,     N,     N,          S.scheduled, I,      I,       S.published),
        "cabinet":  (N,     N,     N,      S.changes_requested, N,     I,     S.declined, N,           N,      N,       S.published),
    },
    # Scheduled: a project manager unschedules or records a manual publication; the cabinet no longer records one,
    # but still takes its acceptance back (the slot dropped with it).
    (S.scheduled, BRAND): {
        "author": CM_STUCK,
        "cm": CM_STUCK,
        #            submit recall approve changes reject accept decline schedule unsched     withdraw published
        "pm":       (I,     I,     I,      I,      I,     N,     N,      I,       S.approved, I,       S.published),
        "cabinet": NOTHING,
    },
    (S.scheduled, EXECUTIVE): {
        "author": CM_STUCK,
        "cm": CM_STUCK,
        #            submit recall approve changes              reject accept decline     schedule unsched     withdraw published
        "pm":       (I,     I,     I,      N,                   I,     N,     N,          I,       S.approved, I,       S.published),
        "cabinet":  (N,     N,     N,      S.changes_requested, N,     I,     S.declined, N,       N,          N,       N),
    },
    # Final states: nothing leads out. A withdrawn post is hidden from the cabinet like a draft.
    (S.published, BRAND): _stuck(NOTHING),
    (S.published, EXECUTIVE): _stuck(CABINET_STUCK),
    (S.rejected, BRAND): _stuck(NOTHING),
    (S.rejected, EXECUTIVE): _stuck(NOTHING),  # rejected by a project manager, never sent to the cabinet
    (S.declined, EXECUTIVE): _stuck(CABINET_STUCK),
    (S.withdrawn, BRAND): _stuck(NOTHING),
    (S.withdrawn, EXECUTIVE): _stuck(NOTHING),
    # Publishing belongs to the worker: no person's action leads out of it. After it failed or its outcome is
    # unknown, a project manager acts (AFTER_PUBLISHING, the two late columns).
    (S.publishing, BRAND): _stuck(NOTHING),
    (S.publishing, EXECUTIVE): _stuck(CABINET_STUCK),
    # A failed post may also be withdrawn by its writers (or edited back to review, tests/test_worker.py).
    (S.failed, BRAND): {**_stuck(NOTHING), **_failed()},
    (S.failed, EXECUTIVE): {**_stuck(CABINET_STUCK), **_failed()},
    (S.unconfirmed, BRAND): _stuck(NOTHING),
    (S.unconfirmed, EXECUTIVE): _stuck(CABINET_STUCK),
}
OUTSIDERS = ("other cabinet", "pm elsewhere", "admin")
#: A project manager retries a failure, or an unknown outcome once they read the warning (G: not acknowledged
#: here), or records where it went out.
AFTER_PUBLISHING = {S.failed: (S.scheduled, S.published, I), S.unconfirmed: (G, S.published, I),
                    S.scheduled: (I, I, G)}


def _late_row(state: State, who: str) -> tuple:
    if who == "pm" and state in AFTER_PUBLISHING:
        return AFTER_PUBLISHING[state]
    return LATE_DEFAULT.get(who, (N, N, N))

#: Only an executive's post goes to a cabinet, so only it can be with the cabinet or declined by it.
NOT_FOR_BRAND_ACCOUNTS = {S.with_cabinet, S.declined}
#: States only the publishing worker leads to (tests/test_worker.py drives it): this test forces them with a raw
#: UPDATE, never committed, to check the engine's answers from there.
FORCED_STATES = {S.publishing: S.scheduled, S.failed: S.scheduled, S.unconfirmed: S.scheduled}


def test_the_expectations_cover_every_state_and_user_action():
    assert set(COLUMNS + LATE_COLUMNS) == set(USER_ACTIONS), "a user action was added or removed: add its column"
    assert {state for state, kind in EXPECTED if kind == EXECUTIVE} == set(State)
    assert {state for state, kind in EXPECTED if kind == BRAND} == set(State) - NOT_FOR_BRAND_ACCOUNTS
    for cell, rows in EXPECTED.items():
        assert set(rows) == {"author", "cm", "pm", "cabinet"}, cell
        assert all(len(row) == len(COLUMNS) for row in rows.values()), cell


# The actors and the posts --------------------------------------------------------------------------------------


def _cast(make, kind: str) -> dict:
    france = make.market("FR")
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    executive, other_executive = make.executive("Hélène Marchand"), make.executive("Someone Else")
    author = make.user(Role.community_manager, markets=[france], name="Camille (author)")
    return {
        "account": make.account(france, "x", executive=executive if kind == EXECUTIVE else None),
        "author": author,
        "cm": make.user(Role.community_manager, markets=[france], name="Chloé (another CM)"),
        "pm": make.user(Role.project_manager, markets=[france], name="Paul (PM)"),
        "cabinet": make.user(Role.cabinet, executives=[executive], name="Claire (cabinet)"),
        "other cabinet": make.user(Role.cabinet, executives=[other_executive], name="Oscar (other cabinet)"),
        "pm elsewhere": make.user(Role.project_manager, markets=[kenya], name="Wanjiru (PM in Kenya)"),
        "admin": make.user(Role.admin, name="Ada (admin)"),
    }


def _post_in(make, db_session, state: State, cast: dict) -> Post:
    if state not in FORCED_STATES:
        post = make.post(state, account=cast["account"], author=cast["author"])
        assert post.state is state
        return post
    post = make.post(FORCED_STATES[state], account=cast["account"], author=cast["author"])
    db_session.execute(text("UPDATE posts SET state = :state, claim_token = 'forced', claimed_until = scheduled_at "
                            "WHERE id = :id"), {"state": state.value, "id": post.id})
    db_session.expire_all()
    assert db_session.get(Post, post.id).state is state
    return post


def _audit_count(db_session, post: Post | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry)
    if post is not None:
        query = query.where(AuditEntry.post_id == post.id)
    return db_session.scalar(query)


def _try(db_session, post: Post, action: Action, actor) -> State | type[WorkflowError]:
    """Takes ``action`` with every input it could want, inside a savepoint undone afterwards; returns the outcome."""
    before = (post.state, post.version, _audit_count(db_session))
    savepoint = db_session.begin_nested()
    try:
        engine.apply(db_session, post, action, actor, expected_version=post.version, comment="Un avis motivé.",
                     scheduled_at=utcnow() + timedelta(days=2), url="https://x.com/helio/status/42")
    except WorkflowError as refused:
        outcome = type(refused)
        assert (post.state, post.version, _audit_count(db_session)) == before, f"{action} refused but wrote"
    else:
        outcome = post.state
        assert _audit_count(db_session) == before[2] + 1, f"{action} succeeded without exactly one audit row"
        assert post.version > before[1]
    finally:
        savepoint.rollback()
        db_session.expire_all()
    return outcome


def _name(outcome) -> str:
    return outcome.value if isinstance(outcome, State) else outcome.__name__


# The table, cell by cell ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "kind"), list(EXPECTED), ids=[f"{s.value}-{k}" for s, k in EXPECTED])
def test_every_action_by_everyone_from_every_state(make, db_session, state, kind):
    cast = _cast(make, kind)
    post = _post_in(make, db_session, state, cast)
    rows = {**EXPECTED[(state, kind)], **{outsider: NOTHING for outsider in OUTSIDERS}}
    rows = {who: row + _late_row(state, who) for who, row in rows.items()}

    wrong = []
    for who, expected_row in rows.items():
        actor = cast[who]
        for action, expected in zip(COLUMNS + LATE_COLUMNS, expected_row, strict=True):
            outcome = _try(db_session, post, action, actor)
            if outcome != expected:
                wrong.append(f"{who} {action.value}: expected {_name(expected)}, got {_name(outcome)}")
        db_session.expire_all()
        offered = {row.action: row.target for row in engine.available_actions(post, actor)}
        succeeding = {a: e for a, e in zip(COLUMNS + LATE_COLUMNS, expected_row, strict=True) if isinstance(e, State)}
        if state is S.unconfirmed and who == "pm":
            succeeding[A.retry] = S.scheduled  # offered: the warning is read on the page, with the button
        if offered != succeeding:
            wrong.append(f"{who} is offered {sorted(a.value for a in offered)} "
                         f"but may take {sorted(a.value for a in succeeding)}")
    assert not wrong, f"{state.value} post on the {kind} account:\n" + "\n".join(wrong)


def test_no_person_takes_a_post_out_of_publishing():
    leaving = [t.action.value for t in TRANSITIONS if S.publishing in t.sources and t.action in USER_ACTIONS]
    assert leaving == [], f"publishing gained actions {leaving}: only the worker may end it"


def test_final_states_have_no_transition_at_all():
    for state in FINAL_STATES:
        assert [t.action.value for t in TRANSITIONS if state in t.sources] == [], state


# Approving your own text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [BRAND, EXECUTIVE])
def test_a_project_manager_may_not_approve_the_revision_they_wrote(make, db_session, kind):
    cast = _cast(make, kind)
    writer = make.user(Role.project_manager, markets=[cast["account"].market], name="Pierre (PM, writer)")
    post = make.post(State.in_review, account=cast["account"], author=writer)

    assert Action.approve not in {row.action for row in engine.available_actions(post, writer)}
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.approve, writer, expected_version=post.version)
    assert refused.value.errors[WORKFLOW]
    assert post.state is State.in_review
    assert _audit_count(db_session, post) == 2  # create, submit

    engine.apply(db_session, post, Action.approve, cast["pm"], expected_version=post.version)
    assert post.state is (State.with_cabinet if kind == EXECUTIVE else State.approved)
    assert post.approved_by_id == cast["pm"].id



def test_a_writer_who_joined_the_cabinet_may_not_accept_their_own_suggestion(make, db_session):
    cast = _cast(make, EXECUTIVE)
    account = cast["account"]
    writer = make.user(Role.project_manager, markets=[account.market], name="Pierre (PM, then cabinet)")
    post = make.post(State.with_cabinet, account=account, author=writer, reviewer=cast["pm"])
    admin.update_user(db_session, writer, cast["admin"], writer.name, Role.cabinet, executives=[account.executive])

    assert Action.accept not in {row.action for row in engine.available_actions(post, writer)}
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.accept, writer, expected_version=post.version)
    assert "another member of the cabinet" in refused.value.errors[WORKFLOW][0]
    assert post.state is State.with_cabinet
    engine.apply(db_session, post, Action.accept, cast["cabinet"], expected_version=post.version)
    assert post.state is State.approved

def test_a_suggestion_is_not_sent_to_a_cabinet_with_no_one_to_answer_it(make, db_session):
    """An executive whose cabinet was emptied (its last member removed or deactivated) got suggestions all the same:
    "the executive's cabinet decides now", and no one could."""
    cast = _cast(make, EXECUTIVE)
    post = make.post(State.in_review, account=cast["account"], author=cast["author"])
    admin.deactivate_user(db_session, cast["cabinet"], cast["admin"])

    assert Action.approve not in {row.action for row in engine.available_actions(post, cast["pm"])}
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.approve, cast["pm"], expected_version=post.version)
    assert "No one in this executive's cabinet can accept it" in refused.value.errors[WORKFLOW][0]
    assert post.state is State.in_review
    admin.reactivate_user(db_session, cast["cabinet"])
    engine.apply(db_session, post, Action.approve, cast["pm"], expected_version=post.version)
    assert post.state is State.with_cabinet


def test_editing_a_post_in_review_makes_the_editor_its_author_for_approval(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.in_review, account=cast["account"], author=cast["author"])
    editor, other_pm = cast["pm"], make.user(Role.project_manager, markets=[cast["account"].market])
    ops.edit_post(db_session, post, editor, "La Tour Eiffel brille ce soir, merci à tous.",
                  expected_version=post.version)
    assert post.state is State.in_review

    assert Action.approve not in {row.action for row in engine.available_actions(post, editor)}
    with pytest.raises(GuardFailed):
        engine.apply(db_session, post, Action.approve, editor, expected_version=post.version)
    assert Action.approve in {row.action for row in engine.available_actions(post, other_pm)}
    engine.apply(db_session, post, Action.approve, other_pm, expected_version=post.version)
    assert post.state is State.approved


def test_a_project_manager_who_wrote_an_earlier_revision_only_may_approve(make, db_session):
    cast = _cast(make, BRAND)
    first_writer = cast["pm"]
    post = make.post(State.draft, account=cast["account"], author=first_writer)
    ops.edit_post(db_session, post, cast["author"], "La Tour Eiffel brille ce soir, bravo à l'équipe.",
                  expected_version=post.version)
    engine.apply(db_session, post, Action.submit, cast["author"], expected_version=post.version)

    engine.apply(db_session, post, Action.approve, first_writer, expected_version=post.version)
    assert post.state is State.approved


def test_a_project_manager_who_wrote_the_post_may_recall_it(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.in_review, account=cast["account"], author=cast["pm"])
    assert Action.recall in {row.action for row in engine.available_actions(post, cast["pm"])}
    engine.apply(db_session, post, Action.recall, cast["pm"], expected_version=post.version)
    assert post.state is State.draft


# Guards: what an action needs besides the right person and state ------------------------------------------------


@pytest.mark.parametrize(("state", "action", "who"), [
    (State.in_review, Action.request_changes, "pm"),
    (State.in_review, Action.reject, "pm"),
    (State.with_cabinet, Action.request_changes, "cabinet"),
    (State.with_cabinet, Action.decline, "cabinet"),
    (State.approved, Action.request_changes, "cabinet"),
    (State.approved, Action.decline, "cabinet"),
    (State.scheduled, Action.request_changes, "cabinet"),
    (State.scheduled, Action.decline, "cabinet"),
])
@pytest.mark.parametrize("comment", [None, "", "   \n "])
def test_sending_back_or_refusing_needs_a_comment(make, db_session, state, action, who, comment):
    cast = _cast(make, EXECUTIVE)
    post = make.post(state, account=cast["account"], author=cast["author"])
    audit_rows = _audit_count(db_session)

    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, action, cast[who], expected_version=post.version, comment=comment)
    assert refused.value.errors["comment"]
    assert post.state is state
    assert _audit_count(db_session) == audit_rows


@pytest.mark.parametrize(("when", "why"), [
    (None, "no time given"),
    (datetime(2099, 6, 1, 9, 0), "a naive time"),
    (datetime(2020, 6, 1, 9, 0, tzinfo=UTC), "a time in the past"),
])
def test_scheduling_needs_an_aware_time_in_the_future(make, db_session, when, why):
    cast = _cast(make, BRAND)
    post = make.post(State.approved, account=cast["account"], author=cast["author"])
    audit_rows = _audit_count(db_session)
    params = {} if when is None else {"scheduled_at": when}

    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.schedule, cast["pm"], expected_version=post.version, **params)
    assert refused.value.errors["scheduled_at"], why
    assert (post.state, post.scheduled_at) == (State.approved, None)
    assert _audit_count(db_session) == audit_rows


def test_scheduling_for_now_is_already_too_late(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.approved, account=cast["account"], author=cast["author"])
    now = utcnow()
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.schedule, cast["pm"], expected_version=post.version, now=now,
                     scheduled_at=now)
    assert refused.value.errors["scheduled_at"]


@pytest.mark.parametrize(("now", "furthest"), [
    (datetime(2026, 12, 2, 15, 0, tzinfo=UTC), datetime(2027, 12, 2, 15, 0, tzinfo=UTC)),
    (datetime(2028, 2, 29, 8, 0, tzinfo=UTC), datetime(2029, 2, 28, 8, 0, tzinfo=UTC)),  # no 29 February next year
])
def test_a_post_is_scheduled_a_year_ahead_at_most_to_the_day(app, make, db_session, now, furthest):
    """A year ahead is the same day and time next year: a day more is refused (366 days let it through)."""
    cast = _cast(make, BRAND)
    post = make.post(State.approved, account=cast["account"], author=cast["author"])
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.schedule, cast["pm"], expected_version=post.version, now=now,
                     scheduled_at=furthest + timedelta(minutes=1))
    assert refused.value.errors["scheduled_at"] == [  # and the latest allowed, in the market's time
        f"This time is more than a year ahead: the latest allowed is {said_in_english(app, furthest, 'Europe/Paris')}."]
    engine.apply(db_session, post, Action.schedule, cast["pm"], expected_version=post.version, now=now,
                 scheduled_at=furthest)
    assert post.scheduled_at == furthest


def test_scheduling_keeps_the_instant_whatever_its_offset(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.approved, account=cast["account"], author=cast["author"])
    day = (utcnow() + timedelta(days=100)).date()
    kolkata_morning = datetime.fromisoformat(f"{day.isoformat()}T09:00:00+05:30")
    engine.apply(db_session, post, Action.schedule, cast["pm"], expected_version=post.version,
                 scheduled_at=kolkata_morning)
    db_session.expire_all()
    assert db_session.get(Post, post.id).scheduled_at == datetime(day.year, day.month, day.day, 3, 30, tzinfo=UTC)


def test_a_time_more_than_a_year_ahead_is_refused(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.approved, account=cast["account"], author=cast["author"])
    for far in (utcnow() + timedelta(days=400), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)):
        with pytest.raises(GuardFailed) as refused:
            engine.apply(db_session, post, Action.schedule, cast["pm"], expected_version=post.version,
                         scheduled_at=far)
        assert "scheduled_at" in refused.value.errors
    assert post.state is State.approved


@pytest.mark.parametrize("url", [None, "", "x.com/helio/status/1", "www.x.com/helio", "ftp://x.com/helio",
                                 "https://", "javascript:alert(1)",
                                 # Another network's post, or a site passing for X's, pasted by mistake.
                                 "https://www.facebook.com/helio/posts/1", "https://x.com.example/helio/status/1",
                                 "https://notx.com/helio/status/1"])
def test_recording_a_publication_needs_an_http_address(make, db_session, url):
    cast = _cast(make, BRAND)
    post = make.post(State.approved, account=cast["account"], author=cast["author"])
    audit_rows = _audit_count(db_session)
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.mark_published, cast["pm"], expected_version=post.version, url=url)
    assert refused.value.errors["url"]
    assert (post.state, post.published_url) == (State.approved, None)
    assert _audit_count(db_session) == audit_rows


@pytest.mark.parametrize("url", ["http://twitter.com/helio/status/1", "https://x.com/helio/status/1",
                                 "https://mobile.x.com/helio/status/1"])
def test_recording_a_publication_keeps_its_address(make, db_session, url):
    cast = _cast(make, BRAND)
    post = make.post(State.scheduled, account=cast["account"], author=cast["author"])
    engine.apply(db_session, post, Action.mark_published, cast["pm"], expected_version=post.version, url=url)
    assert (post.state, post.published_url, post.scheduled_at) == (State.published, url, None)
    assert post.published_at is not None


@pytest.mark.parametrize(("body", "why"), [
    ("hello world", "no capital, no full stop"),
    ("Hello world", "no full stop"),
    ("\u200b ", "no text (saved before such a text was refused)"),
])
def test_submitting_is_refused_when_the_style_gate_finds_an_error(make, db_session, body, why):
    cast = _cast(make, BRAND)
    post = make.post(State.draft, account=cast["account"], author=cast["author"],
                     body="Draft." if why.startswith("no text") else body)
    post.current_revision.body = body
    db_session.flush()
    audit_rows = _audit_count(db_session)
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.submit, cast["author"], expected_version=post.version)
    assert refused.value.errors["body"], why
    assert post.state is State.draft
    assert _audit_count(db_session) == audit_rows


def test_submitting_to_a_deactivated_account_is_refused(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.draft, account=cast["account"], author=cast["author"])
    cast["account"].active = False
    with pytest.raises(GuardFailed) as refused:
        engine.apply(db_session, post, Action.submit, cast["author"], expected_version=post.version)
    assert refused.value.errors[WORKFLOW]


def test_a_deactivated_user_may_do_nothing(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.draft, account=cast["account"], author=cast["author"])
    cast["author"].active = False
    with pytest.raises(NotPermitted):
        engine.apply(db_session, post, Action.submit, cast["author"], expected_version=post.version)
    assert engine.available_actions(post, cast["author"]) == []


# Versions and action names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.submit, Action.withdraw])
def test_an_outdated_version_is_stale(make, db_session, action):
    cast = _cast(make, BRAND)
    post = make.post(State.draft, account=cast["account"], author=cast["author"])
    audit_rows = _audit_count(db_session)
    with pytest.raises(Stale):
        engine.apply(db_session, post, action, cast["author"], expected_version=post.version - 1)
    assert post.state is State.draft
    assert _audit_count(db_session) == audit_rows


def test_editing_from_an_outdated_version_is_stale_and_writes_no_revision(make, db_session):
    cast = _cast(make, BRAND)
    post = make.post(State.in_review, account=cast["account"], author=cast["author"])
    revisions = db_session.scalar(select(func.count()).select_from(Revision).where(Revision.post_id == post.id))
    with pytest.raises(Stale):
        ops.edit_post(db_session, post, cast["author"], "Un autre texte.", expected_version=post.version - 1)
    assert db_session.scalar(select(func.count()).select_from(Revision).where(Revision.post_id == post.id)) \
        == revisions


@pytest.mark.parametrize("action", ["publish_now", "", "APPROVE"])
def test_an_unknown_action_is_an_invalid_transition(make, db_session, action):
    cast = _cast(make, BRAND)
    post = make.post(State.in_review, account=cast["account"], author=cast["author"])
    with pytest.raises(InvalidTransition):
        engine.apply(db_session, post, action, cast["pm"], expected_version=post.version)


@pytest.mark.parametrize("action", sorted(RECORDED_ACTIONS))
def test_recorded_actions_cannot_be_taken_as_a_button(make, db_session, action):
    """``create`` and ``edit`` are written by the editor's operations, never asked for by a button or the API."""
    cast = _cast(make, BRAND)
    post = make.post(State.draft, account=cast["account"], author=cast["author"])
    audit_rows = _audit_count(db_session)
    with pytest.raises(InvalidTransition):
        ops.act_on_post(db_session, post, action, cast["author"], expected_version=post.version)
    assert _audit_count(db_session) == audit_rows


# Edits ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.approved, State.scheduled])
def test_saving_the_same_text_from_a_browser_keeps_the_approval(make, db_session, state):
    """Browsers send a textarea's line breaks as CRLF: the same text must not cost the post its approval."""
    cast = _cast(make, BRAND)
    body = "La Tour Eiffel brille ce soir.\nMerci à toutes et à tous."
    post = make.post(state, account=cast["account"], author=cast["author"], body=body)
    audit_rows, version = _audit_count(db_session), post.version

    entry = ops.edit_post(db_session, post, cast["author"], body.replace("\n", "\r\n"), expected_version=post.version)
    assert entry is None
    assert (post.state, post.version, _audit_count(db_session)) == (state, version, audit_rows)


@pytest.mark.parametrize("state", [State.with_cabinet, State.approved, State.scheduled])
def test_a_new_text_sends_an_approved_post_back_to_review(make, db_session, state):
    cast = _cast(make, EXECUTIVE)
    post = make.post(state, account=cast["account"], author=cast["author"])
    approved_revision = post.approved_revision_id

    entry = ops.edit_post(db_session, post, cast["cm"], "La Tour Eiffel brille ce soir, bravo aux Bleues.",
                          expected_version=post.version)
    assert (entry.from_state, entry.to_state) == (state, State.in_review)
    assert post.state is State.in_review
    assert post.scheduled_at is None
    assert post.current_revision_id != approved_revision
    assert Action.approve in {row.action for row in engine.available_actions(post, cast["pm"])}


# Local times ---------------------------------------------------------------------------------------------------


def test_a_local_time_in_the_spring_gap_does_not_exist():
    with pytest.raises(ops.NonexistentLocalTime):
        ops.local_to_utc(datetime(2027, 3, 28, 2, 30), "Europe/Paris")


def test_an_ambiguous_autumn_local_time_needs_its_fold():
    with pytest.raises(ops.AmbiguousLocalTime) as twice:
        ops.local_to_utc(datetime(2027, 10, 31, 2, 30), "Europe/Paris")
    assert twice.value.instants == (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC))
    assert ops.local_to_utc(datetime(2027, 10, 31, 2, 30), "Europe/Paris", fold=0) == datetime(2027, 10, 31, 0, 30,
                                                                                                 tzinfo=UTC)
    assert ops.local_to_utc(datetime(2027, 10, 31, 2, 30), "Europe/Paris", fold=1) == datetime(2027, 10, 31, 1, 30,
                                                                                                 tzinfo=UTC)


@pytest.mark.parametrize(("local", "utc"), [
    (datetime(2027, 3, 28, 2, 30), datetime(2027, 3, 27, 23, 30, tzinfo=UTC)),
    (datetime(2027, 10, 31, 2, 30), datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),
    (datetime(2027, 7, 1, 9, 0), datetime(2027, 7, 1, 6, 0, tzinfo=UTC)),
])
def test_nairobi_has_no_daylight_saving(local, utc):
    assert ops.local_to_utc(local, "Africa/Nairobi") == utc


def test_paris_times_either_side_of_the_changes():
    assert ops.local_to_utc(datetime(2027, 3, 28, 1, 59), "Europe/Paris") == datetime(2027, 3, 28, 0, 59,
                                                                                        tzinfo=UTC)
    assert ops.local_to_utc(datetime(2027, 3, 28, 3, 0), "Europe/Paris") == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert ops.local_to_utc(datetime(2027, 10, 31, 3, 0), "Europe/Paris") == datetime(2027, 10, 31, 2, 0,
                                                                                        tzinfo=UTC)
