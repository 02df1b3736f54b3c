"""The outbox's sealed posts, on each backend: a post scheduled through the engine keeps the style gate's seal
(``policies.seal``), and the worker publishes it as a row, without loading it or running the gate again, only while
every input the gate read is the same and every other check before sending is answered by the row. Whatever changed
(the policy, the text, the rules, the campaign, the market's languages, a forged seal) or holds it (a stop switch, an
embargo, a deactivated account, a missed slot), the loaded post's checks decide, as without a seal. What goes out
and what is written (the outbox row and line, the attempt, the trail, the notices) is the same either way.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from approval import administration as admin
from approval import policies
from approval.db import utcnow
from approval.models import AuditEntry, OutboxMessage, PolicyVersion, Post, PublicationAttempt, Revision, audit
from approval.models.notifications import Notification
from approval.publishing import controls
from approval.publishing.worker import Worker
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory, app_session, committed_app, numbered_factory

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):
    """An app on a database of its own (the worker commits)."""
    return committed_app(databases, backend, tmp_path_factory, PUBLISH_QUOTAS={})


_TESTS = itertools.count(1)


@pytest.fixture()
def session(world):
    yield from app_session(world)


@pytest.fixture()
def make(session) -> Factory:
    return numbered_factory(session, _TESTS, 43)


@pytest.fixture()
def gate_runs(monkeypatch) -> list[int]:
    """The posts on which the style gate ran (``policies.check_revision``) since the last ``Desk.run`` began."""
    ran: list[int] = []
    check = policies.check_revision

    def counted(session, post, *args, **kwargs):  # noqa: ANN001, ANN202
        ran.append(post.id)
        return check(session, post, *args, **kwargs)

    monkeypatch.setattr(policies, "check_revision", counted)
    return ran


def ran(gate_runs: list[int], *posts: Post) -> list[int]:
    """Which of ``posts`` the gate ran on (the module's database may hold other tests' posts, held or missed, that a
    pass looks at again)."""
    ids = {post.id for post in posts}
    return [post_id for post_id in gate_runs if post_id in ids]


class Desk:
    """A market, a project manager, and posts scheduled through the engine on accounts of their own (a pass takes
    one post per account)."""

    def __init__(self, app, session, make: Factory) -> None:  # noqa: ANN001
        self.app, self.session, self.make = app, session, make
        self.market = make.market(None, timezone="Europe/Paris")
        self.cm = make.user(Role.community_manager, markets=[self.market])
        self.pm = make.user(Role.project_manager, markets=[self.market])
        session.commit()

    def scheduled(self, at: datetime, body: str = BODY, campaign=None) -> Post:  # noqa: ANN001
        account = self.make.account(self.market)
        controls.connect_account(self.session, account, "outbox")
        post = self.make.post(State.approved, account=account, author=self.cm, body=body, reviewer=self.pm)
        post.campaign = campaign
        self.make.act(post, Action.schedule, self.pm, scheduled_at=at)
        self.session.commit()
        return post

    def run(self, now: datetime, gate_runs: list[int] | None = None) -> None:
        if gate_runs is not None:
            gate_runs.clear()  # the engine's checks before: ``schedule``'s, the approval's
        self.session.commit()  # SQLite: the test's open transaction would hold the write lock the worker needs
        with self.app.app_context():
            Worker(self.app, clock=lambda: now).run(once=True)
        self.session.expire_all()

    def state(self, post: Post) -> State:
        return self.session.get(Post, post.id).state

    def last_comment(self, post: Post) -> str | None:
        return self.session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id == post.id)
                                    .order_by(AuditEntry.id.desc())).first()

    def outbox_rows(self, post: Post) -> int:
        return self.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id))


@pytest.fixture()
def desk(world, session, make) -> Desk:
    return Desk(world, session, make)


def test_scheduling_seals_the_verdict_on_the_inputs_the_gate_read(desk):
    post = desk.scheduled(utcnow() + timedelta(days=30))  # not due in the other tests' passes
    assert post.gate_seal is not None
    assert post.gate_seal == policies.seal(policies.gate_key(post))
    # The seal names the inputs: another revision of the same text is another seal.
    assert post.gate_seal != policies.seal((post.id, post.current_revision_id + 1, *policies.gate_key(post)[2:]))


def test_a_sealed_post_goes_out_without_the_gate_and_writes_what_a_loaded_one_writes(desk, gate_runs):
    slot = utcnow() + timedelta(minutes=5)
    sealed, loaded = desk.scheduled(slot), desk.scheduled(slot)
    desk.session.execute(update(Post).where(Post.id == loaded.id).values(gate_seal=None))  # scheduled before 0045
    desk.session.commit()

    desk.run(slot + timedelta(seconds=1), gate_runs)

    assert ran(gate_runs, sealed, loaded) == [loaded.id]
    assert desk.state(sealed) is desk.state(loaded) is State.published

    def trail(post: Post) -> list[tuple]:
        rows = desk.session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id).order_by(AuditEntry.id))
        return [(row.action, row.from_state, row.to_state, row.actor_id, row.comment, row.revision_id == post
                 .current_revision_id, sorted(row.payload or {}), (row.payload or {}).get("outcome"),
                 (row.payload or {}).get("sha256") == post.current_revision.sha256) for row in rows]

    assert trail(sealed) == trail(loaded)
    assert trail(sealed)[-1][:3] == (Action.publish, State.scheduled, State.published)

    def attempt(post: Post) -> tuple:
        row = desk.session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)).one()
        return (row.connector, row.outcome, row.sha256 == post.current_revision.sha256, row.revision_id ==
                post.current_revision_id, row.account_id == post.account_id, row.url.endswith(row.remote_id[7:]))

    assert attempt(sealed) == attempt(loaded)

    def outbox(post: Post) -> dict:
        body = desk.session.scalars(select(OutboxMessage.body).where(OutboxMessage.post_id == post.id)).one()
        return {**body, "post_id": None, "idempotency_key": len(body["idempotency_key"]),
                "account": {**body["account"], "id": None, "handle": None}}

    assert outbox(sealed) == outbox(loaded)
    for post in (sealed, loaded):
        post = desk.session.get(Post, post.id)
        attempt_row = desk.session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)
                                           ).one()
        assert post.publish_key == attempt_row.idempotency_key and post.published_url == attempt_row.url
        assert post.published_at is not None and post.next_attempt_at is None

    def told(post: Post) -> list[tuple]:
        return sorted(desk.session.execute(select(Notification.user_id, Notification.kind).where(
            Notification.post_id == post.id, Notification.at > slot)).all())

    assert told(sealed) == told(loaded) != []
    lines = [json.loads(line) for line in
             (Path(desk.app.instance_path) / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["post_id"] for line in lines} >= {sealed.id, loaded.id}
    assert audit.verify_chain(desk.session).broken is None


def _save_policy(desk: Desk, post: Post) -> None:
    policies.save_policy(desk.session, desk.market, desk.pm, forbidden=[{"phrase": "Eiffel"}])


def _change_text(desk: Desk, post: Post) -> None:
    desk.session.execute(update(Revision).where(Revision.id == post.current_revision_id)
                         .values(body=BODY.replace("ce soir", "demain")))


#: What changed after the post was scheduled, and what the full checks then make of it.
CHANGED = {
    "a policy that refuses the text": (_save_policy, State.failed, "policy.forbidden"),
    "the text itself, under the approved digest": (_change_text, State.failed, "no longer match the SHA-256"),
    "the market's languages": (lambda desk, post: setattr(desk.market, "languages", ["fr", "en"]),
                               State.published, None),
    "a forged seal": (lambda desk, post: desk.session.execute(update(Post).where(Post.id == post.id)
                                                              .values(gate_seal="0" * 64)), State.published, None),
}


@pytest.mark.parametrize("change", list(CHANGED))
def test_a_seal_stands_for_its_inputs_only_and_the_gate_runs_again_on_others(desk, gate_runs, change):
    act, state, said = CHANGED[change]
    slot = utcnow() + timedelta(minutes=5)
    post = desk.scheduled(slot)
    act(desk, post)
    desk.session.commit()
    desk.run(slot + timedelta(seconds=1), gate_runs)
    assert desk.state(post) is state
    if said is not None:
        assert said in desk.last_comment(post)
        assert desk.outbox_rows(post) == 0
    else:
        assert ran(gate_runs, post) == [post.id]  # checked afresh, and it passes
        assert desk.outbox_rows(post) == 1


def test_new_rules_unseal_every_post(desk, gate_runs, monkeypatch):
    """A release whose gate differs (its sources, its libraries) makes other seals: the posts sealed before are
    checked afresh."""
    slot = utcnow() + timedelta(minutes=5)
    post = desk.scheduled(slot)
    monkeypatch.setattr(policies, "GATE_CODE", "the rules of a later release")
    desk.run(slot + timedelta(seconds=1), gate_runs)
    assert desk.state(post) is State.published and ran(gate_runs, post) == [post.id]


def test_a_campaign_changed_after_scheduling_unseals_its_posts(desk, gate_runs):
    campaign = admin.create_campaign(desk.session, "Finale", desk.market, hashtag="")
    desk.session.commit()
    slot = utcnow() + timedelta(minutes=5)
    post = desk.scheduled(slot, campaign=campaign)
    campaign.disclosure_required = True  # a partnership now: its texts must say so
    desk.session.commit()
    assert policies.check_revision(desk.session, post).errors  # what the gate says of the text now
    desk.run(slot + timedelta(seconds=1), gate_runs)
    assert ran(gate_runs, post) == [post.id]
    assert desk.state(post) is State.failed and desk.outbox_rows(post) == 0


def _stop(desk: Desk, post: Post) -> None:
    controls.turn_on(desk.session, desk.pm, "market", market_code=desk.market.code, reason="Silence tonight.")


def _embargo(desk: Desk, post: Post) -> None:
    post.campaign = admin.create_campaign(desk.session, f"Embargo {post.id}", desk.market, hashtag="")
    desk.session.flush()
    post.campaign.embargo_until = post.scheduled_at + timedelta(minutes=5)


def _deactivate(desk: Desk, post: Post) -> None:
    post.account.active = False


#: What holds or stops a sealed post, and where the full checks send it.
STOPPED = {
    "a stop switch": (_stop, State.scheduled, timedelta(seconds=1)),
    "its campaign's embargo": (_embargo, State.scheduled, timedelta(seconds=1)),
    "a deactivated account": (_deactivate, State.failed, timedelta(seconds=1)),
    "its grace period passed": (lambda desk, post: None, State.approved, timedelta(minutes=20)),
}


@pytest.mark.parametrize("stopped", list(STOPPED))
def test_a_sealed_post_is_never_sent_past_what_holds_or_stops_it(desk, stopped):
    act, state, late = STOPPED[stopped]
    slot = utcnow() + timedelta(minutes=5)
    post = desk.scheduled(slot)
    act(desk, post)
    desk.session.commit()
    desk.run(slot + late)
    assert desk.state(post) is state
    assert desk.outbox_rows(post) == 0
    if state is State.scheduled:
        assert desk.session.get(Post, post.id).held_at is not None


def test_the_cabinet_hears_that_its_suggestion_went_out_sealed_and_no_cabinet_of_a_brand_post(desk, make, gate_runs):
    """The worker reads the posts' rows only, and tells the cabinet that accepted a suggestion that it went out,
    as it does of a post it loads; a brand post's publication tells no cabinet, and asks nothing to find out."""
    executive = make.executive()
    account = make.account(desk.market, executive=executive)
    controls.connect_account(desk.session, account, "outbox")
    cabinet = make.user(Role.cabinet, executives=[executive])
    suggestion = make.post(State.in_review, account=account, author=desk.cm,
                           body="Fière d'inaugurer le vélodrome avec nos équipes.")
    make.act(suggestion, Action.approve, desk.pm)
    make.act(suggestion, Action.accept, cabinet)
    slot = utcnow() + timedelta(minutes=5)
    make.act(suggestion, Action.schedule, desk.pm, scheduled_at=slot)
    brand = desk.scheduled(slot)
    desk.run(slot + timedelta(seconds=1), gate_runs)

    assert ran(gate_runs, suggestion, brand) == []  # both went out on their seals
    assert desk.state(suggestion) is desk.state(brand) is State.published
    heard = desk.session.scalars(select(Notification.kind).where(
        Notification.post_id == suggestion.id, Notification.user_id == cabinet.id).order_by(Notification.id)).all()
    assert [kind.value for kind in heard][-1] == "published"
    assert desk.session.scalar(select(func.count()).where(Notification.post_id == brand.id,
                                                          Notification.kind == "published")) == 1  # its author


def test_a_sealed_post_goes_out_within_its_networks_quota_and_is_held_back_past_it(world, desk, make, gate_runs):
    """X: a quota of posts per account and window (``PUBLISH_QUOTAS``). With room, the row goes out; the quota used,
    the loaded post's checks hold it back until the window's oldest attempt leaves it."""
    slot = utcnow() + timedelta(minutes=5)
    account = make.account(desk.market, "x")
    controls.connect_account(desk.session, account, "outbox")
    first, second = (make.post(State.approved, account=account, author=desk.cm, body=BODY, reviewer=desk.pm)
                     for _ in range(2))
    for post in (first, second):
        make.act(post, Action.schedule, desk.pm, scheduled_at=slot)
    desk.session.commit()
    world.config["PUBLISH_QUOTAS"] = {"x": [1, 900]}
    try:
        desk.run(slot + timedelta(seconds=1), gate_runs)  # one post of an account a pass: the first, on its seal
        assert ran(gate_runs, first, second) == [] and desk.state(first) is State.published
        desk.run(slot + timedelta(seconds=2), gate_runs)
    finally:
        world.config["PUBLISH_QUOTAS"] = {}
    assert ran(gate_runs, first, second) == [second.id]  # loaded, checked, held back
    second = desk.session.get(Post, second.id)
    assert second.state is State.scheduled and second.next_attempt_at is not None
    assert desk.outbox_rows(second) == 0


def test_a_row_whose_reading_raises_is_loaded_and_checked_and_the_others_go_out(desk, monkeypatch, gate_runs,
                                                                                 caplog):
    """A fault in reading a sealed row (odd data, this code's) stopped every pass at the same post: it is left to
    the loaded post's checks, which decide (here: it passes, and goes out), and the rows behind it go out."""
    slot = utcnow() + timedelta(minutes=5)
    odd, fine = desk.scheduled(slot - timedelta(seconds=1)), desk.scheduled(slot)
    real, odd_id = Worker._answered_by, odd.id

    def answered_by(self, row, now):  # noqa: ANN001, ANN202
        if row.id == odd_id:
            raise KeyError("a column the row did not have")
        return real(self, row, now)

    monkeypatch.setattr(Worker, "_answered_by", answered_by)
    with caplog.at_level("ERROR", logger="approval.publishing.worker"):
        desk.run(slot + timedelta(seconds=1), gate_runs)
    assert ran(gate_runs, odd, fine) == [odd.id]
    assert desk.state(odd) is desk.state(fine) is State.published
    assert any("could not be read for sending" in record.getMessage() for record in caplog.records)


def test_the_gates_code_is_read_once_with_its_modules_and_a_process_that_cannot_read_it_trusts_no_seal(
        monkeypatch, caplog):
    """The digest of the gate's code is the code the process runs, read when it starts: sources replaced on disk
    since (a deploy under way) do not change the seals it makes. A process that cannot read its sources trusts
    no seal (its digest is its own)."""
    assert policies.GATE_CODE == policies._gate_code()  # the sources as they are
    assert len(policies.GATE_CODE) == 64
    key = (1, 2, "ab", "facebook", 3, "FR", ["fr"], None, None, None, None, None)
    sealed = policies.seal(key)

    def unreadable(self):  # noqa: ANN001, ANN202
        raise PermissionError("the sources are not in this build")

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    assert policies.seal(key) == sealed  # computed once, at import
    with caplog.at_level("WARNING", logger="approval.policies"):
        first, second = policies._gate_code(), policies._gate_code()
    assert first != second and first != policies.GATE_CODE
    assert "no seal is trusted" in caplog.text


def test_a_policy_version_is_never_changed_in_place(desk, make):
    """The seal names the policy version in force by its id and time: the database refuses a version changed in place
    (migration 0046), which would have left a seal of its old rules standing."""
    policies.save_policy(desk.session, desk.market, make.user(Role.admin), forbidden=[{"phrase": "Eiffel"}])
    desk.session.commit()
    version = desk.market.policy_in_force
    with pytest.raises(DBAPIError, match="never changed"):
        desk.session.execute(update(PolicyVersion).where(PolicyVersion.id == version.id).values(forbidden=[]))
        desk.session.flush()
    desk.session.rollback()
    assert desk.session.get(PolicyVersion, version.id).forbidden != []
