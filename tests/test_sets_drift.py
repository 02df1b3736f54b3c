"""A set's texts once a writer fixed one member alone: the product walk's post #76 sent back, fixed (a new price, a
word removed), and #77, the same message for another market, approved from the set's page with the old text. The
page now says the texts differ and how (a word-level comparison whose marks read without colour), "Approve all"
lists it among its warnings without refusing, the writer may carry the fix to the members still with their writers
(each through the editor's own operation, at the version the page showed, each its own network's checks), and the
editor of a member says the change is that post's alone."""

from __future__ import annotations

import re

from approval import operations as ops
from approval.workflow.states import Action, Role, State

import set_helpers
from set_helpers import draft_set, members_of, submitted_set, text_of, versions_of

france, britain, writer = set_helpers.france, set_helpers.britain, set_helpers.writer  # the shared fixtures

OLD = "Nos maillots à 49 euros, en vente dès demain matin dans toutes nos boutiques."
FIXED = "Nos maillots à 45 euros, en vente dès demain dans toutes nos boutiques."


def _offer(page: str) -> dict:
    """What the set page's "Apply this text to the set's other posts" sends back: its hidden fields."""
    form = page[page.index('class="apply-text"'):page.index("</form>", page.index('class="apply-text"'))]
    fields = dict(re.findall(r'name="((?:version-\d+)|source|source_revision)" value="(\d+)"', form))
    return {**fields, "target": re.findall(r'name="target" value="(\d+)"', form)}


def _fixed_after_changes(make, db_session, france, britain, writer):  # noqa: ANN001, ANN202
    """The walk's set: two members submitted, the first sent back and fixed by its writer, the second untouched;
    and the project manager who reviews both."""
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook")]
    post_set, (fixed, untouched) = submitted_set(make, db_session, accounts, writer)
    reviewer = make.user(Role.project_manager, markets=[france, britain])
    for post in (fixed, untouched):
        ops.edit_post(db_session, post, writer, OLD, expected_version=post.version)
    make.act(fixed, Action.request_changes, reviewer, comment="Le prix a changé : 45 euros.")
    ops.edit_post(db_session, fixed, writer, FIXED, expected_version=fixed.version)
    make.act(fixed, Action.submit, writer)
    db_session.flush()
    return post_set, fixed, untouched, reviewer


def test_approve_all_warns_that_the_texts_differ_and_how(make, web, db_session, france, britain, writer):
    post_set, fixed, untouched, reviewer = _fixed_after_changes(make, db_session, france, britain, writer)
    web.login(reviewer)
    answer = web.get(f"/sets/{post_set.id}")
    page = answer.get_data(as_text=True)
    approving = page[page.index('class="approve-all"'):page.index("</form>", page.index('class="approve-all"'))]
    said = text_of(answer)
    # Said in the warnings "Approve all" lists, above its button.
    assert "Warnings to read before approving:" in approving
    assert approving.index("The texts of this set differ") < approving.index(">Approve all<")
    assert re.search(rf"The texts of this set differ: #{fixed.id} \([^)]*\) was edited on \w{{3}} \d+, \d{{4}}, "
                     r"after the others\.", said), said
    assert f'href="/posts/{untouched.id}"' in approving and f'href="/posts/{fixed.id}"' in approving
    # What the fix changed, against the untouched text: marked by tags and by words a screen reader says.
    assert re.search(r'<del><span class="visually-hidden">\[removed:\] </span>49<span', approving), approving
    assert re.search(r'<ins><span class="visually-hidden">\[added:\] </span>45<span', approving)
    assert '<del><span class="visually-hidden">[removed:] </span> matin<span' in approving
    # It informs; it does not refuse.
    decided = web.post(f"/sets/{post_set.id}/approve", versions_of(page))
    assert decided.status_code == 303
    assert [post.state for post in members_of(db_session, post_set.id)] == [State.approved, State.approved]


def test_a_text_too_different_to_compare_is_shown_whole(make, web, db_session, france, britain, writer):
    post_set, (paris, london) = draft_set(db_session, writer, [make.account(france, "facebook"),
                                                               make.account(britain, "facebook")], OLD)
    ops.edit_post(db_session, london, writer, "Our shirts on sale tomorrow, in every shop.",
                  expected_version=london.version)
    web.login(writer)
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert f"#{london.id}" in said.split("The texts of this set differ:")[1][:20]
    assert "says something else altogether (another language, or its market’s own wording?): " + OLD in said


def test_the_writer_applies_the_fix_to_the_others_with_their_writers(make, web, db_session, france, britain,
                                                                     writer):
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook"), make.account(france, "x"),
                make.account(france, "facebook")]
    post_set, (source, sent_back, on_x, in_review) = draft_set(db_session, writer, accounts, OLD)
    reviewer = make.user(Role.project_manager, markets=[france, britain])
    make.act(sent_back, Action.submit, writer)
    make.act(sent_back, Action.request_changes, reviewer, comment="Le prix.")
    make.act(in_review, Action.submit, writer)
    ops.edit_post(db_session, source, writer, FIXED + " #Maillots" * 30, expected_version=source.version)
    db_session.flush()
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    offer = page[page.index('class="apply-text"'):page.index("</form>", page.index('class="apply-text"'))]
    assert "Apply this text to the set’s other posts still in draft or sent back for changes" in offer
    assert f'name="source_revision" value="{source.current_revision_id}"' in offer
    assert _offer(page)["target"] == [str(sent_back.id), str(on_x.id)]  # not the member in review
    answer = web.post(f"/sets/{post_set.id}/apply-text", _offer(page))
    assert answer.status_code == 303, text_of(answer)
    posts = members_of(db_session, post_set.id)
    text = posts[0].body
    # The draft and the post sent back take the text, each a new revision by the writer, in its state still.
    assert [post.body == text for post in posts] == [True, True, True, False]
    assert [post.state for post in posts[1:]] == [State.changes_requested, State.draft, State.in_review]
    assert posts[1].current_revision.number == 2 and posts[1].current_revision.author_id == writer.id
    # Each through its own network's gate: the text X cannot take is recorded as its revision's error.
    assert any(f["severity"] == "error" for f in posts[2].current_revision.findings)
    assert not any(f["severity"] == "error" for f in posts[1].current_revision.findings)
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert re.search(rf"#{sent_back.id} \([^)]*\) and #{on_x.id} \([^)]*\) now have the text of #{source.id} "
                     r"\([^)]*\), each as a new revision checked for its own network\.", said), said


def test_a_member_changed_since_the_page_keeps_its_text_and_is_listed(make, web, db_session, france, britain,
                                                                      writer):
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook"), make.account(france, "x")]
    post_set, (source, moved, draft) = draft_set(db_session, writer, accounts, OLD)
    ops.edit_post(db_session, source, writer, FIXED, expected_version=source.version)
    db_session.flush()
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    ops.edit_post(db_session, moved, writer, OLD + " Vite !", expected_version=moved.version)  # meanwhile
    db_session.flush()
    answer = web.post(f"/sets/{post_set.id}/apply-text", _offer(page))
    assert answer.status_code == 303
    posts = members_of(db_session, post_set.id)
    assert [post.body for post in posts] == [FIXED, OLD + " Vite !", FIXED]
    said = text_of(web.get(f"/sets/{post_set.id}"))
    assert f"Not changed: #{moved.id}" in said and "It changed since this page was drawn." in said


def test_a_source_changed_since_the_page_changes_nothing(make, web, db_session, france, britain, writer):
    post_set, (source, draft) = draft_set(db_session, writer, [make.account(france, "facebook"),
                                                               make.account(britain, "facebook")], OLD)
    ops.edit_post(db_session, source, writer, FIXED, expected_version=source.version)
    db_session.flush()
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    ops.edit_post(db_session, source, writer, FIXED + " Vite !", expected_version=source.version)
    db_session.flush()
    answer = web.post(f"/sets/{post_set.id}/apply-text", _offer(page))
    assert answer.status_code == 409
    assert "Nothing was changed: the text of" in text_of(answer)
    assert members_of(db_session, post_set.id)[1].body == OLD


def test_only_those_who_edit_posts_apply_a_text(make, web, db_session, france, britain, writer, admin_user):
    post_set, (source, draft) = draft_set(db_session, writer, [make.account(france, "facebook"),
                                                               make.account(britain, "facebook")], OLD)
    ops.edit_post(db_session, source, writer, FIXED, expected_version=source.version)
    db_session.flush()
    web.login(admin_user)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert "The texts of this set differ" in page and 'class="apply-text"' not in page
    answer = web.post(f"/sets/{post_set.id}/apply-text", {**versions_of(page), "source": source.id,
                                                          "source_revision": source.current_revision_id,
                                                          "target": [draft.id]})
    assert answer.status_code == 403
    assert members_of(db_session, post_set.id)[1].body == OLD


def test_the_editor_of_a_member_says_the_change_is_its_own(make, web, db_session, france, britain, writer):
    post_set, (first, _second) = draft_set(db_session, writer, [make.account(france, "facebook"),
                                                                make.account(britain, "facebook")])
    web.login(writer)
    answer = web.get(f"/posts/{first.id}/edit")
    assert (f"This post is one of set #{post_set.id} (2 posts): your change applies to this post only. See the set"
            in text_of(answer))
    assert f'href="/sets/{post_set.id}"' in answer.get_data(as_text=True)
    # One text still: the set's page says nothing of texts that differ.
    assert "differ" not in text_of(web.get(f"/sets/{post_set.id}"))
    alone = make.post(author=writer, account=make.account(france, "facebook"))
    assert "This post is one of set" not in text_of(web.get(f"/posts/{alone.id}/edit"))


def test_in_french_the_colon_after_a_post_to_fix_has_its_no_break_space(make, web, db_session, france, britain,
                                                                        writer):
    post_set, (on_x, _other) = draft_set(db_session, writer, [make.account(france, "x"),
                                                              make.account(france, "facebook")],
                                         "Le stade brille ce soir. " * 20)
    writer.locale = "fr"
    db_session.flush()
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    assert re.search(rf'<a href="/posts/{on_x.id}/edit">[^<]*\(FR · X · @[^<]*\)</a>\u00a0: ', page), page


def test_a_text_that_says_something_else_is_not_offered_the_edited_one(make, web, db_session, france, britain,
                                                                        writer):
    """A member in another language (or its market's own wording) is left out of "Apply this text": one click wrote
    the French text over the English post. A hand-made form that names it changes nothing on it either."""
    accounts = [make.account(france, "facebook"), make.account(britain, "facebook"), make.account(france, "x")]
    post_set, (source, english, sent_back) = draft_set(db_session, writer, accounts, OLD)
    ops.edit_post(db_session, english, writer, "Our shirts on sale tomorrow, in every shop.",
                  expected_version=english.version)
    ops.edit_post(db_session, source, writer, FIXED, expected_version=source.version)
    db_session.flush()
    web.login(writer)
    page = web.get(f"/sets/{post_set.id}").get_data(as_text=True)
    offer = _offer(page)
    assert offer["target"] == [str(sent_back.id)]
    forged = {**offer, "target": [str(english.id), str(sent_back.id)], f"version-{english.id}": str(english.version)}
    assert web.post(f"/sets/{post_set.id}/apply-text", forged).status_code == 303
    db_session.expire_all()
    assert english.body == "Our shirts on sale tomorrow, in every shop." and sent_back.body == FIXED
