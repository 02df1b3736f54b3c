"""A state's badge agrees with what it is the state of: in French a post is « une publication » (« programmée »,
« publiée »), a suggested message (an executive's account) « un message proposé » (« programmé », « publié »,
« refusé »). The post's page, the list of posts, the cabinet's inbox, the calendar's list and the notifications
list; English reads the same words for both. SQLite and PostgreSQL.

Needs the French of the badges' words in the catalogue (``labels.STATE_BADGES``: contexts "post state" and
"suggested message state")."""

from __future__ import annotations

import re

import pytest

from approval.workflow.states import Role, State


@pytest.fixture()
def scene(make):  # noqa: ANN001, ANN201
    fr = make.market("FR")
    executive = make.executive("Hélène Marchand")
    return {"fr": fr, "executive": executive, "brand": make.account(fr),
            "suggestions": make.account(fr, executive=executive),
            "writer": make.user(Role.community_manager, markets=[fr], name="Camille"),
            "pm": make.user(Role.project_manager, markets=[fr], name="Pierre"),
            "cabinet": make.user(Role.cabinet, executives=[executive], name="Agnès")}


def made(make, scene, state: State, *, suggestion: bool):  # noqa: ANN001, ANN201
    account = scene["suggestions" if suggestion else "brand"]
    return make.post(state, account=account, author=scene["writer"], reviewer=scene["pm"])


def page_of(web, user, url: str, locale: str = "fr") -> str:  # noqa: ANN001
    web.login(user)
    web.post("/language", {"language": locale, "next": url})
    response = web.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def badge(state: State, words: str) -> str:
    return f'<span class="state state-{state.value}">{words}</span>'


def row_of(page: str, post_id: int) -> str:
    """The table row that links to the post."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S) if f'href="/posts/{post_id}"' in row]
    assert len(rows) == 1, f"no single row for post #{post_id}"
    return rows[0]


#: (state, the post's badge, the suggested message's badge), in French.
AGREED = [
    (State.scheduled, "programmée", "programmé"),
    (State.approved, "approuvée", "accepté"),
    (State.published, "publiée", "publié"),
]


@pytest.mark.parametrize(("state", "post_words", "suggestion_words"), AGREED)
def test_the_post_page_agrees_the_badge_with_a_post_or_a_suggested_message(make, web, db_session, scene, state,
                                                                           post_words, suggestion_words):
    post = made(make, scene, state, suggestion=False)
    suggestion = made(make, scene, state, suggestion=True)
    db_session.flush()
    post_page = page_of(web, scene["pm"], f"/posts/{post.id}")
    suggestion_page = page_of(web, scene["pm"], f"/posts/{suggestion.id}")
    assert badge(state, post_words) in post_page
    assert badge(state, suggestion_words) in suggestion_page
    # Its title's badge, and its history's ("approved → scheduled"): none says it of a post.
    assert badge(state, post_words) not in suggestion_page
    assert badge(state, suggestion_words) not in post_page


def test_a_declined_suggested_message_is_refused_masculine_and_a_rejected_post_feminine(make, web, db_session,
                                                                                         scene):
    rejected = made(make, scene, State.rejected, suggestion=False)
    declined = made(make, scene, State.declined, suggestion=True)
    db_session.flush()
    assert badge(State.rejected, "rejetée") in page_of(web, scene["writer"], f"/posts/{rejected.id}")
    assert badge(State.declined, "refusé") in page_of(web, scene["writer"], f"/posts/{declined.id}")


def test_the_list_of_posts_agrees_each_row_with_its_own(make, web, db_session, scene):
    post = made(make, scene, State.scheduled, suggestion=False)
    suggestion = made(make, scene, State.scheduled, suggestion=True)
    db_session.flush()
    page = page_of(web, scene["pm"], "/posts")
    assert badge(State.scheduled, "programmée") in row_of(page, post.id)
    assert badge(State.scheduled, "programmé") in row_of(page, suggestion.id)


def test_the_cabinet_inbox_says_accepted_and_refused_of_its_suggested_messages(make, web, db_session, scene):
    accepted = made(make, scene, State.approved, suggestion=True)
    declined = made(make, scene, State.declined, suggestion=True)
    db_session.flush()
    page = page_of(web, scene["cabinet"], "/cabinet")
    assert badge(State.approved, "accepté") in row_of(page, accepted.id)
    assert badge(State.declined, "refusé") in row_of(page, declined.id)


def test_the_calendar_list_agrees_each_entry_with_its_own(make, web, db_session, scene):
    post = made(make, scene, State.scheduled, suggestion=False)
    suggestion = made(make, scene, State.scheduled, suggestion=True)
    db_session.flush()
    day = post.scheduled_at.date().isoformat()
    page = page_of(web, scene["pm"], f"/calendar?view=list&date={day}&tz=UTC")
    assert badge(State.scheduled, "programmée") in row_of(page, post.id)
    assert badge(State.scheduled, "programmé") in row_of(page, suggestion.id)


def test_english_reads_the_same_words_for_both(make, web, db_session, scene):
    post = made(make, scene, State.approved, suggestion=False)
    suggestion = made(make, scene, State.approved, suggestion=True)
    db_session.flush()
    page = page_of(web, scene["pm"], "/posts", locale="en")
    assert badge(State.approved, "approved") in row_of(page, post.id)
    assert badge(State.approved, "approved") in row_of(page, suggestion.id)


def test_the_notifications_list_says_what_became_of_a_suggested_message_in_its_own_words(make, web, db_session,
                                                                                        scene):
    """The cabinet was asked for its answer; once it accepted, the line says it no longer waits, and what it is."""
    made(make, scene, State.approved, suggestion=True)
    db_session.flush()
    page = page_of(web, scene["cabinet"], "/notifications")
    settled = "N’attend plus. Désormais\u00a0:</span> "
    assert page.count(settled) == 1
    assert settled + badge(State.approved, "accepté") in page
