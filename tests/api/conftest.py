"""Fixtures for the JSON API tests. They build on tests/conftest.py: every test runs on SQLite and PostgreSQL, inside
the rolled-back transaction of ``db_session``, with the ``make`` factories."""

from __future__ import annotations

import pytest

from approval.api.tokens import issue_token
from approval.models import Market, User
from approval.workflow.states import Role

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



@pytest.fixture()
def france(make) -> Market:  # noqa: ANN001
    return make.market("FR")


@pytest.fixture()
def cm(make, france) -> User:  # noqa: ANN001
    """A community manager of France."""
    return make.user(Role.community_manager, markets=[france])


@pytest.fixture()
def pm(make, france) -> User:  # noqa: ANN001
    """A project manager of France."""
    return make.user(Role.project_manager, markets=[france])
