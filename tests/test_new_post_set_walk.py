"""The new-post form's "Also write it for" and the post page, after a product walk: a proposed time repeated in some of
a set's zones asks "which one?" in each of them (not the main account's alone); the live check names the ticked
accounts that refuse the post as it is (a picture Instagram needs, X's 280 characters); "Save and submit" says one
thing about the set; the post page tells its history's, revisions' and comments' times in the reader's time too; and
the form's 413 page does not say twice that nothing was saved."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.localtime import repeating_zones
from approval.models import AuditEntry, Post, PostSet, Revision
from approval.workflow.states import Action, Role, State

from conftest import row_counts
from test_post_sets import _form_key, _members, _set_of, _text
from tests.said_helpers import said_in_english, with_your_time

PARIS, BERLIN, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


@pytest.fixture()
def france(make):  # noqa: ANN001, ANN201
    return make.market("FR")


@pytest.fixture()
def germany(make):  # noqa: ANN001, ANN201
    return make.market("DE", timezone="Europe/Berlin", languages=("de",))


@pytest.fixture()
def united_states(make):  # noqa: ANN001, ANN201
    return make.market("US", timezone="America/New_York", languages=("en",))


@pytest.fixture()
def writer(make, france, germany, united_states):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[france, germany, united_states], name="Camille Dubois")


def _repeated_in_paris_only() -> datetime:
    """The next 02:30 that happens twice in Paris (and Berlin: the same change) and once in New York, at least two
    days ahead (Europe goes back on October's last Sunday, the United States a week later)."""
    day = utcnow().date() + timedelta(days=2)
    while True:
        local = datetime(day.year, day.month, day.day, 2, 30)
        if repeating_zones(local, ["Europe/Paris", "America/New_York"]) == ["Europe/Paris"]:
            return local
        day += timedelta(days=1)


def _send(web, accounts, body: str, *, proposed: str = "", submit: bool = False, extra=None):  # noqa: ANN001, ANN202
    """The new-post form as a browser sends it: the first account chosen, the others ticked (``extra``: more fields,
    a choice of the repeated hour's)."""
    page = web.get("/posts/new").get_data(as_text=True)
    data: dict = {"csrf_token": web.token, "form_key": _form_key(page), "account_id": str(accounts[0].id),
                  "also_account_ids": [str(a.id) for a in accounts[1:]], "campaign_id": "", "body": body,
                  "copy_of": "", "proposed_time": proposed, "file": [(io.BytesIO(b""), "")], "alt": [""],
                  **(extra or {})}
    data["submit" if submit else "save"] = "1"
    return web.client.post("/posts/new", data=data, content_type="multipart/form-data")


def _counts(db_session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(db_session, PostSet, Post, Revision, AuditEntry)


# A repeated hour, asked in each zone of the set that repeats it -------------------------------------------------


def test_repeating_zones_names_the_zones_that_read_a_time_twice_not_those_that_skip_it():
    autumn = _repeated_in_paris_only()
    assert repeating_zones(autumn, ["America/New_York", "Europe/Paris", "Europe/Berlin", "Europe/Paris"]) == \
        ["Europe/Paris", "Europe/Berlin"]
    spring = next(datetime(autumn.year + 1, 3, d, 2, 30) for d in range(31, 24, -1)
                  if datetime(autumn.year + 1, 3, d).weekday() == 6)  # Paris skips 02:30 that night
    assert repeating_zones(spring, ["Europe/Paris", "Nowhere/Zone"]) == []


def test_a_time_repeated_in_another_zone_than_the_main_accounts_asks_there_and_nothing_is_written(
        make, web, db_session, france, united_states, writer):
    # The main account is New York's, where 02:30 happens once that day; Paris reads it twice.
    new_york, paris = make.account(united_states, "facebook"), make.account(france, "facebook")
    web.login(writer)
    local = _repeated_in_paris_only()
    typed = local.strftime("%Y-%m-%dT%H:%M")
    before = _counts(db_session)
    answer = _send(web, [new_york, paris], "Tonight at the stadium.", proposed=typed)
    assert answer.status_code == 422, _text(answer)[:3000]
    page, said = answer.get_data(as_text=True), _text(answer)
    assert "This time happens twice in Europe/Paris, where the clocks go back: say which, in each zone below." in said
    assert "This time happens twice in Europe/Paris: which one?" in said
    assert 'name="proposed_fold-Europe/Paris" value="0"' in page
    assert 'name="proposed_fold-Europe/Paris" value="1"' in page
    assert "proposed_fold-America/New_York" not in page and 'name="proposed_fold" value' not in page
    assert "UTC+02:00" in said and "UTC+01:00" in said  # Paris's two instants, to choose from
    assert f'value="{typed}"' in page
    assert _counts(db_session) == before


@pytest.mark.parametrize("fold", [0, 1])
def test_each_zone_that_repeats_the_time_takes_its_own_choice(make, web, db_session, france, germany,
                                                              united_states, writer, fold):
    paris, berlin, new_york = (make.account(m, "facebook") for m in (france, germany, united_states))
    web.login(writer)
    local = _repeated_in_paris_only()
    typed = local.strftime("%Y-%m-%dT%H:%M")
    # Asked in Paris and Berlin (both repeat it), each once.
    asked = _send(web, [paris, berlin, new_york], "Tonight.", proposed=typed)
    assert asked.status_code == 422, _text(asked)[:3000]
    assert "This time happens twice in Europe/Paris and Europe/Berlin, where the clocks go back" in _text(asked)
    # Paris one way, Berlin the other: each post at its own zone's choice, New York at its only 02:30.
    answer = _send(web, [paris, berlin, new_york], "Tonight.", proposed=typed,
                   extra={"proposed_fold-Europe/Paris": str(fold), "proposed_fold-Europe/Berlin": str(1 - fold)})
    assert answer.status_code == 302, _text(answer)[:3000]
    posts = {p.account_id: p for p in _members(db_session, _set_of(answer))}
    assert posts[paris.id].proposed_at == local.replace(tzinfo=PARIS, fold=fold).astimezone(UTC)
    assert posts[berlin.id].proposed_at == local.replace(tzinfo=BERLIN, fold=1 - fold).astimezone(UTC)
    assert posts[new_york.id].proposed_at == local.replace(tzinfo=NEW_YORK).astimezone(UTC)


def test_a_choice_made_in_one_zone_only_still_asks_the_other_and_keeps_the_first(make, web, db_session, france,
                                                                                   germany, writer):
    paris, berlin = make.account(france, "facebook"), make.account(germany, "facebook")
    web.login(writer)
    typed = _repeated_in_paris_only().strftime("%Y-%m-%dT%H:%M")
    before = _counts(db_session)
    answer = _send(web, [paris, berlin], "Tonight.", proposed=typed, extra={"proposed_fold-Europe/Paris": "1"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "This time happens twice in Europe/Berlin, where the clocks go back" in _text(answer)
    assert 'name="proposed_fold-Europe/Paris" value="1" checked' in page  # the choice made, kept
    assert 'name="proposed_fold-Europe/Berlin" value="0">' in page
    assert 'name="proposed_fold-Europe/Berlin" value="1">' in page
    assert _counts(db_session) == before


# The live check names the ticked accounts that refuse the post --------------------------------------------------


def test_the_live_check_names_the_ticked_accounts_that_need_media_or_a_shorter_text(make, web, db_session, france,
                                                                                    writer):
    facebook, instagram, x, linkedin = (make.account(france, n) for n in ("facebook", "instagram", "x", "linkedin"))
    web.login(writer)
    text = "Le stade brille ce soir. " * 14  # 350 characters: over X's 280
    answer = web.post("/posts/check", {"body": text, "account_id": str(facebook.id), "campaign_id": "",
                                       "also_account_ids": [str(instagram.id), str(x.id), str(linkedin.id)]})
    assert answer.status_code == 200
    result = answer.get_json()
    assert result["findings"] == [] or all(f["severity"] != "error" for f in result["findings"])
    also = {a["account_id"]: a for a in result["also"]}
    assert set(also) == {instagram.id, x.id}  # LinkedIn takes it as it is
    assert also[instagram.id]["account"] == f"FR · Instagram · @{instagram.handle}"
    assert [f["rule"] for f in also[instagram.id]["findings"]] == ["network.media-required"]
    assert [f["rule"] for f in also[x.id]["findings"]] == ["network.length"]
    assert "280" in also[x.id]["findings"][0]["message"]
    assert "2 other accounts ticked refuse this post as it is." in result["summary"]
    # A picture picked on the form (described by its script): Instagram is satisfied.
    picked = '[{"type": "image/jpeg", "bytes": 40000, "width": 1080, "height": 1080, "alt": ""}]'
    answer = web.post("/posts/check", {"body": "Le stade brille ce soir.", "account_id": str(facebook.id),
                                       "also_account_ids": [str(instagram.id)], "picked": picked})
    assert answer.get_json()["also"] == []


def test_the_live_check_says_nothing_of_accounts_the_user_does_not_write_for(make, web, db_session, france, writer):
    facebook = make.account(france, "facebook")
    elsewhere = make.account(make.market("KE", timezone="Africa/Nairobi", languages=("en",)), "instagram")
    web.login(writer)
    answer = web.post("/posts/check", {"body": "Le stade brille ce soir.", "account_id": str(facebook.id),
                                       "also_account_ids": [str(elsewhere.id)]})
    assert answer.status_code == 200 and answer.get_json()["also"] == []


# "Save and submit" for a set: one message --------------------------------------------------------------------


def test_save_and_submit_a_set_says_one_thing_with_links_to_the_posts_to_fix(make, web, db_session, france, writer):
    facebook, linkedin, x = (make.account(france, n) for n in ("facebook", "linkedin", "x"))
    web.login(writer)
    answer = _send(web, [facebook, linkedin, x], ("Le stade brille ce soir. " * 14).strip(), submit=True)
    assert answer.status_code == 302, _text(answer)[:3000]
    posts = {p.account_id: p for p in _members(db_session, _set_of(answer))}
    shown = web.get(answer.headers["Location"])
    page, said = shown.get_data(as_text=True), _text(shown)
    assert "drafts" not in said.split("Post set")[0]
    assert (f"Saved as a set of 3 posts, one per account; submitted for review: #{posts[facebook.id].id} "
            f"(FR · Facebook · @{facebook.handle}) and #{posts[linkedin.id].id} (FR · LinkedIn · "
            f"@{linkedin.handle}); to fix first, not submitted yet: #{posts[x.id].id} (FR · X · @{x.handle}) .") in said
    assert len(re.findall(r'class="flash ', page)) == 1, re.findall(r'class="flash[^"]*"', page)  # one message
    assert f'<a href="/posts/{posts[x.id].id}/edit">' in page


def test_save_and_submit_a_set_whose_members_all_go_to_review(make, web, db_session, france, writer):
    facebook, linkedin = make.account(france, "facebook"), make.account(france, "linkedin")
    web.login(writer)
    answer = _send(web, [facebook, linkedin], "Le stade brille ce soir.", submit=True)
    posts = _members(db_session, _set_of(answer))
    assert {p.state for p in posts} == {State.in_review}
    said = _text(web.get(answer.headers["Location"]))
    assert (f"Saved as a set of 2 posts, one per account; submitted for review: #{posts[0].id} "
            f"(FR · Facebook · @{facebook.handle}) and #{posts[1].id} (FR · LinkedIn · @{linkedin.handle}).") in said
    assert "to fix first" not in said and "drafts" not in said


# The post page's times, in the reader's time too --------------------------------------------------------------


def test_the_post_page_tells_its_history_revisions_and_comments_in_the_readers_time_too(app, make, web, db_session,
                                                                                       france, united_states):
    author = make.user(Role.community_manager, markets=[united_states])
    post = make.post(State.in_review, account=make.account(united_states, "facebook"), author=author)
    # A Paris project manager (their first market's zone) approves a post of New York's market.
    reviewer = make.user(Role.project_manager, markets=[france, united_states], name="Lucile Tardieu")
    make.act(post, Action.approve, reviewer)
    ops.add_comment(db_session, post, reviewer, "Parfait.")
    db_session.flush()
    approved = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id,
                                                           AuditEntry.action == Action.approve)).one()
    web.login(reviewer)
    said = _text(web.get(f"/posts/{post.id}"))
    both = with_your_time(app, approved.at, "America/New_York", "Europe/Paris")
    assert f"{both} Lucile Tardieu · approved" in said, said
    created = post.current_revision.created_at
    assert f"by {author.name}, {with_your_time(app, created, 'America/New_York', 'Europe/Paris')}" in said
    assert said.count("your time (Europe/Paris)") >= 4  # the history's rows, the revision's, the comment's
    # A New York reader reads the market's time alone.
    web.login(author)
    said = _text(web.get(f"/posts/{post.id}"))
    assert said_in_english(app, approved.at, "America/New_York") in said and "your time" not in said


# The form's 413 --------------------------------------------------------------------------------------------------


def test_the_forms_413_page_says_once_that_nothing_was_saved(app, make, web, db_session, france, writer,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 1000)
    monkeypatch.setitem(app.config, "MEDIA_MAX_VIDEO_BYTES", 1000)
    account = make.account(france, "facebook")
    web.login(writer)
    page = web.get("/posts/new").get_data(as_text=True)
    answer = web.client.post("/posts/new", data={
        "csrf_token": web.token, "form_key": _form_key(page), "account_id": str(account.id), "body": "Trop lourd.",
        "file": [(io.BytesIO(b"\xff" * (2 * 1024 * 1024)), "lourd.jpg")], "save": "1"},
        content_type="multipart/form-data")
    assert answer.status_code == 413
    said = _text(answer)
    assert "The upload is 2" in said and "On the form, pick fewer files, then add the others to the draft once it " \
        "is saved." in said
    assert len(re.findall(r"not saved|Nothing was saved", said)) == 1, said
    assert "go back to the form" not in said
