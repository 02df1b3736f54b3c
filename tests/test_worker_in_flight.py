"""What changes around a post a worker holds: between its claim and its call (a stop switch, the grace period, the
account's connector), after a crash (the call's connector asked, not the account's new one; the outbox's line
written again under the same key), and a busy account's backlog. On each backend, with a real webhook receiver on
127.0.0.1 and the worker's own checkpoints standing for the crashes (their real kill -9 is in
tests/test_worker_processes.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from approval import create_app
from approval.models import Account, Outcome, OutboxMessage, Post, PublicationAttempt
from approval.publishing import controls, worker
from approval.publishing.status import publishing_status
from approval.publishing.worker import Worker
from approval.workflow.states import Action, State
from tests.publishing_helpers import Answer, WebhookServer, secret_for
from tests.test_worker import Scene, make, session, soon  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):
    """An app on a database of its own, allowed to call webhooks on 127.0.0.1 (the receiver)."""
    url = databases.migrated_url(backend)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "PUBLISH_QUOTAS": {},
                      "WEBHOOK_PRIVATE_ADDRESSES": True})
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    return app


@pytest.fixture()
def hooks() -> Iterator[WebhookServer]:
    """A receiver of the test's own (the backends' databases number their posts alike)."""
    with WebhookServer() as server:
        yield server


class Crash(Exception):
    """The worker stopped dead at a checkpoint."""


class Steered(Worker):
    """A worker whose checkpoints run ``at[where](post_id)`` and, at ``crash_at``, stop it dead."""

    def __init__(self, app, *, at: dict[str, Callable[[int], None]] | None = None, crash_at: str | None = None,
                 **kwargs) -> None:  # noqa: ANN001
        super().__init__(app, **kwargs)
        self.at, self.crash_at = at or {}, crash_at

    def checkpoint(self, where: str, post_id: int) -> None:
        if where in self.at:
            self.at[where](post_id)
        if where == self.crash_at:
            raise Crash(where)


def hooked(scene: Scene, hooks: WebhookServer, account: Account | None = None) -> Account:
    account = account or scene.account
    controls.connect_account(scene.session, account, "webhook", url=hooks.url_for(account.id),
                             secret=secret_for(account.id))
    scene.session.commit()
    return account


def run(scene: Scene, worker: Worker):  # noqa: ANN201
    scene.session.commit()  # SQLite: the test's open transaction would hold the write lock the worker needs
    with scene.app.app_context():
        return worker.run(once=True)


def calls_for(hooks: WebhookServer, post: Post) -> int:
    return hooks.per_post()[post.id]


@pytest.fixture()
def scene(world, session, make, hooks) -> Scene:  # noqa: F811
    scene = Scene(world, session, make, connector="")
    hooked(scene, hooks)
    return scene


# Between the claim and the call --------------------------------------------------------------------------------


def test_a_stop_switch_turned_on_after_the_claim_stops_the_call(scene, hooks):
    post = scene.scheduled(slot := soon())
    factory = scene.app.extensions["approval.db"]["sessionmaker"]
    code = scene.market.code  # read now: the test's session reading it later would take SQLite's write lock

    def stop_the_market(_post_id: int) -> None:
        with scene.app.app_context(), factory() as other:
            controls.turn_on(other, None, "market", market_code=code, reason="Match perdu.")
            other.commit()

    run(scene, Steered(scene.app, at={"claimed": stop_the_market}, clock=lambda: slot + timedelta(seconds=1)))
    assert calls_for(hooks, post) == 0
    post = scene.reload(post)
    assert post.state is State.scheduled and post.claim_token is None and post.account.publishing_post_id is None
    assert scene.trail(post)[-2:] == [Action.claim, Action.postpone]
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=2)))
    post = scene.reload(post)
    assert calls_for(hooks, post) == 0 and post.held_by_stop_id is not None and scene.trail(post)[-1] == Action.hold


def test_a_worker_told_to_stop_puts_back_the_claims_it_has_not_sent(scene, hooks, make):  # noqa: F811
    """SIGTERM while a batch is sent: the post in hand is finished, the others go back to the queue at once for the
    next worker (they waited for their lease to end, two minutes or up to an hour, past the grace period), and no
    mail is sent on the way out."""
    accounts = [scene.account] + [hooked(scene, hooks, make.account(scene.market, "facebook")) for _ in range(2)]
    slot = soon()
    posts = []
    for account in accounts:
        scene.account = account
        posts.append(scene.scheduled(slot))
    worker = Steered(scene.app, at={"answered": lambda _post_id: worker.stop()},
                     clock=lambda: slot + timedelta(seconds=1))
    run(scene, worker)
    first, *others = (scene.reload(post) for post in posts)
    assert first.state is State.published and calls_for(hooks, first) == 1
    for post in others:
        assert post.state is State.scheduled and post.claim_token is None and calls_for(hooks, post) == 0
        assert scene.trail(post)[-2:] == [Action.claim, Action.postpone]
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=2)))
    assert [scene.reload(post).state for post in others] == [State.published, State.published]


def test_a_batchs_later_posts_are_not_sent_once_their_grace_period_has_run_out(scene, hooks, make):  # noqa: F811
    """Each call of a batch may take the webhook's whole timeout: a post claimed within its grace period and reached
    after it is not sent late; it is missed, as it would have been unclaimed."""
    scene.market.grace_minutes = 1
    accounts = [scene.account] + [hooked(scene, hooks, make.account(scene.market, "facebook")) for _ in range(3)]
    slot = soon()
    posts = []
    for account in accounts:
        scene.account = account
        posts.append(scene.scheduled(slot))
    clock = {"now": slot + timedelta(seconds=10)}

    def slow_answer(_post_id: int) -> None:
        clock["now"] += timedelta(seconds=40)  # each answer comes 40 s after its call

    run(scene, Steered(scene.app, at={"answered": slow_answer}, clock=lambda: clock["now"]))
    # Called at 10 s and at 50 s after the slot; the third and fourth would have left at 90 s: past the minute.
    assert [calls_for(hooks, post) for post in posts] == [1, 1, 0, 0]
    run(scene, Worker(scene.app, clock=lambda: clock["now"] + timedelta(seconds=1)))
    for post in posts[2:]:
        post = scene.reload(post)
        assert post.state is State.approved and post.missed_at == slot
        assert scene.trail(post)[-3:] == [Action.claim, Action.postpone, Action.miss]
    assert [scene.reload(post).state for post in posts[:2]] == [State.published] * 2


def test_a_connector_changed_after_the_claim_is_the_one_the_post_goes_through(scene, hooks):
    post = scene.scheduled(slot := soon())
    factory = scene.app.extensions["approval.db"]["sessionmaker"]
    account_id = scene.account.id

    def to_the_outbox(_post_id: int) -> None:
        with scene.app.app_context(), factory() as other:
            controls.connect_account(other, other.get(Account, account_id), "outbox")
            other.commit()

    run(scene, Steered(scene.app, at={"claimed": to_the_outbox}, clock=lambda: slot + timedelta(seconds=1)))
    assert calls_for(hooks, post) == 0 and scene.reload(post).state is State.scheduled
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=2)))
    assert scene.reload(post).state is State.published and calls_for(hooks, post) == 0
    assert scene.session.scalar(select(OutboxMessage.id).where(OutboxMessage.post_id == post.id)) is not None


# After a crash -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["outbox", "disconnected"])
def test_a_crash_after_the_call_stays_unknown_when_the_accounts_connector_changed_since(scene, hooks, change):
    """The call's outcome is unknown; the account's new connector cannot say whether the webhook published it (the
    outbox answered "no such post", and the post went out a second time through it)."""
    post = scene.scheduled(slot := soon())
    with pytest.raises(Crash):
        run(scene, Steered(scene.app, crash_at="answered", clock=lambda: slot + timedelta(seconds=1)))
    assert calls_for(hooks, post) == 1
    account = scene.session.merge(scene.account)
    if change == "outbox":
        controls.connect_account(scene.session, account, "outbox")
    else:
        controls.disconnect_account(scene.session, account)
    after_the_lease = slot + timedelta(minutes=3)
    for seconds in (0, 40):
        run(scene, Worker(scene.app, clock=lambda s=seconds: after_the_lease + timedelta(seconds=s)))
    post = scene.reload(post)
    assert post.state is State.unconfirmed and scene.trail(post)[-1] == Action.lose
    attempt = scene.session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)).one()
    assert attempt.outcome is Outcome.unknown and "connector changed" in attempt.message
    assert calls_for(hooks, post) == 1
    assert scene.session.scalar(select(OutboxMessage.id).where(OutboxMessage.post_id == post.id)) is None


def test_an_outbox_line_written_before_a_crash_is_written_again_under_the_same_key(world, session, make):  # noqa: F811
    scene = Scene(world, session, make)  # the outbox
    post = scene.scheduled(slot := soon())
    crashing = Worker(world, clock=lambda: slot + timedelta(seconds=1))
    synced = crashing.outbox.sync

    def sync_then_die() -> None:
        synced()
        raise Crash("after the line's fsync, before the commit")

    crashing.outbox.sync = sync_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        run(scene, crashing)
    assert scene.reload(post).state is State.scheduled  # nothing recorded
    run(scene, Worker(world, clock=lambda: slot + timedelta(seconds=2)))
    post = scene.reload(post)
    feed = Path(world.instance_path) / "outbox.jsonl"
    lines = [line for line in map(json.loads, feed.read_text().splitlines()) if line["post_id"] == post.id]
    assert post.state is State.published and len(lines) == 2  # the reader deduplicates by key:
    assert {line["idempotency_key"] for line in lines} == {post.publish_key}


def test_a_text_edited_after_a_postponed_try_goes_out_under_a_key_of_its_own(scene, hooks):
    """The network answered 503 to the first text, which was then fixed, approved and scheduled again: under the
    first text's key, a receiver took the new text for a repeat of the old one."""
    from approval import operations as ops

    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(status=503))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    post = scene.reload(post)
    assert post.state is State.scheduled and post.next_attempt_at is not None
    ops.edit_post(scene.session, post, scene.cm, "Un autre texte, corrigé après la panne.",
                  expected_version=post.version)
    scene.make.act(post, Action.approve, scene.pm)
    scene.make.act(post, Action.schedule, scene.pm, scheduled_at=(later := slot + timedelta(minutes=30)))
    run(scene, Worker(scene.app, clock=lambda: later + timedelta(seconds=1)))
    first, second = [call for call in hooks.snapshot() if call.post_id == post.id]
    assert second.body["text"].startswith("Un autre texte") and scene.reload(post).state is State.published
    assert first.idempotency_key != second.idempotency_key



def test_a_slot_missed_while_the_network_asked_to_wait_says_so(scene, hooks):
    """The desk listed a missed slot without a word: the network's 503s until the grace period passed, a hold, the
    quota and no worker at all each read differently; the network's last words are quoted."""
    from approval.models import AuditEntry
    from sqlalchemy import select

    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(status=503))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert scene.reload(post).next_attempt_at is not None
    with scene.app.test_request_context():  # the post's page says what the network last answered, then why it missed
        assert "HTTP 503" in publishing_status(scene.session, scene.reload(post)).last_answer
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=16)))
    post = scene.reload(post)
    assert post.state is State.approved and post.missed_at == slot
    said = scene.session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id == post.id,
                                                                  AuditEntry.action == Action.miss)).one()
    assert said.startswith("The network kept asking to wait (last: ") and "503" in said, said
    with scene.app.test_request_context():
        assert publishing_status(scene.session, post).missed_because.startswith("The network kept asking to wait")

# Accounts --------------------------------------------------------------------------------------------------------


def test_an_accounts_backlog_behind_a_post_in_flight_keeps_no_other_account_waiting(scene, hooks, make):  # noqa: F811
    scene.market.grace_minutes = 1
    other = make.account(scene.market, "facebook")
    controls.connect_account(scene.session, other, "outbox")
    slot = soon()
    backlog = [scene.scheduled(slot) for _ in range(9)]  # more than the window of due posts a pass reads (2 x 4)
    scene.account = other
    waiting = scene.scheduled(slot + timedelta(seconds=1))
    with pytest.raises(Crash):  # the busy account's first post is claimed, and its worker dies: in flight
        run(scene, Steered(scene.app, crash_at="claimed", batch=4, clock=lambda: slot + timedelta(seconds=2)))
    run(scene, Worker(scene.app, batch=4, clock=lambda: slot + timedelta(seconds=5)))
    assert scene.reload(waiting).state is State.published
    assert [scene.reload(post).state for post in backlog].count(State.publishing) == 1
    assert sum(calls_for(hooks, post) for post in backlog) == 0


def test_posts_whose_embargo_lifted_are_released_whatever_number_is_still_held(scene, monkeypatch):
    """The housekeeping takes a bounded number of held posts a pass: those still under an embargo no longer fill it
    before the ones whose embargo has lifted."""
    from approval import administration as admin

    slot = soon()
    later = admin.create_campaign(scene.make.session, "Assemblée générale", scene.market, hashtag="")
    still_held = [scene.held_by_embargo(slot, f"Rapport {n}") for n in range(2)]
    for post in still_held:
        post.campaign = later
    later.embargo_until = slot + timedelta(hours=2)
    lifted = scene.held_by_embargo(slot + timedelta(minutes=1), "Tournoi")
    scene.session.commit()
    monkeypatch.setattr(worker, "HOUSEKEEPING_BATCH", 2)
    with scene.app.app_context():
        report = worker.PassReport()
        Worker(scene.app, clock=lambda: slot + timedelta(minutes=7)).release_lifted_holds(report)
    assert report.released == 1
    assert scene.reload(lifted).held_at is None and scene.trail(lifted)[-1] == Action.release
    assert all(scene.reload(post).held_at is not None for post in still_held)


# What the pages say of a call ------------------------------------------------------------------------------------


def test_what_a_call_came_to_reads_in_the_readers_language_and_stays_english_in_the_trail(scene, hooks):
    """A French project manager read "no complete answer within 0.3 s" on a French page: the worker's own words
    about a call (a timeout, a refused connection) are kept as a message id with its parameters beside the English
    message, on the attempt and its step, and a missed slot quotes its last one in the same language."""
    from flask_babel import force_locale

    from approval.models import AuditEntry
    from approval.publishing.status import answer, failure_reasons

    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(delay=2))
    impatient = Worker(scene.app, clock=lambda: slot + timedelta(seconds=1))
    impatient.webhook_timeout = 0.3
    run(scene, impatient)
    post = scene.reload(post)
    assert post.state is State.unconfirmed
    trail = scene.session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id == post.id,
                                                                   AuditEntry.action == Action.lose)).one()
    assert trail == "no complete answer within 0.3 s"  # the trail, the API and the command line: English
    attempt = scene.session.scalars(select(PublicationAttempt).where(PublicationAttempt.post_id == post.id)).one()
    with scene.app.test_request_context(), force_locale("fr"):
        assert answer(attempt) == "aucune réponse complète en 0,3\u00a0s"
        assert failure_reasons(scene.session, [post.id], Action.lose) == {post.id: answer(attempt)}

    # A network that cannot be reached: waits, then the slot passes; the desk quotes the last words in French.
    other = scene.scheduled(slot)
    controls.connect_account(scene.session, scene.account, "webhook", url="http://127.0.0.1:9/hooks/1",
                             secret=secret_for(scene.account.id))
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    assert scene.reload(other).next_attempt_at is not None
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(minutes=16)))
    assert scene.reload(other).state is State.approved
    with scene.app.test_request_context(), force_locale("fr"):
        said = publishing_status(scene.session, scene.reload(other)).missed_because
    assert said.startswith("Le serveur destinataire est resté injoignable (en dernier\u00a0: connexion "
                           "impossible\u00a0: "), said


def test_a_network_that_answered_late_is_called_after_the_others_of_its_pass(scene, hooks, make):  # noqa: F811
    """One network hanging until its timeout held up every post its worker had claimed after it, pass after pass:
    the calls now go in the order of each account's last call, the quickest first."""
    import time

    begun = time.monotonic()
    slot = soon()

    def clock():  # noqa: ANN202 - the worker's time runs, so that an attempt's duration is real
        return slot + timedelta(seconds=1 + time.monotonic() - begun)

    def worker() -> Worker:  # a webhook timeout of 2 s: a call of 0.5 s or more is a slow one
        patient = Worker(scene.app, clock=clock)
        patient.webhook_timeout = 2.0
        return patient

    slow = scene.scheduled(slot)
    hooks.script(slow.id, Answer(delay=0.6))
    run(scene, worker())
    assert scene.reload(slow).state is State.published
    quick_account = hooked(scene, hooks, make.account(scene.market, "facebook"))
    late = scene.scheduled(slot)  # the slow network's account, due first
    scene.account = quick_account
    quick = scene.scheduled(slot + timedelta(seconds=1))
    hooks.script(late.id, Answer(delay=0.6))
    called = len(hooks.snapshot())
    run(scene, worker())
    assert [call.post_id for call in hooks.snapshot()[called:]] == [quick.id, late.id]
    # Among accounts whose last call was quick, the calls keep their due order (the slot ending first goes first),
    # though one answered in 0.2 s and the other at once.
    scene.account = hooked(scene, hooks, make.account(scene.market, "x"))
    warm = scene.scheduled(slot)
    hooks.script(warm.id, Answer(delay=0.2))
    run(scene, worker())
    early = scene.scheduled(slot)
    scene.account = quick_account
    later = scene.scheduled(slot + timedelta(seconds=2))
    called = len(hooks.snapshot())
    run(scene, worker())
    assert [call.post_id for call in hooks.snapshot()[called:]] == [early.id, later.id]
    assert {scene.reload(post).state for post in (late, quick)} == {State.published}


# One key, one body --------------------------------------------------------------------------------------------


def test_a_post_retried_under_its_key_sends_the_same_body_byte_for_byte(scene, hooks):
    """An unknown outcome retried by a person, and a slot missed after 5xx then given a new time: the key stays, so
    the body must too. It carried the new slot (and microseconds after "publish now"), and a receiver that ties a
    key to its payload (the Idempotency-Key draft answers 422) refused the very retry the key is for."""
    from approval import operations as ops

    post = scene.scheduled(slot := soon())
    hooks.script(post.id, Answer(drop=True))  # the request left, no answer: unconfirmed
    run(scene, Worker(scene.app, clock=lambda: slot + timedelta(seconds=1)))
    post = scene.reload(post)
    assert post.state is State.unconfirmed
    later = slot + timedelta(minutes=7, microseconds=123456)
    ops.act_on_post(scene.session, post, Action.retry, scene.pm, expected_version=post.version, now=later,
                    acknowledge_warnings=True)
    scene.session.commit()
    run(scene, Worker(scene.app, clock=lambda: later + timedelta(seconds=1)))
    first, second = [call for call in hooks.snapshot() if call.post_id == post.id]
    assert scene.reload(post).state is State.published
    assert first.idempotency_key == second.idempotency_key and first.raw == second.raw and first.signed
    assert first.body["scheduled_at"] == slot.isoformat(timespec="seconds").replace("+00:00", "Z")


def test_a_call_has_its_whole_lease_however_long_the_calls_before_it_took(scene, hooks, make):  # noqa: F811
    """A pass sends its claims one after the other; each call's lease began at the claim, so the third of three
    slow calls ran past it: another worker took the post for a dead one's ("stopped while sending") while the first
    was still in the call, and threw its answer away. The lease is renewed as each call starts."""
    accounts = [hooked(scene, hooks, make.account(scene.market, "facebook")) for _ in range(2)]
    posts = [scene.scheduled(slot := soon())]
    for account in accounts:
        post = scene.scheduled(slot)
        post.account_id = account.id
        posts.append(post)
    scene.session.commit()
    for post in posts:
        hooks.script(post.id, Answer(delay=0.6))
    ticks = iter(range(10_000))
    # The clock moves a second at each reading: three calls' readings outlast a 4 s lease from the claim.
    worker_ = Worker(scene.app, clock=lambda: slot + timedelta(seconds=1 + next(ticks)), lease=timedelta(seconds=4))
    run(scene, worker_)
    assert {scene.reload(post).state for post in posts} == {State.published}
    assert [hooks.per_post()[post.id] for post in posts] == [1, 1, 1]
