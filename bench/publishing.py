"""Publishing throughput and latency on PostgreSQL: the worker draining due posts through the outbox connector, with 1,
2 and 4 worker processes, against a floor and a bare claim loop run with the same number of processes; and how long
after its time a post goes out when a worker is idle.

**Worker side.** ``Worker`` processes, as ``approval worker`` runs them (a pass: leases, missed slots and holds
housekept every five seconds while busy; the earliest due posts locked ``FOR UPDATE SKIP LOCKED`` in the due
index's order, one per account whose slot is free; every check before sending, answered by the posts' rows with the
style gate's seal of their scheduling (the generator writes it as ``schedule`` does: the gate run on each text), the
others loaded and checked in full; the outbox rows and their lines appended to ``outbox.jsonl`` with fsync, the
attempts, ``published`` with its audit rows and the authors' notifications, all in the claiming transaction). Each
process loads the language models before the clock starts, as a worker that has been running does.

**Bare side.** What no claim can skip, in SQLAlchemy Core: in one transaction, up to 16 due posts locked ``FOR UPDATE
SKIP LOCKED`` in time order, one UPDATE setting their state, and the audit rows the database demands with a state
change (its backstop trigger refuses the commit otherwise); nothing else.

**Floor.** The bare loop plus what every publication through the outbox reads and writes, whatever checks come
first (the texts, the outbox rows and their lines with fsync, the attempts, the author's notification), in Core,
one statement per table per batch: the distance from the bare loop that the writes alone make.

All three drain the same number of posts, approved and scheduled, spread over 200 accounts, that fall due together (one
UPDATE of their time, the processes started and idle before). A drain stops after ``--max-seconds`` if the posts
are not all out; its rate is taken from the posts' own ``published_at``: (published - 1) / (last - first). The
posts a stopped drain left are parked again for the next one.

**Rounds.** First each side drains a few posts unmeasured (``WARM_UP_POSTS``), as on a database in use. Then each
number of processes is measured in ``--rounds`` rounds, a drain of each side in each, the side that goes first
rotating from round to round, as the other benchmarks here do: on a machine shared with other work the same code's
rate moved by a third within the hour, and sides drained one after the other once each put that spread into their
ratio. The rates and CPU printed are each side's median; the ratios, the median of each round's own (its sides
drained minutes apart), with their lowest and highest.

**CPU.** Each drain also measures the CPU its processes and their PostgreSQL backends (found by their
``application_name``) used, from /proc, when the server runs on this machine: per post, it moves much less than the
rates with the other work of a shared machine.

**Latency.** One idle worker; posts scheduled a second ahead one at a time, 0.3 to 0.7 s apart (random, so the
poll's phase varies); for each, ``published_at - scheduled_at`` (the worker's clock at its claim) and the time its
outbox row was written, after the checks and the append.

    .venv/bin/python bench/publishing.py [--posts 10000] [--workers 1,2,4] [--rounds 3] [--max-seconds 20]
                                         [--batch 16] [--latency-samples 40]

Targets: the worker at 50 % or more of the bare loop with 4 processes; under one second from due to sent. PostgreSQL
is reached at APPROVAL_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres); the
benchmark creates its own database and drops it at the end. Not run by the tests.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the generator of due posts is the tests' own

from publishing_helpers import Desk, due_posts, open_desk
from sqlalchemy import Engine, func, select, text, update
from temporary_postgres import NoServer, temporary_database

from approval.db import utcnow
from approval.migrate import upgrade
from approval.models import OutboxMessage, Post

TARGET_RATIO = 0.5
#: Posts each side drains, unmeasured, before the rounds (``run``).
WARM_UP_POSTS = 2_000
TARGET_LATENCY_S = 1.0
ACCOUNTS = 200

#: A publishing worker, as ``approval worker`` builds it, with the language models loaded before it says "ready".
WORKER = """
import os, sys
from approval import create_app
from approval.publishing.worker import Worker
from approval.style import language

app = create_app({"SECRET_KEY": "bench"})
# lingua loads its models at the first detection, not when the detector is built (seconds): once, before the clock.
language.detect("La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.")
worker = Worker(app, batch=int(os.environ["APPROVAL_BENCH_BATCH"]))
worker.install_signal_handlers()
print("ready", flush=True)
worker.run()
"""

#: The bare claim loop: the same SKIP LOCKED claim of up to 16 due posts (``--batch``) and the state UPDATE, with the
#: audit rows the database's backstop requires, and nothing else (``publish`` does nothing). SIGTERM ends it between
#: transactions.
LOOP = """
import os, signal, threading
from sqlalchemy import bindparam, insert, select, update
from approval.db import make_engine, utcnow
from approval.models import AuditEntry, Post
from approval.models.audit import link_hash

POSTS, AUDIT = Post.__table__, AuditEntry.__table__
CLAIM = (select(POSTS.c.id, POSTS.c.current_revision_id)
         .where(POSTS.c.state == "scheduled", POSTS.c.scheduled_at <= bindparam("now"))
         .order_by(POSTS.c.scheduled_at, POSTS.c.id).limit(int(os.environ["APPROVAL_BENCH_BATCH"]))
         .with_for_update(skip_locked=True))
stopping = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopping.set())
engine = make_engine(os.environ["APPROVAL_DATABASE_URL"])
with engine.connect():
    pass
print("ready", flush=True)
while not stopping.is_set():
    now = utcnow()
    with engine.begin() as connection:
        claimed = connection.execute(CLAIM, {"now": now}).all()
        if claimed:
            publish(connection, [row.id for row in claimed], now)
            connection.execute(update(POSTS).where(POSTS.c.id.in_([row.id for row in claimed]))
                               .values(state="published", published_at=now, version=POSTS.c.version + 1))
            rows = [{"post_id": row.id, "action": "publish", "from_state": "scheduled", "to_state": "published",
                     "actor_id": None, "at": now, "comment": None, "revision_id": row.current_revision_id,
                     "payload": {}} for row in claimed]
            connection.execute(insert(AUDIT), [{**row, "chain_hash": link_hash(None, row)} for row in rows])
    if not claimed:
        stopping.wait(0.5)
"""
BARE = """
def publish(connection, post_ids, now):
    pass
""" + LOOP

#: The floor: the bare loop plus what every publication through the outbox reads and writes, whatever checks come
#: before: the posts' texts and accounts, the outbox rows and their lines (appended to the feed, fsync), the
#: attempts, the author's notification. In SQLAlchemy Core, one statement per table per batch, no checks. The floor's
#: distance from the bare loop is these writes alone; the worker's from the floor is its checks, its objects and
#: its bookkeeping.
FLOOR = r"""
import json, os, uuid
from sqlalchemy import insert, select
from approval.models import Account, OutboxMessage, Post, PublicationAttempt, Revision
from approval.models.notifications import Notification

POST, ACCOUNT, REVISION = Post.__table__, Account.__table__, Revision.__table__
READ = (select(POST.c.id, POST.c.current_revision_id, POST.c.account_id, POST.c.created_by_id,
               ACCOUNT.c.market_id, ACCOUNT.c.handle, REVISION.c.body, REVISION.c.sha256)
        .join(ACCOUNT, ACCOUNT.c.id == POST.c.account_id).join(REVISION, REVISION.c.id == POST.c.current_revision_id))
OUTBOX = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id, sort_by_parameter_order=True)
FEED = open(os.path.join(os.environ["APPROVAL_INSTANCE_PATH"], "floor.jsonl"), "a", encoding="utf-8")

def publish(connection, post_ids, now):
    posts = connection.execute(READ.where(POST.c.id.in_(post_ids))).all()
    keys = [uuid.uuid4().hex for _ in posts]
    bodies = [{"post_id": post.id, "idempotency_key": key, "account": {"id": post.account_id, "handle": post.handle},
               "revision": {"sha256": post.sha256}, "text": post.body} for post, key in zip(posts, keys)]
    ids = connection.execute(OUTBOX, [{"idempotency_key": key, "post_id": post.id, "account_id": post.account_id,
                                       "body": body, "created_at": now}
                                      for post, key, body in zip(posts, keys, bodies)]).scalars().all()
    FEED.write("".join(json.dumps({"id": id_, **body}, ensure_ascii=False) + "\n" for id_, body in zip(ids, bodies)))
    FEED.flush()
    os.fsync(FEED.fileno())
    connection.execute(insert(PublicationAttempt.__table__), [
        {"post_id": post.id, "revision_id": post.current_revision_id, "account_id": post.account_id,
         "sha256": post.sha256, "idempotency_key": key, "connector": "outbox", "outcome": "published",
         "remote_id": f"outbox-{id_}", "url": f"outbox:{id_}", "started_at": now, "finished_at": now}
        for post, key, id_ in zip(posts, keys, ids)])
    connection.execute(insert(Notification.__table__), [
        {"user_id": post.created_by_id, "kind": "published", "post_id": post.id, "market_id": post.market_id,
         "at": now, "mail": "immediate", "mail_due_at": now} for post in posts])
""" + LOOP

#: The three sides, in the order the first round runs them (the next ones rotate it).
SCRIPTS = {"worker": WORKER, "floor": FLOOR, "bare": BARE}


@dataclass
class Drain:
    side: str
    processes: int
    posts: int
    seconds: float
    due: int
    #: CPU seconds the side's processes and their PostgreSQL backends used during the drain (None: not measurable).
    cpu: float | None = None

    @property
    def rate(self) -> float:
        return (self.posts - 1) / self.seconds if self.seconds > 0 else float("nan")

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds a post costs (the processes' and their database backends'), or NaN."""
        return self.cpu / self.posts * 1000 if self.cpu is not None and self.posts else float("nan")


#: The ``application_name`` of the sides' connections, by which their PostgreSQL backends are found.
SIDE_APPLICATION = "approval-bench-side"


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """The CPU time (user + system) each live process of ``pids`` has used, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


class CpuMeter:
    """The CPU the sides' processes and their PostgreSQL backends use between ``start`` and ``stop``: on a machine
    shared with other work, rates move with the load, CPU per post much less. Needs the server on this machine (its
    backends' /proc entries readable); otherwise the meter reads None."""

    def __init__(self, engine: Engine, processes: list[subprocess.Popen]) -> None:
        self.engine, self.processes = engine, processes
        self.before: dict[int, float] = {}

    def backends(self) -> list[int]:
        with self.engine.connect() as connection:
            return list(connection.scalars(select(text("pid")).select_from(text("pg_stat_activity")).where(
                text("datname = current_database() AND application_name = :name")), {"name": SIDE_APPLICATION}))

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes] + self.backends()

    def start(self) -> None:
        self.before = cpu_seconds(self.pids())

    def stop(self) -> float | None:
        pids = self.pids()
        after = cpu_seconds(pids)
        if len(after) < len(pids) or not self.backends():
            return None  # a backend elsewhere, or /proc not readable
        return sum(used - self.before.get(pid, 0.0) for pid, used in after.items())


def start(script: str, count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    processes = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(count)]
    for process in processes:
        line = process.stdout.readline() if process.stdout else ""
        if line.strip() != "ready":
            stop(processes)
            raise RuntimeError(f"a benchmark process did not start (exit {process.poll()})")
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_published(engine: Engine, post_ids: list[int], processes: list[subprocess.Popen],
                   timeout: float) -> None:
    """Until every post is published, or ``timeout`` seconds have passed."""
    low, high = min(post_ids), max(post_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            left = connection.scalar(select(func.count()).where(Post.id.between(low, high),
                                                                Post.state == "scheduled"))
        if not left:
            return
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a benchmark process died during the drain")
        time.sleep(0.25)


class Reservoir:
    """Approved posts parked a year ahead; ``release`` makes some due at once (one UPDATE of their time), ``park``
    sends back those a bounded drain left. Posts are generated only as drains use them up."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.parked: list[int] = []
        self.made = 0

    def release(self, count: int) -> list[int]:
        if len(self.parked) < count:
            missing = count - len(self.parked)
            self.parked += due_posts(self.desk, missing, at=self.later(), first=self.made)
            self.made += missing
        taken, self.parked = self.parked[:count], self.parked[count:]
        self.analyze()
        self._move(taken, utcnow() - timedelta(seconds=1))
        return taken

    def analyze(self) -> None:
        """The planner's statistics brought up to date, as autovacuum keeps them on a database in use: the posts
        generated, and the notifications, attempts and audit rows the drains before wrote. Without them PostgreSQL
        planned blind, for a table of a few rows, the worker's searches of thousands."""
        with self.desk.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")

    def park(self, post_ids: list[int]) -> None:
        with self.desk.engine.connect() as connection:
            left = connection.scalars(select(Post.id).where(Post.id.in_(post_ids), Post.state == "scheduled")).all()
        self._move(left, self.later())
        self.parked += left

    def later(self) -> datetime:
        return utcnow() + timedelta(days=365)

    def _move(self, post_ids: list[int], when: datetime) -> None:
        with self.desk.engine.begin() as connection:
            connection.execute(update(Post.__table__).where(Post.__table__.c.id.in_(post_ids))
                               .values(scheduled_at=when))


def drain(side: str, count: int, reservoir: Reservoir, env: dict[str, str], posts: int,
          max_seconds: float) -> Drain:
    processes = start(SCRIPTS[side], count, env)
    meter = CpuMeter(reservoir.desk.engine, processes)
    try:
        meter.start()
        post_ids = reservoir.release(posts)
        wait_published(reservoir.desk.engine, post_ids, processes, timeout=max_seconds)
        cpu = meter.stop()
    finally:
        stop(processes)
    reservoir.park(post_ids)
    with reservoir.desk.engine.connect() as connection:
        first_at, last_at, done = connection.execute(
            select(func.min(Post.published_at), func.max(Post.published_at), func.count())
            .where(Post.id.in_(post_ids), Post.state == "published")
        ).one()
    return Drain(side, count, done, (last_at - first_at).total_seconds(), posts, cpu)


@dataclass
class Latency:
    published: list[float]
    written: list[float]


def latency(desk: Desk, env: dict[str, str], samples: int) -> Latency:
    """One idle worker; each post scheduled one second ahead; when it went out, by the post and by the outbox."""
    chance = random.Random(20261201)
    processes = start(WORKER, 1, env)
    post_ids: list[int] = []
    try:
        warm_up = due_posts(desk, 3, first=10_000_000)  # the worker's first pass builds what it keeps
        wait_published(desk.engine, warm_up, processes, timeout=60)
        for number in range(samples):
            account = desk.account_ids[number % len(desk.account_ids)]
            post_ids += due_posts(desk, 1, at=utcnow() + timedelta(seconds=1), accounts=[account],
                                  first=20_000_000 + number)
            time.sleep(chance.uniform(0.3, 0.7))
        wait_published(desk.engine, post_ids, processes, timeout=30)
    finally:
        stop(processes)
    with desk.engine.connect() as connection:
        rows = connection.execute(
            select(Post.scheduled_at, Post.published_at, OutboxMessage.created_at)
            .join(OutboxMessage, OutboxMessage.post_id == Post.id).where(Post.id.in_(post_ids))
        ).all()
    return Latency([(p - s).total_seconds() for s, p, _ in rows], [(w - s).total_seconds() for s, _, w in rows])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


#: The drains of one number of processes: each round's, by side.
Rounds = list[dict[str, Drain]]


def run(url: str, args: argparse.Namespace) -> int:
    upgrade(url)
    with tempfile.TemporaryDirectory(prefix="approval-bench-") as instance:
        env = {**os.environ, "APPROVAL_DATABASE_URL": f"{url}?application_name={SIDE_APPLICATION}",
               "APPROVAL_INSTANCE_PATH": instance,
               "APPROVAL_BENCH_BATCH": str(args.batch),
               "APPROVAL_SECRET_KEY": "bench"}
        desk = open_desk(url, accounts=ACCOUNTS, connector="outbox")
        reservoir = Reservoir(desk)
        # A database in use first: each side drains a few posts, unmeasured, so that the tables the measured drains
        # search hold rows (notices, attempts, audit rows) and the planner's statistics know it. On a new database,
        # the first drain's searches of the notices were planned for an empty table, and slowed as it filled.
        for side in SCRIPTS:
            drain(side, max(args.workers), reservoir, env, min(args.posts, WARM_UP_POSTS), args.max_seconds)
        measured: dict[int, Rounds] = {}
        for count in args.workers:
            measured[count] = []
            for number in range(args.rounds):
                sides = list(SCRIPTS)
                sides = sides[number % len(sides):] + sides[:number % len(sides)]  # who goes first rotates
                drained = {}
                for side in sides:
                    drained[side] = drain(side, count, reservoir, env, args.posts, args.max_seconds)
                    print(f"  round {number + 1}, {side}, {count} process{'es' if count > 1 else ''}: "
                          f"{drained[side].posts} of {args.posts} posts published, {drained[side].seconds:.1f} s "
                          "from the first to the last", file=sys.stderr, flush=True)
                measured[count].append(drained)
        waits = latency(desk, env, args.latency_samples) if args.latency_samples else None
        desk.engine.dispose()
    report(measured, waits, args)
    return 0


def ratios(rounds: Rounds, of: str, to: str, value: str = "rate") -> list[float]:
    """Each round's ratio of side ``of``'s ``value`` to side ``to``'s."""
    return [getattr(drained[of], value) / getattr(drained[to], value) for drained in rounds]


def median_of(rounds: Rounds, side: str, value: str) -> float:
    return statistics.median(getattr(drained[side], value) for drained in rounds)


def spread(values: list[float]) -> str:
    """A median of ratios, and their range when there are several."""
    middle = f"{statistics.median(values):.0%}"
    return (middle if len(values) < 2 else f"{middle} ({min(values):.0%}-{max(values):.0%})").replace("%", " %")


def report(measured: dict[int, Rounds], waits: Latency | None, args: argparse.Namespace) -> None:
    print(f"PostgreSQL, {args.posts} due posts per drain over {ACCOUNTS} accounts, outbox connector; a drain stops "
          f"after {args.max_seconds:g} s; {args.rounds} round{'s' if args.rounds > 1 else ''} per number of "
          "processes: each side's median, each ratio the median of the rounds' own (lowest-highest)")
    print(f"{'processes':<11}{'worker posts/s':>15}{'floor posts/s':>15}{'bare posts/s':>14}{'worker/bare':>20}"
          f"{'floor/bare':>20}{'worker/floor':>21}   published (worker, floor, bare), fewest")
    for count, rounds in measured.items():
        fewest = {side: min(drained[side].posts for drained in rounds) for side in SCRIPTS}
        print(f"{count:<11}{median_of(rounds, 'worker', 'rate'):>15.1f}{median_of(rounds, 'floor', 'rate'):>15.0f}"
              f"{median_of(rounds, 'bare', 'rate'):>14.0f}{spread(ratios(rounds, 'worker', 'bare')):>20}"
              f"{spread(ratios(rounds, 'floor', 'bare')):>20}{spread(ratios(rounds, 'worker', 'floor')):>21}"
              f"   {fewest['worker']}, {fewest['floor']}, {fewest['bare']} of {rounds[0]['worker'].due}")
    if all(drained.cpu is not None for rounds in measured.values() for round_ in rounds
           for drained in round_.values()):
        # What each post cost the machine, the sides' processes and their backends together: the rates follow the
        # other work on a shared machine, these much less. bare/worker is the ratio of the rates on a machine that
        # does nothing else and whose cores are the limit.
        print("CPU per post (the processes and their PostgreSQL backends), ms:")
        print(f"{'processes':<11}{'worker':>15}{'floor':>15}{'bare':>14}{'bare/worker':>20}{'bare/floor':>20}")
        for count, rounds in measured.items():
            print(f"{count:<11}{median_of(rounds, 'worker', 'cpu_ms'):>15.2f}"
                  f"{median_of(rounds, 'floor', 'cpu_ms'):>15.2f}{median_of(rounds, 'bare', 'cpu_ms'):>14.2f}"
                  f"{spread(ratios(rounds, 'bare', 'worker', 'cpu_ms')):>20}"
                  f"{spread(ratios(rounds, 'bare', 'floor', 'cpu_ms')):>20}")
    if 4 in measured:
        ratio = statistics.median(ratios(measured[4], "worker", "bare"))
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"target, worker at {TARGET_RATIO:.0%} of bare with 4 processes: {verdict} ({ratio:.0%}, the median of "
              f"{len(measured[4])} round{'s' if len(measured[4]) > 1 else ''})")
    if waits is not None:
        for label, values in (("due -> published_at", waits.published), ("due -> outbox row written", waits.written)):
            print(f"{label:<27} median {statistics.median(values) * 1000:5.0f} ms, "
                  f"p99 {percentile(values, 0.99) * 1000:5.0f} ms, max {max(values) * 1000:5.0f} ms "
                  f"({len(values)} posts, one idle worker)")
        worst = percentile(waits.written, 0.99)
        verdict = "met" if worst < TARGET_LATENCY_S else "NOT met"
        print(f"target, under {TARGET_LATENCY_S:g} s from due to sent (p99 of the outbox row): {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000, help="due posts per drain (default 10000)")
    parser.add_argument("--workers", type=lambda v: [int(n) for n in v.split(",")], default=[1, 2, 4],
                        help="numbers of processes, comma-separated (default 1,2,4)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="drains of each side per number of processes, the first side rotating (default 3)")
    parser.add_argument("--batch", type=int, default=16,
                        help="posts a pass claims, the same on the three sides (default: the worker's, 16)")
    parser.add_argument("--latency-samples", type=int, default=40, help="posts timed with an idle worker (default 40)")
    parser.add_argument("--max-seconds", type=float, default=20.0,
                        help="a drain stops after this long, its rate taken from the posts it published (default 20)")
    args = parser.parse_args(argv)
    if args.posts < 2:
        parser.error("--posts must be 2 or more")
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    try:
        with temporary_database("approval_bench_publishing") as url:
            return run(url, args)
    except NoServer as error:
        print(f"postgresql: skipped, {error}", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
