"""Fixtures: the app on SQLite and on PostgreSQL, one rolled-back transaction per test, factories and a logged-in
web client.

Every test that asks for ``db_session`` (directly or through a factory) runs twice: on a SQLite file and on a fresh
PostgreSQL database on 127.0.0.1:5432. Without a server there the PostgreSQL half is skipped, unless
APPROVAL_TEST_POSTGRES=required (set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from approval import create_app

# The tests' webhook receivers listen on 127.0.0.1, which a production server refuses to call
# (approval.publishing.addresses): every app and worker process the tests start allows it, but the test of that refusal.
os.environ["APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"] = "1"
from approval import administration as admin
from approval import operations as ops
from approval.db import db
from approval.migrate import upgrade
from approval.models import Account, Executive, Market, Post, User
from approval.models import users as users_module
from approval.workflow.states import Action, Role, State

POSTGRES_ADMIN_URL = os.environ.get("APPROVAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"
BACKENDS = ["sqlite", "postgresql"]
#: For a test whose property does not depend on the database (a page's layout in a browser, what a process prints):
#: run on SQLite alone, as ``@ONE_BACKEND``. The workflow's invariants and anything SQL stay on both.
ONE_BACKEND = pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session")
#: Databases dropped at once at the end of a session (``TemporaryDatabases.drop_all``).
DROPPING_AT_ONCE = 8


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its production cost would spend the suite's time hashing the factories' passwords."""
    monkeypatch.setattr(users_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def no_wall_verdicts_kept() -> None:
    """The wall's memo of the gate's verdicts (``hub.WALL_VERDICTS``) lives as long as the process: a test rolled
    back on SQLite gives its ids to the next one, which must not find its verdicts."""
    from approval.queries.hub import WALL_VERDICTS

    WALL_VERDICTS.clear()


@pytest.fixture()
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes the password checks compared with, in order, from now on: the (cheap) hasher, counting its
    ``verify`` (an unknown address, or an invited user's, must cost a check as a known one does)."""
    checks: list[str] = []
    real = users_module._hasher

    class CountingHasher:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, hashed: str, password: str) -> bool:
            checks.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(users_module, "_hasher", CountingHasher())
    return checks


# Databases ---------------------------------------------------------------------------------------------------


def _postgres_required() -> bool:
    return os.environ.get("APPROVAL_TEST_POSTGRES", "").lower() == "required"


class TemporaryDatabases:
    """Creates databases for the session and drops them at its end.

    ``migrated_url`` hands out databases at the last migration as copies of one template per backend, migrated at
    its first call in the test process: a migration from nothing costs one to two seconds, a copy a few
    milliseconds (SQLite, a file) or a third of a second (PostgreSQL, ``CREATE DATABASE ... TEMPLATE``). A test about
    the migrations themselves calls ``approval.migrate.upgrade`` on a ``new_url`` instead.
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []
        #: The template of each backend, by backend (``_template``).
        self.templates: dict[str, str] = {}

    def new_url(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / f'approval-{uuid.uuid4().hex[:8]}.db'}"
        name = f"approval_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        try:
            admin_engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin_engine.dispose()
        except Exception as error:  # noqa: BLE001 - any failure to reach the server means "no PostgreSQL here"
            if _postgres_required():
                pytest.fail(f"PostgreSQL is required (APPROVAL_TEST_POSTGRES=required) but unreachable: {error}")
            pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({type(error).__name__})")
        self.created.append(name)
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def migrated_url(self, backend: str) -> str:
        """A new database of ``backend`` at the last migration, as ``upgrade(new_url(backend))`` leaves it."""
        if backend == "sqlite":
            url = self.new_url(backend)
            self.migrate(url)
            return url
        template = self._template(backend)
        name = f"approval_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._copy_postgres(_database_name(template), name)
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def migrate(self, url: str) -> None:
        """Brings a database nothing has used yet to the last migration, as ``upgrade(url)`` would: a SQLite file
        that does not exist yet (anywhere), or a PostgreSQL database ``new_url`` made."""
        if url.startswith("sqlite:"):
            path = Path(make_url(url).database or "")
            assert not path.exists(), f"{path} exists: migrate() fills a database nothing has used yet"
            shutil.copyfile(_database_name(self._template("sqlite")), path)
            return
        name = _database_name(url)
        assert name in self.created, f"{name} is not a database of this session's (new_url)"
        # Renamed out of the way, dropped with the others at the end (``drop_all``): a DROP DATABASE here cost 0.5 to
        # 3 s, more than the copy and more than migrating it from nothing in this process.
        put_aside = f"{name}_empty"
        admin_engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin_engine.connect() as connection:  # a connection to it would mean it is in use: the rename fails
            connection.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{put_aside}"'))
        self.created[self.created.index(name)] = put_aside
        self._copy_postgres(_database_name(self._template("postgresql")), name)

    def _template(self, backend: str) -> str:
        """The test process's database of ``backend`` at the last migration, migrated at the first call, that
        ``migrated_url`` copies. Nothing connects to it after its migration (a copy of a PostgreSQL database waits
        for the last connection to it to end, then fails)."""
        if backend not in self.templates:
            url = self.new_url(backend)
            upgrade(url)  # its engines disposed: on SQLite the last connection to close left no -wal file behind
            if backend == "sqlite":
                assert not Path(_database_name(url) + "-wal").exists(), "the template's WAL still open"
            else:
                admin_engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
                with admin_engine.connect() as connection:
                    # A setting of the database's own (ALTER DATABASE ... SET) is not copied by the template.
                    settings = connection.scalar(text(
                        "SELECT count(*) FROM pg_db_role_setting JOIN pg_database d ON d.oid = setdatabase "
                        "WHERE d.datname = :name"), {"name": _database_name(url)})
                    assert settings == 0, "the migrations set a database setting: copy it in _copy_postgres"
                    # Nor autovacuum, nor anyone, may connect to the template while it is copied.
                    connection.execute(text(f'ALTER DATABASE "{_database_name(url)}" WITH ALLOW_CONNECTIONS false'))
            self.templates[backend] = url
        return self.templates[backend]

    def _copy_postgres(self, template: str, name: str) -> None:
        """``name``, a copy of ``template``: its schema, rows and privileges, and the privileges on the database
        itself (``GRANT CONNECT ON DATABASE``, migration 0006), which ``CREATE DATABASE ... TEMPLATE`` leaves out."""
        admin_engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            self.created.append(name)
            grants = connection.execute(text(
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END, "
                "a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a "
                "WHERE d.datname = :name AND a.grantee <> d.datdba"), {"name": template}).all()
            for grantee, privilege, grantable in grants:
                connection.execute(text(f'GRANT {privilege} ON DATABASE "{name}" TO {grantee}'
                                        + (" WITH GRANT OPTION" if grantable else "")))

    def drop_all(self) -> None:
        """Several at a time: each DROP DATABASE waits for a checkpoint of the whole server, and drops in flight
        together share one. One after another, they took a minute and a half at the end of a loaded run."""
        if not self.created:
            return
        from concurrent.futures import ThreadPoolExecutor

        admin_engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=DROPPING_AT_ONCE)

        def drop(name: str) -> None:
            with admin_engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        with ThreadPoolExecutor(DROPPING_AT_ONCE) as pool:
            list(pool.map(drop, self.created))  # list(): a failed drop raises here
        admin_engine.dispose()


def _database_name(url: str) -> str:
    """The SQLite file's path, or the PostgreSQL database's name."""
    return make_url(url).database or ""


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporaryDatabases]:
    temporary = TemporaryDatabases(tmp_path_factory.mktemp("db"))
    yield temporary
    temporary.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, databases: TemporaryDatabases) -> str:
    """A database migrated to head, shared by the session's tests (each in its own rolled-back transaction)."""
    return databases.migrated_url(backend)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    os.environ.setdefault("APPROVAL_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})


@pytest.fixture()
def db_session(app: Flask) -> Iterator[Session]:
    """The test's own session, inside one outer transaction rolled back at the end.

    SQLAlchemy's "join a session into an external transaction" recipe: every session the app opens during the test
    (one per request, as in production) binds to the same connection, and its commits only release savepoints. The
    test's session sees what requests wrote after ``expire_all()`` or ``refresh()``.
    """
    engine = app.extensions["approval.db"]["engine"]
    original = app.extensions["approval.db"]["sessionmaker"]
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.configure_sessions(app, factory)
    session = factory()
    yield session
    session.close()
    outer.rollback()
    connection.close()
    db.configure_sessions(app, original)


def _command_line(url: str, tmp_path: Path, runs: Callable[..., subprocess.CompletedProcess]):  # noqa: ANN202
    """``run(*args, input=None, check=True)``: ``approval ARGS`` on the database at ``url`` through ``runs``
    (``runs(args, env, input)``), its exit status checked unless ``check`` is false; ``run.url``, ``run.env``."""
    env = {**os.environ, "APPROVAL_DATABASE_URL": url, "APPROVAL_INSTANCE_PATH": str(tmp_path / "instance")}

    def run(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = runs(list(args), run.env, input)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    run.url = url
    run.env = env
    return run


def run_in_subprocess(args: list[str], env: dict[str, str], input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "approval.cli", *args], env=env, input=input, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture()
def cli(backend: str, databases: TemporaryDatabases, tmp_path: Path):
    """Runs the `approval` command line in a subprocess, as a user would, on a fresh database of the backend."""
    return _command_line(databases.new_url(backend), tmp_path, run_in_subprocess)


def run_in_process(args: list[str], env: dict[str, str | None], input: str | None = None) \
        -> subprocess.CompletedProcess:
    """``approval ARGS`` run in this process through click's test runner, in ``os.environ`` updated with ``env``: the
    group the ``approval`` script runs, without a new interpreter (1 to 2 s) per command. An uncaught exception is
    written on stderr as Python writes it ("Traceback..."), exit 1, as a process would end."""
    import logging
    import traceback

    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from approval.cli import _create_app, main
    from approval.db import application_name, set_application_name

    # What a command sets for its process (the root logger's handler and level, the connections' name, its SIGTERM
    # and SIGINT handlers, Flask's "run from the command line" flag) is put back after it: the next command, and the
    # next test, share this process.
    root = logging.getLogger()
    handlers, level, name = list(root.handlers), root.level, application_name()
    signals = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    info = ScriptInfo(create_app=_create_app)
    try:
        result = CliRunner().invoke(main, args, input=input, obj=info,
                                    env={**env, "FLASK_RUN_FROM_CLI": os.environ.get("FLASK_RUN_FROM_CLI")})
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        set_application_name(name)
        for number, handler in signals.items():
            signal.signal(number, handler)
        if info._loaded_app is not None:  # its connections closed now, not whenever the collector comes by
            info._loaded_app.extensions["approval.db"]["engine"].dispose()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["approval", *args], result.exit_code, result.stdout, stderr)


@pytest.fixture()
def cli_in_process(backend: str, databases: TemporaryDatabases, tmp_path: Path):
    """``cli``'s twin, run in this process (``run_in_process``), for a command's behaviour: its output, exit status,
    what it writes. ``cli`` stays for what only a process shows: its stdin from a pipe, its log lines, its imports'
    warnings, the settings it reads when it starts."""
    return _command_line(databases.new_url(backend), tmp_path, run_in_process)


# Browser -----------------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("APPROVAL_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium_browser():
    """A headless Chromium for the test process, launched at its first browser test (launching one per module cost
    a second or more each time, twice per module: once per backend). Tests open their own contexts in it."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("APPROVAL_TEST_BROWSER", "").lower() == "required":
            pytest.fail(message + " (APPROVAL_TEST_BROWSER=required)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        yield browser
        browser.close()


# An app whose own processes commit (workers, senders) ----------------------------------------------------

#: Where the links of a committed app's tests lead (``committed_app``).
SITE = "https://approval.helio.example"


def committed_app(databases, backend: str, tmp_path_factory, **settings: object) -> Flask:  # noqa: ANN001
    """An app on a database of its own, brought to the last migration, whose senders commit their claims as in
    production (``settings``: e.g. ``SMTP_URL``)."""
    url = databases.migrated_url(backend)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "PUBLIC_URL": SITE, **settings})
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    return app


def app_session(app: Flask) -> Iterator[Session]:
    """A session of ``app``'s, inside its application context (a fixture's body: ``yield from``)."""
    with app.app_context():
        with app.extensions["approval.db"]["sessionmaker"]() as session:
            yield session


def numbered_factory(session: Session, tests: Iterator[int], step: int) -> Factory:
    """A ``Factory`` whose names do not meet those of the module's earlier tests (its database is the module's)."""
    factory = Factory(session)
    factory.counter = next(tests) * step
    return factory


# Factories ---------------------------------------------------------------------------------------------------

#: The codes the factory gives the markets it makes without one: countries' codes, in a fixed order.
TERRITORIES = sorted(admin.territory_codes())


#: A post's address on each network, as a person pastes it (``approval.style.network.POST_HOSTS``).
POST_URLS = {"x": "https://x.com/helio/status/1", "facebook": "https://www.facebook.com/helio/posts/1",
             "instagram": "https://www.instagram.com/p/helio1/", "linkedin": "https://www.linkedin.com/feed/update/1",
             "youtube": "https://www.youtube.com/watch?v=helio1", "snapchat": "https://www.snapchat.com/p/helio1"}


def row_counts(session: Session, *models: type) -> tuple[int, ...]:
    """The number of rows of each model's table, read afresh: what a refused request must leave unchanged."""
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) for model in models)


def post_url(account: Account) -> str:
    return POST_URLS[account.network.value]


class Factory:
    """Builds realistic objects with sensible defaults; every name reads like the product."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counter = 0
        #: The language each new user chose (``user``): None, never chosen.
        self.chosen_locale: str | None = None

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def market(self, code: str | None = None, timezone: str = "Europe/Paris", languages: tuple = ("fr",)) -> Market:
        code = code or TERRITORIES[self._next() % len(TERRITORIES)]  # a real country's code, as the rules ask
        existing = self.session.scalar(select(Market).where(Market.code == code))
        return existing or admin.create_market(self.session, code, f"Market {code}", timezone, list(languages))

    def executive(self, name: str | None = None) -> Executive:
        return admin.get_or_create_executive(self.session, name or f"Executive {self._next()}", "Board member")

    def account(self, market: Market | None = None, network: str = "facebook",
                executive: Executive | None = None) -> Account:
        return admin.create_account(self.session, market or self.market("FR"), network, f"handle{self._next()}",
                                    "Helio", executive)

    def user(self, role: Role | str = Role.community_manager, markets: list[Market] | None = None,
             all_markets: bool = False, executives: list[Executive] | None = None, name: str | None = None) -> User:
        """A user of ``role``; their language is ``chosen_locale`` (None: never chosen, so their mail is written in
        their first market's language)."""
        n = self._next()
        if markets is None and not all_markets and Role(role) not in (Role.admin, Role.cabinet):
            markets = [self.market("FR")]
        user = admin.create_user(self.session, f"user{n}@helio.example", name or f"{Role(role).value} {n}", role,
                                 PASSWORD, markets=markets or [], all_markets=all_markets,
                                 executives=executives or [])
        user.locale = self.chosen_locale
        return user

    def post(self, state: State | str = State.draft, *, account: Account | None = None, author: User | None = None,
             body: str = "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.",
             reviewer: User | None = None) -> Post:
        """A post brought to ``state`` through the engine, as people would."""
        state = State(state)
        account = account or self.account()
        market = account.market
        author = author or self.user(Role.community_manager, markets=[market])
        post = ops.create_post(self.session, author, account, body)
        if state is State.draft:
            return post
        if state is State.withdrawn:
            self.act(post, Action.withdraw, author)
            return post
        self.act(post, Action.submit, author)
        if state is State.in_review:
            return post
        reviewer = reviewer or self.user(Role.project_manager, markets=[market])
        if state in (State.changes_requested, State.rejected):
            action = Action.request_changes if state is State.changes_requested else Action.reject
            self.act(post, action, reviewer, comment="Please fix.")
            return post
        if account.is_executive and not any(member.active for member in account.executive.cabinet):
            self.user(Role.cabinet, executives=[account.executive])  # no suggestion goes to an empty cabinet
        self.act(post, Action.approve, reviewer)
        if account.is_executive:
            if state is State.with_cabinet:
                return post
            cabinet = next(member for member in account.executive.cabinet if member.active)
            if state is State.declined:
                self.act(post, Action.decline, cabinet, comment="Not now.")
                return post
            self.act(post, Action.accept, cabinet)
        if state is State.approved:
            return post
        if state is State.scheduled:
            from datetime import timedelta

            from approval.db import utcnow

            self.act(post, Action.schedule, reviewer, scheduled_at=utcnow() + timedelta(days=1))
            return post
        if state is State.published:
            self.act(post, Action.mark_published, reviewer, url=post_url(account))
            return post
        raise ValueError(f"the factory cannot reach {state} yet")

    def act(self, post: Post, action: Action, actor: User, **kwargs) -> None:  # noqa: ANN003
        ops.act_on_post(self.session, post, action, actor, expected_version=post.version, **kwargs)


@pytest.fixture()
def make(db_session: Session) -> Factory:
    return Factory(db_session)


# Web ---------------------------------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class WebClient:
    """A test client that logs in through the real form and sends forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None
        self.user: User | None = None

    def get(self, url: str, **kwargs):  # noqa: ANN003, ANN201
        return self.client.get(url, **kwargs)

    def refresh_token(self, url: str = "/login") -> str:
        page = self.client.get(url).get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, f"no CSRF token on {url}"
        self.token = match.group(1) or match.group(2)
        return self.token

    def login(self, user: User, password: str = PASSWORD):  # noqa: ANN201
        self.refresh_token("/login")
        response = self.client.post("/login", data={"email": user.email, "password": password,
                                                     "csrf_token": self.token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.user = user
        self.refresh_token("/posts")
        return response

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs):  # noqa: ANN003, ANN201
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.token or self.refresh_token()
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture()
def web(app: Flask, db_session: Session) -> WebClient:
    return WebClient(app.test_client())


@pytest.fixture()
def admin_user(make: Factory) -> User:
    return make.user(Role.admin, name="Ada Admin")


@pytest.fixture()
def admin_web(web: WebClient, admin_user: User) -> WebClient:
    web.login(admin_user)
    return web
