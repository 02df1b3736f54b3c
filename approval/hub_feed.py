"""The wall's change feed: one per process, shared by every open wall of that process.

A background thread asks the database, once a tick, one cheap question: the newest audit row, the newest change to
a post, the stop switches' and the kiosk links' latest changes, the wall's settings (each an index's last entry).
When the answer changes, every waiting stream wakes up. Since the answer comes from the database, a change made by
any web process or worker shows on the walls of every process; and since one thread asks for all the streams of its
process, the database load does not grow with the number of open walls.

A woken stream asks ``rendered`` for its wall: the first stream of a selection builds it (the wall's queries, once
per change), the others with the same selection get the same HTML. Parts that age with the clock (the next 24 hours,
how long a post has waited) are rebuilt at most once a minute, per selection.

The thread runs while streams are subscribed and stops a while after the last one leaves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from approval.db import read_only, reading
from approval.models import AuditEntry, KioskLink, PolicyVersion, Post, StopSwitch, WallSettings

#: Seconds between two looks at the database (the wall shows a change within this, plus the build).
DEFAULT_INTERVAL = 1.0
#: The thread stops when no stream has been subscribed for this long (seconds).
IDLE_STOP = 30.0
#: A cached wall not asked for in this long is dropped (seconds).
CACHE_TTL = 600.0

#: The one question of each tick. Every change of a post's state or text writes an audit row, so the newest audit id
#: is the main signal; the newest post id catches a post written without one (an import), and the newest
#: ``updated_at`` other changes (a clock running ahead somewhere can hide those until it is caught up, never the
#: first two). The other columns move the kiosk links (revocation) and the wall's settings; the last, a market's new
#: editorial policy (the posts it refuses are "bound to fail" on the wall, as on the publishing desk).
_CHANGES = select(
    select(func.max(AuditEntry.id)).scalar_subquery(),
    select(func.max(Post.id)).scalar_subquery(),
    select(func.max(Post.updated_at)).scalar_subquery(),
    select(func.count(StopSwitch.id)).where(StopSwitch.turned_off_at.is_(None)).scalar_subquery(),
    select(func.max(StopSwitch.id)).scalar_subquery(),
    select(func.max(StopSwitch.turned_off_at)).scalar_subquery(),
    select(func.count(KioskLink.id)).where(KioskLink.revoked_at.is_(None)).scalar_subquery(),
    select(func.max(KioskLink.revoked_at)).scalar_subquery(),
    select(func.max(WallSettings.updated_at)).scalar_subquery(),
    select(func.max(PolicyVersion.id)).scalar_subquery(),
)
_LIVE_KIOSKS = select(KioskLink.token).where(KioskLink.revoked_at.is_(None))


class ChangeFeed:
    def __init__(self, engine: Engine, interval: float = DEFAULT_INTERVAL) -> None:
        self.engine = reading(engine)
        self.interval = interval
        self.generation = 0
        self.polls = 0
        self.healthy = True
        self._answer: tuple | None = None
        self._kiosk_answer: tuple | None = None
        self._live_kiosks: frozenset[str] = frozenset()
        self._condition = threading.Condition()
        self._subscribers = 0
        self._idle_since = time.monotonic()
        self._thread: threading.Thread | None = None
        self._cache: dict[Hashable, tuple[tuple, str, float]] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._cache_lock = threading.Lock()

    # Streams ----------------------------------------------------------------------------------------------------

    def subscribe(self) -> None:
        with self._condition:
            self._subscribers += 1
            if self._thread is None or not self._thread.is_alive():
                self._poll()  # a first answer before the first wait: the kiosk links are known at once
                self._thread = threading.Thread(target=self._run, name="approval-hub-feed", daemon=True)
                self._thread.start()

    def unsubscribe(self) -> None:
        with self._condition:
            self._subscribers -= 1
            if self._subscribers <= 0:
                self._idle_since = time.monotonic()

    @property
    def subscribers(self) -> int:
        return self._subscribers

    def wait(self, seen: int | None, timeout: float) -> int:
        """The generation after ``seen``, or the current one after ``timeout`` seconds without a change."""
        with self._condition:
            if seen == self.generation:
                self._condition.wait(timeout)
            return self.generation

    def kiosk_is_live(self, token: str) -> bool:
        return token in self._live_kiosks

    def rendered(self, key: Hashable, build: Callable[[], str]) -> str:
        """The wall of ``key`` for this generation and minute: built by the first stream that asks, shared."""
        stamp = (self.generation, int(time.time() // 60))
        with self._cache_lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                self._cache[key] = (stamp, cached[1], time.monotonic())
                return cached[1]
            html = build()
            self._cache[key] = (stamp, html, time.monotonic())
            return html

    # The thread -------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._condition:
                if self._subscribers <= 0 and time.monotonic() - self._idle_since > IDLE_STOP:
                    self._thread = None
                    return
            self._poll()
            self._prune()

    def _poll(self) -> None:
        try:
            with self.engine.connect() as connection:
                answer = tuple(connection.execute(_CHANGES).one())
                kiosks = answer[6:8]
                live = None
                if kiosks != self._kiosk_answer:
                    live = frozenset(connection.scalars(_LIVE_KIOSKS))
                connection.rollback()
        except SQLAlchemyError:
            # The database went away: the streams keep their last wall; the next tick tries again.
            self.healthy = False
            return
        self.healthy = True
        self.polls += 1
        with self._condition:
            if live is not None:
                self._live_kiosks = live
                self._kiosk_answer = kiosks
            if answer != self._answer:
                self._answer = answer
                self.generation += 1
                self._condition.notify_all()

    def _prune(self) -> None:
        now = time.monotonic()
        with self._cache_lock:
            for key in [k for k, (_stamp, _html, used) in self._cache.items() if now - used > CACHE_TTL]:
                self._cache.pop(key, None)
                self._key_locks.pop(key, None)


_FEEDS_LOCK = threading.Lock()


def feed_for(app: Flask) -> ChangeFeed:
    """The change feed of ``app``'s process (one per application and database)."""
    feed = app.extensions.get("approval.hub_feed")
    if feed is None:
        with _FEEDS_LOCK:
            feed = app.extensions.get("approval.hub_feed")
            if feed is None:
                feed = ChangeFeed(app.extensions["approval.db"]["engine"],
                                  float(app.config.get("HUB_FEED_INTERVAL", DEFAULT_INTERVAL)))
                app.extensions["approval.hub_feed"] = feed
    return feed


def new_session(app: Flask) -> Session:
    """A session of its own for building a wall inside a long stream (the request's would hold a connection)."""
    factory: Any = app.extensions["approval.db"]["sessionmaker"]
    return read_only(factory())
