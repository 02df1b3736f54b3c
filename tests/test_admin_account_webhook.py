"""An account's page, for the admin who connects it to a webhook: whether it works, from its last attempts (when, what
each came to, the receiver's answer or why none came, the post), when a post last went out through it, and, while
it fails, what to do; in the words of the publishing settings. No call is made to find out: the contract defines no
test call, and a receiver would publish one."""

from __future__ import annotations

import re
from datetime import timedelta

from approval.db import utcnow
from approval.models import Outcome, PublicationAttempt
from approval.publishing import reasons
from approval.views.publishing import RECENT_CALLS
from approval.workflow.states import State


def _hooked(make):  # noqa: ANN001, ANN202
    account = make.account(make.market("FR"))
    account.connector, account.connector_url = "webhook", "https://hooks.example.org/approval"
    return account


def _attempt(make, db_session, account, outcome: Outcome, minutes_ago: int, **fields):  # noqa: ANN001, ANN003, ANN202
    post = make.post(State.scheduled, account=account)
    at = utcnow() - timedelta(minutes=minutes_ago)
    attempt = PublicationAttempt(post_id=post.id, revision_id=post.current_revision_id, account_id=account.id,
                                 sha256=post.current_revision.sha256, idempotency_key=f"key-{post.id}",
                                 connector="webhook", outcome=outcome, started_at=at, finished_at=at, **fields)
    db_session.add(attempt)
    db_session.flush()
    return attempt


def _status(admin_web, account) -> str:  # noqa: ANN001
    page = admin_web.get(f"/admin/accounts/{account.id}/edit").get_data(as_text=True)
    found = re.search(r'<section class="card webhook-status" id="webhook-status">(.*?)</section>', page, re.S)
    assert found, "no webhook status on the account's page"
    return found.group(1)


def _rows(status: str) -> list[str]:
    return re.findall(r"<tr class=\"last-call-.*?</tr>", status, re.S)


def test_the_last_attempts_say_what_each_came_to_and_the_remedy_while_it_fails(make, admin_web, db_session):
    account = _hooked(make)
    went = _attempt(make, db_session, account, Outcome.published, 90, url="https://facebook.com/helio/posts/1",
                    remote_id="1")
    busy = _attempt(make, db_session, account, Outcome.temporary_error, 30, message="HTTP 503 upstream busy")
    refused = _attempt(make, db_session, account, Outcome.needs_reconnect, 20, message="HTTP 401 bad signature")
    slow = _attempt(make, db_session, account, Outcome.unknown, 10,
                    why=reasons.reason(reasons.NO_ANSWER_IN_TIME, seconds=15.0))
    status = _status(admin_web, account)

    failing = re.search(r'<div class="flash error webhook-failing" role="status">(.*?)</div>', status, re.S).group(1)
    assert "The last 3 attempts did not go through." in failing
    # The latest timed out after the receiver refused the signature: the remedy is still to reconnect.
    assert "Needs an admin: reconnect it (for a webhook, check its address and its secret)." in failing
    assert f'href="/publishing/settings#account-{account.id}"' in failing
    assert "Last published through it: " in status

    rows = _rows(status)
    assert [re.search(r'href="/posts/(\d+)"', row).group(1) for row in rows] == [
        str(attempt.post_id) for attempt in (slow, refused, busy, went)]  # the latest first, each its post linked
    assert "no answer: maybe published, maybe not" in rows[0] and "no complete answer within 15" in rows[0]
    assert "refused: the account must be reconnected" in rows[1] and "<q>HTTP 401 bad signature</q>" in rows[1]
    assert "a server error, or no connection" in rows[2] and "<q>HTTP 503 upstream busy</q>" in rows[2]
    assert '<a href="https://facebook.com/helio/posts/1" rel="noopener noreferrer">published</a>' in rows[3]
    assert all("<time datetime=" in row for row in rows)

    account.connector = "outbox"  # another tool publishes: no webhook to tell about
    db_session.flush()
    assert 'id="webhook-status"' not in admin_web.get(f"/admin/accounts/{account.id}/edit").get_data(as_text=True)


def test_once_a_post_goes_out_the_failures_before_are_history(make, admin_web, db_session):
    account = _hooked(make)
    _attempt(make, db_session, account, Outcome.refused, 30, message="HTTP 400 text too long")
    _attempt(make, db_session, account, Outcome.published, 5, url="https://facebook.com/helio/posts/2")
    status = _status(admin_web, account)
    assert "webhook-failing" not in status and "did not go through" not in status
    assert len(_rows(status)) == 2


def test_a_webhook_never_called_says_so_and_never_published_is_said(make, admin_web, db_session):
    account = _hooked(make)
    db_session.flush()
    status = _status(admin_web, account)
    assert "No publishing attempt yet" in status and "<table" not in status
    _attempt(make, db_session, account, Outcome.rate_limited, 3, message="HTTP 429 slow down")
    status = _status(admin_web, account)
    assert "No post has been published through it yet." in status
    assert "The last attempt did not go through." in status
    assert "Needs an admin" not in status  # a rate limit: the worker tries again, as the settings say
    assert '<p class="told"><strong>The latest:</strong> The network asked to wait (a rate limit)' in status
    assert "no test call" in status.lower()


def test_only_its_last_attempts_are_listed_and_only_its_own(make, admin_web, db_session):
    account, other = _hooked(make), _hooked(make)
    for minutes in range(RECENT_CALLS + 2):
        _attempt(make, db_session, account, Outcome.published, minutes + 1, url="https://facebook.com/helio/posts/3")
    theirs = _attempt(make, db_session, other, Outcome.refused, 0, message="HTTP 400 theirs")
    status = _status(admin_web, account)
    assert len(_rows(status)) == RECENT_CALLS
    assert f'href="/posts/{theirs.post_id}"' not in status and "theirs" not in status
