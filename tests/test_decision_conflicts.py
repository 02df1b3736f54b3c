"""A decision that comes too late, a new draft's next step, and the language switch on a refused form's page.

From the cabinet's walk in French (cabhub 1 and 8) and the admin's walk (admin 1):

- Sophie types why she refuses a suggested message her colleague Agnès accepted a moment ago: the answer says who
  did what and when, from the post's trail since the page she decided on, and keeps her text (in the decision's
  form when the decision can still be taken, in the discussion's box when it cannot). A generic "reload" on the
  form's address (a reload sends the form again) said neither.
- A new draft saved to add pictures lands where the pictures are added: its editor.
- The header's language buttons on a page a refused POST drew (/admin/users/ID/password) led to that POST-only
  address: a 405. They lead to a page that answers a GET.
"""

from __future__ import annotations

import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import operations as ops
from approval.models import AuditEntry, Post
from approval.workflow.states import Action, Role, State

from conftest import WebClient


def _text(answer) -> str:  # noqa: ANN001
    return unescape(answer.get_data(as_text=True))


def _hidden(page: str, form_class: str) -> dict[str, str]:
    """The hidden fields of the page's first form with ``form_class``, as a browser sends them."""
    form = re.search(rf'<form [^>]*class="[^"]*\b{form_class}\b[^"]*"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no {form_class} form"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


def _textarea(page: str, name: str, form_class: str | None = None) -> str | None:
    """The text of the page's textarea ``name`` (in the form with ``form_class``), None without one."""
    scope = page
    if form_class:
        found = re.search(rf'<form [^>]*class="[^"]*\b{form_class}\b[^"]*"[^>]*>(.*?)</form>', page, re.S)
        scope = found.group(1) if found else ""
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', scope, re.S)
    return found.group(1).strip() if found else None


def _discussion_box(page: str) -> str | None:
    at = page.index('id="comments"')
    return _textarea(page[at:], "body")


def _at(db_session, post: Post, action: Action) -> str:  # noqa: ANN001
    """The time the trail gives ``action`` on ``post``, as the post's market reads it (HH:MM)."""
    db_session.expire_all()
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id, AuditEntry.action == action)
                               .order_by(AuditEntry.id.desc())).first()
    return entry.at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")


def _state(db_session, post: Post) -> State:  # noqa: ANN001
    db_session.expire_all()
    return db_session.get(Post, post.id).state


@pytest.fixture()
def cabinet(make):  # noqa: ANN001, ANN201
    """Hélène Marchand's X account in France, her cabinet of two, two project managers and a community manager."""
    france = make.market("FR")
    executive = make.executive("Hélène Marchand")
    return {
        "france": france,
        "account": make.account(france, "x", executive=executive),
        "sophie": make.user(Role.cabinet, executives=[executive], name="Sophie Bernard"),
        "agnes": make.user(Role.cabinet, executives=[executive], name="Agnès Roux"),
        "marc": make.user(Role.project_manager, markets=[france], name="Marc Dupont"),
        "lucile": make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"),
        "camille": make.user(Role.community_manager, markets=[france], name="Camille Dubois"),
    }


def _with_the_cabinet(make, cabinet) -> Post:  # noqa: ANN001
    post = make.post(State.in_review, account=cabinet["account"], author=cabinet["camille"],
                     body="Fière de nos équipes ce soir.")
    make.act(post, Action.approve, cabinet["lucile"])
    return post


def _decide(web: WebClient, page: str, post: Post, action: str, comment: str):  # noqa: ANN202
    """Click ``action`` on the decide form of ``page`` (the post page as the person had it open), with ``comment``."""
    return web.post(f"/posts/{post.id}/actions/{action}", {**_hidden(page, "decide"), "comment": comment})


# cabhub 1: a decision that comes too late -------------------------------------------------------------------------

REASON = "Mme Marchand préfère ne pas en parler sur X."


def test_a_refusal_after_a_colleague_accepted_says_who_and_keeps_the_reason(make, web, db_session, cabinet):
    post = _with_the_cabinet(make, cabinet)
    web.login(cabinet["sophie"])
    open_page = _text(web.get(f"/posts/{post.id}"))
    make.act(post, Action.accept, cabinet["agnes"])  # Agnès, on her phone, while Sophie writes

    answer = _decide(web, open_page, post, "decline", REASON)
    assert answer.status_code == 409
    page = _text(answer)
    refusal = page[page.index('class="flash error refusal"'):]
    refusal = refusal[:refusal.index("</section>")]
    assert f"Agnès Roux accepted this suggested message at {_at(db_session, post, Action.accept)}." in refusal
    assert "“Decline” was not recorded" in refusal
    assert "reload" not in refusal.lower()  # the page is the newer version; a reload would send the form again
    # Accepted, the suggestion may still be taken back (declined) by the cabinet: her reason stays in the decision's
    # form, to send again once she has read that Agnès accepted it, and only there.
    assert _textarea(page, "comment", "decide") == REASON
    assert _discussion_box(page) == ""
    assert "kept in the form below" in refusal
    assert _state(db_session, post) is State.approved
    assert not db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == post.id,
                                                           AuditEntry.action == Action.decline)).all()
    # The address, opened again (a reload after other pages, a bookmark), leads to the post, not to a 405.
    again = web.get(f"/posts/{post.id}/actions/decline")
    assert again.status_code in (302, 303) and again.headers["Location"] == f"/posts/{post.id}"


def test_a_decision_after_the_text_changed_says_who_changed_it(make, web, db_session, cabinet):
    """Marc edits the suggestion while the cabinet reads it: it goes back to review, out of the cabinet's hands."""
    post = _with_the_cabinet(make, cabinet)
    web.login(cabinet["sophie"])
    open_page = _text(web.get(f"/posts/{post.id}"))
    ops.edit_post(db_session, post, cabinet["marc"], "Fière de nos équipes, ce soir à Marseille.",
                  expected_version=post.version)

    answer = _decide(web, open_page, post, "accept", "Parfait pour Mme Marchand.")
    assert answer.status_code == 409
    page = _text(answer)
    # Back in review, the new text is not the cabinet's to read until it is sent again (cabinet M1): the page says
    # where it is, not "read the new version".
    assert (f"Marc Dupont changed this suggested message at {_at(db_session, post, Action.edit)}: it is back with "
            "its writers until a project manager sends it to you again.") in page
    assert "Fière de nos équipes, ce soir à Marseille." not in page
    assert _discussion_box(page) == "Parfait pour Mme Marchand."
    assert _state(db_session, post) is State.in_review


def test_a_project_managers_decision_after_a_colleague_rejected(make, web, db_session, cabinet):
    post = make.post(State.in_review, account=make.account(cabinet["france"], "x"), author=cabinet["camille"])
    web.login(cabinet["lucile"])
    open_page = _text(web.get(f"/posts/{post.id}"))
    make.act(post, Action.reject, cabinet["marc"], comment="Hors sujet.")

    answer = _decide(web, open_page, post, "request_changes", "Raccourcir la deuxième phrase.")
    assert answer.status_code == 409
    page = _text(answer)
    assert f"Marc Dupont rejected this post at {_at(db_session, post, Action.reject)}." in page
    assert "“Request changes” was not recorded" in page
    assert _discussion_box(page) == "Raccourcir la deuxième phrase."
    assert _state(db_session, post) is State.rejected


def test_a_decision_still_open_keeps_the_comment_in_its_form_and_goes_through_once_read(make, web, db_session,
                                                                                        cabinet):
    """Camille fixes a typo while Lucile reads the post: Lucile may still decide, on the new text, with her comment
    where she typed it."""
    post = make.post(State.in_review, account=make.account(cabinet["france"], "x"), author=cabinet["camille"],
                     body="Rendez-vous samedi au stade.")
    web.login(cabinet["lucile"])
    open_page = _text(web.get(f"/posts/{post.id}"))
    ops.edit_post(db_session, post, cabinet["camille"], "Rendez-vous samedi au stade Vélodrome.",
                  expected_version=post.version)

    answer = _decide(web, open_page, post, "request_changes", "Ajouter l’heure.")
    assert answer.status_code == 409
    page = _text(answer)
    assert f"Camille Dubois changed the text at {_at(db_session, post, Action.edit)}" in page
    assert "kept in the form below" in page
    assert _textarea(page, "comment", "decide") == "Ajouter l’heure."
    assert _discussion_box(page) == ""  # said once, where it belongs
    assert "Rendez-vous samedi au stade<ins> Vélodrome</ins>." in page  # compared with the text she read

    # Read, and sent again from the page it came back on: it goes through, on the new text.
    again = _decide(web, page, post, "request_changes", _textarea(page, "comment", "decide"))
    assert again.status_code == 302, _text(again)[:2000]
    assert _state(db_session, post) is State.changes_requested


def test_several_changes_are_each_said_in_order(make, web, db_session, cabinet):
    post = make.post(State.in_review, account=make.account(cabinet["france"], "x"), author=cabinet["camille"])
    web.login(cabinet["lucile"])
    open_page = _text(web.get(f"/posts/{post.id}"))
    make.act(post, Action.request_changes, cabinet["marc"], comment="Plus court.")
    ops.edit_post(db_session, post, cabinet["camille"], "Plus court.", expected_version=post.version)
    make.act(post, Action.submit, cabinet["camille"])

    page = _text(_decide(web, open_page, post, "approve", "Bien."))
    asked = page.index(f"Marc Dupont asked for changes at {_at(db_session, post, Action.request_changes)}.")
    changed = page.index("Camille Dubois changed the text at")
    submitted = page.index("Camille Dubois submitted for review at")
    assert asked < changed < submitted
    assert _textarea(page, "comment", "decide") == "Bien."  # approving is still hers to do


def test_a_page_from_before_the_trail_field_still_keeps_the_comment(make, web, db_session, cabinet):
    """A form that does not say which trail row its page showed (a page opened before this version): the general
    message, and the comment is kept all the same."""
    post = _with_the_cabinet(make, cabinet)
    version = post.version
    make.act(post, Action.accept, cabinet["agnes"])
    web.login(cabinet["sophie"])
    answer = web.post(f"/posts/{post.id}/actions/decline", {"version": version, "comment": REASON})
    assert answer.status_code == 409
    assert _textarea(_text(answer), "comment", "decide") == REASON  # declining (taking it back) is still hers to do


def test_the_decide_form_names_the_last_trail_row_its_page_showed(make, web, db_session, cabinet):
    post = make.post(State.in_review, account=make.account(cabinet["france"], "x"), author=cabinet["camille"])
    web.login(cabinet["lucile"])
    page = _text(web.get(f"/posts/{post.id}"))
    last = db_session.scalars(select(AuditEntry.id).where(AuditEntry.post_id == post.id)
                              .order_by(AuditEntry.id.desc())).first()
    assert _hidden(page, "decide")["seen"] == str(last)


# cabhub 8: a new draft lands where its pictures are added -----------------------------------------------------------


@pytest.mark.parametrize("role", [Role.project_manager, Role.community_manager])
def test_saving_a_new_draft_opens_its_editor_at_the_pictures(make, web, db_session, cabinet, role):
    account = cabinet["account"] if role is Role.project_manager else make.account(cabinet["france"], "x")
    web.login(cabinet["marc"] if role is Role.project_manager else cabinet["camille"])
    new = _text(web.get("/posts/new"))
    # Pictures and videos may be picked with the text; saved without, the editor is where they are added.
    assert "Add pictures or videos, saved with the text:" in new
    answer = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Bonne soirée à tous."})
    post = db_session.scalars(select(Post).where(Post.account_id == account.id)).one()
    assert post.state is State.draft
    assert answer.status_code in (302, 303)
    assert answer.headers["Location"] == f"/posts/{post.id}/edit#media-editor"
    page = _text(web.get(answer.headers["Location"]))
    assert "Saved as a draft: you can now add pictures and videos." in page
    assert 'id="media-editor"' in page


def test_saving_and_submitting_a_new_post_still_opens_its_page(make, web, db_session, cabinet):
    account = make.account(cabinet["france"], "x")
    web.login(cabinet["camille"])
    answer = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Bonne soirée à tous.",
                                     "submit": "1"})
    post = db_session.scalars(select(Post).where(Post.account_id == account.id)).one()
    assert post.state is State.in_review
    assert answer.headers["Location"] == f"/posts/{post.id}"


# admin 1: the language switch on a refused form's page ------------------------------------------------------------


def _switch_language(web: WebClient, page: str, language: str = "fr"):  # noqa: ANN202
    """Click the header's language button ``language`` on ``page``."""
    form = re.search(r'<form method="post" action="/language"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no language form"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    return web.post("/language", {**fields, "language": language})


def _refused_password(admin_web: WebClient, make, referrer: str | None):  # noqa: ANN001, ANN202
    user = make.user(Role.community_manager, name="Grace")
    headers = {"Referer": referrer} if referrer else {}
    refused = admin_web.post(f"/admin/users/{user.id}/password", {"password": "short", "confirm": "short"},
                             headers=headers)
    assert refused.status_code in (200, 422), refused.status_code
    return user, refused.get_data(as_text=True)


def test_the_language_switch_after_a_refused_form_returns_to_the_forms_page(admin_web, make):
    user = make.user(Role.community_manager, name="Grace")
    edit = f"http://localhost/admin/users/{user.id}/edit"
    refused = admin_web.post(f"/admin/users/{user.id}/password", {"password": "short", "confirm": "short"},
                             headers={"Referer": edit})
    switched = _switch_language(admin_web, refused.get_data(as_text=True))
    assert switched.status_code in (302, 303)
    assert switched.headers["Location"] == f"/admin/users/{user.id}/edit"
    landed = admin_web.get(switched.headers["Location"])
    assert landed.status_code == 200 and '<html lang="fr">' in landed.get_data(as_text=True)


@pytest.mark.parametrize("referrer", [None, "https://evil.example/admin/users/1/edit", "//evil.example/x",
                                      "http://localhost/admin/users/1/password", "http://localhost/admin/nowhere"])
def test_the_language_switch_never_leads_to_a_post_only_address_nor_away(admin_web, make, referrer):
    """No referrer, another site's, the POST-only address itself (a second refusal in a row), a page that is not:
    the nearest page above the address, never a 405 nor another site."""
    user, page = _refused_password(admin_web, make, referrer)
    switched = _switch_language(admin_web, page)
    assert switched.status_code in (302, 303)
    assert switched.headers["Location"] == "/admin/users"
    # A hand-made "next" naming a POST-only address is not followed either, nor another site.
    forged = admin_web.post("/language", {"language": "en", "next": f"/admin/users/{user.id}/password"})
    assert forged.headers["Location"] == "/admin/users"
    for away in ("https://evil.example/", "//evil.example/admin", "/\\evil.example"):
        assert admin_web.post("/language", {"language": "en", "next": away, "back": away}).headers["Location"] == "/"


def test_the_language_switch_on_a_publishing_settings_refusal_returns_to_the_settings(admin_web, make):
    """The second address the admin's walk found: a market's grace period refused, drawn at
    /publishing/settings/markets/ID; no referrer (a browser told to send none)."""
    france = make.market("FR")
    refused = admin_web.post(f"/publishing/settings/markets/{france.id}", {"grace_minutes": "-1"})
    assert refused.status_code in (200, 409, 422), refused.status_code
    switched = _switch_language(admin_web, refused.get_data(as_text=True))
    assert switched.headers["Location"] == "/publishing/settings"


def test_the_language_switch_after_a_refused_form_at_an_address_that_takes_a_get_stays_there(admin_web):
    """A refused form drawn at an address that also answers a GET (a new market's): the same address."""
    refused = admin_web.post("/admin/markets/new", {"code": "", "name": "", "timezone": "Europe/Paris"},
                             headers={"Referer": "http://localhost/admin/markets"})
    assert refused.status_code in (200, 422)
    switched = _switch_language(admin_web, refused.get_data(as_text=True))
    assert switched.headers["Location"] == "/admin/markets/new"


def test_the_language_switch_on_an_ordinary_page_keeps_its_address_and_query(admin_web):
    page = admin_web.get("/admin/users?role=admin").get_data(as_text=True)
    switched = _switch_language(admin_web, page)
    assert switched.headers["Location"] == "/admin/users?role=admin"


# cabhub 2: an open page awaiting a decision learns that it was taken ----------------------------------------------


def test_a_page_awaiting_a_decision_is_told_who_decided_meanwhile(make, web, db_session, cabinet):
    """The page's watch asks with the version and the trail's row it showed; the answer says what happened since, and
    the page shows it in a notice (static/post_watch.js), with no reload under a reason being typed."""
    post = _with_the_cabinet(make, cabinet)
    web.login(cabinet["sophie"])
    page = _text(web.get(f"/posts/{post.id}"))
    watch = re.search(r'<div id="post-watch" hidden data-url="([^"]+)"[^>]*data-notice="post-changed"', page)
    assert watch, "a page awaiting the cabinet watches the post, with a notice"
    assert 'id="post-changed"' in page and "Back to the suggested messages" in page
    url = unescape(watch.group(1))
    quiet = web.get(url).get_json()
    assert quiet["said"] is None  # nothing happened
    make.act(post, Action.accept, cabinet["agnes"])

    told = web.get(url).get_json()
    assert told["version"] != int(re.search(r'data-version="(\d+)"', page).group(1))
    assert told["said"] == [f"Agnès Roux accepted this suggested message at {_at(db_session, post, Action.accept)}."]


@pytest.mark.parametrize(("state", "watched"), [(State.draft, False), (State.in_review, True),
                                                (State.approved, False)])
def test_only_a_post_awaiting_a_decision_is_watched_for_one(make, web, cabinet, state, watched):
    post = make.post(state, account=make.account(cabinet["france"]), author=cabinet["camille"])
    web.login(cabinet["marc"])
    page = _text(web.get(f"/posts/{post.id}"))
    assert ('data-notice="post-changed"' in page) is watched
