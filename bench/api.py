"""Workflow transitions per second over the JSON API under gunicorn, against a bare Flask endpoint answering the
same JSON.

The API side is ``POST /api/v1/posts/{id}/transitions`` as a program calls it: bearer token, If-Match, Idempotency-Key
(every tenth request), served by gunicorn (2 workers) on a fresh PostgreSQL database: token check, market scope, row
lock, the workflow engine (table, guards, effects, audit row), the idempotency key, one commit, the post's JSON and
its ETag. The bare side is a Flask app under the same gunicorn settings whose one endpoint answers that same JSON (a
real answer of the API side, serialised again on each request) and does nothing else. Between the two, the floor side
does what no implementation of the request can skip, with the least code this stack allows: SQLAlchemy Core, no ORM,
no validation, no rules: find the token's user, lock the post's row (reading its last audit link), one UPDATE, one
INSERT into the audit table (linked), one commit, then the same JSON with the new version. API/bare is the figure
with the target; floor/bare says how much of the gap is the database's round trips on this machine, API/floor what
the application adds to them.

The load comes from client threads on loopback, each with its own http.client connection (kept alive when the
worker class allows it) and its own post, which it moves round a cycle that stays valid forever, sending back the
ETag of its last answer: the author submits and recalls a draft, a project manager schedules and unschedules an
approved post. Rounds rotate which side goes first; medians are printed, with the ratios (API/bare: target 40 % or
more). Each round is bounded in requests and in time.

    .venv/bin/python bench/api.py [--rounds 5] [--requests 1500] [--threads 4] [--workers 2]
                                  [--worker-class sync|gthread] [--max-seconds 60]

PostgreSQL is reached at APPROVAL_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
the benchmark creates its own database and drops it at the end. Not run by the tests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approval import administration as admin  # noqa: E402
from approval import operations as ops  # noqa: E402
from approval.api.tokens import issue_token  # noqa: E402
from approval.db import make_engine, utcnow  # noqa: E402
from approval.migrate import upgrade  # noqa: E402
from approval.workflow.states import Action, Role  # noqa: E402
from temporary_postgres import NoServer, temporary_database  # noqa: E402

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante."
TARGET = 0.4
#: The bare app's answer, handed to its workers through the environment.
SAMPLE_ENV = "APPROVAL_BENCH_SAMPLE"


# The bare side: gunicorn imports it from this file (``api:bare_app()`` with --chdir bench) --------------------------


def bare_app():  # noqa: ANN201
    """A Flask app whose one endpoint answers the API's JSON for a transition, with an ETag, and nothing else."""
    from flask import Flask, jsonify

    sample = json.loads(os.environ[SAMPLE_ENV])
    app = Flask("bare")

    @app.post("/api/v1/posts/<int:post_id>/transitions")
    def transition(post_id: int):  # noqa: ANN202
        response = jsonify(sample)
        response.headers["ETag"] = f'"post-{post_id}-v{sample["version"]}"'
        return response

    return app


#: The floor side's workflow: each action of the cycles and the state it leads to.
FLOOR_TARGETS = {"submit": "in_review", "recall": "draft", "schedule": "scheduled", "unschedule": "approved"}


def floor_app():  # noqa: ANN201
    """A Flask app doing the transition's unavoidable database work with SQLAlchemy Core, and nothing else."""
    from datetime import datetime

    from flask import Flask, abort, jsonify, request
    from sqlalchemy import bindparam, insert, select, update

    from approval.models import ApiToken, AuditEntry, Post, User
    from approval.models.audit import link_hash
    from approval.models.tokens import token_sha256

    sample = json.loads(os.environ[SAMPLE_ENV])
    engine = make_engine(os.environ["APPROVAL_DATABASE_URL"])
    tokens, users, posts, audit = (model.__table__ for model in (ApiToken, User, Post, AuditEntry))
    user_of_token = (
        select(users.c.id).select_from(tokens.join(users))
        .where(tokens.c.token_hash == bindparam("token_hash"), tokens.c.revoked_at.is_(None), users.c.active)
    )
    last_link = (select(audit.c.chain_hash).where(audit.c.post_id == posts.c.id).order_by(audit.c.id.desc())
                 .limit(1).scalar_subquery())
    # The post's row lock and the link of its last audit row, in one statement.
    locked_post = (select(posts.c.state, posts.c.version, last_link.label("link"))
                   .where(posts.c.id == bindparam("post_id")).with_for_update(of=posts))
    move = (
        update(posts).where(posts.c.id == bindparam("post_id"), posts.c.version == bindparam("version"))
        .values(state=bindparam("state"), scheduled_at=bindparam("scheduled_at"), version=posts.c.version + 1,
                updated_at=bindparam("now"))
        .returning(posts.c.version)
    )
    record = insert(audit)
    app = Flask("floor")

    @app.post("/api/v1/posts/<int:post_id>/transitions")
    def transition(post_id: int):  # noqa: ANN202
        body = request.get_json()
        secret = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with engine.begin() as connection:
            actor_id = connection.scalar(user_of_token, {"token_hash": token_sha256(secret)})
            row = connection.execute(locked_post, {"post_id": post_id}).first()
            if actor_id is None or row is None:
                abort(404)
            now = utcnow()
            target = FLOOR_TARGETS[body["action"]]
            scheduled_at = (datetime.fromisoformat(body["local_time"]).replace(tzinfo=now.tzinfo)
                            if target == "scheduled" else None)
            version = connection.scalar(move, {"post_id": post_id, "version": row.version, "state": target,
                                               "scheduled_at": scheduled_at, "now": now})
            values = {"post_id": post_id, "action": body["action"], "from_state": row.state, "to_state": target,
                      "actor_id": actor_id, "at": now, "comment": None, "revision_id": None, "payload": {}}
            connection.execute(record, {**values, "chain_hash": link_hash(row.link, values)})
        response = jsonify({**sample, "id": post_id, "state": target, "version": version})
        response.headers["ETag"] = f'"post-{post_id}-v{version}"'
        return response

    return app


# The load ----------------------------------------------------------------------------------------------------------

REVIEW_CYCLE = ({"action": "submit"}, {"action": "recall"})
SCHEDULE_CYCLE = ({"action": "schedule", "local_time": None}, {"action": "unschedule"})


@dataclass
class Lane:
    """One client thread's post, its token, its cycle, and the ETag of its last answer."""

    post_id: int
    token: str
    cycle: tuple[dict, ...]
    etag: str
    position: int = 0

    def next_body(self) -> dict:
        body = dict(self.cycle[self.position % len(self.cycle)])
        self.position += 1
        if body.get("local_time", "") is None:
            body["local_time"] = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
        return body


@dataclass
class Side:
    name: str
    port: int
    rates: list[float] = field(default_factory=list)


def drive(port: int, lanes: list[Lane], requests: int, max_seconds: float) -> float:
    """``requests`` transitions spread over one thread per lane; returns requests per second."""
    per_lane = requests // len(lanes)
    deadline = time.monotonic() + max_seconds
    done = [0] * len(lanes)
    failures: list[str] = []

    def run(index: int, lane: Lane) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for number in range(per_lane):
                if time.monotonic() > deadline or failures:
                    return
                headers = {"Authorization": f"Bearer {lane.token}", "Content-Type": "application/json",
                           "If-Match": lane.etag}
                if number % 10 == 0:
                    headers["Idempotency-Key"] = uuid.uuid4().hex
                connection.request("POST", f"/api/v1/posts/{lane.post_id}/transitions",
                                   body=json.dumps(lane.next_body()), headers=headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200:
                    failures.append(f"post {lane.post_id}: {response.status} {answer[:300]!r}")
                    return
                lane.etag = response.getheader("ETag")
                done[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, lane)) for i, lane in enumerate(lanes)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError("the API refused a transition of the cycle: " + failures[0])
    return sum(done) / elapsed


# Set-up ------------------------------------------------------------------------------------------------------------


def seed(url: str, threads: int) -> tuple[list[Lane], list[Lane], list[Lane]]:
    """A market, a brand account, an author and a project manager with their tokens, and one post per thread for
    each side: API, floor and bare (whose posts only name the URL)."""
    engine = make_engine(url)
    with Session(engine) as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "facebook", "helio.fr", "Helio")
        author = admin.create_user(session, "cm@helio.example", "Camille", Role.community_manager, "bench-password",
                                   markets=[market])
        manager = admin.create_user(session, "pm@helio.example", "Pierre", Role.project_manager, "bench-password",
                                    markets=[market])
        tokens = {author.id: issue_token(session, author, "bench")[1], manager.id: issue_token(session, manager,
                                                                                                  "bench")[1]}
        sides: tuple[list[Lane], list[Lane], list[Lane]] = ([], [], [])
        for lanes in sides:
            for number in range(threads):
                post = ops.create_post(session, author, account, BODY)
                if number % 2:
                    for action, actor in ((Action.submit, author), (Action.approve, manager)):
                        ops.act_on_post(session, post, action, actor, expected_version=post.version)
                    actor, cycle = manager, SCHEDULE_CYCLE
                else:
                    actor, cycle = author, REVIEW_CYCLE
                session.flush()
                lanes.append(Lane(post.id, tokens[actor.id], cycle, f'"post-{post.id}-v{post.version}"'))
        session.commit()
    engine.dispose()
    return sides


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(app: str, port: int, args: argparse.Namespace, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "bench"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--worker-class", args.worker_class, "--log-level", "warning", app]
    if args.worker_class == "gthread":
        command[-1:-1] = ["--threads", "2"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn for {app} exited with {process.returncode}") from None
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn for {app} did not start")


def sample_answer(port: int, lane: Lane) -> dict:
    """One real answer of the API side, for the bare side to return; moves the lane one step."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", f"/api/v1/posts/{lane.post_id}/transitions", body=json.dumps(lane.next_body()),
                       headers={"Authorization": f"Bearer {lane.token}", "Content-Type": "application/json",
                                "If-Match": lane.etag})
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert response.status == 200, answer
    lane.etag = response.getheader("ETag")
    connection.close()
    return answer


def measure(url: str, args: argparse.Namespace) -> list[Side]:
    upgrade(url)
    lanes = dict(zip(("API", "floor", "bare"), seed(url, args.threads), strict=True))
    sides = [Side(name, free_port()) for name in lanes]
    with tempfile.TemporaryDirectory(prefix="approval-bench-api-") as instance:
        env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_SECRET_KEY": "bench",
               "APPROVAL_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT)}
        servers = [start_gunicorn("approval.wsgi:app", sides[0].port, args, env)]
        try:
            env[SAMPLE_ENV] = json.dumps(sample_answer(sides[0].port, lanes["API"][0]))
            servers.append(start_gunicorn("api:floor_app()", sides[1].port, args, env))
            servers.append(start_gunicorn("api:bare_app()", sides[2].port, args, env))
            warm_up = max(50, args.requests // 10)
            for side in sides:
                drive(side.port, lanes[side.name], warm_up, args.max_seconds)
            for number in range(args.rounds):
                # Each side goes first in turn.
                for side in sides[number % 3:] + sides[:number % 3]:
                    side.rates.append(drive(side.port, lanes[side.name], args.requests, args.max_seconds))
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
    return sides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measurements per side (default 5)")
    parser.add_argument("--requests", type=int, default=1500, help="requests per side and round (default 1500)")
    parser.add_argument("--threads", type=int, default=4, help="client threads, one post each (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per side (default 2)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync",
                        help="gunicorn's worker class (default sync: one request at a time, no keep-alive)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit of one round (default 60)")
    args = parser.parse_args(argv)

    try:
        with temporary_database("approval_bench_api") as url:
            sides = measure(url, args)
    except NoServer as error:
        print(f"{error}: nothing measured", file=sys.stderr)
        return 1

    api, floor, bare = (statistics.median(side.rates) for side in sides)
    print(f"PostgreSQL, gunicorn {args.workers} {args.worker_class} workers, {args.threads} client threads, "
          f"{args.rounds} rounds of {args.requests} requests per side, medians")
    print(f"{'side':<8}{'req/s':>8}   per-round range")
    for side in sides:
        print(f"{side.name:<8}{statistics.median(side.rates):>8.0f}   {min(side.rates):.0f}-{max(side.rates):.0f}")
    below = "" if api / bare >= TARGET else f"  (below the {TARGET:.0%} target)"
    print(f"ratio API/bare: {api / bare:.0%}{below}".replace("%", " %"))
    print(f"ratio floor/bare: {floor / bare:.0%} (the same SQL, nothing else)".replace("%", " %"))
    print(f"ratio API/floor: {api / floor:.0%}".replace("%", " %"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
