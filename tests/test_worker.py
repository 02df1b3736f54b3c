"""The publishing worker in one process, on each backend: what goes out, what is held, missed, refused or left
unconfirmed, and what a project manager does next. The clock is the worker's own, set by each test; the posts are
scheduled through the engine, as people do.

The crash, concurrency and many-process properties are in tests/test_worker_processes.py.
"""

from __future__ import annotations

import itertools
import os
import time
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from approval import create_app
from approval import operations as ops
from approval import policies
from approval.db import utcnow
from approval.models import AuditEntry, Outcome, OutboxMessage, Post, PublicationAttempt, ReportDay, StopSwitch, audit
from approval.models.notifications import Notification, NotificationKind
from approval.publishing import controls
from approval.publishing.holds import hold_for
from approval.publishing.worker import QUARANTINE, PassReport, Worker
from approval.queries import reports
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Action, Role, State
from tests.conftest import Factory

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."


@pytest.fixture(scope="module")
def world(backend, databases, tmp_path_factory):
    """An app on a database of its own (the worker commits), and a way to open sessions on it."""
    url = databases.migrated_url(backend)
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "PUBLISH_QUOTAS": {}})
    app.instance_path = str(instance)
    return app


@pytest.fixture()
def session(world):
    with world.app_context():
        factory = world.extensions["approval.db"]["sessionmaker"]
        with factory() as session:
            yield session


_TESTS = itertools.count(1)


@pytest.fixture()
def make(session) -> Factory:
    """Factories on the module's committed database: each test numbers its objects apart from the others'."""
    factory = Factory(session)
    factory.counter = next(_TESTS) * 37
    return factory


class Scene:
    """A French market with one connected account, its community manager and project manager."""

    def __init__(self, app, session: Session, make: Factory, *, network: str = "facebook", connector: str = "outbox",
                 grace: int = 15) -> None:
        self.app, self.session, self.make = app, session, make
        self.market = make.market(None, timezone="Europe/Paris")
        self.market.grace_minutes = grace
        self.account = make.account(self.market, network)
        if connector:
            controls.connect_account(session, self.account, connector)
        self.cm = make.user(Role.community_manager, markets=[self.market])
        self.pm = make.user(Role.project_manager, markets=[self.market])
        session.commit()

    def scheduled(self, at: datetime, body: str = BODY, campaign=None) -> Post:  # noqa: ANN001
        post = self.make.post(State.approved, account=self.account, author=self.cm, body=body, reviewer=self.pm)
        if campaign is not None:
            post.campaign = campaign
        self.make.act(post, Action.schedule, self.pm, scheduled_at=at)
        self.session.commit()
        return post

    def failed(self, slot: datetime) -> Post:
        """A post scheduled for ``slot`` and refused at it (the scene's account has no connector)."""
        post = self.scheduled(slot)
        self.run(slot + timedelta(seconds=1))
        post = self.reload(post)
        assert post.state is State.failed
        return post

    def worker(self, now: datetime, **kwargs) -> Worker:
        return Worker(self.app, clock=lambda: now, **kwargs)

    def run(self, now: datetime, **kwargs):  # noqa: ANN201
        self.session.commit()  # SQLite: the test's open transaction would hold the write lock the worker needs
        with self.app.app_context():
            return self.worker(now, **kwargs).run(once=True)

    def held_by_embargo(self, slot: datetime, campaign_name: str) -> Post:
        """A post of a campaign scheduled at ``slot``, whose embargo then moves to five minutes after it: held by the
        worker at its slot."""
        from approval import administration as admin

        campaign = admin.create_campaign(self.make.session, campaign_name, self.market, hashtag="")
        self.make.session.commit()
        post = self.scheduled(slot, campaign=campaign)
        campaign.embargo_until = slot + timedelta(minutes=5)
        self.make.session.commit()
        self.run(slot + timedelta(seconds=1))
        assert self.reload(post).held_at is not None
        return post

    def reload(self, post: Post) -> Post:
        self.session.expire_all()
        return self.session.get(Post, post.id)

    def trail(self, post: Post) -> list[str]:
        return list(self.session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == post.id)
                                         .order_by(AuditEntry.id)))


@pytest.fixture()
def scene(world, session, make) -> Scene:
    return Scene(world, session, make)


def soon(minutes: int = 5) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


# Going out ---------------------------------------------------------------------------------------------------------


def test_a_due_post_goes_out_once_through_the_outbox_with_its_approved_text(scene, world):
    slot = soon()
    post = scene.scheduled(slot)
    assert scene.run(slot - timedelta(seconds=1)).published == 0, "not before its time"
    assert scene.reload(post).state is State.scheduled

    report = scene.run(slot + timedelta(seconds=1))
    post = scene.reload(post)
    assert post.state is State.published
    assert post.published_url and post.published_url.startswith("outbox:")
    messages = scene.session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).all()
    assert len(messages) == 1
    assert messages[0].body["text"] == BODY
    assert messages[0].body["revision"]["sha256"] == post.current_revision.sha256 == post.approved_revision.sha256
    assert scene.trail(post)[-1] == Action.publish  # claimed and published in one transaction: one step
    assert report.published >= 1
    lines = [json.loads(line) for line in (Path(world.instance_path) / "outbox.jsonl").read_text().splitlines()]
    assert [line["post_id"] for line in lines].count(post.id) == 1

    scene.run(slot + timedelta(seconds=30))
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 1, "never twice"


def test_once_a_day_has_closed_the_worker_keeps_its_report_figures(scene):
    """The reports read a closed day's kept figures: the worker computes them after the market's midnight, once."""
    slot = (utcnow() + timedelta(days=40)).replace(hour=11, minute=58, second=0, microsecond=0)
    scene.scheduled(slot)
    assert scene.run(slot + timedelta(minutes=2)).published == 1
    kept = select(ReportDay.figures).where(ReportDay.day == slot.date(), ReportDay.market_id == scene.market.id)
    assert scene.session.scalar(kept) is None, "not while the day is open"
    _start, midnight = reports.day_bounds(scene.market.timezone, slot.date())
    scene.run(midnight + timedelta(minutes=5))  # within the closing delay: still open
    assert scene.session.scalar(kept) is None
    scene.run(midnight + timedelta(minutes=20))
    figures = scene.session.scalar(kept)
    day = reports.kept_totals(figures)
    assert day.final["published"] == 1 and day.to_publish.count == 1 and (day.on_time, day.late) == (1, 0)


def test_posts_due_together_go_out_in_one_pass_each_with_its_own_records(scene, session, make):
    """A pass publishes its batch together (one INSERT of publications, of attempts, of audit rows): each post still
    gets its own outbox row, attempt, audit row linked to its own trail, and its author's notification."""
    slot = soon()
    posts = [scene.scheduled(slot)]
    for _ in range(3):
        scene.account = make.account(scene.market, "facebook")
        controls.connect_account(session, scene.account, "outbox")
        posts.append(scene.scheduled(slot))

    report = scene.run(slot + timedelta(seconds=1))

    assert report.published >= len(posts)
    attempts = set()
    for post in posts:
        post = scene.reload(post)
        assert post.state is State.published
        assert scene.trail(post)[-2:] == [Action.schedule, Action.publish]
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.post_id == post.id)).one()
        assert post.published_url.endswith(str(message.id)) and message.account_id == post.account_id
        assert message.body["revision"]["sha256"] == post.approved_revision.sha256
        entry = session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                .order_by(AuditEntry.id.desc())).first()
        attempt = session.get(PublicationAttempt, entry.payload["attempt"])
        assert attempt.post_id == post.id and attempt.outcome is Outcome.published
        attempts.add(attempt.id)
        told = session.scalars(select(Notification.user_id).where(Notification.post_id == post.id,
                                                                  Notification.kind == NotificationKind.published))
        assert list(told) == [scene.cm.id]
    assert len(attempts) == len(posts)
    assert audit.verify_chain(session).broken is None


def test_an_edit_after_scheduling_sends_the_post_back_to_review_and_nothing_goes_out(scene):
    slot = soon()
    post = scene.scheduled(slot)
    entry = ops.edit_post(scene.session, post, scene.cm, BODY + " Bravo.", expected_version=post.version)
    scene.session.commit()
    assert entry.to_state is State.in_review
    assert entry.payload["dropped_slot"] == slot.isoformat()
    scene.run(slot + timedelta(seconds=1))
    assert scene.reload(post).state is State.in_review
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0


def test_a_text_the_policy_in_force_now_refuses_fails_with_the_reason(scene):
    slot = soon()
    post = scene.scheduled(slot)
    policies.save_policy(scene.session, scene.market, scene.pm,
                         forbidden=[{"phrase": "Eiffel"}])
    scene.session.commit()
    scene.run(slot + timedelta(seconds=1))
    post = scene.reload(post)
    assert post.state is State.failed
    failure = scene.session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                    .order_by(AuditEntry.id.desc())).first()
    assert failure.action is Action.fail and "policy.forbidden" in failure.comment
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0


def test_an_account_without_a_connector_fails_and_says_so(world, session, make):
    scene = Scene(world, session, make, connector="")
    slot = soon()
    post = scene.failed(slot)
    assert "not connected" in scene.session.scalars(select(AuditEntry.comment).where(
        AuditEntry.post_id == post.id).order_by(AuditEntry.id.desc())).first()
    # Connected, then retried by the project manager: it goes out now.
    controls.connect_account(scene.session, scene.account, "outbox")
    later = slot + timedelta(minutes=1)
    ops.act_on_post(scene.session, post, Action.retry, scene.pm, expected_version=post.version, now=later)
    scene.session.commit()
    scene.run(later + timedelta(seconds=1))
    assert scene.reload(post).state is State.published


def test_a_failed_post_whose_text_is_fixed_goes_back_to_review_under_a_new_publishing_key(world, session, make):
    """The desk says "fix it, then retry": a failed post can be edited (a new revision, back to review, where a
    project manager approves the new text) or withdrawn; the fixed text goes out under a new key."""
    scene = Scene(world, session, make, connector="")
    post = scene.failed(soon())
    ops.edit_post(scene.session, post, scene.cm, BODY.replace("ce soir", "demain soir"),
                  expected_version=post.version)
    scene.session.commit()
    post = scene.reload(post)
    assert post.state is State.in_review and post.publish_key is None and post.approved_revision_id is not None
    assert post.current_revision_id != post.approved_revision_id  # the approval was for the refused text
    other = scene.failed(soon(20))
    ops.act_on_post(scene.session, other, Action.withdraw, scene.cm, expected_version=other.version)
    scene.session.commit()
    assert scene.reload(other).state is State.withdrawn


# Nothing late -------------------------------------------------------------------------------------------------------


def _missed_because(scene, post: Post) -> str:  # noqa: ANN001
    """What the last ``miss`` step says (the desk shows it in the reader's language)."""
    return scene.session.scalars(select(AuditEntry.comment).where(
        AuditEntry.post_id == post.id, AuditEntry.action == Action.miss).order_by(AuditEntry.id.desc())).first()


def test_a_slot_missed_beyond_the_grace_period_goes_back_to_approved(scene):
    slot = soon()
    post = scene.scheduled(slot)
    scene.run(slot + timedelta(minutes=16))  # the worker was down for the grace period and a minute
    post = scene.reload(post)
    assert post.state is State.approved
    assert post.missed_at == slot and post.scheduled_at is None
    assert scene.trail(post)[-1] == Action.miss
    assert "No publishing worker sent it within its grace period" in _missed_because(scene, post)
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0
    # A new time: out at that time.
    new_slot = slot + timedelta(minutes=30)
    ops.act_on_post(scene.session, post, Action.schedule, scene.pm, expected_version=post.version,
                    scheduled_at=new_slot, now=slot + timedelta(minutes=17))
    scene.session.commit()
    assert scene.reload(post).missed_at is None
    scene.run(new_slot + timedelta(seconds=1))
    assert scene.reload(post).state is State.published


def test_within_the_grace_period_a_late_worker_still_publishes(scene):
    slot = soon()
    post = scene.scheduled(slot)
    scene.run(slot + timedelta(minutes=14))
    assert scene.reload(post).state is State.published


# Stop switches and embargoes -------------------------------------------------------------------------------------


def test_a_market_stop_switch_holds_its_posts_which_stay_held_once_it_is_off_until_given_a_new_time(scene):
    """CONTRACT, ``stop off``: held posts stay held until a project manager releases them or gives new times."""
    slot = soon()
    post = scene.scheduled(slot)
    later = scene.scheduled(slot + timedelta(minutes=30))  # covered too, but not due while the switch is on
    stop = controls.turn_on(scene.session, scene.pm, "market", market_code=scene.market.code,
                            reason="A lost match: silence tonight.")
    scene.session.commit()
    hold = hold_for(scene.session, scene.reload(post))
    assert hold is not None and "silence tonight" in hold.reason and hold.by == scene.pm.name

    for seconds in (1, 30, 60):  # held, audited once
        scene.run(slot + timedelta(seconds=seconds))
    post = scene.reload(post)
    assert post.state is State.scheduled and post.held_at is not None
    assert scene.trail(post).count(Action.hold) == 1
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0

    controls.turn_off(scene.session, scene.pm, stop.id)
    scene.session.commit()
    scene.run(slot + timedelta(minutes=5))  # within the grace period: still nothing goes out by itself
    post = scene.reload(post)
    assert post.state is State.scheduled and post.held_by_stop_id == stop.id
    assert Action.release not in scene.trail(post)
    hold = hold_for(scene.session, post)
    assert hold is not None and "off since" in hold.reason and "silence tonight" in hold.reason
    assert hold.since == scene.session.get(StopSwitch, stop.id).turned_on_at  # "turned on by ..., <since>"
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0

    # A project manager gives it a new time: it goes out then, and nothing holds it any more.
    scene.make.act(post, Action.unschedule, scene.pm)
    scene.make.act(post, Action.schedule, scene.pm, scheduled_at=soon(10))
    scene.session.commit()
    post = scene.reload(post)
    assert post.held_at is None and post.held_by_stop_id is None and hold_for(scene.session, post) is None
    scene.run(post.scheduled_at + timedelta(seconds=1))
    assert scene.reload(post).state is State.published
    # The post that was not due while the switch was on goes out at its time, never held.
    scene.run(slot + timedelta(minutes=30, seconds=1))
    later = scene.reload(later)
    assert later.state is State.published and Action.hold not in scene.trail(later)


def test_a_held_post_released_by_a_project_manager_goes_out_at_its_time(scene):
    """CONTRACT, ``stop off``: once the switch is off, a project manager releases the post (no new time): the worker
    sends it at its own slot, or at its next pass when that slot passed within its grace period."""
    slot = soon(30)
    post, late = scene.scheduled(slot), scene.scheduled(slot + timedelta(minutes=1))
    stop = controls.turn_on(scene.session, scene.pm, "market", market_code=scene.market.code, reason="Silence.")
    scene.session.commit()
    for seconds in (61, 62):  # both held at their time (one post of an account a pass)
        scene.run(slot + timedelta(seconds=seconds))
    post, late = scene.reload(post), scene.reload(late)
    assert post.held_by_stop_id == late.held_by_stop_id == stop.id
    controls.turn_off(scene.session, scene.pm, stop.id)
    scene.session.commit()

    # Released before its time (the worker's clock is the test's: the slot is still ahead of the engine's now).
    scene.make.act(post, Action.release, scene.pm)
    scene.session.commit()
    post = scene.reload(post)
    assert post.held_at is None and post.scheduled_at == slot and scene.trail(post)[-1] == Action.release
    # Released within its grace period after its slot (ten minutes late): it goes at the worker's next pass.
    scene.make.act(late, Action.release, scene.pm, now=slot + timedelta(minutes=11))
    scene.session.commit()
    for seconds in (1, 2):  # one post of an account a pass
        scene.run(slot + timedelta(minutes=11, seconds=seconds))
    assert scene.reload(post).state is State.published
    assert scene.reload(late).state is State.published
    assert scene.trail(post)[-2:] == [Action.release, Action.publish]


def test_a_stop_switch_still_on_past_the_grace_period_misses_the_slot(scene):
    slot = soon()
    post = scene.scheduled(slot)
    stop = controls.turn_on(scene.session, None, "all", reason="Crisis: everything stops.")
    scene.session.commit()
    try:
        scene.run(slot + timedelta(seconds=1))
        scene.run(slot + timedelta(minutes=20))
        post = scene.reload(post)
        assert post.state is State.approved and post.missed_at == slot
        # What held it, by name: the switch's scope, its reason, who turned it on.
        assert _missed_because(scene, post) == ("The stop switch over everything (“Crisis: everything stops.”, "
                                                "turned on by the command line) held it until its grace period "
                                                "passed.")
        controls.turn_off(scene.session, None, stop.id)
        scene.session.commit()
        scene.run(slot + timedelta(minutes=21))
        assert scene.reload(post).state is State.approved, "turning it off releases nothing past the grace period"
    finally:
        controls.turn_off(scene.session, None, stop.id)
        scene.session.commit()


def test_an_embargo_still_on_past_the_grace_period_misses_the_slot_and_says_so(scene):
    slot = soon()
    post = scene.held_by_embargo(slot, "Rapport annuel")
    post.campaign.embargo_until = slot + timedelta(hours=1)  # moved again, past the grace period
    scene.session.commit()
    scene.run(slot + timedelta(minutes=20))
    post = scene.reload(post)
    assert post.state is State.approved and post.missed_at == slot
    assert _missed_because(scene, post) == ("The embargo of the campaign Rapport annuel held it until its grace "
                                            "period passed.")


def test_an_embargo_refuses_earlier_slots_and_holds_what_was_scheduled_before_it_moved(scene, make):
    slot = soon(10)
    from approval import administration as admin

    campaign = admin.create_campaign(make.session, "Rapport annuel", scene.market, hashtag="")
    campaign.embargo_until = slot + timedelta(hours=1)
    make.session.commit()
    post = scene.make.post(State.approved, account=scene.account, author=scene.cm, body=BODY, reviewer=scene.pm)
    post.campaign = campaign
    with pytest.raises(GuardFailed) as refused:
        scene.make.act(post, Action.schedule, scene.pm, scheduled_at=slot)
    assert "embargo" in " ".join(refused.value.errors["scheduled_at"])
    scene.session.rollback()

    campaign.embargo_until = None
    make.session.commit()
    post = scene.scheduled(slot, campaign=campaign)
    campaign.embargo_until = slot + timedelta(hours=1)  # the embargo moves later
    make.session.commit()
    assert hold_for(scene.session, scene.reload(post)) is not None
    scene.run(slot + timedelta(seconds=1))
    post = scene.reload(post)
    assert post.state is State.scheduled and post.held_at is not None
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == post.id)) == 0


def test_a_post_held_by_an_embargo_goes_out_when_it_lifts_within_its_grace_period(scene):
    """The embargo is a time, not a switch: once it has passed, the post it held is released and published, its slot
    being still within the grace period (15 minutes here)."""
    slot = soon(10)
    kept = scene.held_by_embargo(slot, "Résultats")
    assert hold_for(scene.session, scene.reload(kept), now=slot + timedelta(minutes=6)) is None
    scene.run(slot + timedelta(minutes=6))  # the embargo has lifted; the slot is 6 minutes old
    kept = scene.reload(kept)
    assert kept.state is State.published and kept.held_at is None
    actions = scene.session.scalars(select(AuditEntry.action).where(AuditEntry.post_id == kept.id)
                                    .order_by(AuditEntry.id)).all()
    assert Action.release in actions and actions[-1] == Action.publish


def test_a_post_an_embargo_held_that_a_stop_switch_then_covers_stays_held_once_both_are_gone(scene):
    slot = soon(10)
    post = scene.held_by_embargo(slot, "Finale")
    assert scene.reload(post).held_by_stop_id is None
    stop = controls.turn_on(scene.session, scene.pm, "campaign", campaign_id=post.campaign_id, reason="Finale perdue.")
    scene.session.commit()
    scene.run(slot + timedelta(minutes=6))  # the embargo has lifted; the switch holds it now
    assert scene.reload(post).held_by_stop_id == stop.id
    held = scene.session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id, AuditEntry.action
                                                          == Action.hold).order_by(AuditEntry.id)).all()
    assert [entry.payload["stop_id"] for entry in held] == [None, stop.id]  # the trail says what holds it now
    scene.run(slot + timedelta(minutes=6, seconds=30))
    assert len(scene.session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id, AuditEntry.action
                                                              == Action.hold)).all()) == 2  # once
    controls.turn_off(scene.session, scene.pm, stop.id)
    scene.session.commit()
    scene.run(slot + timedelta(minutes=7))
    post = scene.reload(post)
    assert post.state is State.scheduled and Action.release not in scene.trail(post)


# Quotas -----------------------------------------------------------------------------------------------------------


def test_an_account_at_its_quota_waits_for_room_in_the_window(world, session, make):
    world.config["PUBLISH_QUOTAS"] = {"x": [1, 600]}
    try:
        scene = Scene(world, session, make, network="x")
        slot = soon()
        first, second = scene.scheduled(slot), scene.scheduled(slot, body=BODY.replace("ce soir", "demain"))
        scene.run(slot + timedelta(seconds=1))
        scene.run(slot + timedelta(seconds=2))
        states = {scene.reload(first).state, scene.reload(second).state}
        assert states == {State.published, State.scheduled}
        waiting = first if scene.reload(first).state is State.scheduled else second
        assert scene.reload(waiting).next_attempt_at == slot + timedelta(seconds=1) + timedelta(seconds=600)
    finally:
        world.config["PUBLISH_QUOTAS"] = {}


# Time ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Paris", "Africa/Nairobi", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("server_tz", ["UTC", "Asia/Kolkata"])
def test_a_local_time_is_the_markets_whatever_the_servers_zone(make, session, zone, server_tz, monkeypatch):
    import time

    monkeypatch.setenv("TZ", server_tz)
    time.tzset()
    try:
        market = make.market(None, timezone=zone)
        post = make.post(State.approved, account=make.account(market))
        day = (utcnow() + timedelta(days=60)).date()
        params = ops.action_params(post, Action.schedule, local_time=datetime(day.year, day.month, day.day, 9, 0))
        from zoneinfo import ZoneInfo

        expected = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert params["scheduled_at"] == expected
        session.rollback()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_autumn_hour_that_happens_twice_needs_a_choice(make, session):
    market = make.market(None, timezone="America/New_York")
    post = make.post(State.approved, account=make.account(market))
    local = datetime(2027, 11, 7, 1, 30)  # New York falls back at 2:00
    with pytest.raises(GuardFailed) as refused:
        ops.action_params(post, Action.schedule, local_time=local)
    assert "fold" in refused.value.errors and "-04:00" in refused.value.message and "-05:00" in refused.value.message
    first = ops.action_params(post, Action.schedule, local_time=local, fold=0)["scheduled_at"]
    second = ops.action_params(post, Action.schedule, local_time=local, fold=1)["scheduled_at"]
    assert second - first == timedelta(hours=1)
    session.rollback()


# The backstop ----------------------------------------------------------------------------------------------------


def test_postgres_refuses_a_state_change_without_its_audit_row(world, session, make, backend):
    """The database's backstop behind the single-writer rule: PostgreSQL refuses, at commit, a change of a post's
    state that no audit row of the same transaction records. SQLite has no deferred constraint triggers: there the
    source check (tests/test_single_writer.py) is the only guard, and this raw UPDATE goes through."""
    scene = Scene(world, session, make)
    post = scene.scheduled(soon())
    session.execute(text("UPDATE posts SET state = 'approved', scheduled_at = NULL WHERE id = :id"), {"id": post.id})
    if backend == "postgresql":
        with pytest.raises(Exception, match="without its audit row"):
            session.commit()
        session.rollback()
        assert scene.reload(post).state is State.scheduled
    else:
        session.commit()
        assert scene.reload(post).state is State.approved
    # With its audit row (the engine's way), the same change commits.
    post = scene.scheduled(soon())
    ops.act_on_post(session, post, Action.unschedule, scene.pm, expected_version=post.version)
    session.commit()
    assert scene.reload(post).state is State.approved


# The database down -------------------------------------------------------------------------------------------------


def test_a_worker_outlives_a_database_it_cannot_reach_and_once_says_so_in_one_line(tmp_path, caplog):
    """A database restarting must not kill every worker: the loop logs, waits and tries again; ``--once`` (and any
    other command) fails with one line, no traceback."""
    import subprocess
    import sys
    import threading

    url = "postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens_here"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    app.instance_path = str(tmp_path)
    worker = Worker(app)
    worker.outage_wait_s = 0.05
    runner = threading.Thread(target=worker.run)
    with caplog.at_level("ERROR", logger="approval.publishing.worker"):
        runner.start()
        deadline = time.monotonic() + 20
        while sum("cannot be used" in r.getMessage() for r in caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.stop()
        runner.join(10)
    assert not runner.is_alive()
    assert sum("tries again" in r.getMessage() for r in caplog.records) >= 2  # it tried again, and again
    app.extensions["approval.db"]["engine"].dispose()

    once = subprocess.run([sys.executable, "-m", "approval.cli", "worker", "--once"], capture_output=True, text=True,
                          env={**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path),
                               "APPROVAL_SECRET_KEY": "test"}, timeout=60)
    assert once.returncode == 1 and "Traceback" not in once.stderr
    assert once.stderr.startswith("Error: the database cannot be used: ") and "approval db upgrade" in once.stderr


def test_a_pass_that_fails_on_a_fault_does_not_stop_the_worker(tmp_path, caplog):
    """An exception no one foresaw (a network's answer the reader choked on, a post's odd data) is logged and the
    loop goes on: a worker thread that died stopped every market's publishing until a restart. ``--once`` raises."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test"})
    app.instance_path = str(tmp_path)
    worker = Worker(app)
    worker.outage_wait_s = 0.01
    passes = []

    def run_once() -> PassReport:
        passes.append(len(passes))
        if len(passes) == 1:
            raise ValueError("Invalid IPv6 URL")
        worker.stop()
        return PassReport()

    worker.run_once = run_once  # type: ignore[method-assign]
    with caplog.at_level("ERROR", logger="approval.publishing.worker"):
        worker.run()
    assert passes == [0, 1]
    assert [r.getMessage() for r in caplog.records] == ["a publishing pass failed; the worker tries again in 0.01 s"]
    worker.stopping.clear()
    passes.clear()
    with pytest.raises(ValueError):
        worker.run(once=True)


def test_a_post_whose_checks_raise_is_failed_alone_and_the_posts_behind_it_go_out(scene, make, monkeypatch,
                                                                                   caplog):
    """A post whose checks raised (odd data, a fault of this code) rolled the claim back, pass after pass, at the
    head of the queue: no post behind it ever went out. It is failed alone, nothing sent, with a reason a project
    manager reads; the others go out in the same pass. One that cannot even be failed is left alone by the worker."""
    slot = soon()
    poison = scene.scheduled(slot - timedelta(seconds=1))  # first in the due order
    poison.gate_seal = None  # loaded and checked (a sealed post whose row raises: tests/test_worker_sealed.py)
    scene.account = make.account(scene.market, "facebook")
    controls.connect_account(scene.session, scene.account, "outbox")
    good = scene.scheduled(slot)
    real, poison_id = Worker._refusals, poison.id

    def refusals(self, session, post, digests=None):  # noqa: ANN001, ANN202
        if post.id == poison_id:
            raise KeyError("a payload the checks did not expect")
        return real(self, session, post, digests)

    monkeypatch.setattr(Worker, "_refusals", refusals)
    with caplog.at_level("ERROR", logger="approval.publishing.worker"):
        report = scene.run(slot + timedelta(seconds=1))
    assert report.failed == 1 and report.published >= 1  # (posts left due by earlier tests may go out too)
    assert scene.reload(good).state is State.published
    poison = scene.reload(poison)
    assert poison.state is State.failed and poison.published_url is None
    assert scene.session.scalar(select(func.count()).where(OutboxMessage.post_id == poison.id)) == 0
    last = scene.session.scalars(select(AuditEntry).where(AuditEntry.post_id == poison.id)
                                 .order_by(AuditEntry.id.desc())).first()
    assert last.action is Action.fail and "(KeyError)" in last.comment and "nothing was sent" in last.comment
    assert any("the checks before sending raised" in r.getMessage() for r in caplog.records)

    # A post that cannot even be failed: quarantined by this worker, and the others still go out.
    stuck = scene.scheduled(slot + timedelta(seconds=1))
    stuck.gate_seal = None
    other = make.account(scene.market, "facebook")
    controls.connect_account(scene.session, other, "outbox")
    scene.account = other
    behind = scene.scheduled(slot + timedelta(seconds=2))
    stuck_id = stuck.id
    monkeypatch.setattr(Worker, "_refusals", lambda self, session, post, digests=None: (_ for _ in ()).throw(
        RuntimeError("odd")) if post.id == stuck_id else real(self, session, post, digests))
    monkeypatch.setattr(Worker, "_step", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("cannot fail")))
    now = slot + timedelta(seconds=5)
    worker = Worker(scene.app, clock=lambda: now)
    scene.session.commit()
    with scene.app.app_context():
        report = worker.run(once=True)
    assert list(worker.quarantined) == [stuck_id] and report.failed == 0, "the rolled-back claims are not counted"
    assert scene.reload(stuck).state is State.scheduled, "left alone, never sent"
    assert scene.reload(behind).state is State.published
    # The fault passes: once its quarantine is over, the post is looked at again, and goes out.
    monkeypatch.undo()
    now += QUARANTINE + timedelta(seconds=1)
    scene.session.commit()
    with scene.app.app_context():
        worker.run(once=True)
    assert scene.reload(stuck).state is State.published


def test_a_stored_file_that_cannot_be_read_before_the_claim_stops_no_pass(scene, monkeypatch):
    """Reading the due posts' media before the claim raised (a file the worker may not read): every pass failed
    there, and every post waited. The claim reads each post's files itself instead."""
    slot = soon()
    post = scene.scheduled(slot)

    def unreadable(self, now):  # noqa: ANN001, ANN202
        raise PermissionError("[Errno 13] Permission denied: 'media/files/ab/cd/abcd'")

    monkeypatch.setattr(Worker, "read_media", unreadable)
    assert scene.run(slot + timedelta(seconds=1)).published >= 1
    assert scene.reload(post).state is State.published


def test_a_grace_period_of_zero_set_by_hand_still_lets_the_next_pass_publish(scene):
    """The settings refuse a grace period under a minute; one set to 0 in the database made every post of the market
    miss its slot at the worker's first pass after it (a moment later, never at it). A minute at least is taken."""
    scene.market.grace_minutes = 0
    scene.session.commit()
    try:
        slot = soon()
        post = scene.scheduled(slot)
        scene.run(slot + timedelta(milliseconds=300))
        assert scene.reload(post).state is State.published
    finally:
        scene.market.grace_minutes = 15
        scene.session.commit()


def test_the_workers_reasons_read_in_the_readers_language(world, session, make):
    """The trail keeps the reason in English; the post page, its history and the desk tell it in French to a
    French reader (the step's ``why``: message ids and parameters)."""
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from conftest import WebClient

    scene = Scene(world, session, make, connector="")
    post = scene.failed(soon())
    failure = scene.session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                    .order_by(AuditEntry.id.desc())).first()
    assert failure.comment == "The account is not connected to a publisher: connect it, then retry."
    scene.pm.locale = "fr"  # the manager reads French
    manager, post_id = SimpleNamespace(email=scene.pm.email), post.id
    scene.session.commit()  # SQLite: the pages need the write lock the test's reads took (and nothing reads after)

    def pages() -> tuple[str, str]:
        # In a thread of its own: outside the test's application context, which would keep the first request's
        # language (and CSRF token) for every request.
        client = WebClient(world.test_client())
        client.login(manager)
        return (client.get(f"/posts/{post_id}").get_data(as_text=True),
                client.get("/publishing").get_data(as_text=True))

    with ThreadPoolExecutor(1) as thread:
        page, desk = thread.submit(pages).result()
    french = "Le compte n’est relié à aucun moyen de publication\u00a0: reliez-le, puis réessayez."
    assert page.count(french) == 2  # the banner of a failed post, and its history
    assert french in desk
