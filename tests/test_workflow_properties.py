"""The workflow's invariants hold whatever people do, in whatever order: a Hypothesis state machine.

Six people (two community managers, two project managers, a cabinet member, a project manager of another market)
create, edit, submit, recall, approve, send back, accept and schedule posts at random on a brand and an executive
account. Refusals are expected; what must never happen is checked in the database after every step:

- a post that holds an approval (with the cabinet, approved, scheduled) holds it for its current revision;
- nobody approves a revision they wrote;
- a successful action writes exactly one audit row and bumps the post's version; a refused one writes nothing;
- each post's audit trail tells its story: every row starts where the previous one ended, the last one where the
  post is now.

Random people mostly try what cannot work, so one rule reads the transition table and tries an action the post's
state allows, by someone of a role it names: the run then reaches the later states. At the end of the run every
state that people's actions can reach in the table (the worker's states apart) must have been reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from conftest import POST_URLS

from approval import operations as ops
from approval.access import visible_posts
from approval.db import utcnow
from approval.models import AuditEntry, Post, Revision
from approval.workflow.errors import WorkflowError
from approval.workflow.states import APPROVAL_HOLDING_STATES, Action, Role, State
from approval.workflow.table import TRANSITIONS, USER_ACTIONS

PEOPLE = ("cm1", "cm2", "pm1", "pm2", "cabinet", "pm elsewhere")
ACCOUNTS = ("brand", "executive")
#: Mostly texts the style gate accepts; the last two it refuses, so some submissions fail.
TEXTS = (
    "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.",
    "Merci à nos 2 000 bénévoles. Rendez-vous l'an prochain !",
    "Our annual report is online.",
    "Fière de nos équipes, à Paris comme à Nairobi.",
    "hello world",
    "Sans point final",
)
#: A few posts, so that actions pile up on each of them rather than on ever new drafts.
MAX_POSTS = 5
#: Hypothesis drives the steps; each example runs inside a savepoint of the test's own transaction.
SETTINGS = settings(max_examples=25, stateful_step_count=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


#: The rows people take: their actions and their edits.
PEOPLE_ROWS = tuple(t for t in TRANSITIONS if t.action in USER_ACTIONS or t.action in (Action.create, Action.edit))


def reachable_from(states: set[State]) -> frozenset[State]:
    """``states`` and every state people's rows of the table lead to from them."""
    reached, frontier = set(states), list(states)
    while frontier:
        state = frontier.pop()
        for row in PEOPLE_ROWS:
            if state in row.sources and row.target not in reached:
                reached.add(row.target)
                frontier.append(row.target)
    return frozenset(reached)


#: The states a post reaches from its creation through people's rows, read from the table: a state only the
#: publishing worker leads to is not among them.
PEOPLE_REACH = reachable_from({t.target for t in PEOPLE_ROWS if t.action is Action.create})
#: The parameters a row of each action needs to succeed, drawn when the table's rule tries it.
COMMENTS = st.sampled_from(["Précisez la date, svp.", "Hors ligne éditoriale."])
#: Three times out of four (Hypothesis draws small integers far more often than large ones: no integers here).
MOSTLY = st.sampled_from((True, True, True, False))


def likely(*people: str) -> st.SearchStrategy[str]:
    """Anyone, but more often the people whose job it is, so that long stories happen."""
    return st.one_of(st.sampled_from(people), st.sampled_from(PEOPLE))


class PostsUnderWorkflow(RuleBasedStateMachine):
    posts = Bundle("posts")

    def __init__(self, session: Session, people: dict, accounts: dict, reached: set[State]) -> None:
        super().__init__()
        self.session = session
        self.people = people
        self.accounts = accounts
        self.savepoint = session.begin_nested()
        self.created = 0
        self.story_posts = 0
        self.post_ids: list[int] = []
        #: Shared by every example of the run: the states posts were in after a step.
        self.reached = reached
        #: This example's own: what the table's rule aims at (a draw may not depend on other examples).
        self.seen: set[State] = set()

    def teardown(self) -> None:
        self.savepoint.rollback()
        self.session.expire_all()

    # Every step goes through here: the action, then what it wrote. --------------------------------------------

    def _footprint(self) -> tuple[int, int, int]:
        """How many audit rows, posts and revisions the database holds."""
        return tuple(self.session.scalar(select(func.count()).select_from(model))
                     for model in (AuditEntry, Post, Revision))

    def _row(self, post_id: int) -> tuple:
        return self.session.execute(select(Post.state, Post.version).where(Post.id == post_id)).one()

    def _attempt(self, post_id: int | None, step: Callable[[], object]) -> object | None:
        """Runs ``step``; a refusal is fine, but then nothing may have been written. Returns what the step returned,
        or None when it was refused or changed nothing."""
        footprint = self._footprint()
        before = self._row(post_id) if post_id is not None else None
        try:
            result = step()
        except (WorkflowError, ops.NotFound):
            result = None
        self.session.expire_all()
        if result is None:
            assert self._footprint() == footprint, "a refused action wrote something"
            if post_id is not None:
                assert self._row(post_id) == before, "a refused action changed the post"
            return None
        audit_rows = self._footprint()[0] - footprint[0]
        assert audit_rows == 1, f"{audit_rows} audit rows for one action"
        if post_id is not None:
            after = self._row(post_id)
            assert after.version > before.version, "a successful action kept the post's version"
            self.seen.add(after.state)
        else:
            self.seen.add(State.draft)
        self.reached |= self.seen
        return result

    def _act(self, post_id: int, action: Action, who: str, **params) -> None:  # noqa: ANN003
        def step() -> object:
            post = self.session.get(Post, post_id)
            return ops.act_on_post(self.session, post, action, self.people[who], expected_version=post.version,
                                   **params)

        self._attempt(post_id, step)

    def _edit(self, post_id: int, who: str, text: str) -> None:
        def step() -> object:
            post = self.session.get(Post, post_id)
            return ops.edit_post(self.session, post, self.people[who], text, expected_version=post.version)

        self._attempt(post_id, step)

    # Rules -----------------------------------------------------------------------------------------------------

    @precondition(lambda self: self.created < MAX_POSTS)
    @rule(target=posts, who=likely("cm1", "cm2", "pm1"), account=st.sampled_from(ACCOUNTS),
          text=st.sampled_from(TEXTS))
    def create_post(self, who, account, text):
        post = self._attempt(None, lambda: ops.create_post(self.session, self.people[who], self.accounts[account],
                                                           text))
        if post is None:
            return multiple()
        self.created += 1
        self.post_ids.append(post.id)
        return post.id

    def _live_posts(self) -> list[int]:
        """The posts some action of a person can still move (a final state has no row out of it)."""
        if not self.post_ids:
            return []
        sources = {state for t in TRANSITIONS if t.action in USER_ACTIONS for state in t.sources}
        return self.session.scalars(
            select(Post.id).where(Post.id.in_(self.post_ids), Post.state.in_(sources)).order_by(Post.id)
        ).all()

    def _towards_unseen(self, rows: list) -> list:
        """The rows after which a state this example has not seen yet is still ahead (their target, or beyond)."""
        return [t for t in rows if reachable_from({t.target}) - self.seen]

    def _who_may(self, post_id: int, row) -> list[str]:  # noqa: ANN001
        """The people of a role the row names, those who see the post when some do (guards still refuse some)."""
        of_role = [name for name, person in self.people.items() if person.role in row.roles]
        seeing = [name for name in of_role
                  if self.session.scalar(visible_posts(self.people[name]).where(Post.id == post_id)) is not None]
        return seeing or of_role

    def _rows(self, post_id: int) -> list:
        post = self.session.get(Post, post_id)
        return [t for t in TRANSITIONS if t.action in USER_ACTIONS and post.state in t.sources and t.applies(post)]

    def _new_post_for_the_story(self) -> int | None:
        """A post on the account this example wrote least for (the random rule draws the first account far more
        often), by the first community manager, with a text the style gate takes."""
        counts = dict(self.session.execute(
            select(Post.account_id, func.count()).where(Post.id.in_(self.post_ids)).group_by(Post.account_id)
        ).all())
        account = min(self.accounts.values(), key=lambda a: counts.get(a.id, 0))
        post = self._attempt(None, lambda: ops.create_post(self.session, self.people["cm1"], account, TEXTS[0]))
        if post is None:
            return None
        self.post_ids.append(post.id)
        return post.id

    # No precondition: once every post of the example is final, it does nothing, and the machine can still step.
    @rule(data=st.data(), length=st.integers(min_value=2, max_value=6))
    def a_story_the_table_offers(self, data, length):
        """A post (a new one when none can go somewhere new), then a few actions of the table its state allows in
        turn (more often one leading to a state the example has not seen yet), each by someone of a role its row
        names, with what the row needs. Every action is checked as any other step's."""
        live = self._live_posts()
        promising = [post_id for post_id in live if self._towards_unseen(self._rows(post_id))]
        if not promising and self.story_posts < MAX_POSTS:
            self.story_posts += 1
            post_id = self._new_post_for_the_story()
        else:
            if promising and data.draw(MOSTLY, label="a post that can go somewhere new"):
                live = promising
            post_id = data.draw(st.sampled_from(live), label="post") if live else None
        if post_id is None:
            return
        for _ in range(length):
            rows = self._rows(post_id)
            if not rows:
                return
            # An unseen state next first, else one further on: draws favour a list's first items.
            unseen = ([t for t in rows if t.target not in self.seen]
                      or self._towards_unseen(rows))
            if unseen and data.draw(MOSTLY, label="towards an unseen state"):
                rows = unseen
            row = data.draw(st.sampled_from(rows), label="row")
            who = data.draw(st.sampled_from(self._who_may(post_id, row)), label="who")
            params = {}
            if row.comment_required:
                params["comment"] = data.draw(COMMENTS, label="comment")
            if row.action is Action.schedule:
                hours = data.draw(st.integers(1, 24 * 60), label="hours")
                params["scheduled_at"] = utcnow() + timedelta(hours=hours)
            if row.action in (Action.mark_published, Action.confirm_published):  # an address on its network
                params["url"] = f"{POST_URLS[self.session.get(Post, post_id).account.network.value]}?p={post_id}"
            self._act(post_id, row.action, who, **params)

    @rule(post=posts, who=likely("cm1", "cm2"), text=st.sampled_from(TEXTS))
    def edit(self, post, who, text):
        self._edit(post, who, text)

    @rule(post=posts, who=likely("cm1", "cm2"))
    def submit(self, post, who):
        self._act(post, Action.submit, who)

    @rule(post=posts, who=likely("cm1", "cm2"))
    def recall(self, post, who):
        self._act(post, Action.recall, who)

    @rule(post=posts, who=likely("pm1", "pm2"))
    def approve(self, post, who):
        self._act(post, Action.approve, who)

    @rule(post=posts, who=likely("pm1", "pm2", "cabinet"), comment=st.sampled_from(["", "Précisez la date, svp."]))
    def request_changes(self, post, who, comment):
        self._act(post, Action.request_changes, who, comment=comment)

    @rule(post=posts, who=likely("cabinet"))
    def accept(self, post, who):
        self._act(post, Action.accept, who)

    @rule(post=posts, who=likely("pm1", "pm2"), hours=st.integers(min_value=-48, max_value=24 * 60))
    def schedule(self, post, who, hours):
        self._act(post, Action.schedule, who, scheduled_at=utcnow() + timedelta(hours=hours, minutes=1))

    def _holding_an_approval(self) -> list[int]:
        return self.session.scalars(
            select(Post.id).where(Post.state.in_(APPROVAL_HOLDING_STATES)).order_by(Post.id)
        ).all()

    @precondition(lambda self: self._holding_an_approval())
    @rule(data=st.data(), who=likely("cm1", "cm2", "pm1", "pm2"), text=st.sampled_from(TEXTS))
    def edit_after_approval(self, data, who, text):
        self._edit(data.draw(st.sampled_from(self._holding_an_approval()), label="post"), who, text)

    # Invariants ------------------------------------------------------------------------------------------------

    @invariant()
    def an_approval_is_for_the_current_revision(self):
        holding = self.session.execute(
            select(Post.id, Post.state, Post.approved_revision_id, Post.current_revision_id)
            .where(Post.state.in_(APPROVAL_HOLDING_STATES))
        ).all()
        for post_id, state, approved, current in holding:
            assert approved is not None and approved == current, f"post {post_id} is {state} for revision {approved}"

    @invariant()
    def nobody_approves_their_own_revision(self):
        approvals = self.session.execute(
            select(AuditEntry.post_id, AuditEntry.actor_id, Revision.author_id)
            .join(Revision, Revision.id == AuditEntry.revision_id)
            .where(AuditEntry.action.in_([Action.approve, Action.accept]))
        ).all()
        for post_id, approver, author in approvals:
            assert approver != author, f"post {post_id}: user {approver} approved their own revision"
        approved_revision = aliased(Revision)
        holders = self.session.execute(
            select(Post.id, Post.approved_by_id, approved_revision.author_id)
            .join(approved_revision, approved_revision.id == Post.approved_revision_id)
            .where(Post.state.in_(APPROVAL_HOLDING_STATES))
        ).all()
        for post_id, approver, author in holders:
            assert approver != author, f"post {post_id} holds an approval by the revision's author"

    @invariant()
    def the_audit_trail_tells_each_posts_story(self):
        trails: dict[int, list] = {}
        for post_id, action, from_state, to_state in self.session.execute(
            select(AuditEntry.post_id, AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
            .order_by(AuditEntry.post_id, AuditEntry.id)
        ):
            trails.setdefault(post_id, []).append((action, from_state, to_state))
        states = dict(self.session.execute(select(Post.id, Post.state)).all())
        assert set(trails) == set(states), "a post without its creation in the audit trail"
        for post_id, trail in trails.items():
            assert trail[0][0] is Action.create, f"post {post_id} starts with {trail[0][0]}"
            for (_, _, ended), (action, started, _) in zip(trail, trail[1:]):
                assert started == ended, f"post {post_id}: {action} starts at {started}, the trail was at {ended}"
            assert trail[-1][2] == states[post_id], f"post {post_id} is {states[post_id]}, its trail says otherwise"


def test_workflow_invariants_hold_under_random_use(make, db_session):
    france = make.market("FR")
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    executive = make.executive("Hélène Marchand")
    people = {
        "cm1": make.user(Role.community_manager, markets=[france], name="Camille"),
        "cm2": make.user(Role.community_manager, markets=[france], name="Chloé"),
        "pm1": make.user(Role.project_manager, markets=[france], name="Paul"),
        "pm2": make.user(Role.project_manager, markets=[france], name="Pauline"),
        "cabinet": make.user(Role.cabinet, executives=[executive], name="Claire"),
        "pm elsewhere": make.user(Role.project_manager, markets=[kenya], name="Wanjiru"),
    }
    accounts = {"brand": make.account(france, "x"), "executive": make.account(france, "linkedin", executive)}

    reached: set[State] = set()

    run_state_machine_as_test(lambda: PostsUnderWorkflow(db_session, people, accounts, reached), settings=SETTINGS)

    assert PEOPLE_REACH - reached == set(), f"never reached: {sorted(PEOPLE_REACH - reached)}"


def test_the_states_to_reach_come_from_the_table():
    """People's actions lead from a draft to publication; a state no row of theirs leads to (the worker's) is not
    asked of the state machine."""
    assert {State.draft, State.in_review, State.with_cabinet, State.approved, State.published} <= PEOPLE_REACH
    worker_only = set(State) - {t.target for t in TRANSITIONS}
    assert not PEOPLE_REACH & worker_only
