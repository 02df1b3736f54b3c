"""The Social Hub wall on a phone: every column of the counts in view. The tables scrolled sideways inside their
panel, "failed" and "unconfirmed" (the columns that matter most) hidden past its right edge. Real Chromium."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from conftest import ONE_BACKEND
from test_browser import PASSWORD, chromium, live_server  # noqa: F401 - fixtures
from test_phone_layout import sign_in_on_a_phone

from approval import administration as admin
from approval.models import Market
from approval.workflow.states import Role

# The layout is the templates' and the style sheet's: one backend proves it (conftest.ONE_BACKEND).
pytestmark = [pytest.mark.browser, ONE_BACKEND]

#: Each table of the wall, its width and that of what holds it (``scrollWidth`` past ``clientWidth``: cut, or to
#: scroll sideways), and whether its last column's heading shows within it.
_TABLES = """() => Array.from(document.querySelectorAll('#wall table')).map(table => {
  const box = table.parentElement, edge = box.getBoundingClientRect().right;
  const last = table.querySelector('tr:not(.fold) > :last-child');
  return {table: table.className, scroll: box.scrollWidth, client: box.clientWidth, own: table.scrollWidth,
          lastInside: last.getBoundingClientRect().right <= edge + 1};
})"""


@pytest.mark.parametrize("language", ["en-GB", "fr-FR"])
@pytest.mark.parametrize("width", [360, 390])
def test_no_table_of_the_wall_is_wider_than_its_panel_on_a_phone(chromium, live_server, language, width):  # noqa: F811
    base, engine = live_server
    with Session(engine) as session:  # a second market, and an account on every network: both tables full
        kenya = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en"])
        france = session.scalars(select(Market).where(Market.code == "FR")).one()
        for network in ("facebook", "instagram", "youtube", "snapchat"):
            admin.create_account(session, france, network, f"helio_{network}", "Helio")
        admin.create_account(session, kenya, "x", "HelioKenya", "Helio")
        admin.create_user(session, "marc@helio.example", "Marc", Role.project_manager, PASSWORD, all_markets=True)
        session.commit()
    context = chromium.new_context(viewport={"width": width, "height": 844}, locale=language)
    page = context.new_page()
    sign_in_on_a_phone(page, base, "marc@helio.example")
    page.goto(base + "/hub")
    page.wait_for_selector("#wall table.networks")
    tables = page.evaluate(_TABLES)
    assert [t["table"] for t in tables] == ["markets", "networks"]
    for table in tables:
        assert table["scroll"] <= table["client"], (language, width, table)
        assert table["own"] <= table["client"], (language, width, table)
        assert table["lastInside"], (language, width, table)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
