"""Transitions per second through the workflow engine, against the bare minimum a database needs for one.

The engine side takes each action with ``approval.operations.act_on_post`` (role and market check, the row of the
transition table, guards, effects, the audit row) and commits it in its own transaction, as a request would. The bare
side does what any transition must: one UPDATE of ``posts`` (state, version, and the column the action sets) and one
INSERT into ``audit_entries``, in one transaction, with SQLAlchemy Core on the same engine.

Both run the same cycle, which stays valid forever, on two posts of a brand account taken in turn:

* the author (a community manager) submits and recalls a post: submit runs the style gate, recall the author guard;
* a project manager schedules and unschedules an approved post: the approval, account and time guards.

Rounds alternate which side runs first, and the medians are reported because the machine is noisy. The databases
are the benchmark's own: a temporary SQLite file and a fresh PostgreSQL database (dropped at the end), both migrated
with ``approval.migrate.upgrade``.

    .venv/bin/python bench/transitions.py [--backend sqlite|postgresql|all] [--rounds 5] [--count 600]
                                          [--session shared|request] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import sessionmaker

from approval import administration as admin
from approval import operations as ops
from approval.db import make_engine, utcnow
from approval.migrate import upgrade
from approval.models import AuditEntry, Post, User
from approval.models.audit import link_hash
from approval.workflow.states import Action, Role, State
from temporary_postgres import NoServer, temporary_database

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."
TARGET = 0.5


# The cycle ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    action: Action
    source: State
    target: State
    #: The engine's input for the action (a fresh schedule time, for instance).
    params: Callable[[], dict[str, Any]] = dict
    #: The columns the bare UPDATE sets besides state and version: what the action's effect writes.
    columns: Callable[[], dict[str, Any]] = dict


REVIEW_CYCLE = (
    Step(Action.submit, State.draft, State.in_review, columns=lambda: {"submitted_at": utcnow()}),
    Step(Action.recall, State.in_review, State.draft),
)
SCHEDULE_CYCLE = (
    Step(Action.schedule, State.approved, State.scheduled,
         params=lambda: {"scheduled_at": utcnow() + timedelta(days=1)},
         columns=lambda: {"scheduled_at": utcnow() + timedelta(days=1)}),
    Step(Action.unschedule, State.scheduled, State.approved, columns=lambda: {"scheduled_at": None}),
)


@dataclass
class Lane:
    """One post going round its cycle, moved by one actor; remembers where it is between rounds."""

    post_id: int
    actor_id: int
    revision_id: int
    cycle: tuple[Step, ...]
    version: int
    position: int = 0
    #: The link of the post's last audit row: the bare side keeps it in memory, the least any writer can do.
    chain: str | None = None

    def next_step(self) -> Step:
        step = self.cycle[self.position]
        self.position = (self.position + 1) % len(self.cycle)
        return step


@dataclass
class Fixture:
    engine: Engine
    sessions: sessionmaker
    engine_lanes: list[Lane] = field(default_factory=list)
    bare_lanes: list[Lane] = field(default_factory=list)


def build_fixture(url: str) -> Fixture:
    """A market, a brand account, its author and project manager, and two posts per side, ready to cycle."""
    engine = make_engine(url)
    sessions = sessionmaker(engine)
    fixture = Fixture(engine, sessions)
    with sessions() as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "facebook", "helio.fr", "Helio")
        author = admin.create_user(session, "cm@helio.example", "Camille", Role.community_manager,
                                   "bench-password", markets=[market])
        manager = admin.create_user(session, "pm@helio.example", "Pierre", Role.project_manager,
                                    "bench-password", markets=[market])
        for lanes in (fixture.engine_lanes, fixture.bare_lanes):
            in_draft = ops.create_post(session, author, account, BODY)
            approved = ops.create_post(session, author, account, BODY)
            for action, actor in ((Action.submit, author), (Action.approve, manager)):
                ops.act_on_post(session, approved, action, actor, expected_version=approved.version)
            session.flush()
            lanes.append(Lane(in_draft.id, author.id, in_draft.current_revision_id, REVIEW_CYCLE, in_draft.version))
            lanes.append(Lane(approved.id, manager.id, approved.current_revision_id, SCHEDULE_CYCLE,
                              approved.version))
        session.commit()
        for lane in fixture.bare_lanes:
            lane.chain = session.scalar(select(AuditEntry.chain_hash).where(AuditEntry.post_id == lane.post_id)
                                        .order_by(AuditEntry.id.desc()).limit(1))
    return fixture


# The two sides -----------------------------------------------------------------------------------------------


def run_engine_shared(fixture: Fixture, count: int) -> float:
    """``count`` transitions through the engine, one commit each, in one long-lived session (objects expire at each
    commit, so every transition reloads what it reads, as a request would). Returns transitions per second."""
    lanes = fixture.engine_lanes
    with fixture.sessions() as session:
        posts = {lane.post_id: session.get(Post, lane.post_id) for lane in lanes}
        actors = {lane.actor_id: session.get(User, lane.actor_id) for lane in lanes}
        session.commit()
        started = time.perf_counter()
        for i in range(count):
            lane = lanes[i % len(lanes)]
            post = posts[lane.post_id]
            step = lane.next_step()
            ops.act_on_post(session, post, step.action, actors[lane.actor_id], expected_version=post.version,
                            **step.params())
            session.commit()
        return count / (time.perf_counter() - started)


def run_engine_request(fixture: Fixture, count: int) -> float:
    """As ``run_engine_shared``, but each transition opens its own session and loads the actor and the post the way
    a view does (``session.get`` for the logged-in user, ``load_post`` through the market scope)."""
    lanes = fixture.engine_lanes
    started = time.perf_counter()
    for i in range(count):
        lane = lanes[i % len(lanes)]
        step = lane.next_step()
        with fixture.sessions() as session:
            actor = session.get(User, lane.actor_id)
            post = ops.load_post(session, actor, lane.post_id)
            ops.act_on_post(session, post, step.action, actor, expected_version=post.version, **step.params())
            session.commit()
    return count / (time.perf_counter() - started)


POSTS = Post.__table__
AUDIT = AuditEntry.__table__


def run_bare(fixture: Fixture, count: int) -> float:
    """``count`` transitions as one UPDATE (checking the version, as the ORM does) and one INSERT per transaction,
    the audit row linked to the one before it (its link kept in memory: no read)."""
    lanes = fixture.bare_lanes
    engine = fixture.engine
    started = time.perf_counter()
    for i in range(count):
        lane = lanes[i % len(lanes)]
        step = lane.next_step()
        now = utcnow()
        with engine.begin() as connection:
            result = connection.execute(
                update(POSTS)
                .where(POSTS.c.id == lane.post_id, POSTS.c.version == lane.version)
                .values(state=step.target, version=lane.version + 1, **step.columns())
            )
            if result.rowcount != 1:
                raise RuntimeError(f"post {lane.post_id} changed under the benchmark")
            row = {"post_id": lane.post_id, "action": step.action, "from_state": step.source,
                   "to_state": step.target, "actor_id": lane.actor_id, "at": now, "comment": None,
                   "revision_id": lane.revision_id, "payload": {}}
            chain = link_hash(lane.chain, row)
            connection.execute(insert(AUDIT).values(**row, chain_hash=chain))
        lane.version += 1
        lane.chain = chain
    return count / (time.perf_counter() - started)


ENGINE_RUNNERS = {"shared": run_engine_shared, "request": run_engine_request}


# Databases ---------------------------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    engine: list[float]
    bare: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.engine) / statistics.median(self.bare)


def measure(backend: str, url: str, args: argparse.Namespace) -> Result:
    upgrade(url)
    fixture = build_fixture(url)
    run_engine = ENGINE_RUNNERS[args.session]
    try:
        warm_up = max(20, args.count // 10)
        run_engine(fixture, warm_up)
        run_bare(fixture, warm_up)
        result = Result(backend, [], [])
        for number in range(args.rounds):
            sides = [("engine", run_engine), ("bare", run_bare)]
            if number % 2:
                sides.reverse()
            for name, run in sides:
                getattr(result, name).append(run(fixture, args.count))
        if args.profile:
            profile_engine(fixture, run_engine, args.count)
        return result
    finally:
        fixture.engine.dispose()


def profile_engine(fixture: Fixture, run_engine: Callable[[Fixture, int], float], count: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run_engine(fixture, count)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(out.getvalue())


def sqlite_url(directory: str) -> str:
    return f"sqlite:///{Path(directory) / 'bench.db'}"


def run_sqlite(args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory(prefix="approval-bench-") as directory:
        return measure("sqlite", sqlite_url(directory), args)


def run_postgresql(args: argparse.Namespace) -> Result | None:
    try:
        with temporary_database("approval_bench") as url:
            return measure("postgresql", url, args)
    except NoServer as error:
        print(f"postgresql: skipped, {error}", file=sys.stderr)
        return None


# Output ------------------------------------------------------------------------------------------------------


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"{args.rounds} rounds of {args.count} transitions per side, medians; engine sessions: {args.session}")
    print(f"{'backend':<12}{'engine tx/s':>12}{'bare tx/s':>12}{'ratio':>8}")
    for result in results:
        print(f"{result.backend:<12}{statistics.median(result.engine):>12.0f}{statistics.median(result.bare):>12.0f}"
              f"{result.ratio:>7.0%}".replace("%", " %"))
    for result in results:
        spread = "  ".join(f"{min(rates):.0f}-{max(rates):.0f}" for rates in (result.engine, result.bare))
        below = "" if result.ratio >= TARGET else f"  (below the {TARGET:.0%} target)"
        print(f"  {result.backend}: per-round range engine/bare {spread}{below}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=5, help="measurements per side (default 5)")
    parser.add_argument("--count", type=int, default=600, help="transitions per side and round (default 600)")
    parser.add_argument("--session", choices=tuple(ENGINE_RUNNERS), default="shared",
                        help="engine side: one long-lived session, or a session per transition loading the actor and "
                             "the post as a view does (default shared)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more engine round")
    args = parser.parse_args(argv)

    results = []
    if args.backend in ("sqlite", "all"):
        results.append(run_sqlite(args))
    if args.backend in ("postgresql", "all"):
        result = run_postgresql(args)
        if result is not None:
            results.append(result)
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
