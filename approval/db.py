"""The declarative base, the engine, one session per application context, and the one transaction boundary.

Views, operations and commands all reach the database through ``db.session``; operations only flush. A request
commits in exactly one place, the ``after_request`` hook below, when its answer is a success (status < 400), and rolls
back otherwise; a command commits when its ``db.transaction()`` block ends without an exception. A view never calls
``commit``: it returns its answer, or raises. A GET (HEAD, OPTIONS) request only reads, unless its view says
otherwise (``writes_on_get``): on SQLite its transaction takes no write lock while the page renders. A request or a
command that checks at length before it writes (an import's file) checks in a transaction that only reads
(``reading_first``), then writes in the next. Tests swap the session factory to bind every session to one outer
transaction.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Engine, Index, MetaData, UniqueConstraint, create_engine, event
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: What a refused write means to the person who typed it: constraint name (NAMING_CONVENTION) -> (field, message).
#: The message is formatted with the values the caller passes to ``field_errors``. Forms, commands and the API all
#: read their duplicate and out-of-range messages from here.
CONSTRAINT_ERRORS: dict[str, tuple[str, Any]] = {
    "uq_markets_code": ("code", _l("Market %(code)s exists already.")),
    "ck_markets_code_alpha2": ("code", _l("Two letters (ISO 3166-1 alpha-2), e.g. FR.")),
    "uq_executives_name": ("name", _l("An executive named %(name)s exists already.")),
    "uq_accounts_network_handle": ("handle", _l("%(network)s already has the account @%(handle)s.")),
    "uq_users_email": ("email", _l("A user with this e-mail exists already.")),
    "uq_policy_versions_market_id_number": ("based_on", _l("Another admin saved this policy at the same moment.")),
    "uq_api_tokens_token_hash": ("name", _l("This token could not be created: try again.")),
}

# SQLite names a CHECK constraint in its message but a UNIQUE one only by its columns ("markets.code").
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '(\w+)'|([\w., ]+))")


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint ``error`` reports, on PostgreSQL and on SQLite; None when it names none."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None:
        return diag.constraint_name
    message = str(error.orig)
    if match := _SQLITE_CHECK.search(message):
        return match.group(1)
    match = _SQLITE_UNIQUE.search(message)
    if match is None:
        return None
    if match.group(1):
        return match.group(1)
    columns = [part.strip().split(".") for part in match.group(2).split(",")]
    return _unique_by_columns().get((columns[0][0], tuple(column for _table, column in columns)))


def _unique_by_columns() -> dict[tuple[str, tuple[str, ...]], str]:
    found = {}
    for table in Base.metadata.tables.values():
        uniques: list[UniqueConstraint | Index] = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        uniques += [i for i in table.indexes if i.unique]
        for unique in uniques:
            found[(table.name, tuple(column.name for column in unique.columns))] = str(unique.name)
    return found


def field_errors(error: IntegrityError, **values: Any) -> dict[str, list[str]] | None:
    """The field errors a refused write means (see ``CONSTRAINT_ERRORS``), or None for a constraint no person can
    break by typing (a bug: let it be a 500)."""
    entry = CONSTRAINT_ERRORS.get(violated_constraint(error) or "")
    if entry is None:
        return None
    field, message = entry
    try:
        text = str(message) % values
    except (KeyError, TypeError, ValueError):
        text = gettext("This value is already taken.")
    return {field: [text]}


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend; SQLite keeps no offset, so it is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def driver_says(error: BaseException) -> str:
    """The first line of what the database's driver said: a connection refused, a table missing... (SQLAlchemy's
    message adds the statement and its parameters, which a person reading a command's answer or a log needs not)."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_loads(document: str | bytes) -> Any:
    """JSON columns read with orjson (the reports read thousands of documents a page; the standard library takes
    five times as long), falling back to the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        return json.loads(document)


#: How this process names itself to PostgreSQL (``application_name``, shown in ``pg_stat_activity``): set once at the
#: start of a long-running process (``approval-web``, ``approval-worker``, ``approval-notify``), so that a database
#: administrator tells the web's connections from the workers'. Commands keep ``approval``.
_application_name = "approval"


def set_application_name(name: str, engine: Engine | None = None) -> None:
    """Name this process's connections ``name`` from now on; ``engine``'s pooled ones (opened under the old name)
    are closed, and the next ones opened with it."""
    global _application_name  # noqa: PLW0603 - one name per process, as the process has one role
    _application_name = name
    if engine is not None:
        engine.dispose()


def application_name() -> str:
    return _application_name


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_deserializer", _json_loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        _refuse_writes_on_reading_connections(engine)
        return engine
    if url.startswith("postgresql"):
        # PostgreSQL compiles a query to machine code when its estimated cost is high (JIT): hundreds of
        # milliseconds spent on the reports' correlated lookups, whose real cost is a fraction of their estimate.
        # The app's statements are short; none gains from it.
        kwargs.setdefault("connect_args", {}).setdefault("options", "-c jit=off")
    engine = create_engine(url, **kwargs)
    _name_connections(engine)
    _send_lists_in_binary(engine)
    _ping_idle_connections(engine)
    _refuse_writes_on_reading_connections(engine)
    return engine


def _name_connections(engine: Engine) -> None:
    """Each new PostgreSQL connection carries the process's ``application_name``, unless the URL gives its own."""

    @event.listens_for(engine, "do_connect")
    def _on_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams.setdefault("application_name", _application_name)


def _send_lists_in_binary(engine: Engine) -> None:
    """Lists (the arrays of a batch's rows, ``approval.bulk``) go to PostgreSQL in binary. psycopg sends them as
    text by default, where each element holding a quote, a comma or a space is quoted and escaped by a regular
    expression whose replacement is a Python call per quote: 20 µs for a JSON document of 250 characters, and a
    batch's audit rows and outbox messages are such documents. In binary an element is its bytes, as they are.

    A list of strings then arrives typed ``text[]`` (in text it came untyped, and the server chose): compare it with
    a text column, or bind it with its type (``bindparam(..., type_=ARRAY(...))``, as ``approval.bulk`` does); an
    ``= ANY(...)`` of strings against an integer, a date or a native enum would be refused."""
    if engine.dialect.driver != "psycopg":
        return
    from psycopg.types.array import ListBinaryDumper

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Registered last, it is the dumper of lists for parameters of either format (``%s``).
        dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


#: A pooled connection that sat idle this long is tested before use (seconds).
IDLE_BEFORE_PING = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    """Test a connection on its way out of the pool when it sat idle for a while, and replace it if it is dead.

    ``pool_pre_ping`` tests every checkout: a round trip on every request, which under load is pure cost (the
    connection was in use a moment ago). Connections die while idle (a database restart, a firewall dropping a quiet
    connection): those are tested. A restart while the workers are busy fails the requests in flight, pings or not;
    SQLAlchemy then invalidates the whole pool and the next requests reconnect.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the pooled connection is dead") from error  # the pool reconnects


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's documented recipe is to
    # switch it off and emit BEGIN ourselves. IMMEDIATE takes the write lock up front: two writers queue (busy
    # timeout) instead of the second failing with "database is locked" when it upgrades a read to a write.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reader (``reading``) begins deferred: it never writes, and a hundred walls each taking the write lock to
        # read queued behind each other until the busy timeout ran out ("database is locked", 503s).
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else
                                   "BEGIN IMMEDIATE")


#: The execution option of a connection that only reads (``reading``).
READ_ONLY = "approval_read_only"

#: ``session.info`` keys whose values hold for the session's current transaction only (``of_the_transaction``).
_TRANSACTION_KEYS: set[str] = set()


def of_the_transaction(key: str) -> str:
    """``key``, a ``session.info`` key whose value is what the session's current transaction read with rows locked
    or wrote (a post's last audit link, a post never sent to a cabinet): forgotten when the transaction or a
    savepoint ends (a savepoint rolled back may have taken the row it names)."""
    _TRANSACTION_KEYS.add(key)
    return key


@event.listens_for(Session, "after_transaction_end")
def _forget_the_transaction(session: Session, transaction: Any) -> None:
    if transaction.parent is None or transaction.nested:  # not the flush's own inner transactions
        for key in _TRANSACTION_KEYS:
            session.info.pop(key, None)


def reading(engine: Engine) -> Engine:
    """``engine`` for connections that only read (the Social Hub's change feed; a session asks the same of its
    transaction through ``read_only``): on SQLite their transactions do not take the write lock up front, as every
    other transaction does (``BEGIN IMMEDIATE``); elsewhere no change."""
    return engine.execution_options(**{READ_ONLY: True})


class Database:
    """Holds the engine and the session factory of one Flask app."""

    def init_app(self, app: Flask) -> None:
        # The default database lives in the instance folder, made with the settings; a path given in
        # APPROVAL_DATABASE_URL is taken as it is: a mistyped folder is an error, not a new folder.
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["approval.db"] = {"engine": engine, "sessionmaker": sessionmaker(engine)}
        app.after_request(_end_request_transaction)
        app.teardown_appcontext(_close_session)

    @property
    def session(self) -> Session:
        """The session of the current application context, opened on first use and closed at its teardown."""
        return _get_session()

    @property
    def engine(self) -> Engine:
        return current_app.extensions["approval.db"]["engine"]

    def configure_sessions(self, app: Flask, factory: sessionmaker) -> None:
        app.extensions["approval.db"]["sessionmaker"] = factory

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The boundary of a command (or of one unit of a long-running command): commit when the block ends,
        roll back when it raises. Operations inside flush; nothing inside commits."""
        session = self.session
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()

    @staticmethod
    def keep_writes_on_refusal() -> None:
        """Commit this request's writes even though it answers 4xx (a failed login counted, say).

        Without it, a request that answers 400 or more writes nothing; a 5xx or an exception never commits."""
        g.db_keep_writes = True


def _get_session() -> Session:
    if "db_session" not in g:
        session = current_app.extensions["approval.db"]["sessionmaker"]()
        if _request_only_reads():
            read_only(session)
        g.db_session = session
    return g.db_session


def read_only(session: Session) -> Session:
    """Make ``session`` one that only reads, before its first use: on SQLite its transactions begin without the
    write lock (its bind is ``reading``: every transaction, also those after a rollback, which an error page makes),
    and a write through it raises (it would have to take the lock half-way, which fails when another writer
    committed meanwhile). A session bound to a connection (the tests' outer transaction) keeps it as it is."""
    session.info[READ_ONLY] = True
    if isinstance(session.bind, Engine):
        session.bind = reading(session.bind)
    return session


def only_reads(session: Session) -> bool:
    return bool(session.info.get(READ_ONLY))


@contextmanager
def reading_first(session: Session) -> Iterator[Session]:
    """A transaction of ``session``, a writing one, that only reads, ended when the block ends: what a request or a
    command checks at length before it writes (a file of posts to import) is read without the write lock on SQLite;
    the session's next transaction, begun by its next use, takes it (``BEGIN IMMEDIATE``). A write inside raises, as
    through a ``read_only`` session. Call it before anything is written: the transaction the session is in (the one
    loading the user began) is rolled back first. Its objects are expired when the block ends: read again by the
    write transaction, they say what is true then, not what the check read. A session that only reads already (a
    GET's) reads on, as it was."""
    if only_reads(session):
        yield session
        return
    if session.new or session.dirty or session.deleted:
        # The rollback below would drop them without a word: a caller that wrote first is a fault of the code.
        raise RuntimeError("reading_first: the session holds changes not written yet; it must be called first")
    session.rollback()
    session.info[READ_ONLY] = True
    try:
        if isinstance(session.get_bind(), Engine):  # the tests' session, bound to one connection, keeps it as it is
            session.connection(execution_options={READ_ONLY: True})
        yield session
    finally:
        session.rollback()
        session.info.pop(READ_ONLY, None)


def writes_on_get(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose GET writes (opening a notification marks it read): its request's session is an ordinary
    one. Every other GET, HEAD or OPTIONS request reads through a ``read_only`` session: a page being rendered
    holds no lock that the writers queue behind."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def _request_only_reads() -> bool:
    if not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "writes_on_get", False)


class WriteWhileReading(RuntimeError):
    """A write through a ``read_only`` session: a fault of the code (mark the view ``writes_on_get``, or write in a
    ``side_transaction``)."""


@event.listens_for(Session, "before_flush")
def _refuse_flush_when_reading(session: Session, _context: Any, _instances: Any) -> None:
    if only_reads(session) and (session.new or session.deleted or any(map(session.is_modified, session.dirty))):
        raise WriteWhileReading("a session that only reads was asked to write its objects")


@event.listens_for(Session, "do_orm_execute")
def _refuse_statement_when_reading(state: ORMExecuteState) -> None:
    if only_reads(state.session) and (state.is_insert or state.is_update or state.is_delete):
        raise WriteWhileReading("a session that only reads was asked to run an INSERT, UPDATE or DELETE")


#: A statement that writes, as a connection that only reads must never send: by its first word, or a ``WITH`` one of
#: whose statements writes (``WITH told_now AS (INSERT ...``).
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b|\s*WITH\b.*?\bAS\s*\(\s*(INSERT|UPDATE|DELETE)\b",
                     re.IGNORECASE | re.DOTALL)


def _refuse_writes_on_reading_connections(engine: Engine) -> None:
    """The same refusal below the ORM: a statement sent on a ``reading`` connection (``connection().execute``,
    SQL text) that writes."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY) and _WRITES.match(statement):
            raise WriteWhileReading("a connection that only reads was asked to write")


@contextmanager
def side_transaction() -> Iterator[Session]:
    """A short transaction of its own beside a reading request's, committed when the block ends: bookkeeping that
    does not depend on the answer (a token's last use, a report's closed days). Only from a request that reads:
    beside a writing request's transaction, SQLite would make it wait for that request's own lock. It may wait for
    another writer (SQLite's busy timeout) and fail: the caller treats it as best effort."""
    if not only_reads(_get_session()):
        raise RuntimeError("side_transaction() is for requests that only read")
    with current_app.extensions["approval.db"]["sessionmaker"]() as session, session.begin():
        yield session


def _end_request_transaction(response: Response) -> Response:
    """The one place a request commits: a success commits, a refusal (4xx) or an error (5xx) rolls back.

    Error handlers' answers and Flask's 500 come through here too, so an exception never commits. A commit that
    fails raises, and the request becomes a 500 with nothing written. A request that never used the database
    opened no session and costs nothing here.
    """
    session: Session | None = g.get("db_session")
    if session is None:
        return response
    keep = response.status_code < 400 or (response.status_code < 500 and g.pop("db_keep_writes", False))
    if keep:
        session.commit()
    else:
        session.rollback()
    return response


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


db = Database()
