"""The spreadsheet import in a real headless Chromium against a live server: a file with errors checked (nothing
made), then a good one checked and its posts made and submitted, the file's content carried back by the page's
form as the browser sends it. Screenshots in test-artifacts/browser-imports (and $APPROVAL_SHOTS, when set)."""

from __future__ import annotations

import os
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import administration as admin
from approval import create_app
from approval.db import make_engine, utcnow
from approval.models import Post
from approval.workflow.states import Role, State

from conftest import ONE_BACKEND

pytestmark = [pytest.mark.browser, ONE_BACKEND]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser-imports"
PASSWORD = "approval-journey"


@pytest.fixture()
def live_server(backend, databases):  # noqa: ANN001, ANN201
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        kenya = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en"])
        spain = admin.create_market(session, "ES", "Spain", "Europe/Madrid", ["es"])
        admin.create_account(session, france, "x", "helio_fr", "Helio")
        admin.create_account(session, kenya, "facebook", "helio_ke", "Helio")
        admin.create_account(session, spain, "x", "helio_es", "Helio")
        admin.create_campaign(session, "Spring", france, "#Spring")
        admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager, PASSWORD,
                          markets=[france, kenya])
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "journey", "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", engine
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


def _shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"import-{name}.png"), full_page=True)
    if os.environ.get("APPROVAL_SHOTS"):
        page.screenshot(path=str(Path(os.environ["APPROVAL_SHOTS"]) / f"import-{name}.png"), full_page=True)


def _upload(page, base: str, content: str) -> None:  # noqa: ANN001
    page.goto(base + "/posts/import")
    page.set_input_files("#import-file", files=[{"name": "campagne.csv", "mimeType": "text/csv",
                                                 "buffer": content.encode()}])
    page.get_by_role("button", name="Check the file").first.click()
    page.wait_for_load_state()


def test_a_writer_imports_a_spreadsheet(chromium_browser, live_server):  # noqa: ANN001
    base, engine = live_server
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                           timezone_id="America/New_York")
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", "camille@helio.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="Log out").wait_for()

    day = (utcnow() + timedelta(days=9)).date().isoformat()
    # The next last Sunday of March: the clocks skip 02:00-03:00 in Paris.
    march = next(day for day in (date(year, 3, 31) - timedelta(days=(date(year, 3, 31).weekday() + 1) % 7)
                                 for year in (utcnow().year, utcnow().year + 1)) if day > utcnow().date()).isoformat()
    wrong = ("account;text;proposed time;campaign\r\n"
             f"x @helio_fr;Ce soir à Paris.;{day} 20:00;Spring\r\n"
             f"x @helio_fr;Bonne nuit.;{march} 02:30;\r\n"
             "x @helio_es;Hola.;;\r\n"
             f"facebook @helio_ke;\"=HYPERLINK(\"\"http://evil.example\"\")\";{day} 20:00;Nope\r\n")
    _upload(page, base, wrong)
    assert page.get_by_text("3 rows have errors").is_visible()
    assert page.get_by_text("The clocks skip from 02:00 to 03:00 in Europe/Paris").is_visible()
    assert page.locator("button", has_text="Create").count() == 0
    _shot(page, "check-errors")

    good = ("account,text,proposed time,campaign\n"
            f"x @helio_fr,\"Ce soir à Paris.\nRendez-vous place de la Concorde.\",{day} 20:00,Spring\n"
            f"facebook @helio_ke,Tonight in Nairobi.,{day} 20:00,\n"
            f"x @helio_fr,{'Beaucoup trop long pour X. ' * 12},,\n")
    _upload(page, base, good)
    assert page.get_by_text("3 rows checked, no error.").is_visible()
    _shot(page, "check-ready")
    page.get_by_role("button", name="Create and submit 3 posts for review").click()
    page.wait_for_load_state()
    _shot(page, "done")
    assert page.get_by_text("2 posts imported and submitted for review.").is_visible()
    with Session(engine) as session:
        posts = session.scalars(select(Post).order_by(Post.id)).all()
        assert [p.state for p in posts] == [State.in_review, State.in_review, State.draft]
        assert posts[0].body == "Ce soir à Paris.\nRendez-vous place de la Concorde."
    # Back, and the same button again: nothing more is made.
    page.go_back()
    page.wait_for_load_state()
    if page.get_by_role("button", name="Create and submit 3 posts for review").count():
        page.get_by_role("button", name="Create and submit 3 posts for review").click()
        page.wait_for_load_state()
        assert page.get_by_text("This file was imported already: here are its posts.").is_visible()
    with Session(engine) as session:
        assert len(session.scalars(select(Post)).all()) == 3
    # Checked again, the same file is a new import: the page says it was imported before.
    _upload(page, base, good)
    assert page.get_by_text("You imported this file already").is_visible()
    context.close()


def test_the_check_pages_row_count_is_one_line_on_a_phone(chromium_browser, live_server):  # noqa: ANN001
    """At 390 px the rows are cards: the table's caption ("10 lignes") was squeezed to its longest word, "10" over
    "lignes", centred above the first card."""
    base, _engine = live_server
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", "camille@helio.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    day = (utcnow() + timedelta(days=9)).date().isoformat()
    rows = "".join(f"x @helio_fr;Texte {n}.;{day} 1{n}:00\r\n" for n in range(10))
    _upload_named(page, base, "compte;texte;heure proposée\r\n" + rows)
    caption = page.locator("table.import-rows caption")
    assert caption.inner_text() == "10 lignes"
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.import-rows caption')).lineHeight)"
                         " || 24")
    box, card = caption.bounding_box(), page.locator("table.import-rows tbody tr").first.bounding_box()
    assert box is not None and card is not None
    _shot(page, "check-phone")
    assert box["height"] < 1.5 * line, box  # one line
    assert abs(box["x"] - card["x"]) < 16, (box, card)  # at the cards' left edge, not centred over them
    context.close()


def _upload_named(page, base: str, content: str) -> None:  # noqa: ANN001
    """``_upload`` in any language: the form's own submit button."""
    page.goto(base + "/posts/import")
    page.set_input_files("#import-file", files=[{"name": "campagne.csv", "mimeType": "text/csv",
                                                 "buffer": content.encode()}])
    page.click("form.import-upload button[type=submit]")
    page.wait_for_load_state()
