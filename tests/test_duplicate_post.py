"""A post duplicated (its page's "Duplicate"): a market's post adapted for the next market, a post published once and
wanted again. The new draft has the original's text, campaign, pictures and videos with their alternative texts,
for the account the writer chooses; it is the writer's own revision, and its trail names the original. A post the
writer cannot see cannot be copied."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from approval.media import samples
from approval.models import AuditEntry, Post
from approval.workflow.states import Action, Role, State

from test_media_samples import jpeg


def _text(response) -> str:  # noqa: ANN001
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _form_key(page: str) -> str:
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def test_a_post_is_duplicated_with_its_media_for_another_account_of_the_writers_markets(app, make, web, db_session):
    france, belgium = make.market("FR"), make.market("BE")
    camille = make.user(Role.community_manager, markets=[france, belgium], name="Camille Dubois")
    author = make.user(Role.community_manager, markets=[france], name="Inès Morel")
    paris, brussels = make.account(france, "facebook"), make.account(belgium, "facebook")
    original = make.post(State.published, account=paris, author=author, body="Le stade brille ce soir.")
    draft = make.post(account=paris, author=author, body="Le stade brille ce soir.")
    with app.app_context():
        samples.attach_bytes(db_session, draft, author, jpeg(color="red"), "rouge.jpg", "La tribune rouge")
        samples.attach_bytes(db_session, draft, author, jpeg(color="blue"), "bleu.jpg", "La pelouse")
    db_session.flush()
    web.login(camille)

    shown = _text(web.get(f"/posts/{draft.id}"))
    assert f'href="/posts/new?copy_of={draft.id}"' in shown and ">Duplicate</a>" in shown
    page = _text(web.get(f"/posts/new?copy_of={draft.id}"))
    assert (f"A copy of post #{draft.id}: its text and campaign are below, and its 2 pictures and videos come with "
            "it once saved. Choose the account it is for.") in page
    assert " Le stade brille ce soir.</textarea>" in page
    assert f'<option selected value="{paris.id}">' in page  # the same account, until another is chosen
    answer = web.post("/posts/new", {"account_id": str(brussels.id), "campaign_id": "", "copy_of": str(draft.id),
                                     "body": "Le stade brille ce soir à Bruxelles.", "save": "1",
                                     "form_key": _form_key(page)})
    assert answer.status_code == 302
    copy = db_session.scalar(select(Post).where(Post.account_id == brussels.id))
    assert answer.headers["Location"] == f"/posts/{copy.id}/edit"
    assert copy.state == State.draft and copy.body == "Le stade brille ce soir à Bruxelles."
    revision = copy.current_revision
    assert revision.number == 1 and revision.author_id == camille.id and copy.created_by_id == camille.id
    assert [(m.file.id, m.alt, m.name) for m in revision.media] == [
        (m.file.id, m.alt, m.name) for m in draft.current_revision.media]
    create = db_session.scalar(select(AuditEntry).where(AuditEntry.post_id == copy.id))
    assert create.action == Action.create and create.payload == {"copy_of": draft.id}
    assert f"Saved as a draft, a copy of post #{draft.id}." in _text(web.get(answer.headers["Location"]))
    history = _text(web.get(f"/posts/{copy.id}"))
    assert f'a copy of <a href="/posts/{draft.id}">#{draft.id}</a>' in history
    # The original is as it was, and a published post is duplicated the same way (wanted again next year).
    assert draft.current_revision.number == 3 and draft.state == State.draft
    assert f"A copy of post #{original.id}" in _text(web.get(f"/posts/new?copy_of={original.id}"))


def test_a_post_outside_the_writers_markets_cannot_be_duplicated_and_nothing_is_made(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    camille = make.user(Role.community_manager, markets=[france])
    theirs = make.post(account=make.account(kenya, "x"), body="Karibu Nairobi.")
    ours = make.account(france, "x")
    web.login(camille)
    assert web.get(f"/posts/new?copy_of={theirs.id}").status_code == 404
    page = web.get("/posts/new").get_data(as_text=True)
    before = db_session.scalar(select(func.count()).select_from(Post))
    answer = web.post("/posts/new", {"account_id": str(ours.id), "campaign_id": "", "copy_of": str(theirs.id),
                                     "body": "Karibu Paris.", "save": "1", "form_key": _form_key(page)})
    assert answer.status_code == 404
    assert db_session.scalar(select(func.count()).select_from(Post)) == before
    # An id that is none is no copy: the plain new-post page.
    assert "A copy of post" not in web.get("/posts/new?copy_of=%C2%B2").get_data(as_text=True)


def test_only_writers_are_offered_to_duplicate(make, web, db_session):
    france = make.market("FR")
    post = make.post(State.in_review, account=make.account(france))
    for role in (Role.admin, Role.cabinet):
        viewer = make.user(role)
        web.login(viewer)
        assert web.get(f"/posts/new?copy_of={post.id}").status_code == 403
        if role == Role.admin:  # an admin reads every post, and writes none
            assert ">Duplicate</a>" not in web.get(f"/posts/{post.id}").get_data(as_text=True)


def test_the_copys_live_check_and_preview_see_the_files_it_brings(app, make, web, db_session):
    """The new-post page of a copy said "Posts on Snapchat need a picture or a video" and previewed none: the live
    check and the preview did not know the files the copy brings."""
    france = make.market("FR")
    camille = make.user(Role.community_manager, markets=[france])
    snapchat = make.account(france, "snapchat")
    original = make.post(account=snapchat, author=camille, body="Ce soir, la Tour s'allume.")
    with app.app_context():
        samples.attach_bytes(db_session, original, camille, samples.draw_picture((540, 960), "Sosh"), "story.jpg")
    db_session.flush()
    web.login(camille)
    page = web.get(f"/posts/new?copy_of={original.id}").get_data(as_text=True)
    assert f'data-copy-of="{original.id}"' in page and "Snapchat needs one picture or video." not in page
    typed = {"body": "Ce soir, la Tour s'allume.", "account_id": str(snapchat.id), "campaign_id": ""}
    alone = web.post("/posts/check", {**typed, "post_id": ""}).get_json()
    assert "network.media-required" in [f["rule"] for f in alone["findings"]]
    copied = web.post("/posts/check", {**typed, "post_id": "", "copy_of": str(original.id)}).get_json()
    assert "network.media-required" not in [f["rule"] for f in copied["findings"]]
    preview = web.post("/posts/preview", {**typed, "copy_of": str(original.id)}).get_data(as_text=True)
    assert "Snapchat needs one picture or video." not in preview
    assert "Snapchat needs one picture or video." in web.post("/posts/preview", typed).get_data(as_text=True)


def test_a_copy_of_a_rejected_post_says_it_was_rejected_and_why(make, web, db_session):
    """Copying a rejected post said nothing of the rejection: the copy went back to review with the same words."""
    france = make.market("FR")
    camille = make.user(Role.community_manager, markets=[france])
    rejected = make.post(State.rejected, account=make.account(france), author=camille)
    web.login(camille)
    page = _text(web.get(f"/posts/new?copy_of={rejected.id}"))
    assert f"Post #{rejected.id} was rejected. <q dir=\"auto\">Please fix.</q>" in page
    assert "was rejected" not in _text(web.get(f"/posts/new?copy_of={make.post(account=make.account(france)).id}"))
