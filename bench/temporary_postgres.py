"""A PostgreSQL database of the benchmark's own: created for one run on the server at APPROVAL_BENCH_POSTGRES_URL
(default: the local server, as the tests use it) and dropped after it, whatever happened."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("APPROVAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class NoServer(Exception):
    """No PostgreSQL server answers at ``ADMIN_URL``."""


@contextmanager
def temporary_database(prefix: str) -> Iterator[str]:
    """The URL of a new empty database; ``NoServer`` when it cannot be created."""
    name = f"{prefix}_{os.getpid()}"
    server = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any failure to reach the server means "no PostgreSQL here"
        server.dispose()
        raise NoServer(f"no PostgreSQL server at {ADMIN_URL} ({type(error).__name__})") from error
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
