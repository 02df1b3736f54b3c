"""What the publishing tests and ``bench/publishing.py`` share: a webhook receiver on 127.0.0.1 that checks each
call's signature and counts calls per ``Idempotency-Key``, and a fast generator of due posts.

The receiver speaks CONTRACT.md's "Webhook connector" protocol as a network's adapter would: ``POST
/hooks/<account id>`` with the signed body; it answers ``{"id", "url"}`` unless a post's script says otherwise (an
error status, an answer later than the client waits, a connection closed without an answer).

The generator writes what the workflow would have written for a post approved and then scheduled by a project
manager (a post, its revision with the text's SHA-256, the approval of that revision, the ``create``, ``submit``,
``approve`` and ``schedule`` audit rows, chained), with SQLAlchemy Core in one transaction: thousands of posts in a
second or two, where the engine would take minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from sqlalchemy import Engine, create_engine, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.pool import NullPool

from approval import administration as admin
from approval import policies
from approval.db import make_engine, utcnow
from approval.models import Account, AuditEntry, Market, Post, text_sha256
from approval.models.audit import link_hash
from approval.style.text import shows_anything
from approval.workflow.states import Role

BODY = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante, message {n}."
#: Four words: below what the language check reads, whose models take seconds to load in each new worker process
#: (tests that start many processes use it; the benchmark publishes ``BODY``).
SHORT_BODY = "Victoire ce soir, match {n}."
PASSWORD = "correct horse battery"


# The webhook receiver ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one call: a status and body, after ``delay`` seconds; ``drop`` closes the
    connection after reading the request, without answering; ``drip``: the body a byte at a time, this many seconds
    apart."""

    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    drip: float = 0.0


@dataclass(frozen=True)
class Call:
    account_id: int
    idempotency_key: str
    post_id: int | None
    signed: bool
    body: dict[str, Any]
    at: float
    raw: bytes = b""


def secret_for(account_id: int) -> str:
    return f"webhook-secret-{account_id:06d}-helio"


class WebhookServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) recording every call; use as a context manager."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.scripts: dict[int, deque[Answer]] = defaultdict(deque)
        self.default = Answer()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url_for(self, account_id: int) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{account_id}"

    def script(self, post_id: int, *answers: Answer) -> None:
        """The next calls for ``post_id`` get these answers, in order; later ones the default (published)."""
        with self.lock:
            self.scripts[post_id].extend(answers)

    # What was seen -------------------------------------------------------------------------------------------

    def snapshot(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    def per_key(self) -> Counter[str]:
        return Counter(call.idempotency_key for call in self.snapshot())

    def per_post(self) -> Counter[int | None]:
        return Counter(call.post_id for call in self.snapshot())

    def unsigned(self) -> list[Call]:
        return [call for call in self.snapshot() if not call.signed]

    # Serving -------------------------------------------------------------------------------------------------

    def record(self, account_id: int, headers: Any, raw: bytes) -> tuple[Call, Answer]:
        expected = "sha256=" + hmac.new(secret_for(account_id).encode(), raw, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(headers.get("X-Approval-Signature", ""), expected)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        key = headers.get("Idempotency-Key", "")
        post_id = body.get("post_id") if isinstance(body, dict) else None
        # The key in the header and in the signed body must agree, and the account must be the one addressed.
        signed = signed and body.get("idempotency_key") == key and body.get("account", {}).get("id") == account_id
        call = Call(account_id, key, post_id, signed, body, time.monotonic(), raw)
        with self.lock:
            self.calls.append(call)
            script = self.scripts.get(post_id)
            answer = script.popleft() if script else self.default
        if not signed:
            answer = Answer(401, {"error": "bad signature"})
        return call, answer


def published_answer(call: Call) -> dict[str, str]:
    """What the receiver answers by default: the network's id and URL for the post."""
    handle = call.body.get("account", {}).get("handle", "helio")
    return {"id": f"net-{call.post_id}", "url": f"https://social.example/{handle}/{call.post_id}"}


def _handler(server: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[0] != "hooks" or not parts[1].isdigit():
                self._answer(Answer(404, {"error": "no such hook"}), None)
                return
            call, answer = server.record(int(parts[1]), self.headers, raw)
            if answer.delay:
                time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            self._answer(answer, call)

        def _answer(self, answer: Answer, call: Call | None) -> None:
            body = answer.body
            if body is None and call is not None and 200 <= answer.status < 300:
                body = published_answer(call)
            data = (body if isinstance(body, str) else json.dumps(body or {})).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if answer.drip:
                    for byte in data:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.drip)
                else:
                    self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (the timeout case)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


# Workers in processes of their own -----------------------------------------------------------------------------

#: A process that imports the application once, then forks one worker per order read on stdin: each child opens
#: its own connections and runs one pass of a ``Worker`` whose checkpoint, at the point ordered and
#: for the first post reaching it, kills (SIGKILL) or stops (SIGSTOP) the child itself. Every event is one JSON line
#: on stdout: ``started``, ``checkpoint``, ``report`` (the child's pass, once it ends), ``exit``.
FORKING_WORKERS = r"""
import json, os, signal, sys, traceback
from datetime import timedelta

from approval import create_app
from approval.publishing.worker import Worker
from approval.style import language

# The language models load at their first use (seconds on a loaded machine): here, once, before any fork, as a
# running worker has them; a child loading them itself could see its short lease expire before it sends.
language.detect("La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.")


def say(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Interrupted(Worker):
    def __init__(self, app, point, how, **kwargs):
        super().__init__(app, **kwargs)
        self.point, self.how, self.hit = point, how, False

    def checkpoint(self, where, post_id):
        if where == self.point and not self.hit:
            self.hit = True
            say(event="checkpoint", pid=os.getpid(), where=where, post_id=post_id)
            os.kill(os.getpid(), signal.SIGKILL if self.how == "kill" else signal.SIGSTOP)


apps = {}  # built here once per database, never connected here: each child opens its own connections
for line in sys.stdin:
    order = json.loads(line)
    key = json.dumps([order["url"], order.get("config", {})], sort_keys=True)
    if key not in apps:
        apps[key] = create_app({"DATABASE_URL": order["url"], "SECRET_KEY": "test", "TESTING": True,
                                **order.get("config", {})})
    app = apps[key]
    pid = os.fork()
    if pid == 0:
        try:
            worker = Interrupted(app, order["point"], order["how"], lease=timedelta(seconds=order["lease"]))
            report = worker.run(once=True)
            say(event="report", pid=os.getpid(), report=vars(report))
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    say(event="started", pid=pid)
    _, status = os.waitpid(pid, 0)
    say(event="exit", pid=pid, signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None)
"""


class ForkingWorkers:
    """Runs ``FORKING_WORKERS`` in a subprocess; ``start`` orders one worker, ``wait`` reads its events."""

    def __init__(self, log_path: Any) -> None:
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen([sys.executable, "-c", FORKING_WORKERS], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.put(json.loads(line))
        self.events.put({"event": "gone"})

    def start(self, url: str, point: str, how: str, *, lease: float = 1.0, config: dict | None = None) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"url": url, "point": point, "how": how, "lease": lease,
                                             "config": config or {}}) + "\n")
        self.process.stdin.flush()
        return self.wait("started")["pid"]

    def wait(self, kind: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {kind!r} event from the worker in {timeout} s") from None
            if event["event"] == kind:
                return event
            if event["event"] == "gone":
                raise AssertionError(f"the forking process ended before {kind!r}")
            if kind != "exit" and event["event"] == "exit":
                raise AssertionError(f"the worker ended before {kind!r}: {event}")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def process_state(pid: int) -> str:
    """The kernel's one-letter state of a process ("T": stopped), "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return ""


# Accounts and due posts ---------------------------------------------------------------------------------------


@dataclass
class Desk:
    """A market, its accounts and the two people a post needs (its author, the project manager who approved it)."""

    engine: Engine
    market_id: int
    account_ids: list[int]
    author_id: int
    manager_id: int


def open_desk(url: str | Engine, *, accounts: int, connector: str = "webhook", hooks: WebhookServer | None = None,
              market: str = "FR", prefix: str = "helio") -> Desk:
    """A market (created if missing) with ``accounts`` new facebook accounts connected to ``connector``, a community
    manager and a project manager. Webhook accounts post to ``hooks`` with ``secret_for(account id)``."""
    engine = make_engine(url) if isinstance(url, str) else url
    with Session(engine) as session:
        place = session.scalar(select(Market).where(Market.code == market)) or \
            admin.create_market(session, market, f"Market {market}", "Europe/Paris", ["fr"])
        tag = f"{prefix}{utcnow().strftime('%H%M%S%f')}"
        author = admin.create_user(session, f"cm.{tag}@helio.example", "Camille", Role.community_manager,
                                   PASSWORD, markets=[place])
        manager = admin.create_user(session, f"pm.{tag}@helio.example", "Pierre", Role.project_manager,
                                    PASSWORD, markets=[place])
        made = [admin.create_account(session, place, "facebook", f"{tag}.{i}", "Helio") for i in range(accounts)]
        session.flush()
        for account in made:
            account.connector = connector
            if connector == "webhook":
                assert hooks is not None, "webhook accounts need the receiver's address"
                account.connector_url = hooks.url_for(account.id)
                account.connector_secret = secret_for(account.id)
        session.commit()
        return Desk(engine, place.id, [a.id for a in made], author.id, manager.id)


POSTS = Post.__table__
AUDIT = AuditEntry.__table__


#: Posts per transaction and database session while generating (see ``due_posts``).
CHUNK = 250


def due_posts(desk: Desk, count: int, *, at: datetime | None = None, accounts: Iterable[int] | None = None,
              first: int = 0, body: str = BODY) -> list[int]:
    """``count`` posts approved and scheduled for ``at`` (default: a second ago), spread round-robin over the
    desk's accounts (or ``accounts``); returns their ids, in the order of the accounts' turns. They all fall due
    together, in one commit. PostgreSQL only.

    The rows are those the engine would write, each revision with its text's SHA-256, each trail chained and each
    post with the style gate's seal (the gate run on its text, as ``schedule`` runs it), and they go in with COPY,
    every trigger of the database at work (the audit backstop, the hub's counts). By chunks of ``CHUNK`` posts, each
    in a database session of its own: the backstop notes each post it sees in a setting of the session, and
    PostgreSQL 15 sorts its settings at each new one, which makes thousands of posts in one session cost minutes.
    The chunks are scheduled a day later than ``at``; one UPDATE of ``scheduled_at`` then brings them all to ``at``
    at once.
    """
    accounts = list(accounts if accounts is not None else desk.account_ids)
    now = utcnow()
    at = at or now - timedelta(seconds=1)
    parked = at if count <= CHUNK else at + timedelta(days=1)
    seeder = create_engine(desk.engine.url.render_as_string(hide_password=False), poolclass=NullPool)
    post_ids: list[int] = []
    try:
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            with seeder.begin() as connection:
                post_ids += _chunk(connection, desk, [accounts[(start + i) % len(accounts)] for i in range(size)],
                                   [body.format(n=first + start + i + 1) for i in range(size)], now, at, parked)
    finally:
        seeder.dispose()
    if parked != at:
        with desk.engine.begin() as connection:
            connection.execute(update(POSTS).where(POSTS.c.id.in_(post_ids)).values(scheduled_at=at))
    return post_ids


def _chunk(connection: Any, desk: Desk, accounts: list[int], texts: list[str], now: datetime, at: datetime,
           parked: datetime) -> list[int]:
    assert connection.dialect.name == "postgresql", "the bulk generator writes with COPY"
    count = len(texts)
    post_ids = _next_ids(connection, "posts", count)
    revision_ids = _next_ids(connection, "revisions", count)
    # A draft first (a post and its revision point at each other), then approved and scheduled in one UPDATE once
    # its audit rows are in, as the backstop wants.
    _copy(connection, "posts", ("id", "account_id", "created_by_id", "state", "version", "submitted_at",
                                "created_at", "updated_at"),
          ((post_id, account, desk.author_id, "draft", 1, now, now, now)
           for post_id, account in zip(post_ids, accounts, strict=True)))
    _copy(connection, "revisions", ("id", "post_id", "number", "body", "sha256", "author_id", "findings",
                                    "created_at"),
          ((revision_id, post_id, 1, text, text_sha256(text), desk.author_id, "[]", now)
           for post_id, revision_id, text in zip(post_ids, revision_ids, texts, strict=True)))
    columns = ("post_id", "action", "from_state", "to_state", "actor_id", "at", "comment", "revision_id", "payload",
               "chain_hash")
    _copy(connection, "audit_entries", (*columns, "market_id"), (
        (*(json.dumps(row[name]) if name == "payload" else row[name] for name in columns), desk.market_id)
        for post_id, revision_id in zip(post_ids, revision_ids, strict=True)
        for row in _trail(desk, post_id, revision_id, now, at)
    ))
    connection.exec_driver_sql(
        "UPDATE posts SET state = 'scheduled', version = 5, current_revision_id = revisions.id, "
        "approved_revision_id = revisions.id, approved_by_id = %(manager)s, scheduled_at = %(parked)s, "
        "gate_seal = sealed.seal "
        "FROM revisions, unnest(%(ids)s::integer[], %(seals)s::text[]) AS sealed(id, seal) "
        "WHERE revisions.post_id = posts.id AND posts.id = sealed.id",
        {"manager": desk.manager_id, "parked": parked, "ids": post_ids,
         "seals": _seals(connection, accounts, post_ids, revision_ids, texts)},
    )
    return post_ids


def _seals(connection: Any, accounts: list[int], post_ids: list[int], revision_ids: list[int],
           texts: list[str]) -> list[str | None]:
    """The seal the engine's ``schedule`` gives each post (``policies.seal``): the style gate run on its text for its
    account, under the market's policy in force; None where it finds an error."""
    with Session(bind=connection) as session:
        loaded = {account.id: account for account in session.scalars(
            select(Account).where(Account.id.in_(set(accounts)))
            .options(joinedload(Account.market).joinedload(Market.policy_in_force)))}
        seals: list[str | None] = []
        for account_id, post_id, revision_id, text in zip(accounts, post_ids, revision_ids, texts, strict=True):
            account = loaded[account_id]
            verdict = policies.check_body(session, account, text, None, media=[])
            passes = not verdict.errors and shows_anything(text)
            seals.append(policies.seal(policies.inputs_key(post_id, revision_id, text_sha256(text), account, None))
                         if passes else None)
    return seals


def _next_ids(connection: Any, table: str, count: int) -> list[int]:
    return list(connection.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(count)})"
    ).scalars())


def _copy(connection: Any, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _trail(desk: Desk, post_id: int, revision_id: int, now: datetime, at: datetime) -> Iterator[dict[str, Any]]:
    gate = {"policy_version": "FR-v0", "policy_version_id": None, "findings": []}
    previous = None
    for action, source, target, actor, payload in (
        ("create", "draft", "draft", desk.author_id, {}),
        ("submit", "draft", "in_review", desk.author_id, gate),
        ("approve", "in_review", "approved", desk.manager_id, gate),
        ("schedule", "approved", "scheduled", desk.manager_id, {"scheduled_at": at.isoformat(), **gate}),
    ):
        row = {"post_id": post_id, "action": action, "from_state": source, "to_state": target, "actor_id": actor,
               "at": now, "comment": None, "revision_id": revision_id, "payload": payload}
        previous = link_hash(previous, row)
        yield {**row, "chain_hash": previous}


def trail_actions(engine: Engine, post_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each post's audit trail as its actions, oldest first."""
    trails: dict[int, list[str]] = defaultdict(list)
    with engine.connect() as connection:
        rows = connection.execute(
            select(AUDIT.c.post_id, AUDIT.c.action).where(AUDIT.c.post_id.in_(list(post_ids)))
            .order_by(AUDIT.c.post_id, AUDIT.c.id))
        for post_id, action in rows:
            trails[post_id].append(str(getattr(action, "value", action)))
    return dict(trails)


def states(engine: Engine, post_ids: Iterable[int]) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(POSTS.c.id, POSTS.c.state).where(POSTS.c.id.in_(list(post_ids))))
        return {post_id: str(getattr(state, "value", state)) for post_id, state in rows}


def busy_accounts(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(select(Account.id).where(Account.publishing_post_id.is_not(None))))


__all__ = [
    "Answer",
    "Call",
    "Desk",
    "ForkingWorkers",
    "WebhookServer",
    "busy_accounts",
    "due_posts",
    "open_desk",
    "process_state",
    "published_answer",
    "secret_for",
    "states",
    "trail_actions",
]


def held_by_a_switch_now_off(session: Session, post: Post, actor: Any, market_code: str = "FR") -> None:
    """``post`` held at its time by a stop switch over its market (as the worker marks it), the switch turned off
    since: the post waits for a project manager."""
    from approval.publishing import controls

    stop = controls.turn_on(session, actor, "market", market_code=market_code, reason="Match perdu.")
    post.held_at, post.held_by_stop_id = utcnow(), stop.id
    controls.turn_off(session, actor, stop.id)
    session.flush()
