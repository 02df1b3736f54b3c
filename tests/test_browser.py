"""The journey of the core issue in a real headless Chromium, against a live server, with screenshots.

A community manager writes and submits; the project manager requests changes; the fix is resubmitted, approved and
scheduled in the market's local time; a suggested message is accepted by the executive's cabinet. Screenshots land in
test-artifacts/browser/<backend>/. Without Chromium the test is skipped, unless APPROVAL_TEST_BROWSER=required.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from approval import administration as admin
from approval import create_app
from approval.db import make_engine, utcnow
from approval.labels import said_wall
from approval.models import Post
from approval.workflow.states import Role, State
from tests.said_helpers import in_english

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
PASSWORD = "approval-journey"


@pytest.fixture(scope="module")
def chromium(chromium_browser):  # noqa: ANN001, ANN201
    """The session's Chromium (conftest's ``chromium_browser``, launched once per test process), under the name the
    browser tests import; what a module's tests left open is closed after them."""
    yield chromium_browser
    for context in chromium_browser.contexts:
        context.close()


@pytest.fixture()
def live_server(backend, databases, tmp_path):
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        ceo = admin.get_or_create_executive(session, "Hélène Marchand", "Chief Executive Officer")
        admin.create_account(session, france, "x", "helio_fr", "Helio")
        admin.create_account(session, france, "linkedin", "helene-marchand", "Helio", executive=ceo)
        admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager, PASSWORD,
                          markets=[france])
        admin.create_user(session, "lucile@helio.example", "Lucile Tardieu", Role.project_manager, PASSWORD,
                          all_markets=True)
        admin.create_user(session, "sophie@helio.example", "Sophie Bernard", Role.cabinet, PASSWORD,
                          executives=[ceo])
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "journey", "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", engine
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    """Sign ``email`` in through the login page, and wait until a page of the app is there."""
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="Log out").wait_for()  # signed in
    page.wait_for_load_state()  # and the whole page is there


class Journey:
    def __init__(self, browser, base: str, folder: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        self.page = self.context.new_page()
        self.base = base
        self.folder = folder
        self.shots = 0

    def shot(self, name: str) -> None:
        self.shots += 1
        self.page.screenshot(path=str(self.folder / f"{self.shots:02d}-{name}.png"), full_page=True)

    def login(self, email: str) -> None:
        self.context.clear_cookies()
        sign_in(self.page, self.base, email)

    def open_post(self, post_id: int) -> None:
        self.page.goto(f"{self.base}/posts/{post_id}")


def _post(engine, body_start: str) -> Post:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        posts = session.scalars(select(Post)).all()
        return next(p for p in posts if p.body.startswith(body_start))


def _state(engine, post_id: int) -> State:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return session.get(Post, post_id).state


def test_journey_write_review_fix_approve_schedule_and_cabinet(app, chromium, live_server, backend):
    base, engine = live_server
    folder = ARTIFACTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    j = Journey(chromium, base, folder)
    page = j.page

    # The community manager writes; the editor counts and checks as she types.
    j.login("camille@helio.example")
    page.goto(base + "/posts/new")
    page.select_option("select[name=account_id]", label="FR · X · @helio_fr")
    page.fill("textarea[name=body]", "la Tour Eiffel brille ce soir")
    page.wait_for_selector("#live-findings li.finding.error")
    # Each finding quotes the words it is about (two "starts with a capital" said nothing of which sentence).
    # In the page's quotation marks, and without the rule's id (jargon to a writer: the admins' pages show it).
    capital = page.locator('#live-findings li.finding[data-rule="house.capital-start"]')
    assert capital.locator(".at").inner_text() == "“la Tour Eiffel brille ce…”"  # as the post page shows it
    assert capital.locator("code").count() == 0
    assert page.inner_text("#length") == str(len("la Tour Eiffel brille ce soir"))
    assert page.inner_text("#limit") == "280"
    j.shot("editor-live-findings")
    page.fill("textarea[name=body]", "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    assert "not submitted" in page.content()  # the missing full stop blocks the submit, the draft is saved
    j.shot("submit-refused-by-style-gate")
    post_id = _post(engine, "La Tour Eiffel").id
    assert _state(engine, post_id) is State.draft
    page.click("text=Edit")
    page.fill("textarea[name=body]", "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante.")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    assert _state(engine, post_id) is State.in_review
    j.shot("submitted")

    # The project manager finds it in her queue and requests changes.
    j.login("lucile@helio.example")
    assert page.url.endswith("/review")
    assert page.locator(f"a[href='/posts/{post_id}']").count() >= 1
    j.shot("review-queue")
    page.click(f"a[href='/posts/{post_id}'] >> nth=0")
    page.click("button.action-request_changes")  # without the comment it requires
    page.wait_for_load_state()
    assert "A comment is required" in page.content()
    assert _state(engine, post_id) is State.in_review
    page.fill("form.decide textarea[name=comment]", "Ajoutez le hashtag de la campagne, merci.")
    page.click("button.action-request_changes")
    page.wait_for_load_state()
    assert _state(engine, post_id) is State.changes_requested
    j.shot("changes-requested")

    # The community manager reads the comment, fixes and resubmits.
    j.login("camille@helio.example")
    j.open_post(post_id)
    assert "Ajoutez le hashtag de la campagne" in page.content()
    page.click("text=Edit")
    page.fill("textarea[name=body]", "La Tour Eiffel brille ce soir aux couleurs de l'équipe gagnante. #EURO2028")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    assert _state(engine, post_id) is State.in_review
    j.shot("resubmitted")

    # The project manager sees what changed, approves and schedules at 09:00 Paris time.
    j.login("lucile@helio.example")
    j.open_post(post_id)
    assert page.locator("ins").count() >= 1  # the diff against the previous revision
    j.shot("review-with-diff")
    page.click("button.action-approve")
    page.wait_for_load_state()
    assert _state(engine, post_id) is State.approved
    # The next post awaiting review, or the queue; the message links back to this one, to give it its time.
    assert not page.url.endswith(f"/posts/{post_id}")
    page.click(f".flashes a[href='/posts/{post_id}']")
    page.wait_for_load_state()
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    page.fill("form.action-schedule input[name=local_time]", f"{day}T09:00")
    assert "Europe/Paris" in page.inner_text("form.action-schedule")
    page.click("form.action-schedule button")
    page.wait_for_load_state()
    assert _state(engine, post_id) is State.scheduled
    nine = in_english(app, said_wall, datetime.fromisoformat(f"{day}T09:00"))  # as the page's English tells it
    assert f"{nine} (Europe/Paris" in page.content()
    j.shot("scheduled")

    # A suggested message for the CEO goes through the project manager, then the cabinet accepts it.
    j.login("camille@helio.example")
    page.goto(base + "/posts/new")
    page.select_option("select[name=account_id]",
                       label="FR · LinkedIn · @helene-marchand · suggested message for Hélène Marchand")
    page.fill("textarea[name=body]", "Fière d'inaugurer le vélodrome avec les équipes de Marseille.")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    suggested_id = _post(engine, "Fière d'inaugurer").id
    j.login("lucile@helio.example")
    j.open_post(suggested_id)
    page.click("button.action-approve")
    page.wait_for_load_state()
    assert _state(engine, suggested_id) is State.with_cabinet
    j.login("sophie@helio.example")
    assert page.url.endswith("/cabinet")
    assert "Fière d'inaugurer le vélodrome" in page.content()
    j.shot("cabinet-inbox")
    page.click(f"a[href='/posts/{suggested_id}'] >> nth=0")
    page.click("button.action-accept")
    page.wait_for_load_state()
    assert _state(engine, suggested_id) is State.approved
    j.shot("cabinet-accepted")
    j.context.close()
