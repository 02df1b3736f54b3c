"""A cabinet's trail of a suggestion names only the revisions it reads (invariant 4, ``access.revision_clause``).

Once a suggestion is back with its writers (the cabinet sent it back, or a writer changed it while the cabinet had
it), what they save is their drafting table until a project manager sends it again: the cabinet gets a 404 on those
revisions. Its trail (the API's transitions and the post page's history) still says that the writers changed the
text, who and when (the cabinet's page tells it "changed this suggested message ... back with its writers", commit
2d4a15f), but names no such revision: no number, no SHA-256. The writers and the project managers read every row with
its revision, as before."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from approval import administration as admin
from approval import operations as ops
from approval.api.tokens import issue_token
from approval.models import Revision
from approval.workflow.states import Action, Role, State

SENT = "Fière de nos équipes ce soir."
DRAFT = "BROUILLON INTERNE — à revoir avec Marc, ne pas montrer au cabinet."
AGAIN = "Fiers de nos équipes, ce soir comme chaque soir."


@pytest.fixture()
def office(make, db_session, app):
    """Hélène Marchand's X account in France, her cabinet (Sophie), Camille and Marc who write for her and Lucile who
    sends her suggestions; each with an API token."""
    france = make.market("FR")
    helene = make.executive("Hélène Marchand")
    people = SimpleNamespace(
        sophie=make.user(Role.cabinet, executives=[helene], name="Sophie Bernard"),
        camille=make.user(Role.community_manager, markets=[france], name="Camille Dubois"),
        marc=make.user(Role.community_manager, markets=[france], name="Marc Lefèvre"),
        lucile=make.user(Role.project_manager, markets=[france], name="Lucile Tardieu"),
    )
    people.account = make.account(france, "x", executive=helene)
    people.api = app.test_client()
    people.headers = {who: {"Authorization": f"Bearer {issue_token(db_session, getattr(people, who), 'script')[1]}"}
                      for who in ("sophie", "camille", "lucile")}
    return people


def _sent_back_and_edited(make, office, db_session):  # noqa: ANN202
    """Revision 1 sent to the cabinet, which asks for changes; Camille saves revision 2, not sent again."""
    post = make.post(State.in_review, account=office.account, author=office.camille, body=SENT)
    make.act(post, Action.approve, office.lucile)
    make.act(post, Action.request_changes, office.sophie, comment="Plus personnel, sans hashtag.")
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    db_session.flush()
    assert post.state is State.changes_requested and post.current_revision.number == 2
    return post


def _trail(office, post, who: str) -> list[dict]:
    response = office.api.get(f"/api/v1/posts/{post.id}/transitions", headers=office.headers[who])
    assert response.status_code == 200
    return response.get_json()["items"]


def _history(web, post) -> str:
    """The post page's history (its side card), as text between its tags."""
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    found = re.search(r'<ol class="history">(.*?)</ol>', page, re.S)
    assert found is not None
    return found.group(1)


def _named_in_history(history: str) -> list[int]:
    return [int(n) for n in re.findall(r">r(\d+)<", history)]


def _digests(db_session, post) -> dict[int, str]:
    return dict(db_session.execute(select(Revision.number, Revision.sha256).where(Revision.post_id == post.id)).all())


def _readable(office, post, who: str) -> dict[int, str]:
    """The revisions ``who`` reads through the API, by number: their SHA-256."""
    items = office.api.get(f"/api/v1/posts/{post.id}/revisions", headers=office.headers[who]).get_json()["items"]
    return {item["number"]: item["sha256"] for item in items}


def _assert_names_only_what_it_reads(office, post, trail: list[dict], who: str) -> None:
    readable = _readable(office, post, who)
    for row in trail:
        if row["revision"] is not None:
            assert readable.get(row["revision"]["number"]) == row["revision"]["sha256"], row


def test_the_cabinets_trail_keeps_the_writers_edit_without_naming_the_draft(make, web, office, db_session):
    post = _sent_back_and_edited(make, office, db_session)
    draft_sha = _digests(db_session, post)[2]
    assert office.api.get(f"/api/v1/posts/{post.id}/revisions/2", headers=office.headers["sophie"]).status_code == 404

    response = office.api.get(f"/api/v1/posts/{post.id}/transitions", headers=office.headers["sophie"])
    assert draft_sha not in response.get_data(as_text=True)
    trail = response.get_json()["items"]
    _assert_names_only_what_it_reads(office, post, trail, "sophie")
    # The edit stays in the trail (who changed it and when, as its page says), without its revision.
    edits = [row for row in trail if row["action"] == "edit"]
    assert [(row["actor_id"], row["revision"]) for row in edits] == [(office.camille.id, None)]
    assert [row["action"] for row in trail] == ["approve", "request_changes", "edit"]
    assert [row["revision"]["number"] for row in trail[:2]] == [1, 1]

    web.login(office.sophie)
    history = _history(web, post)
    assert _named_in_history(history) == [1, 1]
    assert "Camille Dubois" in history  # her edit is told, not its revision
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert draft_sha not in page and "?r=2" not in page and "r=2&" not in page


def test_a_text_changed_while_the_cabinet_had_it_is_not_named_to_it_until_sent_again(make, web, office, db_session):
    post = make.post(State.in_review, account=office.account, author=office.camille, body=SENT)
    make.act(post, Action.approve, office.lucile)
    ops.edit_post(db_session, post, office.camille, DRAFT, expected_version=post.version)
    make.act(post, Action.request_changes, office.lucile, comment="Non, pas ce mot.")
    db_session.flush()
    draft_sha = _digests(db_session, post)[2]
    trail = _trail(office, post, "sophie")
    _assert_names_only_what_it_reads(office, post, trail, "sophie")
    assert [(row["action"], row["revision"] and row["revision"]["number"]) for row in trail] == [
        ("approve", 1), ("edit", None), ("request_changes", None)]
    web.login(office.sophie)
    history = _history(web, post)
    assert _named_in_history(history) == [1] and draft_sha not in history


def test_once_sent_again_the_cabinet_reads_the_new_revision_in_its_trail_but_never_the_drafts_between(
        make, web, office, db_session):
    post = _sent_back_and_edited(make, office, db_session)
    ops.edit_post(db_session, post, office.marc, AGAIN, expected_version=post.version)
    make.act(post, Action.submit, office.camille)
    make.act(post, Action.approve, office.lucile)
    db_session.flush()
    digests = _digests(db_session, post)
    trail = _trail(office, post, "sophie")
    _assert_names_only_what_it_reads(office, post, trail, "sophie")
    assert [(row["action"], row["revision"] and row["revision"]["number"]) for row in trail] == [
        ("approve", 1), ("request_changes", 1), ("edit", None), ("edit", 3), ("submit", 3), ("approve", 3)]
    assert digests[2] not in str(trail)

    web.login(office.sophie)
    history = _history(web, post)
    assert _named_in_history(history) == [1, 1, 3, 3, 3]
    # What changed since its request: revision 3, by both writers (the draft between them was Camille's).
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "this is revision 3, changed by Camille Dubois and Marc Lefèvre" in page
    assert digests[2] not in page


@pytest.mark.parametrize("who", ["lucile", "camille"])
def test_the_writers_and_the_project_managers_read_every_revision_in_the_trail(make, web, office, db_session, who):
    post = _sent_back_and_edited(make, office, db_session)
    digests = _digests(db_session, post)
    trail = _trail(office, post, who)
    named = [(row["action"], row["revision"]["number"], row["revision"]["sha256"]) for row in trail]
    assert named == [("create", 1, digests[1]), ("submit", 1, digests[1]), ("approve", 1, digests[1]),
                     ("request_changes", 1, digests[1]), ("edit", 2, digests[2])]
    web.login(getattr(office, who))
    assert _named_in_history(_history(web, post)) == [1, 1, 1, 1, 2]


def test_a_writers_comment_on_a_draft_does_not_name_it_to_the_cabinet(make, web, office, db_session):
    """The discussion follows the same rule: Camille's comment written on her draft is the cabinet's to read, not the
    revision it was written on."""
    post = _sent_back_and_edited(make, office, db_session)
    ops.add_comment(db_session, post, office.camille, "J’ai retiré le hashtag.")
    db_session.flush()
    draft_sha = _digests(db_session, post)[2]
    response = office.api.get(f"/api/v1/posts/{post.id}/comments", headers=office.headers["sophie"])
    assert draft_sha not in response.get_data(as_text=True)
    said = {item["body"]: item["revision"] for item in response.get_json()["items"]}
    assert said["J’ai retiré le hashtag."] is None
    assert said["Plus personnel, sans hashtag."]["number"] == 1
    writers = office.api.get(f"/api/v1/posts/{post.id}/comments", headers=office.headers["lucile"]).get_json()
    assert [item["revision"]["number"] for item in writers["items"]] == [1, 2]


def test_a_campaign_moved_in_a_draft_is_told_to_the_cabinet_without_the_drafts_number(make, web, office, db_session):
    """The page's comparison of the two revisions the cabinet was sent says the campaign moved between them, as it
    says it to the project managers, without naming the draft that moved it."""
    euro = admin.create_campaign(db_session, "Euro 2028", office.account.market, "#EURO2028")
    post = make.post(State.in_review, account=office.account, author=office.camille, body=SENT)
    make.act(post, Action.approve, office.lucile)
    make.act(post, Action.request_changes, office.sophie, comment="Pour l’Euro.")
    ops.edit_post(db_session, post, office.camille, SENT, campaign=euro, expected_version=post.version)
    ops.edit_post(db_session, post, office.marc, f"{AGAIN} #EURO2028", expected_version=post.version)
    make.act(post, Action.submit, office.camille)
    make.act(post, Action.approve, office.lucile)
    db_session.flush()
    web.login(office.sophie)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Changes from revision 1 to revision 3" in page
    assert "Campaign: none → Euro 2028</p>" in page and "(revision 2)" not in page
    web.login(office.lucile)
    page = web.get(f"/posts/{post.id}?diff_from=1&diff_to=3").get_data(as_text=True)
    assert "Campaign: none → Euro 2028 (revision 2)" in page


def test_a_row_about_a_draft_keeps_nothing_of_its_text_for_the_cabinet(make, office, db_session):
    """A submission records the style findings of the text it submits (their terms, their offsets): of a draft, the
    cabinet's trail keeps the row, and its policy version, but not what it says of the draft's text."""
    post = _sent_back_and_edited(make, office, db_session)
    make.act(post, Action.submit, office.camille)
    db_session.flush()
    theirs = ops.audit_trail(db_session, post, office.lucile)[-1]
    assert theirs.action is Action.submit and theirs.revision.number == 2 and "findings" in theirs.payload
    row = ops.audit_trail(db_session, post, office.sophie)[-1]
    assert row.action is Action.submit and row.actor is office.camille
    assert row.revision is None and row.revision_id is None
    assert "findings" not in row.payload and row.payload["policy_version"] == theirs.payload["policy_version"]
    assert "findings" in theirs.payload  # the row itself is unchanged (the trail is append-only)
