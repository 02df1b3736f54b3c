""""Confirm as published" / "Mark as published" said WTForms' own words (the product walk): "Published at (address):
Invalid URL." and "Field cannot be longer than 2000 characters.", beside the page's tailored messages. The form now
says what it expects, as the guard behind it does (an http or https address), and its limit with the number written
in the reader's language ("2,000", "2 000")."""

from __future__ import annotations

import re
from html import unescape

import pytest

from approval.workflow.states import Role, State


def _text(page: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def pm(make, france):  # noqa: ANN001, ANN201
    return make.user(Role.project_manager, markets=[france])


def _confirm(web, post, url: str):  # noqa: ANN001, ANN202
    return web.post(f"/posts/{post.id}/actions/mark_published", {"version": post.version, "url": url})


@pytest.mark.parametrize("url", ["not an address", "javascript:alert(1)", "x.com/helio/status/1"])
def test_an_address_that_is_none_says_what_is_expected(make, web, france, pm, url):
    post = make.post(State.approved, account=make.account(france, "x"))
    web.login(pm)
    answer = _confirm(web, post, url)
    assert answer.status_code == 422
    page = _text(answer.get_data(as_text=True))
    assert "Invalid URL" not in page, page
    assert "Give the address (http or https) where the message was published." in page, page


def test_an_address_too_long_says_the_limit_in_the_readers_numbers(make, web, france, pm):
    post = make.post(State.approved, account=make.account(france, "x"))
    web.login(pm)
    long = "https://x.com/helio_fr/status/" + "1" * 2000
    page = _text(_confirm(web, post, long).get_data(as_text=True))
    assert "Field cannot be longer" not in page, page
    assert "At most 2,000 characters." in page, page
    web.post("/language", {"language": "fr", "next": f"/posts/{post.id}"})
    page = _text(_confirm(web, post, long).get_data(as_text=True))
    assert re.search(r"2[\u00a0\u202f ]000 caractères", page), page


def test_a_text_too_long_says_the_limit_in_the_readers_numbers(make, web, france):
    """The new post's text past the longest a network takes: "63206 caractères" beside the page's "5 000"."""
    account = make.account(france, "facebook")
    web.login(make.user(Role.community_manager, markets=[france]))
    answer = web.post("/posts/new", {"account_id": account.id, "body": "x" * 70000})
    assert answer.status_code == 422
    page = _text(answer.get_data(as_text=True))
    assert "Field cannot be longer" not in page and "At most 63,206 characters." in page, page
    web.post("/language", {"language": "fr", "next": "/posts/new"})
    page = _text(web.post("/posts/new", {"account_id": account.id, "body": "x" * 70000}).get_data(as_text=True))
    assert re.search(r"63[\u00a0\u202f ]206 caractères", page) and "63206" not in page, page
