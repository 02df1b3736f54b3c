"""The read side at scale: the hub summary, the review queue's first page, a month of calendar, a posts-list search
and the wall, with 10,000 and with 1,000,000 posts across 28 markets and 6 networks; then 1 and 100 open walls on one
web process (database statements per second, and the time from a change to its display on every wall).

The generator fills a fresh database fast (PostgreSQL COPY, SQLite executemany) with realistic data: states in the
proportions of a working team (most posts published, a few percent waiting for review or scheduled), one to three
revisions per post (style findings on some), the audit rows of each post's path, posts spread over two years.
Triggers are off while it loads (PostgreSQL: ``session_replication_role = replica``; SQLite: the big tables' indexes
and triggers are created after the load, and CHECK constraints ignored): the audit rows' chain hashes are
stand-ins, not a verifiable chain. The reports' figures of the closed days they show are then kept, as the worker
keeps them each night.

Both sizes are filled first, then measured in rounds: each round runs a figure once on each database in turn (the
order alternating), and each figure is the median of ``--repeat`` rounds after one warm-up, so a load on the shared
machine weighs on both sizes alike and the ratio stays fair. ``EXPLAIN`` of every statement the measured
functions run is checked for a sequential scan of ``posts``, ``revisions`` or ``audit_entries``, reported as "seq
scan".

    .venv/bin/python bench/hub.py                                    # PostgreSQL 10k and 1M, SQLite 10k and 100k
    .venv/bin/python bench/hub.py --backend postgresql --sizes 10000,100000 --walls 100
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.orm import Session

from approval.db import make_engine, utcnow
from approval.migrate import upgrade
from approval.models import Account, Market, PolicyVersion, Post, User
from approval.models.hub import COUNT_BACKFILL
from approval.queries import calendar as calendar_queries
from approval.queries import hub as hub_queries
from approval.queries import posts as listing
from approval.queries import reports
from approval.views.calendar import MONTH_DAY_ENTRIES
from approval.workflow.states import State
from temporary_postgres import NoServer, temporary_database

MARKETS = [
    ("FR", "Europe/Paris", "fr"), ("BE", "Europe/Brussels", "fr"), ("CH", "Europe/Zurich", "fr"),
    ("PL", "Europe/Warsaw", "pl"), ("RO", "Europe/Bucharest", "ro"), ("SK", "Europe/Bratislava", "sk"),
    ("ES", "Europe/Madrid", "es"), ("MA", "Africa/Casablanca", "fr"), ("SN", "Africa/Dakar", "fr"),
    ("CI", "Africa/Abidjan", "fr"), ("CM", "Africa/Douala", "fr"), ("ML", "Africa/Bamako", "fr"),
    ("BF", "Africa/Ouagadougou", "fr"), ("GN", "Africa/Conakry", "fr"), ("MG", "Indian/Antananarivo", "fr"),
    ("JO", "Asia/Amman", "ar"), ("EG", "Africa/Cairo", "ar"), ("TN", "Africa/Tunis", "fr"),
    ("KE", "Africa/Nairobi", "en"), ("BW", "Africa/Gaborone", "en"), ("LR", "Africa/Monrovia", "en"),
    ("SL", "Africa/Freetown", "en"), ("CD", "Africa/Kinshasa", "fr"), ("CF", "Africa/Bangui", "fr"),
    ("GW", "Africa/Bissau", "pt"), ("LU", "Europe/Luxembourg", "fr"), ("MD", "Europe/Chisinau", "ro"),
    ("GB", "Europe/London", "en"),
]
NETWORKS = ("facebook", "x", "instagram", "youtube", "linkedin", "snapchat")
HANDLES_PER_NETWORK = 2
#: (state, share of posts): a working team's proportions.
STATES = [
    (State.published, 0.62), (State.draft, 0.07), (State.scheduled, 0.06), (State.withdrawn, 0.05),
    (State.in_review, 0.04), (State.changes_requested, 0.03), (State.rejected, 0.03), (State.approved, 0.03),
    (State.failed, 0.005), (State.unconfirmed, 0.003), (State.publishing, 0.002),
]
#: The audit path to each state (create, then the actions).
PATHS = {
    State.draft: ["create"], State.withdrawn: ["create", "withdraw"], State.in_review: ["create", "submit"],
    State.changes_requested: ["create", "submit", "request_changes"], State.rejected: ["create", "submit", "reject"],
    State.approved: ["create", "submit", "approve"], State.scheduled: ["create", "submit", "approve", "schedule"],
    State.publishing: ["create", "submit", "approve", "schedule", "claim"],
    State.published: ["create", "submit", "approve", "schedule", "claim", "publish"],
    State.failed: ["create", "submit", "approve", "schedule", "claim", "fail"],
    State.unconfirmed: ["create", "submit", "approve", "schedule", "claim", "lose"],
}
TARGETS = {"create": "draft", "submit": "in_review", "request_changes": "changes_requested", "reject": "rejected",
           "approve": "approved", "schedule": "scheduled", "claim": "publishing", "publish": "published",
           "fail": "failed", "lose": "unconfirmed", "withdraw": "withdrawn", "edit": None}
WORDS = ("match stade finale équipe supporters billets concert été rentrée offre fibre forfait réseau boutique "
         "promotion soirée festival musique innovation emploi recrutement jeunes talents énergie solaire village "
         "école connexion mobile données partenaire sponsor tournoi victoire champion saison nouveauté application "
         "service client internet vitesse couverture quartier famille cadeau jeu concours gagnant dimanche samedi "
         "lundi matin soir nuit direct vidéo photo reportage coulisses interview annonce lancement événement").split()
FINDING_RULES = ("house.full-stop-end", "typo.fr-spacing", "network.hashtags", "typo.exclamations",
                 "house.capital-start", "policy.sensitive")
#: Names a post mentions (a town, a venue, a player): one in each post, so a search for one finds a few dozen posts
#: per 100,000, as a person's search does; the common words make a search that matches thousands (its count capped).
NAMES = [a + b + c for a in ("Ba", "Ko", "Mi", "Za", "Lu", "Fe", "Ro", "Ti", "Na", "Se") for b in
         ("ran", "lo", "mbe", "dji", "vel", "sso", "kar", "nou", "tay", "bri") for c in
         ("ville", "ka", "mont", "dou", "bourg", "sia", "ne", "ro", "ta", "lia")]
SEARCH = "Mirandou"
COMMON_SEARCH = "festival musique"
#: The tables whose sequential scan ``EXPLAIN`` flags: they grow with the history.
BIG_TABLES = ("posts", "revisions", "audit_entries")
#: The reports page's default period.
REPORT_WEEKS = 8
PASSWORD_HASH = "$argon2id$v=19$m=8,t=1,p=1$YmVuY2hiZW5jaA$0000000000000000000000000000000000000000000"


# The generator -----------------------------------------------------------------------------------------------


_SQLITE = False


def _iso(value: datetime | None) -> str | None:
    """A timestamp as the backend keeps it (SQLite: naive UTC text, as approval.db.UTCDateTime writes it)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if _SQLITE else value.isoformat()


class Generator:
    def __init__(self, engine: Engine, posts: int, seed: int = 13) -> None:
        self.engine, self.count, self.random = engine, posts, random.Random(seed)
        self.now = utcnow()
        self.postgres = engine.dialect.name == "postgresql"
        global _SQLITE
        _SQLITE = not self.postgres

    def run(self) -> dict:
        started = time.perf_counter()
        rows = {name: [] for name in ("markets", "accounts", "users", "user_markets", "campaigns")}
        for n, (code, zone, lang) in enumerate(MARKETS, 1):
            rows["markets"].append({"id": n, "code": code, "name": f"Market {code}", "timezone": zone,
                                    "languages": json.dumps([lang]), "created_at": _iso(self.now),
                                    "grace_minutes": 15})
        account_id = 0
        for market in rows["markets"]:
            for network in NETWORKS:
                for h in range(HANDLES_PER_NETWORK):
                    account_id += 1
                    rows["accounts"].append({"id": account_id, "market_id": market["id"], "network": network,
                                             "handle": f"{market['code'].lower()}_{network}_{h}", "brand": "Helio",
                                             "kind": "brand", "active": True, "created_at": _iso(self.now)})
        user_id = 0
        writers: dict[int, list[int]] = {}
        for market in rows["markets"]:
            for role in ("community_manager", "community_manager", "project_manager"):
                user_id += 1
                rows["users"].append(self._user(user_id, role, False))
                rows["user_markets"].append({"user_id": user_id, "market_id": market["id"]})
                writers.setdefault(market["id"], []).append(user_id)
        self.admin_id, self.manager_id = user_id + 1, user_id + 2
        rows["users"] += [self._user(self.admin_id, "admin", True),
                          self._user(self.manager_id, "project_manager", True)]
        self.market_manager_id = 3  # FR's project manager
        for n in range(1, 41):
            rows["campaigns"].append({"id": n, "name": f"Campaign {n}", "market_id": (n % 29) or None, "hashtag": "",
                                      "description": "", "disclosure_required": False, "created_at": _iso(self.now)})
        with self.engine.connect() as connection:
            if not self.postgres:  # outside a transaction, where SQLite honours it
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
            with connection.begin():
                later = self._unload(connection)
                for table in ("markets", "accounts", "users", "user_markets", "campaigns"):
                    self._insert(connection, table, rows[table])
                accounts = [(a["id"], a["market_id"]) for a in rows["accounts"]]
                self._posts(connection, accounts, writers)
                for statement in later:
                    connection.exec_driver_sql(statement)
                connection.exec_driver_sql(COUNT_BACKFILL)  # the triggers that keep post_counts were off: count once
                if self.postgres:
                    for table in ("markets", "accounts", "users", "campaigns", "posts", "revisions", "audit_entries"):
                        connection.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            if not self.postgres:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
        with self.engine.connect() as connection:
            if self.postgres:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
        return {"seconds": time.perf_counter() - started}

    def _unload(self, connection) -> list[str]:  # noqa: ANN001
        """Switch off what a bulk load need not run row by row; return the statements that put it back.

        PostgreSQL: triggers (and with them the foreign keys) off for this session, but the search document's.
        SQLite: the big tables' triggers and indexes dropped, to be created again after the load (an index built at
        once is faster than grown row by row), and CHECK constraints ignored (each of their ``IN`` lists costs SQLite
        10 µs per row). The generator's rows are right by construction; the tests check the constraints."""
        if self.postgres:
            connection.exec_driver_sql("SET session_replication_role = replica")
            # Except the one that writes each post's search document (migration 0013), as the rows go in.
            connection.exec_driver_sql("ALTER TABLE posts ENABLE ALWAYS TRIGGER posts_search")
            return ["ALTER TABLE posts ENABLE TRIGGER posts_search"]
        connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        later = []
        for kind, name, statement in connection.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
                "AND tbl_name IN ('posts', 'revisions', 'audit_entries')").all():
            connection.exec_driver_sql(f"DROP {kind.upper()} {name}")
            later.append(statement)
        later.append("PRAGMA ignore_check_constraints = OFF")
        return later

    def _user(self, user_id: int, role: str, everywhere: bool) -> dict:
        return {"id": user_id, "email": f"user{user_id}@helio.example", "name": f"User {user_id}", "role": role,
                "password_hash": PASSWORD_HASH, "all_markets": everywhere, "active": True,
                "created_at": _iso(self.now), "session_epoch": 0}

    def _insert(self, connection, table: str, rows: list[dict]) -> None:  # noqa: ANN001
        if not rows:
            return
        columns = list(rows[0])
        if self.postgres:
            with connection.connection.driver_connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
        else:
            marks = ", ".join("?" for _ in columns)
            connection.connection.driver_connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [[r[c] for c in columns] for r in rows])

    def _posts(self, connection, accounts: list[tuple[int, int]], writers: dict[int, list[int]]) -> None:  # noqa: ANN001
        rnd, now = self.random, self.now
        states = [s for s, _ in STATES]
        weights = [w for _, w in STATES]
        revision_id = audit_id = 0
        # Posts are numbered in the order they were written, and their revisions and audit rows follow: the tables
        # of a running instance grow in time order, and a day's rows sit together on disk.
        drawn = []
        for _ in range(self.count):
            state = rnd.choices(states, weights)[0]
            recent = state in (State.draft, State.in_review, State.changes_requested, State.approved,
                               State.scheduled, State.publishing)
            drawn.append((now - timedelta(minutes=rnd.randrange(14 * 1440 if recent else 720 * 1440)), state))
        drawn.sort(key=lambda pair: pair[0])
        chunk = 50_000
        for start in range(0, self.count, chunk):
            posts, revisions, audits = [], [], []
            for post_id in range(start + 1, min(start + chunk, self.count) + 1):
                created, state = drawn[post_id - 1]
                account, market = accounts[rnd.randrange(len(accounts))]
                author = rnd.choice(writers[market][:2])
                reviewer = writers[market][2]
                n_revisions = rnd.choice((1, 1, 2, 2, 3))
                first_revision = revision_id + 1
                for number in range(1, n_revisions + 1):
                    revision_id += 1
                    words = [rnd.choice(WORDS) for _ in range(rnd.randrange(8, 30))]
                    words.insert(rnd.randrange(len(words)), rnd.choice(NAMES))
                    body = " ".join(words).capitalize() + "."
                    findings = [{"rule": rnd.choice(FINDING_RULES), "severity": "warning", "message": "x",
                                 "start": 0, "end": 1}] if rnd.random() < 0.2 else []
                    revisions.append({"id": revision_id, "post_id": post_id, "number": number, "body": body,
                                      "sha256": hashlib.sha256(body.encode()).hexdigest(), "author_id": author,
                                      "findings": json.dumps(findings),
                                      "created_at": _iso(created + timedelta(minutes=10 * number))})
                holds_approval = state in (State.approved, State.scheduled, State.publishing, State.published,
                                           State.failed, State.unconfirmed)
                submitted = created + timedelta(minutes=30) if state not in (State.draft, State.withdrawn) else None
                scheduled = published = None
                if state in (State.scheduled, State.publishing):
                    scheduled = now + timedelta(minutes=rnd.randrange(-5, 30 * 1440))
                elif state in (State.published, State.failed, State.unconfirmed):
                    scheduled = min(created + timedelta(hours=rnd.randrange(2, 72)), now)
                if state == State.published:
                    published = scheduled
                updated = min(published or submitted or created, now)
                posts.append({
                    "id": post_id, "account_id": account, "campaign_id": rnd.randrange(1, 41) if rnd.random() < 0.3
                    else None, "created_by_id": author, "state": state.value, "version": 3,
                    "current_revision_id": revision_id,
                    "approved_revision_id": revision_id if holds_approval else None,
                    "approved_by_id": reviewer if holds_approval else None,
                    "scheduled_at": _iso(scheduled) if state != State.published else None,
                    "published_at": _iso(published),
                    "published_url": f"https://social.example/{post_id}" if published else None,
                    "submitted_at": _iso(submitted),
                    "claim_token": "bench" if state == State.publishing else None,
                    "claimed_until": _iso(now + timedelta(minutes=5)) if state == State.publishing else None,
                    "created_at": _iso(created), "updated_at": _iso(updated),
                })
                previous = "draft"
                chain = ""
                path = PATHS[state][:1] + ["edit"] * (n_revisions - 1) + PATHS[state][1:]
                for step, action in enumerate(path):
                    audit_id += 1
                    target = TARGETS[action] or previous
                    chain = hashlib.sha256(f"{chain}{post_id}{action}".encode()).hexdigest()
                    audits.append({"id": audit_id, "post_id": post_id, "action": action, "from_state": previous,
                                   "to_state": target, "actor_id": reviewer if action in ("approve", "reject",
                                   "schedule", "request_changes") else author,
                                   "at": _iso(created + timedelta(minutes=step)), "comment": None,
                                   "revision_id": min(first_revision + step, revision_id), "payload": "{}",
                                   "chain_hash": chain, "market_id": market})
                    previous = target
            self._insert(connection, "revisions", revisions)
            self._insert(connection, "posts", posts)
            self._insert(connection, "audit_entries", audits)


# Measuring ---------------------------------------------------------------------------------------------------


class Statements:
    """The statements an engine runs while ``capture`` is on (to EXPLAIN them, and to count them)."""

    def __init__(self, engine: Engine) -> None:
        self.captured: list[tuple[str, object]] = []
        self.capture = False
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        self.count += 1
        if self.capture:
            self.captured.append((statement, parameters))


def timed(engine: Engine, work: Callable[[Session], object]) -> float:
    """Milliseconds of one run of ``work`` in a fresh session."""
    with Session(engine) as session:
        start = time.perf_counter()
        work(session)
        return (time.perf_counter() - start) * 1000


def scans_big_table(engine: Engine, statements: Statements, work: Callable[[Session], object]) -> bool:
    """Whether EXPLAIN of a statement ``work`` runs shows a sequential scan of a big table."""
    statements.captured.clear()
    statements.capture = True
    with Session(engine) as session:
        work(session)
    statements.capture = False
    seq = False
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for statement, parameters in statements.captured:
            if statement.lstrip().upper().startswith("EXPLAIN"):  # the lists' own row estimate
                continue
            if engine.dialect.name == "postgresql":
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                seq |= any(f"Seq Scan on {table}" in plan for table in BIG_TABLES)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
                seq |= any(line.startswith(tuple(f"SCAN {table}" for table in BIG_TABLES)) and "INDEX" not in line
                           for line in plan.splitlines())
        cursor.close()
    return seq


def posts_list(session: Session, user: User, filters: listing.PostFilters) -> object:
    """What the posts list page reads (approval.views.posts): a search's matches once, the chips, the page."""
    found = listing.search_matches(session, user, filters)
    return listing.state_counts(session, user, filters, found), listing.page_posts(session, user, filters,
                                                                                   matches=found)


def workloads(admin: User, manager: User) -> dict[str, Callable[[Session], object]]:
    now = utcnow()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    last_weeks = reports.Period(today - timedelta(weeks=REPORT_WEEKS) + timedelta(days=1), today + timedelta(days=1))

    def user(session: Session, who: User) -> User:
        return session.get(User, who.id)

    return {
        "hub summary (all 28 markets)": lambda s: hub_queries.summary(s, user(s, admin)),
        "review queue, first page": lambda s: listing.page_oldest_first(
            s, user(s, manager), listing.PostFilters(state=State.in_review), (Post.submitted_at, Post.id),
            cursor=None),
        "calendar, one month, one market": lambda s: calendar_queries.window(  # as the month grid reads it
            s, user(s, manager), listing.PostFilters(market="FR"), start, end,
            per_day=(ZoneInfo("Europe/Paris"), MONTH_DAY_ENTRIES)),
        "posts list search, with chips": lambda s: posts_list(s, user(s, manager), listing.PostFilters(q=SEARCH)),
        "posts list, common words (capped)": lambda s: posts_list(
            s, user(s, manager), listing.PostFilters(q=COMMON_SEARCH)),
        "posts list, all, first page": lambda s: posts_list(s, user(s, manager), listing.PostFilters()),
        "wall overview (all markets)": lambda s: hub_queries.build_wall(
            s, hub_queries.Viewer(kiosk_markets=()), hub_queries.Selection()),
        # The reports page's default: the last 8 weeks, for one market and for a group-wide manager.
        "reports, 8 weeks, one market": lambda s: reports.build(s, Market.code == "FR", last_weeks),
        "reports, 8 weeks, all markets": lambda s: reports.build(s, None, last_weeks),
    }


@dataclass
class Filled:
    """A database filled to ``size`` posts, ready to be measured."""

    size: int
    engine: Engine
    statements: Statements
    work: dict[str, Callable[[Session], object]]


def fill(url: str, size: int) -> Filled:
    upgrade(url)
    engine = make_engine(url)
    generated = Generator(engine, size).run()
    print(f"  {size:,} posts generated in {generated['seconds']:.1f} s", flush=True)
    with Session(engine) as session:
        admin = session.get(User, session.scalar(text("SELECT id FROM users WHERE role = 'admin'")))
        manager = session.get(User, session.scalar(text("SELECT id FROM users WHERE role = 'project_manager' "
                                                        "AND all_markets ORDER BY id LIMIT 1")))
        session.expunge_all()
    # The reports read the kept figures of closed days, which the worker computes each night: keep those of the
    # period the reports show, as the nights before this run would have.
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        now = utcnow()
        days = reports.roll_up(session, (now - timedelta(weeks=REPORT_WEEKS)).date(), now.date() + timedelta(days=2),
                               now=now)
    print(f"  kept the reports' figures of {days} closed days in {time.perf_counter() - started:.1f} s "
          f"(the worker keeps one each night)", flush=True)
    return Filled(size, engine, Statements(engine), workloads(admin, manager))


def bench_queries(databases: list[Filled], repeat: int) -> dict[int, dict[str, tuple[float, bool]]]:
    """Each figure's median over ``repeat`` rounds; a round runs it once on each database in turn (the order
    alternating), so a load on the machine weighs on every size alike and the ratios stay fair."""
    results: dict[int, dict[str, tuple[float, bool]]] = {filled.size: {} for filled in databases}
    for name in databases[0].work:
        times: dict[int, list[float]] = {filled.size: [] for filled in databases}
        for filled in databases:
            timed(filled.engine, filled.work[name])  # warm-up: caches, statement compilation
        for round_ in range(repeat):
            for filled in databases if round_ % 2 == 0 else reversed(databases):
                times[filled.size].append(timed(filled.engine, filled.work[name]))
        figures = []
        for filled in databases:
            seq = scans_big_table(filled.engine, filled.statements, filled.work[name])
            results[filled.size][name] = statistics.median(times[filled.size]), seq
            figures.append(f"{statistics.median(times[filled.size]):8.1f} ms{' seq scan' if seq else '         '}")
        print(f"  {name:<36} {'  '.join(figures)}", flush=True)
    return results


# The wall's policy check -------------------------------------------------------------------------------------

#: ``--policy-check``'s busy day: the posts due within the day, on connected accounts (a reviewer measured 48-217 ms
#: per wall build with 230 of them, against 15-33 ms without the check).
POLICY_DUE = 230
#: What each market's policy forbids, so that some of the posts due are refused (a word of about one post in four).
POLICY_FORBIDDEN = [{"phrase": "stade", "reason": "Say \u201cterrain\u201d.", "instead": "terrain"}]


def bench_policy_check(filled: Filled, repeat: int, due: int = POLICY_DUE) -> None:
    """The wall's check of the posts due within the day against the policy in force (``WILL_FAIL_CHECKED``), on
    ``filled`` changed for it (its accounts connected, ``due`` scheduled posts moved into the next 23 hours, each
    market's policy forbidding a common word): the wall built without the check, with it and nothing memoized (each
    build runs the gate on every post due, as before the wall's memo), and with the memo warm (a rebuild after an
    audit row that changed none of them). Run after the other figures: it changes the database."""
    engine, now = filled.engine, utcnow()
    with Session(engine) as session, session.begin():
        session.execute(update(Account).values(connector="outbox"))
        ids = list(session.scalars(select(Post.id).where(Post.state == State.scheduled).order_by(Post.id).limit(due)))
        step = timedelta(hours=23) / max(len(ids), 1)
        for n, post_id in enumerate(ids):
            session.execute(update(Post).where(Post.id == post_id).values(scheduled_at=now + n * step + timedelta(
                minutes=30)))
        for market in session.scalars(select(Market)):
            version = PolicyVersion(market=market, number=1, forbidden=POLICY_FORBIDDEN)
            session.add(version)
            session.flush()
            market.policy_version_id = version.id
    memo = getattr(hub_queries, "WALL_VERDICTS", None)  # None: the code before the wall's memo

    def wall(session: Session) -> hub_queries.Wall:
        return hub_queries.build_wall(session, hub_queries.Viewer(kiosk_markets=()), hub_queries.Selection())

    checked_at_most = hub_queries.WILL_FAIL_CHECKED

    def without_check(session: Session) -> object:
        hub_queries.WILL_FAIL_CHECKED = 0
        try:
            return wall(session)
        finally:
            hub_queries.WILL_FAIL_CHECKED = checked_at_most

    def nothing_memoized(session: Session) -> object:
        if memo is not None:
            memo.clear()
        return wall(session)

    with Session(engine) as session:
        built = wall(session)
        print(f" the wall's policy check, {filled.size:,} posts, {_due_soon(session, now)} posts due within the day "
              f"on connected accounts, {len(built.refusals)} refused (median of {repeat}):", flush=True)
    for name, work in (("wall overview, without the check", without_check),
                       ("wall overview, nothing memoized", nothing_memoized),
                       ("wall overview, memo warm", wall)):
        timed(engine, work)  # warm-up
        times = [timed(engine, work) for _ in range(repeat)]
        print(f"  {name:<36} {statistics.median(times):8.1f} ms  (min {min(times):.1f}, max {max(times):.1f})",
              flush=True)


def _due_soon(session: Session, now: datetime) -> int:
    return len(session.scalars(select(Post.id).where(Post.state == State.scheduled, Post.scheduled_at >= now,
                                                     Post.scheduled_at < now + hub_queries.AHEAD)).all())


# Walls -------------------------------------------------------------------------------------------------------


def bench_walls(url: str, counts: tuple[int, ...]) -> None:
    """Open ``n`` walls on one threaded web process; statements per second, and a change's time to every wall."""
    from werkzeug.serving import make_server

    from approval import create_app, kiosks

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per wall otherwise

    engine = make_engine(url)
    with Session(engine) as session:
        kiosk = kiosks.create_kiosk(session, "bench", [])
        path = kiosk.path
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app_engine = app.extensions["approval.db"]["engine"]
    statements = Statements(app_engine)
    try:
        for n in counts:
            walls = [_Wall(server.server_port, path + "/stream") for _ in range(n)]
            for wall in walls:
                wall.first.wait(120)
            time.sleep(2)
            _within_one_minute(5)
            before, start = statements.count, time.perf_counter()
            time.sleep(5)
            rate = (statements.count - before) / (time.perf_counter() - start)
            for wall in walls:
                wall.updated.clear()
            changed = time.perf_counter()
            with engine.begin() as connection:  # a change elsewhere: another process adds a post to the queue
                _add_post_in_review(connection)
            delays = []
            for wall in walls:
                wall.updated.wait(30)
                delays.append((wall.updated_at or changed + 30) - changed)
            print(f"  {n:>3} walls: {rate:6.1f} statements/s, change shown on every wall after "
                  f"{max(delays):.2f} s (median {statistics.median(delays):.2f} s)", flush=True)
            for wall in walls:
                wall.close()
            time.sleep(1)
    finally:
        server.shutdown()
        engine.dispose()


def _within_one_minute(seconds: float) -> None:
    """Wait until ``seconds`` fit in what is left of the current minute: each minute the walls of a selection are
    built again once (they show the time), whatever their number; a window across it would count that build."""
    left = 60 - time.time() % 60
    if left < seconds + 0.5:
        time.sleep(left + 0.5)


def _add_post_in_review(connection) -> None:  # noqa: ANN001
    """A post waiting for review, written by another process (its revision and audit row with it)."""
    post = connection.execute(text("SELECT id, account_id, created_by_id FROM posts WHERE state = 'in_review' "
                                   "ORDER BY id LIMIT 1")).one()
    now = utcnow()
    new_id = connection.scalar(text(
        "INSERT INTO posts (account_id, created_by_id, state, version, submitted_at, created_at, updated_at) "
        "VALUES (:account, :author, 'in_review', 1, :now, :now, :now) RETURNING id"),
        {"account": post.account_id, "author": post.created_by_id, "now": now})
    body = f"Nouveau message {new_id} pour la revue."
    revision = connection.scalar(text(
        "INSERT INTO revisions (post_id, number, body, sha256, author_id, findings, created_at) "
        "VALUES (:post, 1, :body, :sha, :author, '[]', :now) RETURNING id"),
        {"post": new_id, "body": body, "sha": hashlib.sha256(body.encode()).hexdigest(),
         "author": post.created_by_id, "now": now})
    connection.execute(text("UPDATE posts SET current_revision_id = :revision WHERE id = :post"),
                       {"revision": revision, "post": new_id})


class _Wall:
    def __init__(self, port: int, path: str) -> None:
        self.first, self.updated = threading.Event(), threading.Event()
        self.updated_at: float | None = None
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.connection.request("GET", path)
        self.response = self.connection.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while line := self.response.fp.readline():
                if line.startswith(b"event: wall"):
                    if self.first.is_set():
                        self.updated_at = time.perf_counter()
                        self.updated.set()
                    self.first.set()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        try:
            self.connection.sock.close()
        except (OSError, AttributeError):
            pass


# Main --------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--sizes", default=None, help="Comma-separated post counts (default: PostgreSQL 10000,"
                                                      "1000000; SQLite 10000,100000).")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--walls", default="1,100", help="Comma-separated numbers of open walls (PostgreSQL).")
    parser.add_argument("--policy-check", type=int, default=0, metavar="DUE",
                        help="Then, on the largest size, the wall's policy check with DUE posts due within the day "
                             f"on connected accounts (the reviewer's busy day: {POLICY_DUE}).")
    args = parser.parse_args()
    backends = ("postgresql", "sqlite") if args.backend == "all" else (args.backend,)
    for backend in backends:
        default = "10000,1000000" if backend == "postgresql" else "10000,100000"
        sizes = sorted(int(s) for s in (args.sizes or default).split(","))
        print(f"{backend}:", flush=True)
        with ExitStack() as stack:
            databases = []
            try:
                for size in sizes:
                    if backend == "postgresql":
                        url = stack.enter_context(temporary_database(f"approval_bench_hub_{size}"))
                    else:
                        url = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory())) / 'hub.db'}"
                    databases.append(fill(url, size))
            except NoServer as error:
                print(f"  skipped: {error}")
                continue
            for filled in databases:
                stack.callback(filled.engine.dispose)
            print(f" median of {args.repeat} rounds, each size in turn: "
                  + "  ".join(f"{size:>11,}" for size in sizes), flush=True)
            results = bench_queries(databases, args.repeat)
            if len(results) >= 2:
                small, large = sizes[0], sizes[-1]
                print(f" ratio {large:,} / {small:,}:")
                for name in results[small]:
                    ratio = results[large][name][0] / max(results[small][name][0], 0.001)
                    print(f"  {name:<36} {ratio:6.2f}x  ({results[large][name][0]:.1f} ms at {large:,})")
            if args.policy_check:
                bench_policy_check(databases[-1], args.repeat, args.policy_check)
            if backend == "postgresql" and args.walls:
                print(f" walls on {sizes[-1]:,} posts:", flush=True)
                bench_walls(databases[-1].engine.url.render_as_string(hide_password=False),
                            tuple(int(n) for n in args.walls.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
