"""One transaction boundary: a request commits in one place when it succeeds and writes nothing when it fails; a
refused write names its field through the constraint's name, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from approval import administration as admin
from approval import create_app
from approval.db import CONSTRAINT_ERRORS, db, field_errors, make_engine, violated_constraint, writes_on_get
from approval.models import Account, Executive, Market, Network, User

CODE = "MC"  # Monaco: a country, which the rules ask, and a market no other test makes


@pytest.fixture()
def boundary(database_url: str):
    """An app with one route that writes a market, then answers as the test asks; and a way to see, from another
    connection, whether the write was committed. The route's market is deleted afterwards."""
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": database_url, "SECRET_KEY": "boundary"})

    @app.post("/boundary/<outcome>")
    def write(outcome: str):  # noqa: ANN202
        admin.create_market(db.session, CODE, "Boundary", "Europe/Paris", ["fr"])
        if outcome == "raise":
            raise RuntimeError("a bug after the write")
        if outcome == "abort":
            abort(409)
        if outcome == "keep":
            db.keep_writes_on_refusal()
            return "counted", 429
        return ("", 204) if outcome == "ok" else ("refused", 422)

    @app.get("/boundary/read")
    def read():  # noqa: ANN202
        return str(db.session.scalar(select(func.count()).select_from(Market)))

    @app.get("/boundary/get-writes")
    def get_writes():  # noqa: ANN202 - a GET that writes without saying so: refused, whatever it answers
        admin.create_market(db.session, CODE, "Boundary", "Europe/Paris", ["fr"])
        return "", 204

    @app.get("/boundary/get-statement/<how>")
    def get_statement(how: str):  # noqa: ANN202 - a write below the ORM's unit of work: refused as well
        if how == "orm":
            db.session.execute(update(User).values(name="Écrit en lisant"))
        else:
            db.session.connection().execute(text("UPDATE users SET name = 'Écrit en lisant'"))
        return "", 204

    @app.get("/boundary/get-marked")
    @writes_on_get
    def get_marked():  # noqa: ANN202 - a GET that says it writes (opening a notification marks it read)
        admin.create_market(db.session, CODE, "Boundary", "Europe/Paris", ["fr"])
        return "", 204

    engine = make_engine(database_url)

    def committed() -> bool:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Market).where(Market.code == CODE)) == 1

    yield app.test_client(), committed
    with engine.begin() as connection:
        connection.execute(delete(Market).where(Market.code == CODE))
    engine.dispose()
    app.extensions["approval.db"]["engine"].dispose()


@pytest.mark.parametrize(("outcome", "status", "kept"), [
    ("ok", 204, True),        # a success commits, though the view never called commit
    ("refuse", 422, False),   # a refusal writes nothing
    ("abort", 409, False),    # nor does an HTTP error raised after the write
    ("raise", 500, False),    # nor a bug
    ("keep", 429, True),      # unless the view asked to keep its writes on a refusal
])
def test_a_request_commits_only_when_it_succeeds(boundary, outcome, status, kept):
    client, committed = boundary

    response = client.post(f"/boundary/{outcome}")

    assert response.status_code == status
    assert committed() is kept
    assert client.get("/boundary/read").status_code == 200  # the next request starts clean


def test_a_get_only_reads_unless_its_view_says_it_writes(boundary):
    """GET, HEAD and OPTIONS requests read through a session that refuses writes (on SQLite it takes no write lock:
    see the next test); a view that writes on GET says so."""
    client, committed = boundary
    assert client.get("/boundary/get-writes").status_code == 500
    assert not committed()
    for how in ("orm", "sql"):
        assert client.get(f"/boundary/get-statement/{how}").status_code == 500, how
    assert client.get("/boundary/get-marked").status_code == 204
    assert committed()


def test_a_page_view_on_sqlite_takes_no_write_lock(databases, tmp_path):
    """Every SQLite transaction took the write lock up front (BEGIN IMMEDIATE), page views too: while a page was
    rendered, every writer waited, and a page waited behind every writer. A GET now begins deferred: it is served
    while another connection holds the write lock. The writing requests still take it up front."""
    import sqlite3

    from tests.conftest import PASSWORD, WebClient

    url = f"sqlite:///{tmp_path / 'pages.db'}"
    databases.migrate(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "pages"})
    with app.app_context(), db.transaction() as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        admin.create_user(session, "pm@helio.example", "Pia", "project_manager", PASSWORD, markets=[market])
    web = WebClient(app.test_client())
    with app.app_context():
        web.login(db.session.scalar(select(User)))
    writer = sqlite3.connect(tmp_path / "pages.db", timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        for page in ("/posts", "/review", "/calendar", "/profile"):
            assert web.get(page).status_code == 200, page  # before: 10 s of busy timeout, then an error
        # A refusal rolls the request's transaction back, and its error page reads again: deferred still.
        assert web.get("/posts/999999").status_code == 404
        assert web.get("/posts/999999/version").status_code == 404
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        app.extensions["approval.db"]["engine"].dispose()


def test_no_view_command_or_api_calls_commit():
    """The boundary is the only commit of the request paths: a view, an API view or a command that commits again
    would split a request in two transactions."""
    from pathlib import Path

    import approval

    package = Path(approval.__file__).parent
    owned = [package / "views" / "admin.py", package / "views" / "cabinet.py", package / "views" / "review.py",
             package / "cli.py", package / "administration.py"]
    for path in owned:
        source = path.read_text()
        assert "session.commit()" not in source and "session.rollback()" not in source, path


# The constraint names ----------------------------------------------------------------------------------------


def _refused(db_session, *objects) -> IntegrityError:
    savepoint = db_session.begin_nested()
    db_session.add_all(objects)
    with pytest.raises(IntegrityError) as caught:
        db_session.flush()
    savepoint.rollback()
    return caught.value


def test_each_backend_names_the_constraint_a_write_broke(db_session, make):
    fr = make.market("FR")
    make.executive("Hélène Marchand")
    make.user(name="Camille").email = "camille@helio.example"
    admin.create_account(db_session, fr, "x", "helio_fr")
    db_session.flush()

    cases = {
        "uq_markets_code": [Market(code="FR", name="France bis", timezone="Europe/Paris", languages=["fr"])],
        "ck_markets_code_alpha2": [Market(code="F", name="F", timezone="Europe/Paris", languages=["fr"])],
        "uq_executives_name": [Executive(name="Hélène Marchand", title="")],
        "uq_accounts_network_handle": [Account(market_id=fr.id, network=Network.x, handle="helio_fr")],
        "uq_users_email": [User(email="camille@helio.example", name="Twin", role="admin", password_hash="x")],
    }
    for name, objects in cases.items():
        error = _refused(db_session, *objects)
        assert violated_constraint(error) == name
        assert name in CONSTRAINT_ERRORS

    error = _refused(db_session, Account(market_id=fr.id, network=Network.x, handle="helio_fr"))
    assert field_errors(error, network="x", handle="helio_fr") == {"handle": ["x already has the account @helio_fr."]}


def test_a_duplicate_refused_by_the_database_leaves_the_session_usable(db_session, make):
    make.market("FR")

    with pytest.raises(admin.Refused) as refused:
        admin.create_market(db_session, "fr", "France bis", "Europe/Paris", ["fr"])

    assert refused.value.conflict and refused.value.errors == {"code": ["Market FR exists already."]}
    assert admin.create_market(db_session, "KE", "Kenya", "Africa/Nairobi", ["en", "sw"]).id is not None
