"""The wall's live stream against a real threaded server: a change made through the API shows on the wall within
5 seconds; a revoked kiosk link stops its open wall within 5 seconds; one change feed serves every open wall of a
process, so the database sees the same statements whether one wall or twenty are open."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from approval import kiosks
from approval.hub_feed import feed_for

from hub_live import EventStream, live_wall, write_and_submit


def test_a_change_through_the_api_reaches_an_open_kiosk_wall_within_5_seconds(databases, backend):
    with live_wall(databases, backend) as live:
        stream = EventStream(live.port, live.kiosk_path + "/stream")
        assert stream.status == 200
        assert stream.next("wall", 5) is not None  # the wall as it stands
        write_and_submit(live, "Coup d'envoi du match à 21 heures au Stade de France.")
        started = time.monotonic()  # the change is committed: the clock runs from here
        while (wall := stream.next("wall", 5 - (time.monotonic() - started))) is not None:
            if "Coup d&#39;envoi du match" in wall:
                break
        assert wall is not None and "Coup d&#39;envoi du match" in wall, "the change did not show within 5 s"
        assert time.monotonic() - started < 5
        stream.close()


def test_a_revoked_kiosk_link_stops_its_open_wall_within_5_seconds(databases, backend):
    with live_wall(databases, backend) as live:
        stream = EventStream(live.port, live.kiosk_path + "/stream")
        assert stream.next("wall", 5) is not None
        started = time.monotonic()
        with Session(live.engine) as session:
            kiosks.revoke_kiosk(session, live.kiosk_token)
            session.commit()
        assert stream.next("revoked", 5) is not None, "the wall kept going after its link was revoked"
        assert time.monotonic() - started < 5
        assert stream.next("closed", 5) is not None, "the revoked wall's stream stayed open"
        again = EventStream(live.port, live.kiosk_path + "/stream")
        assert again.status == 404


def test_the_database_load_does_not_grow_with_the_number_of_open_walls(databases, backend):
    with live_wall(databases, backend, interval=0.2) as live:
        engine = live.app.extensions["approval.db"]["engine"]
        statements = []
        event.listen(engine, "before_cursor_execute", lambda *args, **kw: statements.append(time.monotonic()))

        def per_second(walls: int) -> float:
            streams = [EventStream(live.port, live.kiosk_path + "/stream") for _ in range(walls)]
            for stream in streams:
                assert stream.next("wall", 10) is not None
            time.sleep(0.5)
            # The walls are built again when the minute turns (their times say "in 35 min."): once for all of
            # them, but a window across it counts that build, with one wall or twenty. Measure within a minute.
            # The quieter of two windows: a load that grows with the walls shows in both; a moment of a busy
            # machine (a late first build, a slow tick caught up) in one.
            rates = []
            for _window in range(2):
                while datetime.now(UTC).second >= 55:
                    time.sleep(0.2)
                before, start = len(statements), time.monotonic()
                time.sleep(2.0)
                rates.append((len(statements) - before) / (time.monotonic() - start))
            for stream in streams:
                stream.close()
            return min(rates)

        one, twenty = per_second(1), per_second(20)
        feed = feed_for(live.app)
        assert feed.polls > 0
        # One question per tick, whatever the number of walls (a little slack for a tick's timing).
        assert twenty <= one * 1.5 + 1, f"{one:.1f}/s with one wall, {twenty:.1f}/s with twenty"


def test_an_open_kiosk_wall_keeps_its_market_through_a_new_code(databases, backend):
    """Belgium's screen is open when an admin corrects Belgium's code, typed BL, to BE (before it has accounts: a
    code stays once it has some): its first posts show on it (its stream follows the market, not the code it had
    when it opened)."""
    from sqlalchemy import select

    from approval import administration
    from approval.models import Market
    from approval.workflow.states import State

    from conftest import Factory

    with live_wall(databases, backend) as live:
        with Session(live.engine) as session:
            administration.create_market(session, "BL", "Belgique", "Europe/Brussels", ["fr"])
            path = kiosks.create_kiosk(session, "Brussels screen", ["BL"]).path
            session.commit()
        stream = EventStream(live.port, path + "/stream")
        assert stream.next("wall", 5) is not None
        with Session(live.engine) as session:
            belgium = session.scalar(select(Market).where(Market.code == "BL"))
            administration.update_market(session, belgium, "BE", belgium.name, belgium.timezone, belgium.languages)
            make = Factory(session)
            make.counter = 1000  # names apart from the seed's
            make.post(State.in_review, account=make.account(belgium, "x"),
                      body="Les portes du stade ouvrent à 19 heures.")
            session.commit()
        started = time.monotonic()
        while (wall := stream.next("wall", 5 - (time.monotonic() - started))) is not None:
            if "Les portes du stade" in wall:
                break
        assert wall is not None and "Les portes du stade" in wall and "BE" in wall, "the open screen lost Belgium"
        stream.close()


def test_a_kiosk_link_made_while_walls_are_open_opens_at_once(databases, backend):
    """A new link opened straight after it is made, while another wall keeps the change feed running: the feed has
    not read the new link yet, and the screen shows the wall, not "revoked"."""
    with live_wall(databases, backend, interval=5.0) as live:
        first = EventStream(live.port, live.kiosk_path + "/stream")
        assert first.next("wall", 5) is not None  # the feed runs, and has read the live links
        with Session(live.engine) as session:
            made = kiosks.create_kiosk(session, "Command room 2", ["FR"])
            path = made.path
            session.commit()
        second = EventStream(live.port, path + "/stream")
        assert second.status == 200
        assert second.next("wall", 5) is not None, "a live link was taken for a revoked one"
        assert second.next("revoked", 1) is None
        first.close()
        second.close()


def test_a_wall_reading_sqlite_does_not_take_the_write_lock(databases, tmp_path):
    """Every SQLite transaction takes the write lock up front (BEGIN IMMEDIATE), so that two writers queue; the
    walls' streams only read, and a hundred of them opened at once queued behind each other for that lock until
    the busy timeout ran out ("database is locked", 503s). Their sessions begin deferred: a writer goes ahead
    while one is open."""
    import sqlite3

    from sqlalchemy import select

    from approval import create_app
    from approval.hub_feed import new_session
    from approval.models import Post

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    databases.migrate(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    wall = new_session(app)
    try:
        assert wall.scalars(select(Post.id)).all() == []  # its transaction is open, as a wall's build is
        writer = sqlite3.connect(tmp_path / "hub.db", timeout=0, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the wall held the write lock
        writer.execute("ROLLBACK")
        writer.close()
        with app.extensions["approval.db"]["sessionmaker"]() as session:  # the others still begin IMMEDIATE
            session.scalars(select(Post.id)).all()
            other = sqlite3.connect(tmp_path / "hub.db", timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
    finally:
        wall.close()
        app.extensions["approval.db"]["engine"].dispose()
