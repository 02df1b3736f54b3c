"""One message for several accounts (Hootsuite's, Sprout Social's and Planable's composers): the new-post form takes
several accounts and makes one post each, written together as a set, in one transaction (every post, or none). Each
member is a post of its own (own revision 1, audit row, review, time); the set's page shows them side by side, the
members its reader sees only, and takes the decisions on all of them at once, each through the engine, all or
nothing, at the versions the page showed."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.db import utcnow
from approval.models import AuditEntry, MediaFile, Post, PostSet, Revision, RevisionMedia
from approval.workflow.states import Action, Role, State

import set_helpers
from conftest import row_counts
from set_helpers import (LONDON, NEW_YORK, PARIS, draft_set, local_ahead, members_of, paris_and_new_york,
                         sensitive_set, submitted_set, text_of, versions_of)
from test_media_samples import picture, video

france, britain, writer = set_helpers.france, set_helpers.britain, set_helpers.writer  # the shared fixtures
#: The names tests/test_new_post_set_walk.py imports from here.
_members, _text = members_of, text_of

def _form_key(page: str) -> str:
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def _send(web, accounts, body: str, files=(), *, proposed: str = "", submit: bool = False):  # noqa: ANN001, ANN202
    """The new-post form as a browser sends it: the first account chosen, the others ticked."""
    page = web.get("/posts/new").get_data(as_text=True)
    data: dict = {"csrf_token": web.token, "form_key": _form_key(page), "account_id": str(accounts[0].id),
                  "also_account_ids": [str(a.id) for a in accounts[1:]], "campaign_id": "", "body": body,
                  "copy_of": "", "proposed_time": proposed,
                  "file": [(io.BytesIO(content), name) for content, name in files] or [(io.BytesIO(b""), "")],
                  "alt": [""] * max(1, len(files))}
    data["submit" if submit else "save"] = "1"
    return web.client.post("/posts/new", data=data, content_type="multipart/form-data")


def _counts(db_session) -> tuple[int, ...]:  # noqa: ANN001
    return row_counts(db_session, PostSet, Post, Revision, RevisionMedia, AuditEntry)


def _set_of(answer) -> int:  # noqa: ANN001
    found = re.fullmatch(r"/sets/(\d+)", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return int(found.group(1))


def test_one_message_for_three_accounts_makes_three_posts_in_one_request(app, make, web, db_session, france,
                                                                        writer):
    facebook, x, instagram = (make.account(france, n) for n in ("facebook", "x", "instagram"))
    web.login(writer)
    page = web.get("/posts/new").get_data(as_text=True)
    assert 'name="also_account_ids"' in page and 'type="checkbox"' in page
    before = _counts(db_session)
    answer = _send(web, [facebook, x, instagram], "Le stade brille ce soir.", [(picture("PNG", (640, 480)), "s.png")])
    assert answer.status_code == 302, text_of(answer)[:3000]
    set_id = _set_of(answer)
    posts = members_of(db_session, set_id)
    # The account chosen first, the others in the list's order.
    assert [p.account_id for p in posts] == [facebook.id, instagram.id, x.id]
    assert _counts(db_session) == tuple(b + n for b, n in zip(before, (1, 3, 3, 3, 3), strict=True))
    for post in posts:
        assert post.state is State.draft and post.current_revision.number == 1
        assert post.body == "Le stade brille ce soir." and len(post.current_revision.media) == 1
        trail = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)).all()
        assert [e.action.value for e in trail] == ["create"]
    # Each network's file as an upload for it would be: a PNG where it is taken, a JPEG for Instagram.
    mimes = {p.account.network.value: p.current_revision.media[0].file.mime for p in posts}
    assert mimes["instagram"] == "image/jpeg" and mimes["facebook"] == "image/png"
    shown = text_of(web.get(answer.headers["Location"]))
    assert "Saved as a set of 3 drafts, one per account" in shown
    assert "s.png was converted to JPEG for Instagram." in shown
    assert all(f"Post #{p.id}" in shown for p in posts)
    # Each post's page names the others.
    own = text_of(web.get(f"/posts/{posts[0].id}"))
    assert "Also in this set:" in own and f"#{posts[1].id}" in own and f"#{posts[2].id}" in own


def test_one_member_refused_by_its_own_rule_writes_nothing_and_names_the_account(app, make, web, db_session,
                                                                                france, writer):
    facebook, instagram = make.account(france, "facebook"), make.account(france, "instagram")
    web.login(writer)
    before, files = _counts(db_session), row_counts(db_session, MediaFile)
    answer = _send(web, [facebook, instagram], "Le but de la soirée.",
                   [(picture("GIF", (320, 320), frames=3), "but.gif")])
    assert answer.status_code in (415, 422), text_of(answer)[:3000]
    shown = text_of(answer)
    assert f"FR · Instagram · @{instagram.handle}:" in shown and "but.gif" in shown
    assert "Le but de la soirée.</textarea>" in re.sub(r"\s+", " ", answer.get_data(as_text=True))
    assert _counts(db_session) == before and row_counts(db_session, MediaFile) == files


def test_the_proposed_time_is_read_in_each_accounts_market_zone(make, web, db_session, france, britain, writer):
    paris, london = make.account(france, "facebook"), make.account(britain, "facebook")
    web.login(writer)
    local = local_ahead(PARIS)
    answer = _send(web, [paris, london], "Tonight at eight.", proposed=local.strftime("%Y-%m-%dT%H:%M"))
    assert answer.status_code == 302, text_of(answer)[:3000]
    posts = {p.account_id: p for p in members_of(db_session, _set_of(answer))}
    assert posts[paris.id].proposed_at == local.replace(tzinfo=PARIS).astimezone(UTC)
    assert posts[london.id].proposed_at == local.replace(tzinfo=LONDON).astimezone(UTC)
    assert posts[london.id].proposed_at - posts[paris.id].proposed_at == timedelta(hours=1)


def test_a_time_skipped_in_one_market_is_refused_naming_it_and_nothing_is_written(make, web, db_session, france,
                                                                                  britain, writer):
    paris, london = make.account(france, "x"), make.account(britain, "x")
    today = utcnow().date()
    # 02:30 on the last Sunday of March: Paris skips it (02:00 -> 03:00), London does not (01:00 -> 02:00).
    for year in (today.year, today.year + 1):
        day = max(datetime(year, 3, d) for d in range(25, 32) if datetime(year, 3, d).weekday() == 6)
        if day.date() > today + timedelta(days=1):
            break
    web.login(writer)
    before = _counts(db_session)
    answer = _send(web, [london, paris], "Tonight.", proposed=day.replace(hour=2, minute=30).strftime("%Y-%m-%dT%H:%M"))
    assert answer.status_code == 422
    shown = text_of(answer)
    assert f"FR · X · @{paris.handle}: The clocks skip from" in shown and "Europe/Paris" in shown
    assert _counts(db_session) == before


def test_an_account_outside_the_writers_markets_is_refused_and_nothing_is_written(make, web, db_session, france,
                                                                                  writer):
    mine = make.account(france, "facebook")
    elsewhere = make.account(make.market("DE", timezone="Europe/Berlin", languages=("de",)), "facebook")
    web.login(writer)
    assert f'value="{elsewhere.id}"' not in web.get("/posts/new").get_data(as_text=True)
    before = _counts(db_session)
    answer = _send(web, [mine, elsewhere], "Bonjour.")
    assert answer.status_code == 422
    assert f"'{elsewhere.id}' is not a valid choice for this field." in text_of(answer)
    assert _counts(db_session) == before


def test_a_set_of_more_accounts_than_allowed_is_refused(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook") for _ in range(ops.MAX_SET_ACCOUNTS + 1)]
    web.login(writer)
    before = _counts(db_session)
    answer = _send(web, accounts, "Bonjour.")
    assert answer.status_code == 422
    assert f"at most {ops.MAX_SET_ACCOUNTS} accounts at once: you chose {ops.MAX_SET_ACCOUNTS + 1}" in text_of(answer)
    assert _counts(db_session) == before


def test_save_and_submit_submits_each_and_says_which_need_a_fix(make, web, db_session, france, writer):
    facebook, x = make.account(france, "facebook"), make.account(france, "x")
    web.login(writer)
    long_text = "Le stade brille ce soir. " * 14  # 350 characters: over X's 280
    answer = _send(web, [facebook, x], long_text.strip(), submit=True)
    assert answer.status_code == 302, text_of(answer)[:3000]
    posts = {p.account_id: p for p in members_of(db_session, _set_of(answer))}
    assert posts[facebook.id].state is State.in_review and posts[x.id].state is State.draft
    shown = text_of(web.get(answer.headers["Location"]))
    assert (f"Saved as a set of 2 posts, one per account; submitted for review: #{posts[facebook.id].id} "
            f"(FR · Facebook · @{facebook.handle}); to fix first, not submitted yet: #{posts[x.id].id} (FR · X"
            ) in shown


def test_the_set_page_shows_only_the_members_its_reader_sees(make, web, db_session, france, britain, writer):
    paris, london = make.account(france, "facebook"), make.account(britain, "x")
    post_set, (fr_post, gb_post) = submitted_set(make, db_session, [paris, london], writer)
    reviewer = make.user(Role.project_manager, markets=[france])
    stranger = make.user(Role.project_manager, markets=[make.market("DE", timezone="Europe/Berlin")])
    web.login(stranger)
    assert web.get(f"/sets/{post_set.id}").status_code == 404
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}")
    assert page.status_code == 200
    shown = text_of(page)
    assert f"Post #{fr_post.id}" in shown and f"#{gb_post.id}" not in shown and london.handle not in shown
    assert "1 post you can see here" in shown
    assert set(versions_of(page.get_data(as_text=True))) == {f"version-{fr_post.id}"}
    alone = text_of(web.get(f"/posts/{fr_post.id}"))
    assert "Also in this set:" not in alone and london.handle not in alone


def test_approve_all_approves_each_with_its_own_audit_row(make, web, db_session, france, britain, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "x"), make.account(britain, "linkedin")]
    post_set, posts = submitted_set(make, db_session, accounts, writer)
    reviewer = make.user(Role.project_manager, markets=[france, britain], name="Lucie Martin")
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert "Approve all" in page and "Submit all for review" not in page
    answer = web.post(f"/sets/{post_set.id}/approve", versions_of(page))
    assert answer.status_code == 303, text_of(answer)[:3000]
    for post in members_of(db_session, post_set.id):
        assert post.state is State.approved and post.approved_by_id == reviewer.id
        approvals = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id,
                                                                AuditEntry.action == Action.approve)).all()
        assert [(e.actor_id, e.revision_id) for e in approvals] == [(reviewer.id, post.current_revision_id)]
    assert "Approved: #" in text_of(web.get(answer.headers["Location"]))


def test_a_member_changed_since_the_page_refuses_the_whole_approval(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "x")]
    post_set, (first, second) = submitted_set(make, db_session, accounts, writer)
    reviewer = make.user(Role.project_manager, markets=[france])
    web.login(reviewer)
    versions = versions_of(web.get(f"/sets/{post_set.id}").get_data(as_text=True))
    ops.edit_post(db_session, second, writer, "Le stade brille encore ce soir.", expected_version=second.version)
    db_session.flush()
    before = row_counts(db_session, AuditEntry)
    answer = web.post(f"/sets/{post_set.id}/approve", versions)
    assert answer.status_code == 409
    assert f"Nothing was done: #{second.id} (FR · X · @{accounts[1].handle}) changed since this page" in text_of(answer)
    assert row_counts(db_session, AuditEntry) == before
    assert [p.state for p in members_of(db_session, post_set.id)] == [State.in_review, State.in_review]


def test_a_change_to_a_member_the_approval_leaves_alone_does_not_refuse_it(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "x")]
    post_set, (in_review, draft) = submitted_set(make, db_session, accounts, writer)
    make.act(draft, Action.recall, writer)
    db_session.flush()
    reviewer = make.user(Role.project_manager, markets=[france])
    web.login(reviewer)
    versions = versions_of(web.get(f"/sets/{post_set.id}").get_data(as_text=True))
    # The draft, which "Approve all" does not act on, is written again while the page is open.
    ops.edit_post(db_session, draft, writer, "Le stade brille encore ce soir.", expected_version=draft.version)
    db_session.flush()
    answer = web.post(f"/sets/{post_set.id}/approve", versions)
    assert answer.status_code == 303, text_of(answer)[:3000]
    assert [p.state for p in members_of(db_session, post_set.id)] == [State.approved, State.draft]
    # The members it acts on still need the version the page showed: missing or malformed, nothing is done.
    second_set, (first, _second) = submitted_set(make, db_session, accounts, writer)
    versions = versions_of(web.get(f"/sets/{second_set.id}").get_data(as_text=True))
    before = row_counts(db_session, AuditEntry)
    for sent in ("", "abc", "1.5", str(first.version + 1)):
        answer = web.post(f"/sets/{second_set.id}/approve", {**versions, f"version-{first.id}": sent})
        assert answer.status_code == 409, sent
    answer = web.post(f"/sets/{second_set.id}/approve",
                      {k: v for k, v in versions.items() if k != f"version-{first.id}"})
    assert answer.status_code == 409
    assert row_counts(db_session, AuditEntry) == before


def test_a_member_that_came_into_review_since_the_page_refuses_the_approval(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "x")]
    post_set, (in_review, draft) = submitted_set(make, db_session, accounts, writer)
    make.act(draft, Action.recall, writer)
    db_session.flush()
    reviewer = make.user(Role.project_manager, markets=[france])
    web.login(reviewer)
    versions = versions_of(web.get(f"/sets/{post_set.id}").get_data(as_text=True))
    make.act(draft, Action.submit, writer)  # now one "Approve all" would act on, unseen as such
    db_session.flush()
    answer = web.post(f"/sets/{post_set.id}/approve", versions)
    assert answer.status_code == 409
    assert f"Nothing was done: #{draft.id} (FR · X · @{accounts[1].handle}) changed since this page" in text_of(answer)
    assert [p.state for p in members_of(db_session, post_set.id)] == [State.in_review, State.in_review]


def test_a_change_to_a_member_submit_all_leaves_alone_does_not_refuse_it(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "linkedin")]
    post_set, (draft, in_review) = submitted_set(make, db_session, accounts, writer)
    make.act(draft, Action.recall, writer)
    db_session.flush()
    web.login(writer)
    versions = versions_of(web.get(f"/sets/{post_set.id}").get_data(as_text=True))
    make.act(in_review, Action.approve, make.user(Role.project_manager, markets=[france]))
    db_session.flush()
    answer = web.post(f"/sets/{post_set.id}/submit", versions)
    assert answer.status_code == 303, text_of(answer)[:3000]
    assert [p.state for p in members_of(db_session, post_set.id)] == [State.in_review, State.approved]


def test_the_set_page_shows_each_members_pictures_and_videos(app, make, web, db_session, france, writer):
    from approval.media import samples

    accounts = [make.account(france, "linkedin"), make.account(france, "facebook")]
    post_set = ops.create_post_set(db_session, writer, 2)
    picture_post, video_post = (ops.create_post(db_session, writer, account, "Le stade brille ce soir.",
                                                post_set=post_set) for account in accounts)
    with app.app_context():
        samples.attach_bytes(db_session, picture_post, writer, picture("PNG", (640, 480)), "stade.png",
                             alt="Le stade illuminé de nuit")
        samples.attach_bytes(db_session, video_post, writer, video(seconds=3), "tribunes.mp4", alt="Les tribunes")
    for post in (picture_post, video_post):
        make.act(post, Action.submit, writer)
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    members = {post.id: page.split(f'id="post-{post.id}"')[1].split('class="card set-member"')[0]
               for post in (picture_post, video_post)}
    shown = picture_post.current_revision.media[0].file
    assert f'src="/media/{shown.id}/thumbnail"' in members[picture_post.id]
    assert f'href="/media/{shown.id}"' in members[picture_post.id]
    assert "Le stade illuminé de nuit" in html.unescape(members[picture_post.id])
    assert "Open picture 1 (stade.png)" in members[picture_post.id]
    film = video_post.current_revision.media[0].file
    assert f'href="/media/{film.id}"' in members[video_post.id]
    assert "Open video 1 (tribunes.mp4)" in members[video_post.id]
    assert f"/media/{shown.id}" not in members[video_post.id]

def test_a_project_manager_never_approves_the_member_they_wrote(make, web, db_session, france, writer):
    reviewer = make.user(Role.project_manager, markets=[france], name="Lucie Martin")
    accounts = [make.account(france, "facebook"), make.account(france, "x")]
    post_set, (theirs, own) = submitted_set(make, db_session, accounts, writer, authors={1: reviewer})
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}")
    shown = text_of(page)
    assert (f"Left out: #{own.id} (FR · X · @{accounts[1].handle}). You wrote this revision: another project "
            "manager must approve it.") in shown
    answer = web.post(f"/sets/{post_set.id}/approve", versions_of(page.get_data(as_text=True)))
    assert answer.status_code == 303
    states = {p.id: p.state for p in members_of(db_session, post_set.id)}
    assert states == {theirs.id: State.approved, own.id: State.in_review}
    assert (f"Left out: #{own.id} (FR · X · @{accounts[1].handle}). You wrote this revision: another project "
            "manager must approve it.") in text_of(web.get(answer.headers["Location"]))


def test_approve_and_schedule_all_schedules_each_at_its_proposal(make, web, db_session, france, britain, writer):
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook")]
    proposal = utcnow().replace(microsecond=0) + timedelta(days=3)
    post_set, posts = submitted_set(make, db_session, accounts, writer, proposed=proposal)
    reviewer = make.user(Role.project_manager, markets=[france, britain])
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert "Approve and schedule all at their proposed times" in page
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "1"})
    assert answer.status_code == 303, text_of(answer)[:3000]
    for post in members_of(db_session, post_set.id):
        assert post.state is State.scheduled and post.scheduled_at == proposal
        actions = [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                                        .order_by(AuditEntry.id))]
        assert actions[-2:] == [Action.approve, Action.schedule]


def test_submit_all_submits_the_writers_drafts(make, web, db_session, france, writer):
    accounts = [make.account(france, "facebook"), make.account(france, "linkedin")]
    post_set = ops.create_post_set(db_session, writer, 2)
    for account in accounts:
        ops.create_post(db_session, writer, account, "Le stade brille ce soir.", post_set=post_set)
    db_session.flush()
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert "Submit all for review" in page and "Approve all" not in page
    answer = web.post(f"/sets/{post_set.id}/submit", versions_of(page))
    assert answer.status_code == 303
    assert [p.state for p in members_of(db_session, post_set.id)] == [State.in_review, State.in_review]


def test_a_community_manager_may_not_approve_a_set(make, web, db_session, france, writer):
    post_set, posts = submitted_set(make, db_session, [make.account(france, "facebook")] * 1, writer)
    web.login(writer)
    before = row_counts(db_session, AuditEntry)
    answer = web.post(f"/sets/{post_set.id}/approve", {f"version-{posts[0].id}": str(posts[0].version)})
    assert answer.status_code == 403
    assert row_counts(db_session, AuditEntry) == before


def test_a_duplicate_goes_to_several_accounts_its_files_converted_for_each(app, make, web, db_session, france,
                                                                           writer):
    from approval.media import samples

    facebook, instagram, linkedin = (make.account(france, n) for n in ("facebook", "instagram", "linkedin"))
    original = make.post(account=facebook, author=writer, body="Le lancement de la saison.")
    with app.app_context():
        samples.attach_bytes(db_session, original, writer, picture("PNG", (640, 480)), "launch.png")
    db_session.flush()
    web.login(writer)
    page = web.get(f"/posts/new?copy_of={original.id}").get_data(as_text=True)
    assert 'name="also_account_ids"' in page
    answer = web.post("/posts/new", {"account_id": str(instagram.id), "also_account_ids": [str(linkedin.id)],
                                     "campaign_id": "", "copy_of": str(original.id), "save": "1",
                                     "body": "Le lancement de la saison.", "form_key": _form_key(page)})
    assert answer.status_code == 302, text_of(answer)[:3000]
    copies = {p.account.network.value: p for p in members_of(db_session, _set_of(answer))}
    assert set(copies) == {"instagram", "linkedin"}
    assert copies["instagram"].current_revision.media[0].file.mime == "image/jpeg"
    assert copies["linkedin"].current_revision.media[0].file.mime == "image/png"
    for copy in copies.values():
        create = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == copy.id)).one()
        assert create.payload.get("copy_of") == original.id
    shown = text_of(web.get(answer.headers["Location"]))
    assert f"They are copies of post #{original.id}." in shown
    # Sent again (the back button, then the same button): no second set.
    before = _counts(db_session)
    again = web.post("/posts/new", {"account_id": str(instagram.id), "also_account_ids": [str(linkedin.id)],
                                    "campaign_id": "", "copy_of": str(original.id), "save": "1",
                                    "body": "Le lancement de la saison.", "form_key": _form_key(page)})
    assert again.status_code == 302 and _counts(db_session) == before


# Sensitive terms: "Approve all" asks what a post's page asks -------------------------------------------------------

def test_approve_all_asks_to_acknowledge_the_sensitive_terms_of_the_members_holding_some(make, web, db_session,
                                                                                         france, britain, writer):
    post_set, (paris, london) = sensitive_set(make, db_session, france, britain, writer)
    reviewer = make.user(Role.project_manager, markets=[france, britain])
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    shown = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert (f"Sensitive terms: approving #{paris.id} (FR · Facebook · @{paris.account.handle}) needs your "
            "acknowledgement, and the reason in the comment.") in shown
    assert "“grève” is sensitive, the reviewer must acknowledge it" in shown
    assert 'name="acknowledge_warnings"' in page and 'name="comment"' in page
    before = row_counts(db_session, AuditEntry)
    for sent, fields in [({}, ("acknowledge_warnings", "comment")), ({"acknowledge_warnings": "y"}, ("comment",)),
                         ({"comment": "Vu avec la presse."}, ("acknowledge_warnings",))]:
        refused = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), **sent})
        assert refused.status_code == 422, sent
        said = text_of(refused)
        assert (f"Nothing was done: the sensitive terms of #{paris.id} (FR · Facebook · @{paris.account.handle}) "
                "are approved only with your acknowledgement and the reason in the comment.") in said
        for name in fields:
            assert f'name="{name}"' in refused.get_data(as_text=True)
            assert re.search(rf'name="{name}"[^>]*aria-invalid="true"', refused.get_data(as_text=True)), name
        assert [p.state for p in members_of(db_session, post_set.id)] == [State.in_review, State.in_review]
        assert row_counts(db_session, AuditEntry) == before
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "acknowledge_warnings": "y",
                                                       "comment": "Vu avec le service de presse."})
    assert answer.status_code == 303, text_of(answer)[:3000]
    assert [p.state for p in members_of(db_session, post_set.id)] == [State.approved, State.approved]
    approvals = {e.post_id: e for e in db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == Action.approve, AuditEntry.post_id.in_([paris.id, london.id])))}
    assert [o["term"] for o in approvals[paris.id].payload["overrides"]] == ["grève"]
    assert approvals[paris.id].payload["overrides"][0]["reason"] == "Vu avec le service de presse."
    assert "overrides" not in approvals[london.id].payload and not approvals[london.id].comment


# One time for all, where the clocks repeat an hour in one zone and not in the other -------------------------------

def _twice(local: datetime, zone: ZoneInfo) -> bool:
    try:
        ops.local_to_utc(local, zone)
    except ops.AmbiguousLocalTime:
        return True
    except ops.NonexistentLocalTime:  # the spring change
        return False
    return False


def _repeated_in_paris_only() -> datetime:
    """The next 02:30 that happens twice in Paris (the clocks go back) and once in New York, at least two days ahead
    (Europe goes back on October's last Sunday, the United States a week later)."""
    day = utcnow().date() + timedelta(days=2)
    while not (_twice(local := datetime(day.year, day.month, day.day, 2, 30), PARIS) and not _twice(local, NEW_YORK)):
        day += timedelta(days=1)
    return local


@pytest.mark.parametrize("fold", [0, 1])
def test_approve_and_schedule_all_at_a_time_repeated_in_one_zone_asks_which_there_only(make, web, db_session,
                                                                                       france, writer, fold):
    united_states = make.market("US", timezone="America/New_York", languages=("en",))
    writer.markets.append(united_states)
    # The main account (the set's first post) is New York's, where the hour does not repeat that day.
    accounts = [make.account(united_states, "facebook"), make.account(france, "facebook")]
    post_set, (new_york, paris) = submitted_set(make, db_session, accounts, writer)
    web.login(make.user(Role.project_manager, markets=[france, united_states]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert 'name="local_time"' in page and "Approve and schedule all at this time" in page
    local = _repeated_in_paris_only()
    typed = local.strftime("%Y-%m-%dT%H:%M")
    before = row_counts(db_session, AuditEntry)
    asked = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "at", "local_time": typed})
    assert asked.status_code == 422, text_of(asked)[:3000]
    form = asked.get_data(as_text=True)
    said = text_of(asked)
    assert "This time happens twice in Europe/Paris: which one?" in said
    assert "happens twice in America/New_York" not in said and 'name="fold-America/New_York"' not in form
    assert 'name="fold-Europe/Paris" value="0"' in form and 'name="fold-Europe/Paris" value="1"' in form
    assert "UTC+02:00" in said and "UTC+01:00" in said  # Paris's two instants, to choose from
    assert f'value="{typed}"' in form  # the time typed, kept
    assert row_counts(db_session, AuditEntry) == before
    assert {p.state for p in members_of(db_session, post_set.id)} == {State.in_review}

    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "at", "local_time": typed,
                                                       "fold-Europe/Paris": str(fold)})
    assert answer.status_code == 303, text_of(answer)[:3000]
    members = {p.id: p for p in members_of(db_session, post_set.id)}
    assert members[paris.id].state is State.scheduled and members[new_york.id].state is State.scheduled
    assert members[paris.id].scheduled_at == local.replace(tzinfo=PARIS, fold=fold).astimezone(UTC)
    assert members[paris.id].scheduled_at.astimezone(PARIS).utcoffset() == timedelta(hours=2 - fold)
    # New York's 02:30 that day, which happens once, whatever was chosen for Paris.
    assert members[new_york.id].scheduled_at == local.replace(tzinfo=NEW_YORK).astimezone(UTC)
    assert members[new_york.id].scheduled_at.astimezone(NEW_YORK).strftime("%H:%M") == "02:30"
    for post in members.values():
        actions = [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id)
                                                        .order_by(AuditEntry.id))]
        assert actions[-2:] == [Action.approve, Action.schedule]


# "Submit all": each member on its own -------------------------------------------------------------------------------


def test_submit_all_submits_those_that_pass_and_names_each_to_fix_with_its_reason(make, web, db_session, france,
                                                                                  writer):
    accounts = [make.account(france, "facebook") for _ in range(3)] + [make.account(france, "instagram")
                                                                       for _ in range(2)]
    post_set, posts = draft_set(db_session, writer, accounts)
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    shown = text_of(web.get(f"/sets/{post_set.id}"))
    assert "To fix before they can be submitted:" in shown and "Submit all for review" in page
    for post in posts[3:]:  # named before the press, each with its reason and a link to fix it
        assert f'href="/posts/{post.id}/edit"' in page
        assert f"#{post.id} (FR · Instagram · @{post.account.handle}) : Posts on Instagram need a picture or a video." \
            in shown
    answer = web.post(f"/sets/{post_set.id}/submit", versions_of(page))
    assert answer.status_code == 303, text_of(answer)[:3000]
    states = {p.id: p.state for p in members_of(db_session, post_set.id)}
    assert [states[p.id] for p in posts] == [State.in_review] * 3 + [State.draft] * 2
    said = text_of(web.get(answer.headers["Location"]))
    assert "Submitted for review: " + ", ".join(f"#{p.id}" for p in posts[:1]) in said
    for post in posts[3:]:
        assert f"#{post.id} (FR · Instagram · @{post.account.handle}) : Posts on Instagram need a picture" in said, said


def test_submit_all_where_none_passes_submits_none_and_names_them_all(make, web, db_session, france, writer):
    accounts = [make.account(france, "instagram"), make.account(france, "instagram")]
    post_set, posts = draft_set(db_session, writer, accounts)
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert "Submit all for review" not in page  # nothing would pass: the list to fix, no button
    before = row_counts(db_session, AuditEntry)
    answer = web.post(f"/sets/{post_set.id}/submit", {f"version-{p.id}": str(p.version) for p in posts})
    assert answer.status_code == 422
    said = text_of(answer)
    assert "Nothing was submitted: the 2 posts below need a fix first." in said
    for post in posts:
        assert f"#{post.id} (FR · Instagram · @{post.account.handle}) : Posts on Instagram need a picture" in said, said
        assert f'href="/posts/{post.id}/edit"' in answer.get_data(as_text=True)
    assert row_counts(db_session, AuditEntry) == before


# The same moment everywhere --------------------------------------------------------------------------------------


def test_approve_and_schedule_all_at_the_same_moment_everywhere(make, web, db_session, france, writer):
    post_set, (paris, new_york), reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert 'name="time_basis" value="moment"' in page and 'name="time_zone"' in page
    assert '<option value="Europe/Paris"' in page and '<option value="America/New_York"' in page
    keynote = local_ahead(PARIS, hour=18)
    answer = web.post(f"/sets/{post_set.id}/approve", {
        **versions_of(page), "and_schedule": "at", "local_time": keynote.strftime("%Y-%m-%dT%H:%M"),
        "time_basis": "moment", "time_zone": "Europe/Paris"})
    assert answer.status_code == 303, text_of(answer)[:3000]
    moment = keynote.replace(tzinfo=PARIS).astimezone(UTC)
    members = {p.id: p for p in members_of(db_session, post_set.id)}
    assert members[paris.id].scheduled_at == moment and members[new_york.id].scheduled_at == moment
    said = text_of(web.get(answer.headers["Location"]))
    assert "Approved and scheduled at the same moment everywhere" in said
    there = moment.astimezone(NEW_YORK).strftime("%H:%M")  # 12:00 in New York, for 18:00 in Paris
    assert there in said and "America/New_York" in said


def test_the_same_moment_read_in_the_viewers_own_zone_by_default(make, web, db_session, france, writer):
    post_set, (paris, new_york), reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    web.client.set_cookie("approval_tz", "America/New_York")
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert re.search(r'<option value="America/New_York" selected>', page)
    local = local_ahead(NEW_YORK, hour=12)
    answer = web.post(f"/sets/{post_set.id}/approve", {
        **versions_of(page), "and_schedule": "at", "local_time": local.strftime("%Y-%m-%dT%H:%M"),
        "time_basis": "moment"})
    assert answer.status_code == 303, text_of(answer)[:3000]
    moment = local.replace(tzinfo=NEW_YORK).astimezone(UTC)
    assert {p.scheduled_at for p in members_of(db_session, post_set.id)} == {moment}


def test_the_same_moment_asks_which_only_in_the_zone_it_is_read_in(make, web, db_session, france, writer):
    post_set, (paris, new_york), reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    local = _repeated_in_paris_only()
    sent = {**versions_of(page), "and_schedule": "at", "local_time": local.strftime("%Y-%m-%dT%H:%M"),
            "time_basis": "moment", "time_zone": "America/New_York"}
    answer = web.post(f"/sets/{post_set.id}/approve", sent)  # once in New York: both at New York's instant
    assert answer.status_code == 303, text_of(answer)[:3000]
    assert {p.scheduled_at for p in members_of(db_session, post_set.id)} == {local.replace(tzinfo=NEW_YORK)
                                                                           .astimezone(UTC)}


def test_the_same_moment_in_a_repeated_hour_asks_which(make, web, db_session, france, writer):
    post_set, (paris, new_york), reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    local = _repeated_in_paris_only()
    sent = {**versions_of(page), "and_schedule": "at", "local_time": local.strftime("%Y-%m-%dT%H:%M"),
            "time_basis": "moment", "time_zone": "Europe/Paris"}
    asked = web.post(f"/sets/{post_set.id}/approve", sent)
    assert asked.status_code == 422
    assert "This time happens twice in Europe/Paris: which one?" in text_of(asked)
    answer = web.post(f"/sets/{post_set.id}/approve", {**sent, "fold-Europe/Paris": "1"})
    assert answer.status_code == 303, text_of(answer)[:3000]
    assert {p.scheduled_at for p in members_of(db_session, post_set.id)} == {
        local.replace(tzinfo=PARIS, fold=1).astimezone(UTC)}


@pytest.mark.parametrize("zone", ["localtime", "Mars/Olympus", "Factory"])
def test_the_same_moment_in_a_zone_no_place_keeps_is_refused(make, web, db_session, france, writer, zone):
    post_set, posts, reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    before = row_counts(db_session, AuditEntry)
    answer = web.post(f"/sets/{post_set.id}/approve", {
        **versions_of(page), "and_schedule": "at", "local_time": local_ahead(PARIS).strftime("%Y-%m-%dT%H:%M"),
        "time_basis": "moment", "time_zone": zone})
    assert answer.status_code == 422
    assert "Choose a time zone from the list." in text_of(answer)
    assert row_counts(db_session, AuditEntry) == before


# Every warning before "Approve all" ---------------------------------------------------------------------------------


def test_the_set_page_shows_each_members_warnings_before_approve_all(make, web, db_session, france, britain,
                                                                     writer):
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook")]
    post_set = ops.create_post_set(db_session, writer, 2)
    english = "Our new shop opens today in the middle of the town, come and see us."
    posts = [ops.create_post(db_session, writer, account, english, post_set=post_set) for account in accounts]
    for post in posts:
        make.act(post, Action.submit, writer)
    db_session.flush()
    web.login(make.user(Role.project_manager, markets=[france, britain]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    block = _text_of(page[page.index('class="set-warnings"'):page.index("</div>", page.index('class="set-warnings"'))])
    assert "Warnings to read before approving:" in block
    assert f"#{posts[0].id} (FR · Facebook" in block
    assert "This text reads as English, not as the market's French." in block
    assert f"#{posts[1].id} (GB" not in block  # English in Britain: nothing to say


def _text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# Suggested messages in a set ------------------------------------------------------------------------------------------


def test_a_set_with_a_suggested_message_schedules_the_brands_post_and_sends_the_suggestion_to_its_cabinet(
        make, web, db_session, france, writer):
    executive = make.executive("Claire Bernard")
    make.user(Role.cabinet, executives=[executive])
    brand, cabinet = make.account(france, "facebook"), make.account(france, "linkedin", executive=executive)
    post_set, (ours, suggested) = submitted_set(make, db_session, [brand, cabinet], writer)
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    said = _text_of(page)
    assert f"#{suggested.id} (FR · LinkedIn · @{cabinet.handle}): suggested messages go to their executive’s " \
        "cabinet when approved" in said
    assert "Approve and schedule all at this time" in page
    local = local_ahead(PARIS)
    answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), "and_schedule": "at",
                                                       "local_time": local.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code == 303, text_of(answer)[:3000]
    members = {p.id: p for p in members_of(db_session, post_set.id)}
    assert members[ours.id].state is State.scheduled
    assert members[ours.id].scheduled_at == local.replace(tzinfo=PARIS).astimezone(UTC)
    assert members[suggested.id].state is State.with_cabinet and members[suggested.id].scheduled_at is None
    said = text_of(web.get(answer.headers["Location"]))
    assert f"Approved and sent to their cabinet, which accepts them before they are scheduled: #{suggested.id}" \
        in said, said


def test_a_set_of_suggested_messages_only_says_why_none_is_scheduled(make, web, db_session, france, writer):
    executive = make.executive("Claire Bernard")
    make.user(Role.cabinet, executives=[executive])
    post_set, posts = submitted_set(make, db_session, [make.account(france, "linkedin", executive=executive)], writer)
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert "none of them can be scheduled from here" in _text_of(page)
    assert "Approve and schedule all at this time" not in page and "Approve all" in page


# Two managers at once ----------------------------------------------------------------------------------------------


def test_the_second_manager_to_approve_all_reads_that_someone_else_decided(make, web, db_session, france, writer):
    post_set, posts = submitted_set(make, db_session, [make.account(france, "facebook"), make.account(france, "x")],
                                    writer)
    first, second = (make.user(Role.project_manager, markets=[france]) for _ in range(2))
    web.login(second)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    for post in posts:
        make.act(post, Action.approve, first)
    db_session.flush()
    answer = web.post(f"/sets/{post_set.id}/approve", versions_of(page))
    assert answer.status_code == 409
    said = text_of(answer)
    assert "were decided by someone else since this page was drawn" in said and f"#{posts[0].id}" in said
    assert "No post of this set awaits your approval." not in said


# The action block: one primary button per form -----------------------------------------------------------------------


def test_the_approval_block_has_one_primary_button(make, web, db_session, france, britain, writer):
    proposal = utcnow().replace(microsecond=0) + timedelta(days=3)
    post_set, _posts = submitted_set(make, db_session, [make.account(france, "facebook"), make.account(britain, "x")],
                              writer, proposed=proposal)
    web.login(make.user(Role.project_manager, markets=[france, britain]))
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    form = page[page.index('class="approve-all"'):page.index("</form>", page.index('class="approve-all"'))]
    assert "Approve and schedule all at their proposed times" in form and "all at this time" in form
    assert len(re.findall(r'class="button primary"', form)) == 1
    assert re.search(r'<button type="submit" class="button primary">Approve all</button>', form)


def test_a_time_out_of_range_is_refused_not_a_server_error(make, web, db_session, france, writer):
    """Year 9999's last hour read in Paris is past what a date can hold in UTC: refused as out of range (422)."""
    post_set, _posts, reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(reviewer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    before = _counts(db_session)
    for basis in ("local", "moment"):
        answer = web.post(f"/sets/{post_set.id}/approve", {
            **versions_of(page), "and_schedule": "at", "local_time": "9999-12-31T23:30", "time_basis": basis,
            "time_zone": "Europe/Paris"})
        assert answer.status_code == 422, (basis, answer.status_code)
    assert _counts(db_session) == before


def test_a_writer_is_refused_the_decision_whatever_the_form_holds(make, web, db_session, france, writer):
    """The role is checked before the form: a community manager's invalid "approve" is a 403, not the form's 422."""
    post_set, _posts, _reviewer = paris_and_new_york(make, db_session, france, writer)
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    for extra in ({"and_schedule": "at", "local_time": "not a time"}, {"comment": "x" * 10_000}):
        answer = web.post(f"/sets/{post_set.id}/approve", {**versions_of(page), **extra})
        assert answer.status_code == 403, (extra, answer.status_code)
