"""The list of post sets (Planable's and Hootsuite's "groups" of one message for several accounts): the sets whose
posts its reader sees, newest first, a page at a time, with the posts' filters; each row its message, campaign,
author, date and how many of its posts (those the reader sees only) are in each state, linked to the set's page."""

from __future__ import annotations

import html
import re

from approval import operations as ops
from approval.models import Campaign
from approval.queries import posts as listing
from approval.workflow.states import Action, Role, State

import set_helpers
from set_helpers import text_of


france, britain, writer = set_helpers.france, set_helpers.britain, set_helpers.writer  # the shared fixtures


def _a_set(db_session, writer, accounts, body: str, campaign=None, *, submitted=()):  # noqa: ANN001, ANN202
    """One message written for ``accounts`` (a set), the posts of ``submitted`` (indexes) sent to review."""
    post_set = ops.create_post_set(db_session, writer, len(accounts))
    posts = [ops.create_post(db_session, writer, account, body, campaign, post_set=post_set) for account in accounts]
    for index in submitted:
        ops.act_on_post(db_session, posts[index], Action.submit, writer, expected_version=posts[index].version)
    db_session.flush()
    return post_set, posts


def _listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/sets/(\d+)">#', page)]


def test_the_list_shows_each_set_newest_first_with_its_message_campaign_author_and_states(make, web, db_session,
                                                                                          france, britain, writer):
    campaign = Campaign(name="Rentrée 2027", market_id=france.id)
    db_session.add(campaign)
    older, _posts = _a_set(db_session, writer, [make.account(france, "x"), make.account(france, "facebook")],
                           "Le stade brille ce soir.")
    newer, _posts = _a_set(db_session, writer, [make.account(france, "linkedin"), make.account(france, "instagram"),
                                                make.account(france, "x")],
                           "La rentrée commence lundi dans toutes nos boutiques.", campaign, submitted=(0, 2))
    web.login(writer)
    answer = web.get("/sets")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert _listed(page) == [newer.id, older.id]
    shown = text_of(answer)
    assert ("La rentrée commence lundi dans toutes nos boutiques. Rentrée 2027 Camille Dubois") in shown
    assert "3 posts: draft 1 in review 2" in shown
    assert "2 posts: draft 2" in shown
    # Each state with its count, kept on one line (the count wrapped under its badge).
    together = (r'<span class="state-count"><span class="state[^"]*"[^>]*>([^<]+)</span> '
                r'<span class="count">(\d+)</span>')
    assert re.findall(together, page)[:2] == [("draft", "1"), ("in review", "2")]
    assert "1–2 of 2" in shown
    assert f'href="/sets/{newer.id}"' in page


def test_a_set_counts_only_the_posts_of_the_readers_markets_and_one_outside_them_is_not_listed(
        make, web, db_session, france, britain, writer):
    mixed, _posts = _a_set(db_session, writer, [make.account(france, "x"), make.account(britain, "x"),
                                                make.account(britain, "facebook")], "Tonight at eight.",
                           submitted=(1, 2))
    british, _posts = _a_set(db_session, writer, [make.account(britain, "linkedin"), make.account(britain, "x")],
                             "London calling, only.")
    web.login(make.user(Role.project_manager, markets=[france]))
    answer = web.get("/sets")
    page = answer.get_data(as_text=True)
    assert _listed(page) == [mixed.id]
    assert "1 post: draft 1" in text_of(answer)  # the British posts in review are not counted
    assert "London calling" not in page and f"/sets/{british.id}\"" not in page
    assert "in review" not in text_of(answer).split("1 post:")[1]
    # Someone of none of their markets: an empty list, not an error.
    kenya = make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    web.login(make.user(Role.community_manager, markets=[kenya]))
    outside = web.get("/sets")
    assert outside.status_code == 200 and _listed(outside.get_data(as_text=True)) == []
    assert "No set here yet." in text_of(outside)


def test_the_list_goes_a_page_at_a_time_by_keyset(make, web, db_session, france, writer, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    account = make.account(france, "x")
    sets = [_a_set(db_session, writer, [account, make.account(france, "facebook")], f"Message {n}.")[0]
            for n in range(5)]
    web.login(writer)
    seen: list[int] = []
    lines: list[str] = []
    url = "/sets"
    while url:
        answer = web.get(url)
        page = answer.get_data(as_text=True)
        seen += _listed(page)
        lines.append(re.search(r"\d+–\d+ of \d+", text_of(answer)).group(0))
        following = re.search(r'href="([^"]+)" rel="next"', page)
        url = html.unescape(following.group(1)) if following else ""
    assert seen == [s.id for s in reversed(sets)]
    assert lines == ["1–2 of 5", "3–4 of 5", "5–5 of 5"]


def test_the_list_takes_the_posts_filters(make, web, db_session, france, britain, writer):
    french, _posts = _a_set(db_session, writer, [make.account(france, "x"), make.account(france, "facebook")],
                            "Le stade brille ce soir.")
    both, _posts = _a_set(db_session, writer, [make.account(france, "linkedin"), make.account(britain, "x")],
                          "Tonight at eight.", submitted=(1,))
    web.login(writer)
    assert _listed(web.get("/sets?market=GB").get_data(as_text=True)) == [both.id]
    assert _listed(web.get(f"/sets?state={State.in_review.value}").get_data(as_text=True)) == [both.id]
    assert _listed(web.get("/sets?q=stade").get_data(as_text=True)) == [french.id]
    filtered = web.get("/sets?market=GB")
    assert "2 posts: draft 1 in review 1" in text_of(filtered)  # a filter selects the sets, not the posts counted
    assert "No set matches these filters." in text_of(web.get("/sets?q=introuvable"))


def test_the_posts_list_and_each_set_page_lead_to_the_list(make, web, db_session, france, writer):
    post_set, _posts = _a_set(db_session, writer, [make.account(france, "x"), make.account(france, "facebook")],
                              "Le stade brille ce soir.")
    web.login(writer)
    assert 'href="/sets"' in web.get("/posts").get_data(as_text=True)
    set_page = web.get(f"/sets/{post_set.id}")
    assert re.search(r'<a href="/sets">All sets</a>', set_page.get_data(as_text=True))
