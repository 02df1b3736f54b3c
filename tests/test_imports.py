"""Posts imported from a spreadsheet (``approval.imports``, ``/posts/import``): a CSV file checked row by row with
nothing written, then every post made as a draft (or submitted for review) in one transaction, or none; each row's
proposed time read in its account's market zone."""

from __future__ import annotations

import csv
import html
import io
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import make_url, select

from approval import imports
from approval import operations as ops
from approval.db import utcnow
from approval.administration import create_campaign
from approval.models import Account, AuditEntry, Post, PostImport, Revision
from approval.models.imports import ImportedPost
from approval.publishing import controls
from approval.workflow.states import Action, Role, State

from conftest import Factory, WebClient, app_session, committed_app, row_counts
from test_reading_first import _write as other_write

PARIS, NAIROBI = ZoneInfo("Europe/Paris"), ZoneInfo("Africa/Nairobi")


def _day_ahead(days: int = 10) -> date:
    return (utcnow() + timedelta(days=days)).date()


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _next_change(month: int) -> date:
    """The next last Sunday of ``month`` in Europe (March: the clocks skip 02:00-03:00; October: they repeat
    02:00-03:00), a day or more away."""
    today = utcnow().date()
    for year in (today.year, today.year + 1):
        day = _last_sunday(year, month)
        if day > today + timedelta(days=1):
            return day
    raise AssertionError("no change of the clocks within a year")


def _text(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _csv(*rows: str, header: str = "account,text,proposed time,campaign") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _check(web, data: bytes, name: str = "posts.csv"):  # noqa: ANN001, ANN202
    return web.post("/posts/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _hidden(page, name: str) -> str:  # noqa: ANN001
    match = re.search(rf'name="{name}" value="([^"]*)"', page.get_data(as_text=True))
    assert match, "no create form on the page"
    return html.unescape(match.group(1))


def _content(page) -> str:  # noqa: ANN001
    return _hidden(page, "content")


def _create(web, page, *, content: str | None = None, submit: bool = False):  # noqa: ANN001, ANN202
    """The check page's "Create" button: its content and form key sent back (``page`` a string: that content, as a
    page of its own would send it, with a form key of its own)."""
    if isinstance(page, str):
        content, key = page, secrets.token_urlsafe(16)
    else:
        content, key = content if content is not None else _content(page), _hidden(page, "key")
    data = {"content": content, "key": key, **({"submit": "1"} if submit else {})}
    return web.post("/posts/import/create", data, content_type="multipart/form-data")


@pytest.fixture()
def world(make, db_session):  # noqa: ANN001, ANN201
    france = make.market("FR")
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    spain = make.market("ES", "Europe/Madrid", ("es",))
    writer = make.user(Role.community_manager, markets=[france, kenya], name="Camille Writer")
    fr = make.account(france, "x")
    ke = make.account(kenya, "facebook")
    es = make.account(spain, "x")  # a market the writer does not see
    campaign = create_campaign(db_session, "Spring", france, "#Spring")
    kenyan = create_campaign(db_session, "Harambee", kenya, "#Harambee")
    return {"writer": writer, "fr": fr, "ke": ke, "es": es, "campaign": campaign, "kenyan": kenyan,
            "france": france, "kenya": kenya}


def _name(account) -> str:  # noqa: ANN001
    return f"{account.network.value} @{account.handle}"


# Checked, then made ---------------------------------------------------------------------------------------------


def test_three_rows_in_two_zones_are_checked_then_made_as_drafts(web, db_session, world):
    day = _day_ahead().isoformat()
    data = _csv(f"{_name(world['fr'])},Ce soir à Paris.,{day} 20:00,Spring",
                f"{_name(world['ke'])},Tonight in Nairobi.,{day} 20:00,",
                f"X @{world['fr'].handle.upper()},Sans heure proposée.,,")
    before = row_counts(db_session, Post, Revision, AuditEntry)
    web.login(world["writer"])
    page = _check(web, data)
    assert page.status_code == 200, _text(page)[:2000]
    text = _text(page)
    assert "3 rows checked, no error." in text
    assert "Create 3 drafts" in text and "Create and submit 3 posts for review" in text
    assert f"FR · X · @{world['fr'].handle}" in text and f"KE · Facebook · @{world['ke'].handle}" in text
    assert "(Europe/Paris, UTC+01:00)" in text or "(Europe/Paris, UTC+02:00)" in text
    assert "(Africa/Nairobi, UTC+03:00)" in text
    assert row_counts(db_session, Post, Revision, AuditEntry) == before  # nothing written by the check

    answer = _create(web, page)
    assert answer.status_code == 303, _text(answer)[:2000]
    posts = db_session.scalars(select(Post).where(Post.created_by_id == world["writer"].id).order_by(Post.id)).all()
    assert [(p.account_id, p.state, p.body) for p in posts] == [
        (world["fr"].id, State.draft, "Ce soir à Paris."), (world["ke"].id, State.draft, "Tonight in Nairobi."),
        (world["fr"].id, State.draft, "Sans heure proposée.")]
    local = datetime.combine(_day_ahead(), datetime.min.time()).replace(hour=20)
    assert posts[0].proposed_at == local.replace(tzinfo=PARIS).astimezone(UTC)
    assert posts[1].proposed_at == local.replace(tzinfo=NAIROBI).astimezone(UTC)
    assert posts[0].proposed_at != posts[1].proposed_at and posts[2].proposed_at is None
    assert posts[0].campaign_id == world["campaign"].id and posts[1].campaign_id is None
    creates = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id.in_([p.id for p in posts]))).all()
    assert sorted((e.post_id, e.action) for e in creates) == sorted((p.id, Action.create) for p in posts)
    assert {e.post_id: e.payload.get("proposed_at") for e in creates}[posts[1].id] == posts[1].proposed_at.isoformat()
    assert all(p.current_revision.number == 1 for p in posts)

    done = web.get(answer.headers["Location"])
    said = _text(done)
    assert "3 drafts imported." in said
    for post in posts:
        assert f'href="/posts/{post.id}"' in done.get_data(as_text=True)


def test_a_time_the_clocks_skip_refuses_the_file_and_writes_nothing(web, db_session, world):
    skipped = _next_change(3).isoformat()
    data = _csv(f"{_name(world['fr'])},Bonne nuit.,{skipped} 02:30,",
                f"{_name(world['ke'])},Fine row.,{_day_ahead()} 09:00,")
    before = row_counts(db_session, Post, Revision, AuditEntry)
    web.login(world["writer"])
    page = _check(web, data)
    assert page.status_code == 422
    text = _text(page)
    assert "1 row has errors: nothing can be imported until it is fixed." in text
    assert "The clocks skip from 02:00 to 03:00 in Europe/Paris on that day: choose 03:00 or later." in text
    assert 'action="/posts/import/create"' not in page.get_data(as_text=True)  # no create button
    # Sent to the second step all the same (a page kept from before, a script): checked again, nothing made.
    answer = _create(web, data.decode())
    assert answer.status_code == 422
    assert "nothing was imported" in _text(answer)
    assert row_counts(db_session, Post, Revision, AuditEntry) == before


def test_an_account_of_another_market_reads_as_an_unknown_one(web, db_session, world):
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['es'])},Hola.,,", "x @nobody_here,Hola.,,"))
    assert page.status_code == 422
    errors = re.findall(r'<p class="error">([^<]*)</p>', page.get_data(as_text=True))
    assert len(errors) == 2
    assert errors[0].replace(world["es"].handle, "H") == errors[1].replace("nobody_here", "H")
    assert "Unknown account" in html.unescape(errors[0])
    assert "ES ·" not in _text(page) and "Madrid" not in _text(page)  # nothing of the account is told


def test_row_errors_are_precise(web, db_session, world):
    day = _day_ahead()
    data = _csv(f"{_name(world['fr'])},  ,,",
                f"{_name(world['fr'])},{'a' * 63207},,",
                f"{_name(world['fr'])},Passé.,2020-01-01 10:00,",
                f"{_name(world['fr'])},Trop loin.,{(day + timedelta(days=400)).isoformat()} 10:00,",
                f"{_name(world['fr'])},Format.,28/03/2027 20:00,",
                f"{_name(world['fr'])},Campagne.,,Nope",
                f"{_name(world['fr'])},Campagne.,,Harambee",
                ",Sans compte.,,")
    web.login(world["writer"])
    text = _text(_check(web, data))
    assert "8 rows have errors" in text
    for said in ("The post has no text.", "The text has 63,207 characters; no network takes more than 63,206.",
                 "The proposed time is in the past.", "This time is more than a year ahead",
                 "“28/03/2027 20:00” is not a time: write it as YYYY-MM-DD HH:MM",
                 "Unknown campaign “Nope”", "This campaign belongs to another market.", "No account:"):
        assert said in text, said


def test_a_repeated_time_asks_which_and_a_fold_column_answers(web, db_session, world):
    twice = _next_change(10).isoformat()
    web.login(world["writer"])
    text = _text(_check(web, _csv(f"{_name(world['fr'])},Deux fois.,{twice} 02:30,")))
    assert "This time happens twice in Europe/Paris" in text
    assert "Add a column “fold” and write “first” or “second” on this row." in text
    page = _check(web, _csv(f"{_name(world['fr'])},Deux fois.,{twice} 02:30,,second",
                            header="account,text,proposed time,campaign,fold"))
    assert page.status_code == 200, _text(page)[:2000]
    _create(web, page)
    post = db_session.scalar(select(Post).where(Post.account_id == world["fr"].id))
    assert post.proposed_at == datetime.fromisoformat(f"{twice}T01:30:00+00:00")  # the second: 02:30 CET


def test_a_french_excel_file_with_semicolons_and_a_bom(web, db_session, world):
    day = _day_ahead().isoformat()
    data = ("\ufeffcompte;texte;heure proposée;campagne\r\n"
            f"{_name(world['fr'])};\"Bonjour; à ce soir\";{day} 20:00;spring\r\n").encode()
    web.login(world["writer"])
    page = _check(web, data)
    assert page.status_code == 200, _text(page)[:2000]
    _create(web, page)
    post = db_session.scalar(select(Post).where(Post.account_id == world["fr"].id))
    assert post.body == "Bonjour; à ce soir" and post.campaign_id == world["campaign"].id


def test_limits_are_clear_refusals(web, db_session, world):
    web.login(world["writer"])
    rows = [f"{_name(world['fr'])},Texte {n}.,," for n in range(501)]
    page = _check(web, _csv(*rows))
    assert page.status_code == 422
    assert "The file has more than 500 rows: at most 500 are imported at once." in _text(page)
    big = _check(web, _csv(f"{_name(world['fr'])},{'a' * 1_000_001},,"))
    assert big.status_code == 422 and "The file is larger than 1 MB" in _text(big)
    latin1 = _check(web, "account,text\nx @a,Été\n".encode("latin-1"))
    assert latin1.status_code == 422 and "The file is not UTF-8 text" in _text(latin1)
    unknown = _check(web, b"account,body\nx @a,b\n")
    assert unknown.status_code == 422 and "Unknown column “body”" in _text(unknown)
    nul = _check(web, b"account\x00,text\nx @a,b\n")
    assert nul.status_code == 422
    assert "The header row holds a control character (such as NUL): remove it." in _text(nul)
    assert "\x00" not in nul.get_data(as_text=True)
    nothing = web.post("/posts/import", {}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and "Choose a CSV file to check." in _text(nothing)
    assert row_counts(db_session, Post) == (0,)


def test_the_same_file_sent_twice_makes_its_posts_once(web, db_session, world):
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['fr'])},Une fois.,,", f"{_name(world['ke'])},Once.,,"))
    content = _content(page)
    first = _create(web, page)
    second = _create(web, page, content=content.replace("\n", "\r\n"))  # as a browser sends the field back
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert row_counts(db_session, Post) == (2,)
    assert "This file was imported already: here are its posts." in _text(web.get(second.headers["Location"]))
    # The check page says so too, and that creating from it makes the posts again.
    assert "You imported this file already" in _text(_check(web, content.encode()))


def test_a_second_create_with_the_cookie_from_before_the_first_answered_makes_nothing(web, db_session, world):
    """A double click, a reload or a retry while a large import runs: the second request carries the session
    cookie as it was before the first one answered. The database knows the import, not the cookie."""
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['fr'])},Une seule fois.,,", f"{_name(world['ke'])},Only once.,,"))
    cookies = [(c.key, c.value, c.domain, c.path) for c in web.client._cookies.values()]
    first = _create(web, page)
    assert first.status_code == 303
    for key, value, domain, path in cookies:
        web.client.set_cookie(key, value, domain=domain, path=path)
    second = _create(web, page)
    assert second.status_code == 303
    assert row_counts(db_session, Post) == (2,)
    assert second.headers["Location"] == first.headers["Location"]
    done = web.get(second.headers["Location"])
    said = _text(done)
    assert "This file was imported already: here are its posts." in said
    posts = db_session.scalars(select(Post).order_by(Post.id)).all()
    assert all(f'href="/posts/{post.id}"' in done.get_data(as_text=True) for post in posts)


def test_the_same_file_checked_again_is_a_new_import(web, db_session, world):
    """Checked again, the same file is imported again (on purpose: the check page says it was imported before)."""
    web.login(world["writer"])
    data = _csv(f"{_name(world['fr'])},Encore.,,")
    first = _create(web, _check(web, data))
    again = _check(web, data)
    assert "You imported this file already" in _text(again)
    second = _create(web, again)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] != second.headers["Location"]
    assert row_counts(db_session, Post, PostImport) == (2, 2)


def test_the_done_page_shows_only_the_users_own_imports(make, web, db_session, world):
    web.login(world["writer"])
    made = _create(web, _check(web, _csv(f"{_name(world['fr'])},À moi.,,")))
    assert made.status_code == 303
    assert web.get(made.headers["Location"]).status_code == 200
    other = make.user(Role.project_manager, markets=[world["france"]])
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(other)
    assert web.get(made.headers["Location"]).status_code == 404
    assert web.get("/posts/import/done?file=nope").status_code == 404
    assert web.get("/posts/import/done").status_code == 302  # none of theirs: the import page


def test_two_creates_at_once_make_the_posts_once(backend, databases, tmp_path_factory, monkeypatch):
    """Two requests for one import at the same moment (a double click, two tabs of one check page): the second
    waits on the import's unique key (PostgreSQL) or the write lock (SQLite) and finds it made."""
    app = committed_app(databases, backend, tmp_path_factory)
    for session in app_session(app):
        make = Factory(session)
        france = make.market("FR")
        writer = make.user(Role.community_manager, markets=[france])
        accounts = [make.account(france, "x") for _ in range(3)]
        session.commit()
        for loaded in (writer, *accounts):  # read by the test after its session closes
            session.refresh(loaded)
            session.expunge(loaded)
    clients = [WebClient(app.test_client()) for _ in range(2)]
    for client in clients:  # two browser sessions: no cookie between them
        client.login(writer)
    page = _check(clients[0], _csv(*(f"{_name(a)},Ensemble {n}.,," for n, a in enumerate(accounts))))
    assert page.status_code == 200, _text(page)[:1000]

    inside = threading.Event()
    create_posts = imports.create_posts

    def slow_create_posts(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the first holds its transaction open
        if not inside.is_set():
            inside.set()
            time.sleep(1.0)
        return create_posts(*args, **kwargs)

    monkeypatch.setattr(imports, "create_posts", slow_create_posts)
    answers: dict[int, object] = {}

    def send(index: int) -> None:
        answers[index] = _create(clients[index], page)

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=send, args=(1,))
    second.start()
    first.join(30)
    second.join(30)
    assert [answers[i].status_code for i in (0, 1)] == [303, 303], [_text(answers[i])[:500] for i in answers]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    for session in app_session(app):
        assert row_counts(session, Post, PostImport) == (3, 1)
    said = _text(clients[1].get(answers[1].headers["Location"]))
    assert "This file was imported already: here are its posts." in said


def test_a_file_too_large_once_its_line_breaks_are_doubled_is_refused_at_the_check(web, db_session, world):
    """The page sends the checked content back with CRLF line breaks: a file under 1 MB with LF that grows past the
    form's cap then would be refused at "Create" (413). The check refuses it, and says why."""
    web.login(world["writer"])
    body = "a\n" * 24000
    data = _csv(*(f'{_name(world["ke"])},"{body}",,' for _ in range(20)))
    assert len(data) < imports.MAX_BYTES < len(data) + data.count(b"\n")
    page = _check(web, data)
    assert page.status_code == 422
    assert "once its line breaks are counted" in _text(page)
    assert 'name="content"' not in page.get_data(as_text=True)


def test_create_and_submit_puts_the_posts_in_review_a_refused_one_stays_a_draft(web, db_session, world):
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['fr'])},Une phrase correcte.,,",
                            f"{_name(world['fr'])},{'Trop long pour X. ' * 30},,"))
    text = _text(page)
    assert page.status_code == 200, text[:2000]
    assert "X counts" in text or "280" in text  # the style gate's finding for the X account, on its row
    answer = _create(web, page, submit=True)
    assert answer.status_code == 303
    posts = db_session.scalars(select(Post).where(Post.account_id == world["fr"].id).order_by(Post.id)).all()
    assert [p.state for p in posts] == [State.in_review, State.draft]
    trail = db_session.scalars(select(AuditEntry).where(AuditEntry.post_id == posts[0].id)
                               .order_by(AuditEntry.id)).all()
    assert [(e.action, e.to_state) for e in trail] == [(Action.create, State.draft), (Action.submit, State.in_review)]
    done = _text(web.get(answer.headers["Location"]))
    assert "1 post imported and submitted for review." in done
    assert "1 post stays a draft" in done and "Not submitted:" in done


def test_a_cabinet_member_and_an_admin_may_not_import(make, web, db_session, world):
    executive = make.executive()
    for user in (make.user(Role.cabinet, executives=[executive]), make.user(Role.admin)):
        web.login(user)
        assert web.get("/posts/import").status_code == 403
        assert web.get("/posts/import/template.csv").status_code == 403
        assert web.get("/posts/import/done").status_code == 403
        assert _check(web, _csv(f"{_name(world['fr'])},Texte.,,")).status_code == 403
        assert _create(web, _csv(f"{_name(world['fr'])},Texte.,,").decode()).status_code == 403
        web.client.post("/logout", data={"csrf_token": web.token})
    assert row_counts(db_session, Post) == (0,)


def test_a_formula_and_markup_in_a_cell_are_shown_as_text(web, db_session, world):
    web.login(world["writer"])
    page = _check(web, _csv(f'{_name(world["fr"])},"=HYPERLINK(""http://evil.example"",""<b>x</b>"")",,',
                            '"=1+2<script>alert(1)</script>",Texte.,,'))
    body = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "<b>x</b>" not in body
    assert "&lt;script&gt;" in body and "=HYPERLINK(" in body


def test_the_template_lists_the_writers_own_accounts(web, db_session, world):
    web.login(world["writer"])
    answer = web.get("/posts/import/template.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeffaccount,text,proposed time,campaign\r\n")
    assert _name(world["fr"]) in text and _name(world["ke"]) in text and world["es"].handle not in text
    # The template, filled in as it comes, checks without an error.
    page = _check(web, answer.get_data())
    assert page.status_code == 200, _text(page)[:2000]


# The module alone ----------------------------------------------------------------------------------------------


def test_the_module_checks_without_a_request(app, db_session, world):
    day = _day_ahead().isoformat()
    checked = imports.check_file(db_session, world["writer"], _csv(f"{_name(world['ke'])},Hello.,{day} 20:00,"))
    assert checked.ready and (checked.rows[0].number, checked.rows[0].line) == (2, 2)
    assert checked.rows[0].proposed_at == datetime.fromisoformat(f"{day}T17:00:00+00:00")
    made = imports.create_posts(db_session, world["writer"], checked, submit=True)
    assert [m.post.state for m in made] == [State.in_review]
    with pytest.raises(imports.FileRefused):
        imports.check_file(db_session, world["writer"], b"")
    # A cell holding line breaks: the rows below keep their spreadsheet number, and say their line in the file.
    rows = imports.check_file(db_session, world["writer"], _csv(f'{_name(world["ke"])},"One.\n\nTwo.",,', "",
                                                                 f"{_name(world['ke'])},Three.,,")).rows
    assert [(row.number, row.line) for row in rows] == [(2, 2), (4, 6)]
    assert rows[0].text == "One.\n\nTwo."
    assert imports.neutralised("=1+1") == "'=1+1" and imports.neutralised("@x") == "'@x"
    assert imports.account_key("FR · X · @Helio_FR") == ("x", "helio_fr")
    assert imports.account_key("linkedin @helio") == ("linkedin", "helio")
    assert imports.account_key("helio") is None


def test_the_checks_verdict_stands_at_creation_and_submission_only_while_nothing_the_gate_reads_has_changed(
        make, db_session, world, monkeypatch):
    """An import checks each row's text, makes its post (a revision, which keeps the gate's findings), then submits
    it (the engine's style guard): the check's verdict stands for the other two while the key of what the gate
    reads (``policies.gate_key``) is the one the check read, rather than the gate running twice more under the
    writer's lock. A policy saved or a campaign's hashtag changed between the check and the creation is another
    key: the gate runs again, and refuses."""
    from approval import policies, style

    runs: list[str] = []
    check = style.check

    def counted(text, context=None):  # noqa: ANN001, ANN202 - the gate, every caller's (policies, imports)
        runs.append(text)
        return check(text, context)

    monkeypatch.setattr(style, "check", counted)
    writer, fr, ke = world["writer"], _name(world["fr"]), _name(world["ke"])
    data = _csv(f"{fr},Rendez-vous au stade ce soir.,,", f"{ke},The final tonight. #Harambee,,Harambee",
                f"{ke},Tonight at the stadium.,,")
    checked = imports.check_file(db_session, writer, data)
    assert checked.ready and len(runs) == 3
    made = imports.create_posts(db_session, writer, checked, submit=True)
    assert [m.post.state for m in made] == [State.in_review] * 3
    assert len(runs) == 3  # the check's verdicts, reused at the creation and at the submission
    assert [m.post.current_revision.findings for m in made] == [
        [f.as_dict(translatable=True) for f in row.findings] for row in checked.rows]

    # Between the check and the creation, France's policy forbids "stade", and the Kenyan campaign changes its
    # hashtag.
    checked = imports.check_file(db_session, writer, data)
    assert checked.ready and [row.style_errors for row in checked.rows] == [[], [], []]
    policies.save_policy(db_session, world["france"], make.user(Role.admin),
                         forbidden=[{"phrase": "stade", "reason": "Say “Vélodrome”."}])
    world["kenyan"].hashtag = "#Pamoja"
    db_session.flush()
    runs.clear()
    made = imports.create_posts(db_session, writer, checked, submit=True)
    assert [m.post.state for m in made] == [State.draft, State.in_review, State.in_review]
    assert "stade" in " ".join(made[0].not_submitted)
    assert runs == [checked.rows[0].text, checked.rows[1].text]  # checked again (once); the third reused


# The check outside the write lock --------------------------------------------------------------------------------


def _locked_world(databases, tmp_path_factory):  # noqa: ANN001, ANN202
    """An app on a SQLite file of its own (the lock is the file's), a writer and two of their accounts."""
    app = committed_app(databases, "sqlite", tmp_path_factory)
    for session in app_session(app):
        make = Factory(session)
        france = make.market("FR")
        writer = make.user(Role.community_manager, markets=[france])
        accounts = [make.account(france, "x") for _ in range(2)]
        session.commit()
        for loaded in (writer, *accounts):  # read by the test after its session closes
            session.refresh(loaded)
            session.expunge(loaded)
    return app, writer, accounts, make_url(app.config["DATABASE_URL"]).database


def _while_the_gate_runs(monkeypatch, write) -> list[str]:  # noqa: ANN001
    """Each run of the gate (``style.check``, as the check runs it) first calls ``write``, another writer's; what
    came of each (``"written"``, or SQLite's refusal)."""
    from approval import style

    said: list[str] = []
    check = style.check

    def writing_first(text, context=None):  # noqa: ANN001, ANN202
        try:
            write()
        except sqlite3.OperationalError as refused:
            said.append(str(refused))
        else:
            said.append("written")
        return check(text, context)

    monkeypatch.setattr(style, "check", writing_first)
    return said


def _other_writer(path: str, statement: str = "UPDATE users SET name = name") -> Callable[[], None]:
    """A write from a connection of its own, as the worker or another user's request makes one, that waits a
    moment at most for the lock (SQLite's busy timeout), not the app's ten seconds."""

    return lambda: other_write(path, statement)


def test_the_files_check_holds_no_write_lock_that_others_wait_for(databases, tmp_path_factory, monkeypatch):
    """The check of a file (the style gate on each row: seconds for 500 rows, more the first time a process runs
    it) reads in a transaction that takes no write lock (``db.reading_first``): another writer (the worker, another
    user) writes while it runs, at the check page and at "Create". Under the lock, the file is checked again with
    the check's verdicts: the gate runs once a row."""
    app, writer, accounts, path = _locked_world(databases, tmp_path_factory)
    web = WebClient(app.test_client())
    web.login(writer)
    data = _csv(*(f"{_name(account)},Rendez-vous au stade {n}.,," for n, account in enumerate(accounts)))
    said = _while_the_gate_runs(monkeypatch, _other_writer(path))
    page = _check(web, data)
    assert page.status_code == 200, _text(page)[:1000]
    assert said == ["written", "written"]
    said.clear()
    made = _create(web, page, submit=True)
    assert made.status_code == 303, _text(made)[:1000]
    assert said == ["written", "written"]  # once a row, outside the lock; its verdict stood under it
    for session in app_session(app):
        assert [post.state for post in session.scalars(select(Post))] == [State.in_review] * 2


def test_a_row_the_check_accepted_that_changed_before_the_lock_is_refused(databases, tmp_path_factory,
                                                                           monkeypatch):
    """What the check read without the lock is read again under it: an account deactivated by another writer while
    the file was being checked refuses the file, with nothing made, as when it was deactivated before."""
    app, writer, accounts, path = _locked_world(databases, tmp_path_factory)
    web = WebClient(app.test_client())
    web.login(writer)
    page = _check(web, _csv(*(f"{_name(account)},Rendez-vous au stade {n}.,," for n, account in
                              enumerate(accounts))))
    assert page.status_code == 200, _text(page)[:1000]
    said = _while_the_gate_runs(monkeypatch, _other_writer(path, f"UPDATE accounts SET active = 0 WHERE id = "
                                                                 f"{accounts[1].id}"))
    refused = _create(web, page)
    assert said[:2] == ["written", "written"]
    assert refused.status_code == 422
    assert "has errors now: nothing was imported" in _text(refused)
    assert "This account is deactivated." in _text(refused)
    for session in app_session(app):
        assert row_counts(session, Post, PostImport) == (0, 0)


def test_the_command_checks_the_file_outside_the_write_lock(databases, tmp_path_factory, monkeypatch, tmp_path):
    """``approval post import`` as the page: the file checked without the write lock, then checked again under it
    as it is now."""
    from approval.post_cli import post_cli

    app, writer, accounts, path = _locked_world(databases, tmp_path_factory)
    data = tmp_path / "posts.csv"
    data.write_bytes(_csv(*(f"{_name(account)},Rendez-vous au stade {n}.,," for n, account in enumerate(accounts))))
    said = _while_the_gate_runs(monkeypatch, _other_writer(path))
    with app.app_context():
        made = app.test_cli_runner().invoke(post_cli, ["import", str(data), "--as", writer.email, "--submit"])
    assert made.exit_code == 0, made.output
    assert said == ["written", "written"]
    said.clear()
    monkeypatch.setattr(imports, "create_posts", lambda *args, **kwargs: pytest.fail("made despite the error"))
    _while_the_gate_runs(monkeypatch, _other_writer(path, f"UPDATE accounts SET active = 0 WHERE id = "
                                                          f"{accounts[0].id}"))
    with app.app_context():
        refused = app.test_cli_runner().invoke(post_cli, ["import", str(data), "--as", writer.email])
    assert refused.exit_code == 1
    assert "row 2: This account is deactivated." in refused.stderr
    assert "checked again before importing: nothing was imported" in refused.stderr


# The command line ----------------------------------------------------------------------------------------------


def test_the_command_imports_all_or_nothing(app, db_session, world, tmp_path):
    from approval.post_cli import post_cli

    db_session.commit()  # the factory's rows, seen by the command's own session (a savepoint of the test's)
    day = _day_ahead().isoformat()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(f"{_name(world['fr'])},Bon.,{day} 20:00,", f"{_name(world['es'])},Hola.,,"))
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(f"{_name(world['fr'])},Bon.,{day} 20:00,", f"{_name(world['ke'])},Good.,,"))
    with app.app_context():
        refused = app.test_cli_runner().invoke(post_cli, ["import", str(bad), "--as", world["writer"].email])
    assert refused.exit_code == 1
    assert f"row 3: Unknown account “{_name(world['es'])}”" in refused.stderr
    assert "nothing was imported" in refused.stderr
    assert row_counts(db_session, Post) == (0,)
    with app.app_context():
        made = app.test_cli_runner().invoke(post_cli, ["import", str(good), "--as", world["writer"].email,
                                                       "--submit"])
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines()[-1] == "2 posts imported."
    assert [line.split("\t")[1:3] for line in made.stdout.splitlines()[:-1]] == [["in_review", "FR"],
                                                                                  ["in_review", "KE"]]
    assert row_counts(db_session, Post, PostImport) == (2, 1)


def test_five_hundred_rows_are_made_and_the_session_cookie_stays_small(web, db_session, world):
    web.login(world["writer"])
    rows = [f"{_name(world['ke' if n % 2 else 'fr'])},Texte numéro {n}.,," for n in range(500)]
    page = _check(web, _csv(*rows))
    assert page.status_code == 200, _text(page)[:1000]
    answer = _create(web, page)
    assert answer.status_code == 303
    assert row_counts(db_session, Post) == (500,)
    cookie = answer.headers.get("Set-Cookie", "")
    assert len(cookie) < 2000, len(cookie)
    done = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert done.count('href="/posts/') >= 500


# The file with its errors ---------------------------------------------------------------------------------------


def _download_errors(web, page):  # noqa: ANN001, ANN202
    """The check page's "Download the file with its errors": its content sent back, no file chosen again."""
    match = re.search(r'action="/posts/import/errors.csv".*?name="content" value="([^"]*)"',
                      page.get_data(as_text=True), re.S)
    assert match, "no download of the errors on the page"
    data = {"content": html.unescape(match.group(1)).replace("\n", "\r\n")}  # as a browser sends the field
    return web.post("/posts/import/errors.csv", data, content_type="multipart/form-data")


def _rows(answer, delimiter: str = ",") -> list[list[str]]:  # noqa: ANN001
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")  # for Excel
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


def test_the_file_with_its_errors_is_downloaded_fixed_and_checked_again_as_it_is(web, db_session, world):
    """A French Excel file with a refused row: the check page offers the file back with a last column saying why,
    in the file's own columns and separator, its formulas defused; fixed in the spreadsheet and sent as it is, it
    checks without an error, and the texts made are the ones written (no apostrophe left)."""
    data = ("\ufeffcompte;texte;heure proposée;campagne\r\n"
            f"{_name(world['fr'])};@helio_fr et =1+1 ce soir.;;spring\r\n"
            "x @nobody_here;\"=HYPERLINK(\"\"http://evil.example\"\")\";;\r\n"
            f"{_name(world['ke'])};- Nairobi tonight.;;\r\n").encode()
    web.login(world["writer"])
    page = _check(web, data)
    assert page.status_code == 422
    assert "Download the file with its errors" in _text(page)
    answer = _download_errors(web, page)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == "attachment; filename=posts-import-errors.csv"
    rows = _rows(answer, ";")
    assert rows[0] == ["compte", "texte", "heure proposée", "campagne", "error"]
    assert rows[1] == [_name(world["fr"]), "'@helio_fr et =1+1 ce soir.", "", "spring", ""]
    assert rows[2][:4] == ["x @nobody_here", "'=HYPERLINK(\"http://evil.example\")", "", ""]
    assert rows[2][4].startswith("Unknown account “x @nobody_here”")
    assert rows[3] == [_name(world["ke"]), "'- Nairobi tonight.", "", "", ""]
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for row in rows for cell in row if cell)
    assert row_counts(db_session, Post) == (0,)

    # Fixed in the spreadsheet (the account, the text), saved, checked as it is: the error column is ignored.
    fixed = [rows[0], rows[1], [_name(world["fr"]), "Corrigé.", "", "", rows[2][4]], rows[3]]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(fixed)
    again = _check(web, ("\ufeff" + out.getvalue()).encode())
    assert again.status_code == 200, _text(again)[:2000]
    assert _create(web, again).status_code == 303
    bodies = [post.body for post in db_session.scalars(select(Post).order_by(Post.id))]
    assert bodies == ["@helio_fr et =1+1 ce soir.", "Corrigé.", "- Nairobi tonight."]


def test_the_file_downloaded_again_replaces_its_error_column(web, db_session, world):
    """A downloaded file still wrong, checked and downloaded again: one error column, the new reasons; a cell beyond
    the header's stays beyond it, and is refused again."""
    web.login(world["writer"])
    page = _check(web, _csv("x @nobody_here,Texte.,,", f"{_name(world['fr'])},Bon.,,,de trop"))
    first = _download_errors(web, page)
    second = _download_errors(web, _check(web, first.get_data()))
    rows = _rows(second)
    assert rows[0] == ["account", "text", "proposed time", "campaign", "error"]
    assert rows[1][:4] == ["x @nobody_here", "Texte.", "", ""] and rows[1][4].startswith("Unknown account")
    assert len(rows[1]) == 5
    assert rows[2][:4] == [_name(world["fr"]), "Bon.", "", ""] and rows[2][5:] == ["de trop"]
    assert "cells outside the header's columns" in rows[2][4]


def test_the_errors_download_asks_for_the_content_and_checks_it_again(make, web, db_session, world):
    web.login(world["writer"])
    empty = web.post("/posts/import/errors.csv", {}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "choose the file again" in _text(empty)
    refused = web.post("/posts/import/errors.csv", {"content": "account,body\nx @a,b\n"},
                       content_type="multipart/form-data")
    assert refused.status_code == 422 and "Unknown column “body”" in _text(refused)
    # Sent by someone else, the same content says nothing of accounts they do not write for.
    other = make.user(Role.community_manager, markets=[world["kenya"]])
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(other)
    answer = web.post("/posts/import/errors.csv", {"content": _csv(f"{_name(world['fr'])},Texte.,,").decode()},
                      content_type="multipart/form-data")
    assert answer.status_code == 200 and "Unknown account" in _rows(answer)[1][4]
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(make.user(Role.admin))
    assert web.post("/posts/import/errors.csv", {"content": "account,text\nx @a,b\n"},
                    content_type="multipart/form-data").status_code == 403


def test_a_file_with_an_error_column_in_french_reads(app, db_session, world):
    checked = imports.check_file(db_session, world["writer"],
                                 _csv(f"{_name(world['ke'])},'@Hello.,,,Refusé avant.",
                                      header="account,text,time,campaign,erreur"))
    assert checked.ready and checked.rows[0].text == "@Hello."
    assert imports.unneutralised("'=1") == "=1" and imports.unneutralised("'bonjour'") == "'bonjour'"
    assert imports.unneutralised("'") == "'"


# The embargo and the stop switches at the check -----------------------------------------------------------------


def test_a_time_before_its_campaigns_embargo_is_refused_at_the_check(web, db_session, world):
    campaign = world["campaign"]
    campaign.embargo_until = datetime.combine(_day_ahead(20), datetime.min.time()).replace(hour=9, tzinfo=UTC)
    db_session.flush()
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['fr'])},Trop tôt.,{_day_ahead(10)} 20:00,Spring",
                            f"{_name(world['fr'])},Après.,{_day_ahead(21)} 20:00,Spring",
                            f"{_name(world['fr'])},Sans heure.,,Spring",
                            f"{_name(world['fr'])},Hors campagne.,{_day_ahead(10)} 20:00,"))
    assert page.status_code == 422
    text = _text(page)
    assert "1 row has errors" in text
    assert "The campaign Spring is under embargo until " in text
    assert "(Europe/Paris, UTC+0" in text and "propose a time after it, or leave the time empty." in text
    assert re.findall(r'<tr id="row-(\d+)" class="has-errors"', page.get_data(as_text=True)) == ["2"]


def test_a_stop_switch_on_is_a_warning_not_a_refusal(make, web, db_session, world):
    manager = make.user(Role.project_manager, markets=[world["france"]])
    controls.turn_on(db_session, manager, "market", market_code="FR", reason="Match perdu.")
    db_session.flush()
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['fr'])},Bonjour.,,", f"{_name(world['ke'])},Hello.,,"))
    assert page.status_code == 200, _text(page)[:2000]
    assert _text(page).count("A stop switch is on over this account or its campaign") == 1
    assert "Match perdu." not in _text(page)


# Where the posts came from --------------------------------------------------------------------------------------


def test_the_commands_posts_say_in_their_trail_they_came_from_the_command(app, db_session, world, tmp_path):
    from approval.post_cli import post_cli

    db_session.commit()  # the factory's rows, seen by the command's own session (a savepoint of the test's)
    data = tmp_path / "posts.csv"
    data.write_bytes(_csv(f"{_name(world['fr'])},Une phrase correcte.,,", f"{_name(world['ke'])},Good.,,"))
    with app.app_context():
        made = app.test_cli_runner().invoke(post_cli, ["import", str(data), "--as", world["writer"].email, "--submit"])
    assert made.exit_code == 0, made.output
    trail = db_session.execute(select(AuditEntry.post_id, AuditEntry.action, AuditEntry.comment)
                               .order_by(AuditEntry.post_id, AuditEntry.id)).all()
    assert [action for _post, action, _comment in trail] == [Action.create, Action.submit] * 2
    # "approval post import (who@where)"; the runner calls the group itself, which it names "approval".
    assert all(re.fullmatch(r"\[approval (post )?import \(.+@.+\)\]", comment or "") for *_, comment in trail), trail
    made_import = db_session.scalar(select(PostImport))
    assert db_session.execute(select(ImportedPost.post_id, ImportedPost.file_row)
                              .where(ImportedPost.import_id == made_import.id).order_by(ImportedPost.post_id)
                              ).all() == [(post_id, row) for (post_id, *_), row in zip(trail[::2], (2, 3))]


# The done page ------------------------------------------------------------------------------------------------


def test_the_done_page_lists_the_imports_posts_not_those_made_meanwhile(web, db_session, world, monkeypatch):
    """Another tab (or the API) makes a post of the same writer while the import runs: its id falls between the
    import's first and last. The done page lists the import's posts alone, in the file's order."""
    create_post = ops.create_post
    meanwhile: list[int] = []

    def with_another_tab(session, actor, account, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if not meanwhile and account.id == world["ke"].id:
            meanwhile.append(create_post(session, actor, session.get(Account, world["fr"].id), "Écrit ailleurs.").id)
        return create_post(session, actor, account, *args, **kwargs)

    monkeypatch.setattr(imports.ops, "create_post", with_another_tab)
    web.login(world["writer"])
    answer = _create(web, _check(web, _csv(f"{_name(world['fr'])},Premier.,,", f"{_name(world['ke'])},Second.,,",
                                           f"{_name(world['fr'])},Troisième.,,")))
    assert answer.status_code == 303 and len(meanwhile) == 1
    done = web.get(answer.headers["Location"]).get_data(as_text=True)
    listed = [int(n) for n in re.findall(r'href="/posts/(\d+)">', done)]
    imported = db_session.scalars(select(Post.id).where(Post.id != meanwhile[0]).order_by(Post.id)).all()
    assert len(imported) == 3 and min(imported) < meanwhile[0] < max(imported)
    assert listed == imported
    # A page's import says nothing in the trail of where its posts came from: the writer made them there.
    assert db_session.scalars(select(AuditEntry.comment).where(AuditEntry.post_id.in_(imported))).all() == [None] * 3


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "''=1", "'- liste", "'@helio", "@helio", "- liste", "'bonjour'",
                                  "'", "''", "plain", "", "\t=x", "'\r"])
def test_a_cell_neutralised_reads_back_as_it_was(text):
    """A text that starts with an apostrophe before a formula's character ("'=1+1") was written as it was and read
    back without its apostrophe."""
    assert imports.unneutralised(imports.neutralised(text)) == text
    assert imports.neutralised(text).lstrip("'")[:1] not in imports.FORMULA_STARTS or \
        imports.neutralised(text).startswith("'")
