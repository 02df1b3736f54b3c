"""The bell in a real headless Chromium: it counts what awaits the project manager, the list opens the post and
marks it read, "mark all read" empties it. Screenshots in test-artifacts/browser/<backend>/notifications-*.png."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import create_app
from approval.db import make_engine
from approval.workflow.states import Role, State
from tests.conftest import PASSWORD, Factory
from tests.test_browser import ARTIFACTS, chromium, sign_in  # noqa: F401 - the shared browser

pytestmark = pytest.mark.browser


@pytest.fixture()
def site(backend, databases):
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        make = Factory(session)
        france = make.market("FR")
        account = make.account(france)
        author = make.user(Role.community_manager, markets=[france], name="Camille Dubois")
        reviewer = make.user(Role.project_manager, markets=[france], name="Pierre Durand")
        posts = [make.post(State.in_review, account=account, author=author,
                           body=f"Le match de ce soir commence à {hour} heures au stade.") for hour in (18, 20)]
        session.commit()
        ids, email = [p.id for p in posts], reviewer.email
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bell", "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", email, ids
    server.shutdown()
    thread.join(timeout=5)
    engine.dispose()


def test_the_bell_counts_and_the_list_opens_the_post(chromium, site, backend):  # noqa: F811
    base, email, ids = site
    folder = ARTIFACTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, email, PASSWORD)
    assert page.text_content("a.bell .count").strip() == "2"
    page.click("a.bell")
    page.wait_for_load_state()
    assert page.locator("tr.notification.unread").count() == 2
    page.screenshot(path=str(folder / "notifications-list.png"), full_page=True)
    page.click("tr.notification[data-id] >> nth=1 >> a.open")  # the older one: the first post
    page.wait_for_load_state()
    assert page.url.endswith(f"/posts/{ids[0]}")
    assert page.text_content("a.bell .count").strip() == "1"
    page.click("a.bell")
    page.click("button[name=all]")
    page.wait_for_load_state()
    assert page.locator("tr.notification.unread").count() == 0
    assert page.text_content("a.bell .count").strip() == ""
    page.screenshot(path=str(folder / "notifications-read.png"), full_page=True)
    context.close()
