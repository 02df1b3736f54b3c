"""A stop switch turned on while the worker claims posts (PostgreSQL, where claims run side by side): the switch and
the claims are ordered (``holds.reading_stops`` and ``changing_stops``). A claim begun while a switch is being turned
on waits for it and holds its post; a switch turned on while a claim is in flight waits for that claim, whose post
was decided before the switch. Never a post put online by a claim that began after the switch was committed, nor one
whose claim read the switches before a switch that was committed before the claim's own commit. SQLite's
``BEGIN IMMEDIATE`` serialises the two already (tests/test_worker.py)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from approval.db import utcnow
from approval.models import OutboxMessage, Post, StopScope, StopSwitch
from approval.publishing import controls
from approval.publishing.worker import PassReport, Worker
from approval.workflow.states import State
from tests.test_worker_claim import due_on_accounts, make, session, world  # noqa: F401 - the claims' committed world

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True, scope="session")


@pytest.fixture()
def switches_off(world):  # noqa: F811
    yield
    with world.app_context(), world.extensions["approval.db"]["sessionmaker"]() as other:
        for stop in other.scalars(select(StopSwitch).where(StopSwitch.turned_off_at.is_(None))):
            controls.turn_off(other, None, stop.id)
        other.commit()


def utcnow_plus(minutes: int) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


def _published(session, post) -> bool:  # noqa: F811, ANN001
    session.expire_all()
    published = session.get(Post, post.id).state is State.published
    sent = session.scalar(select(OutboxMessage.id).where(OutboxMessage.post_id == post.id)) is not None
    session.commit()
    assert published == sent
    return published


def test_a_claim_begun_while_a_switch_is_being_turned_on_waits_for_it_and_holds_the_post(world, session, make,  # noqa: F811
                                                                                          switches_off):
    slot = utcnow_plus(5)
    [post] = due_on_accounts(make, session, 1, slot)
    turning = threading.Event()
    commit = threading.Event()

    def operator() -> None:  # turns everything off, and is slow to commit
        with world.app_context(), world.extensions["approval.db"]["sessionmaker"]() as other:
            controls.turn_on(other, None, "all", reason="Match perdu.")
            turning.set()
            commit.wait(10)
            other.commit()

    thread = threading.Thread(target=operator)
    thread.start()
    assert turning.wait(10)
    threading.Timer(0.5, commit.set).start()  # the claim below waits for this commit, then reads the switch
    with world.app_context():
        Worker(world, clock=lambda: slot + timedelta(seconds=1)).claim(PassReport())
    thread.join(10)
    assert not _published(session, post)
    session.expire_all()
    assert session.get(Post, post.id).held_by_stop_id is not None
    session.commit()


@pytest.mark.parametrize("deciding", ["_ready", "_outgoing"])
def test_a_switch_turned_on_during_a_claim_waits_for_it(world, session, make, switches_off, monkeypatch,  # noqa: F811
                                                        deciding):
    """The claim read the switches (none) and is deciding its posts when a switch is turned on: the switch is
    committed after the claim's publication, never before it (the post was decided before the switch). Whether the
    claim decides on the loaded post (``_ready``) or on its row (``_outgoing``, a sealed post)."""
    slot = utcnow_plus(5)
    [post] = due_on_accounts(make, session, 1, slot, sealed=deciding == "_outgoing")
    committed: dict[str, float] = {}
    real_ready = getattr(Worker, deciding)

    def operator() -> None:
        with world.app_context(), world.extensions["approval.db"]["sessionmaker"]() as other:
            controls.turn_on(other, None, "all", reason="Crise.")
            other.commit()
            committed["switch"] = time.monotonic()

    def ready(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if "started" not in committed:
            committed["started"] = time.monotonic()
            thread = threading.Thread(target=operator)
            thread.start()
            thread.join(0.5)  # the switch waits for this claim: it cannot commit meanwhile
            committed["alive"] = thread.is_alive()
            committed["thread"] = thread
        return real_ready(self, *args, **kwargs)

    monkeypatch.setattr(Worker, deciding, ready)
    with world.app_context():
        Worker(world, clock=lambda: slot + timedelta(seconds=1)).claim(PassReport())
    committed["claim"] = time.monotonic()
    committed["thread"].join(10)
    assert committed["alive"], "the switch was committed while the claim was deciding"
    assert _published(session, post)  # decided before the switch
    assert committed["switch"] >= committed["claim"] - 0.05


def test_the_switch_is_still_on_for_what_falls_due_after_it(world, session, make, switches_off):  # noqa: F811
    slot = utcnow_plus(5)
    [post] = due_on_accounts(make, session, 1, slot)
    with world.app_context(), world.extensions["approval.db"]["sessionmaker"]() as other:
        controls.turn_on(other, None, StopScope.all.value, reason="Crise.")
        other.commit()
    with world.app_context():
        Worker(world, clock=lambda: slot + timedelta(seconds=1)).claim(PassReport())
    assert not _published(session, post)
