"""The throttles' counters in a shared store (``APPROVAL_RATELIMIT_STORAGE_URI=redis://…``, README, Deployment):
two web processes count one client's bad tokens together, so the 61st is refused whichever process takes it (with
counters in each process's memory, a client got 60 per process, 401 and 429 in turn). Needs Redis on 127.0.0.1:6379
(``APPROVAL_TEST_REDIS=required`` makes its absence a failure, as CI sets it)."""

from __future__ import annotations

import os
import uuid

import pytest

from approval import create_app

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module")
def redis_store():  # noqa: ANN201
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("APPROVAL_TEST_REDIS") == "required":
            pytest.fail("APPROVAL_TEST_REDIS=required and no Redis answers on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379 (APPROVAL_TEST_REDIS=required makes this a failure)")
    prefix = f"approval-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_two_web_processes_count_one_clients_bad_tokens_together(redis_store, databases, tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    databases.migrate(url)
    config = {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "throttle", "THROTTLING": True,
              "RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": redis_store}
    first, second = (create_app(dict(config)).test_client() for _ in range(2))
    for n in range(60):  # one client, its guesses spread over the two processes
        process = first if n % 2 else second
        assert process.get("/api/v1/me", headers={"Authorization": f"Bearer apv1_guess{n}"}).status_code == 401
    for process in (first, second):
        refused = process.get("/api/v1/me", headers={"Authorization": "Bearer apv1_guess60"})
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 15 * 60
