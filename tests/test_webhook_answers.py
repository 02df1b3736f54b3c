"""How the webhook connector reads a network's answer (approval.publishing.connectors.WebhookConnector): a 2xx is
published when it gives the post's web address (CONTRACT: {"id", "url"}; the id may be missing), and its outcome is
unknown without one; a Retry-After never parks a post for longer than a day."""

from __future__ import annotations

import json

import pytest

from approval.models import Outcome
from approval.publishing.connectors import RETRY_AFTER_MAX_S, WebhookConnector


def read(status: int, body: object = b"", retry_after: str | None = None):  # noqa: ANN201
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookConnector._read(status, retry_after, raw)


def test_a_2xx_with_an_id_and_a_web_address_is_published_with_both():
    result = read(201, {"id": 5, "url": "https://social.example/p/5"})
    assert (result.outcome, result.remote_id, result.url, result.message) == (
        Outcome.published, "5", "https://social.example/p/5", None)


# These two asserted that a 2xx without a usable url was published (with no link): any server answering 200 to a
# POST then marked posts published. Its outcome is unknown now (tests/test_worker_outcomes.py, item 2 of the walk).
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//social.example/p", "ftp://x/y", 42,
                                 "https://[::1", "http://[1::2::3]/", "http://[v1.x]/", "https://social.example:0/",
                                 "", None])
def test_a_2xx_whose_url_is_no_web_address_is_not_taken_for_a_publication(url):
    result = read(200, {"id": "a1", "url": url})
    assert result.outcome is Outcome.unknown and result.url is None and result.status == 200
    assert result.message == 'the receiver answered HTTP 200 without the post\'s address (a JSON object with its "url")'


def test_a_2xx_without_json_is_not_taken_for_a_publication():
    result = read(200, b"ok")
    assert result.outcome is Outcome.unknown and (result.remote_id, result.url) == (None, None)
    assert result.message.startswith("the receiver answered HTTP 200 without the post's address")


def test_a_2xx_with_a_url_and_no_id_is_published_and_says_what_it_lacked():
    result = read(200, {"url": "https://social.example/p/1"})
    assert (result.outcome, result.remote_id, result.url) == (Outcome.published, None, "https://social.example/p/1")
    assert result.message == "the answer gave no usable id"


@pytest.mark.parametrize("header", ["99999999", "Fri, 01 Jan 2099 00:00:00 GMT"])
def test_a_retry_after_is_capped_at_a_day(header):
    result = read(429, {"error": "slow down"}, header)
    assert result.outcome is Outcome.rate_limited and result.retry_after == RETRY_AFTER_MAX_S


def test_a_retry_after_in_seconds_or_nonsense():
    assert read(503, b"", "120").retry_after == 120
    assert read(503, b"", "soon").retry_after is None


def test_a_nul_in_an_answer_never_reaches_the_database():
    """PostgreSQL refuses NUL in text: the outcome of a call that went out must stay recordable."""
    published = read(200, {"id": "a\u0000b", "url": "https://social.example/p/1"})
    assert published.remote_id == "a\ufffdb"
    refused = read(400, b"bad \x00 request")
    assert refused.outcome is Outcome.refused and "\x00" not in refused.message


def test_odd_answers_from_the_hunt_are_read_without_a_fault():
    """An interim 103 read as the answer was retried, a second delivery each time: unknown now. "[[[[…" raised a
    RecursionError that failed the whole pass; an id of 1e999 became "inf"; Retry-After "nan" waited nothing."""
    interim = read(103, b"")
    assert interim.outcome is Outcome.unknown and "interim" in interim.message
    nested = read(200, b"[" * 100_000)
    assert nested.outcome is Outcome.unknown and nested.remote_id is None  # no address in it (it was published)
    assert read(200, b'{"id": 1e999, "url": "https://social.example/p/1"}').remote_id == "1e999"
    assert read(200, {"id": 12345, "url": "https://social.example/p/1"}).remote_id == "12345"
    for odd in ("nan", "inf", "-inf"):
        assert read(429, b"", odd).retry_after is None, odd
    assert read(429, b"", "-1").retry_after == 0  # the worker waits its minimum (RETRY_MIN_S)


@pytest.mark.parametrize("status", [302, 303])
def test_a_redirect_that_may_follow_a_post_it_took_leaves_it_unconfirmed(status):
    """A 303 (and the 302 of Post/Redirect/Get) answers a POST the server processed: the post may be online. Failed,
    it was retried without the warning that the network may already show it; unknown, a person checks first."""
    result = WebhookConnector._read(status, None, b"", location="https://hooks.example.com/done/1?token=abc",
                                    base="https://hooks.example.org/hook")
    assert (result.outcome, result.status) == (Outcome.unknown, status)
    assert "https://hooks.example.com/done/1" in result.message and "token" not in result.message


def test_a_2xx_naming_the_receivers_own_address_is_not_the_posts():
    """An echo server answers {"url": <the address called>}: that is not where the post is online."""
    for url in ("https://hooks.example.org/hook", "https://hooks.example.org/anything/else"):
        result = WebhookConnector._read(200, None, json.dumps({"id": "1", "url": url}).encode(),
                                        base="https://hooks.example.org/hook")
        assert result.outcome is Outcome.unknown, url
        assert "hooks.example.org" in result.message, url
    elsewhere = WebhookConnector._read(200, None, b'{"id": "1", "url": "https://social.example/p/1"}',
                                       base="https://hooks.example.org/hook")
    assert elsewhere.outcome is Outcome.published


@pytest.mark.parametrize("status", [301, 307, 308])
def test_a_redirect_is_a_definite_failure_naming_where_it_leads(status):
    result = WebhookConnector._read(status, None, b"", location="https://u:p@hooks.example.com/x?token=abc",
                                    base="https://hooks.example.org/hook")
    assert (result.outcome, result.status) == (Outcome.needs_reconnect, status)
    assert "https://hooks.example.com/x:" in result.message and "token" not in result.message
    assert "p@" not in result.message


def test_another_3xx_is_refused_never_retried():
    assert read(300, b"choose").outcome is Outcome.refused
    assert read(304, b"").outcome is Outcome.refused


def test_a_409_is_a_receiver_saying_it_has_this_key_already():
    """A receiver that keeps one post per key answers "this key again" with a 409: with the post's address it is
    published (it was failed, and a person's retry was refused the same way, or sent it twice elsewhere); without
    one, the post may be online: unknown, for a person to check."""
    known = read(409, {"error": "duplicate", "id": "77", "url": "https://social.example/p/77"})
    assert (known.outcome, known.remote_id, known.url) == (Outcome.published, "77", "https://social.example/p/77")
    for bare in (read(409, {"error": "duplicate"}), read(409, {"error": "in flight", "url": "https://social.example/p/7"})):
        assert bare.outcome is Outcome.unknown and bare.url is None  # an address alone, without its id: any conflict
    bare = read(409, {"error": "duplicate"})
    assert bare.outcome is Outcome.unknown and bare.url is None and bare.status == 409
    assert bare.message == ("the receiver answered HTTP 409 (a conflict: this key may be a post it already has) "
                            "without the post's address")


def test_a_408_is_retried_as_the_receiver_never_read_the_request_whole():
    timed_out = read(408, b"request timeout", "30")
    assert timed_out.outcome is Outcome.temporary_error and timed_out.retry_after == 30
