"""The journey in a few lines, through the forms: write, submit, request changes, fix, approve, schedule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from approval.db import utcnow

from approval.models import Post
from approval.workflow.states import Action, Role, State
from tests.said_helpers import said_in_english


def test_community_manager_to_scheduled(make, web, db_session):
    market = make.market("FR")
    account = make.account(market, "x")
    cm = make.user(Role.community_manager, markets=[market])
    pm = make.user(Role.project_manager, markets=[market])

    web.login(cm)
    response = web.post("/posts/new", {"account_id": account.id, "campaign_id": "", "body": "Bonjour la France.",
                                       "submit": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    post = db_session.scalars(select(Post)).one()
    assert post.state is State.in_review

    web.login(pm)
    response = web.post(f"/posts/{post.id}/actions/approve", {"version": post.version})
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(post)
    assert post.state is State.approved
    today = utcnow().date()
    june = date(today.year if date(today.year, 6, 1) > today else today.year + 1, 6, 1)  # within a year
    response = web.post(f"/posts/{post.id}/actions/schedule", {"version": post.version,
                                                               "local_time": f"{june.isoformat()}T09:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(post)
    assert post.state is State.scheduled
    assert post.scheduled_at.isoformat() == f"{june.isoformat()}T07:00:00+00:00"


def test_a_project_manager_who_wrote_the_revision_is_told_why_there_is_no_approve(make, web, db_session):
    """Invariant 1 on the page: the author of a revision never approves it, and the page says so instead of simply
    lacking the button; another project manager sees the button and no such note."""
    from approval import operations as ops

    market = make.market("FR")
    pm, other = make.user(Role.project_manager, markets=[market]), make.user(Role.project_manager, markets=[market])
    post = make.post(State.in_review, account=make.account(market), reviewer=pm)
    ops.edit_post(db_session, post, pm, "La Tour Eiffel brille ce soir.", expected_version=post.version)
    db_session.flush()
    assert post.state is State.in_review and post.current_revision.author_id == pm.id
    note = "You wrote this revision: another project manager must approve it."
    web.login(pm)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert note in page and f"/posts/{post.id}/actions/approve" not in page
    web.login(other)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert note not in page and f"/posts/{post.id}/actions/approve" in page


def test_the_icon_a_browser_asks_for_beside_the_login_page_sets_no_session(app):
    """Asked for in parallel with the first page, a 404 page would start a session of its own whose cookie could
    replace the login form's (its form token then refused: "this form expired"). The icon touches no session."""
    client = app.test_client()
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert "Set-Cookie" not in answer.headers


def test_a_new_post_form_sent_twice_makes_one_post(make, web, db_session):
    """Back after "Save and submit", then the same button again: a second identical post was made and submitted.
    The form carries a key; sent again, it leads to the post it made."""
    import re

    market = make.market("FR")
    account = make.account(market, "x")
    web.login(make.user(Role.community_manager, markets=[market]))
    page = web.get("/posts/new").get_data(as_text=True)
    key = re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)
    form = {"account_id": account.id, "campaign_id": "", "body": "Bonjour la France.", "submit": "1",
            "form_key": key}
    first = web.post("/posts/new", form)
    post = db_session.scalars(select(Post)).one()
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/posts/{post.id}")
    again = web.post("/posts/new", form)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/posts/{post.id}")
    assert db_session.scalars(select(Post)).all() == [post]
    shown = web.get(again.headers["Location"]).get_data(as_text=True)
    assert "This form was sent already: here is the post it made." in shown
    another = web.get("/posts/new").get_data(as_text=True)
    assert key not in another, "each new form has a key of its own"
    assert web.post("/posts/new", {**form, "form_key": re.search(
        r'name="form_key" type="hidden" value="([^"]+)"', another).group(1)}).status_code == 302
    assert len(db_session.scalars(select(Post)).all()) == 2


def test_the_new_post_form_offers_the_brands_accounts_before_an_executives(make, web):
    """An executive's LinkedIn sorted first ("linkedin" < "x") was chosen by default: a suggested message nobody
    meant to write."""
    import re

    market = make.market("FR")
    brand = make.account(market, "x")
    make.account(market, "linkedin", executive=make.executive("Hélène Marchand"))
    web.login(make.user(Role.community_manager, markets=[market]))
    page = web.get("/posts/new").get_data(as_text=True)
    options = re.findall(r'<option (?:selected )?value="(\d+)"', page[page.index('name="account_id"'):])
    assert options[0] == str(brand.id), options


def test_the_decision_that_sent_a_post_back_heads_its_page(make, web):
    """The author looking for what to fix found the request at the bottom of the page, below a tall preview: the
    decision that left the post where it stands (who, when, what they said) now heads it, with the way on."""
    market = make.market("FR")
    author = make.user(Role.community_manager, markets=[market])
    reviewer = make.user(Role.project_manager, markets=[market], name="Lucile")
    post = make.post(State.in_review, account=make.account(market, "x"), author=author)
    make.act(post, Action.request_changes, reviewer, comment="Ajoutez un texte alternatif, merci.")
    web.login(author)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    head = page[page.index('class="post-head"'):page.index('class="columns"')]
    assert "Lucile asked for changes on" in head and "Ajoutez un texte alternatif, merci." in head
    assert f'href="/posts/{post.id}/edit"' in head
    # And beside the editor, while the author makes the change.
    editor = web.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert "Lucile asked for changes on" in editor and "Ajoutez un texte alternatif, merci." in editor
    make.act(post, Action.submit, author)
    make.act(post, Action.reject, reviewer, comment="Hors sujet.")
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    head = page[page.index('class="post-head"'):page.index('class="columns"')]
    assert "Lucile rejected this post on" in head and "Hors sujet." in head and "/edit" not in head


def test_a_suggestion_with_the_cabinet_is_not_told_as_approved(make, web):
    """The cabinet read "This is the approved revision." on a suggestion it had not decided yet."""
    market = make.market("FR")
    ceo = make.executive("Hélène Marchand")
    post = make.post(State.in_review, account=make.account(market, "linkedin", executive=ceo))
    make.user(Role.cabinet, executives=[ceo])
    reviewer = make.user(Role.project_manager, markets=[market])
    make.act(post, Action.approve, reviewer)
    assert post.state is State.with_cabinet and post.approved_revision_id == post.current_revision_id
    web.login(reviewer)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "approved this revision and sent it to the cabinet of Hélène Marchand; its answer is awaited." in page
    assert "This is the approved revision." not in page


def test_the_history_tells_what_each_person_did(make, web):
    """The history read as orders ("Camille · submit", "créer r1"): it says what was done, in the past tense."""
    import re

    market = make.market("FR")
    author = make.user(Role.community_manager, markets=[market], name="Camille")
    reviewer = make.user(Role.project_manager, markets=[market], name="Lucile")
    post = make.post(State.in_review, account=make.account(market, "x"), author=author)
    make.act(post, Action.request_changes, reviewer, comment="Le lien.")

    def history(page: str) -> list[str]:
        part = page[page.index('class="history"'):page.index("</ol>", page.index('class="history"'))]
        return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in part.split("<li>")[1:]]

    web.login(author)
    lines = history(web.get(f"/posts/{post.id}").get_data(as_text=True))
    assert any("Camille · created" in line for line in lines), lines
    assert any("Camille · submitted for review" in line for line in lines), lines
    assert any("Lucile · requested changes" in line for line in lines), lines
    lines = history(web.get(f"/posts/{post.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True))
    assert any("Lucile · a demandé des modifications" in line for line in lines), lines


def test_a_move_is_one_line_of_the_history_with_its_new_time(app, make, web, db_session):
    """A move (the calendar's drag, a new time on the page) is an unschedule then a schedule: the history told an
    "unschedule" nobody asked for. One line says it moved, and each schedule says to when."""
    import re
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from approval.db import utcnow

    market = make.market("FR")
    reviewer = make.user(Role.project_manager, markets=[market], name="Lucile")
    post = make.post(State.scheduled, account=make.account(market, "x"), reviewer=reviewer)
    later = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Europe/Paris")).replace(hour=18, minute=0)
    web.login(reviewer)
    answer = web.post("/calendar/move", {"post_id": post.id, "version": post.version, "tz": "Europe/Paris",
                                         "local_time": later.strftime("%Y-%m-%dT%H:%M")})
    assert answer.status_code in (200, 302, 303), answer.get_data(as_text=True)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    part = page[page.index('class="history"'):page.index("</ol>", page.index('class="history"'))]
    lines = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in part.split("<li>")[1:]]
    assert not any("unscheduled" in line for line in lines), lines
    moved = [line for line in lines if "Lucile · moved to " in line]
    assert len(moved) == 1 and f"moved to {said_in_english(app, later, 'Europe/Paris')}" in moved[0], lines
    assert any("scheduled for" in line for line in lines), lines  # the first schedule says its time too


def test_an_address_on_another_network_is_refused_and_kept_in_the_form(make, web):
    """"This address is not on X": refused, and the field keeps what was typed, for the typo to be fixed."""
    market = make.market("FR")
    post = make.post(State.approved, account=make.account(market, "x"))
    web.login(make.user(Role.project_manager, markets=[market]))
    typed = "https://www.facebook.com/HelioFrance/posts/1"
    answer = web.post(f"/posts/{post.id}/actions/mark_published", {"version": post.version, "url": typed})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "This address is not on X (x.com, twitter.com)" in page
    assert f'value="{typed}"' in page
