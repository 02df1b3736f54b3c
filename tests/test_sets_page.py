"""A set's page as the people who meet it read it: "Approve and schedule all at this time" previews the time in each
market of the set (Hootsuite's and Planable's composers do) and its confirmation names each market's time; a
sensitive term is said once, where the project manager acknowledges it; the list of drafts to fix is for those who
fix them, and a project manager reads how many posts are still with their writers."""

from __future__ import annotations

import html
import re
from datetime import UTC, timedelta

from approval.db import utcnow
from approval.workflow.states import Role, State

import set_helpers
from set_helpers import (LONDON, NEW_YORK, PARIS, draft_set, local_ahead, members_of, paris_and_new_york,
                         sensitive_set, submitted_set, text_of, versions_of)

france, britain, writer = set_helpers.france, set_helpers.britain, set_helpers.writer  # the shared fixtures

_LOCAL = "%Y-%m-%dT%H:%M"


def _offset(local, zone) -> str:  # noqa: ANN001
    """"UTC+01:00", the offset of ``zone`` at the wall-clock time ``local`` (naive) there."""
    offset = local.replace(tzinfo=zone).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def _day(local) -> str:  # noqa: ANN001
    """"Dec 17, 2026", as the pages write a date in English."""
    return f"{local:%b} {local.day}, {local.year}"


# The time in each market, before and after ---------------------------------------------------------------------


def test_the_schedule_fields_carry_each_markets_zone_for_the_preview(make, web, db_session, france, writer):
    post_set, (paris, new_york), reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    preview = page[page.index('id="approve-all-preview"'):page.index("</div>", page.index('id="approve-all-preview"'))]
    # No time typed yet: nothing to preview, until the script draws it as the fields change.
    assert re.search(r'id="approve-all-preview"[^>]*\shidden>', page)
    assert re.findall(r'<li data-zone="([^"]+)"><strong>(\w+)</strong>', preview) == [
        ("Europe/Paris", "FR"), ("America/New_York", "US")]
    assert 'data-moment="{time} in {zone} is, in each market:"' in preview
    assert 'src="/static/sets.js' in page


def test_a_form_sent_back_previews_the_same_moment_in_each_market(make, web, db_session, france, britain,
                                                                   writer):
    post_set, (paris, london) = sensitive_set(make, db_session, france, britain, writer)
    web.login(make.user(Role.project_manager, markets=[france, britain]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    keynote = local_ahead(PARIS, hour=18)
    # The sensitive term not acknowledged: the form comes back, the moment it would have scheduled at shown.
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "at",
                                                       "local_time": keynote.strftime(_LOCAL),
                                                       "time_basis": "moment", "time_zone": "Europe/Paris"})
    assert answer.status_code == 422
    said = text_of(answer)
    assert "18:00 in Europe/Paris is, in each market:" in said
    assert f"FR : {_day(keynote)}, 18:00 (Europe/Paris, {_offset(keynote, PARIS)})" in said, said
    in_london = keynote.replace(tzinfo=PARIS).astimezone(LONDON).replace(tzinfo=None)
    assert f"GB : {_day(in_london)}, {in_london:%H:%M} (Europe/London, {_offset(in_london, LONDON)})" in said
    assert not re.search(r'id="approve-all-preview"[^>]*\shidden>', answer.get_data(as_text=True))


def test_a_form_sent_back_previews_each_markets_own_clock_and_the_viewers(make, web, db_session, france, britain,
                                                                          writer):
    post_set, posts = sensitive_set(make, db_session, france, britain, writer)
    web.login(make.user(Role.project_manager, markets=[france, britain]))
    web.client.set_cookie("approval_tz", "America/New_York")
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    morning = local_ahead(PARIS, hour=9)
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "at",
                                                       "local_time": morning.strftime(_LOCAL), "time_basis": "local"})
    assert answer.status_code == 422
    said = text_of(answer)
    assert "09:00 on each market’s own clock:" in said
    for code, zone, name in (("FR", PARIS, "Europe/Paris"), ("GB", LONDON, "Europe/London")):
        mine = morning.replace(tzinfo=zone).astimezone(NEW_YORK)
        assert (f"{code} : {_day(morning)}, 09:00 ({name}, {_offset(morning, zone)}) · {mine:%H:%M} your time "
                "(America/New_York)") in said, said


def test_scheduling_each_at_its_markets_time_says_each_markets_time(make, web, db_session, france, writer):
    post_set, (paris, new_york), reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    morning = local_ahead(NEW_YORK, hour=9)
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "at",
                                                       "local_time": morning.strftime(_LOCAL), "time_basis": "local"})
    assert answer.status_code == 303, text_of(answer)[:3000]
    said = text_of(web.get(answer.headers["Location"]))
    assert "Approved and scheduled at the time chosen, in each account’s market time:" in said
    for post, zone, code in ((paris, PARIS, "FR"), (new_york, NEW_YORK, "US")):
        assert (f"#{post.id} ({code} · Facebook · @{post.account.handle}) at {_day(morning)}, 09:00 "
                f"({zone.key}, {_offset(morning, zone)})") in said, said


def test_scheduling_each_at_its_proposal_says_each_markets_time(make, web, db_session, france, britain,
                                                                 writer):
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook")]
    proposal = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    post_set, (paris, london) = submitted_set(make, db_session, accounts, writer, proposed=proposal)
    web.login(make.user(Role.project_manager, markets=[france, britain]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "1"})
    assert answer.status_code == 303, text_of(answer)[:3000]
    said = text_of(web.get(answer.headers["Location"]))
    for post, zone, code in ((paris, PARIS, "FR"), (london, LONDON, "GB")):
        there = proposal.astimezone(zone)
        assert (f"#{post.id} ({code} · Facebook · @{post.account.handle}) at {_day(there)}, {there:%H:%M} "
                f"({zone.key}, {_offset(there.replace(tzinfo=None), zone)})") in said, said
    assert proposal.tzinfo is UTC


# A sensitive term, once -------------------------------------------------------------------------------------------


def test_a_sensitive_term_is_said_once_where_it_is_acknowledged(make, web, db_session, france, britain,
                                                                 writer):
    post_set, (paris, london) = sensitive_set(make, db_session, france, britain, writer)
    web.login(make.user(Role.project_manager, markets=[france, britain]))
    answer = web.get(f"/sets/{post_set.id}")
    page, said = answer.get_data(as_text=True), text_of(answer)
    assert said.count("“grève” is sensitive, the reviewer must acknowledge it") == 1, said
    block = page[page.index('id="sensitive-terms"'):page.index('id="acknowledge_warnings"')]
    assert "“grève” is sensitive" in html.unescape(re.sub(r"<[^>]+>", " ", block))
    # The card says it holds one, linked to where it is decided; the other card says nothing of it.
    card = page[page.index(f'id="post-{paris.id}"'):page.index(f'id="post-{london.id}"')]
    assert '<a class="sensitive-tag" href="#sensitive-terms">1 sensitive term, to acknowledge above</a>' in card
    assert "sensitive-tag" not in page[page.index(f'id="post-{london.id}"'):]


def test_the_writer_reads_the_sensitive_term_on_the_card(make, web, db_session, france, britain, writer):
    post_set, (paris, london) = sensitive_set(make, db_session, france, britain, writer)
    web.login(writer)  # no approval to decide here: the card is where they read it
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert said.count("“grève” is sensitive, the reviewer must acknowledge it") == 1, said
    assert "sensitive term, to acknowledge above" not in said


# The drafts to fix: for their writers ------------------------------------------------------------------------------


def test_a_project_manager_reads_how_many_posts_are_still_with_their_writers(make, web, db_session, france,
                                                                             writer):
    accounts = [make.account(france, "facebook"), make.account(france, "instagram"), make.account(france, "x")]
    post_set, posts = draft_set(db_session, writer, accounts)  # the Instagram post lacks its picture
    web.login(make.user(Role.project_manager, markets=[france]))
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert "To fix before they can be submitted:" not in said
    assert "Posts on Instagram need a picture or a video." not in said.split("All at once")[1].split("Post #")[0]
    assert ("3 posts are still with their writers, not submitted yet: "
            f"#{posts[0].id} (FR · Facebook · @{posts[0].account.handle}), "
            f"#{posts[1].id} (FR · Instagram · @{posts[1].account.handle}), and "
            f"#{posts[2].id} (FR · X · @{posts[2].account.handle}).") in said, said
    # Their writer still reads what to fix.
    web.login(writer)
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert "To fix before they can be submitted:" in said and "still with their writers" not in said
    assert f"#{posts[1].id} (FR · Instagram · @{posts[1].account.handle}) : Posts on Instagram need a picture" in said


def test_a_project_manager_reads_the_drafts_they_wrote_to_fix(make, web, db_session, france, writer):
    manager = make.user(Role.project_manager, markets=[france])
    accounts = [make.account(france, "instagram"), make.account(france, "facebook")]
    post_set, (theirs, _others) = draft_set(db_session, manager, accounts)
    web.login(manager)
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert "To fix before they can be submitted:" in said
    assert f"#{theirs.id} (FR · Instagram · @{theirs.account.handle}) : Posts on Instagram need a picture" in said
    assert "still with" not in said


def test_nothing_is_said_of_writers_when_no_post_is_with_them(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "x")]
    post_set, posts = submitted_set(make, db_session, accounts, writer)
    web.login(make.user(Role.project_manager, markets=[france]))
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert "still with" not in said and "To fix" not in said
    assert {p.state for p in members_of(db_session, post_set.id)} == {State.in_review}
