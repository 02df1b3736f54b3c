"""Fixtures for the JSON API tests. They build on tests/conftest.py: every test runs on SQLite and PostgreSQL, inside
the rolled-back transaction of ``db_session``, with the ``make`` factories."""

from __future__ import annotations

import pytest

from approval.api.tokens import issue_token
from approval.models import User

from .contract import ApiClient


@pytest.fixture()
def api(app, db_session):
    """``api(user)``: a client acting for ``user`` through a token of theirs; ``api()``: without a token."""

    def client_for(user: User | None = None) -> ApiClient:
        if user is None:
            return ApiClient(app, None)
        _token, secret = issue_token(db_session, user, "tests")
        db_session.flush()
        return ApiClient(app, secret, user)

    return client_for

