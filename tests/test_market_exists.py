"""An admin who gives a new market (or another market) a code some market holds already is told so on the code field,
with the way to that market's page: most likely the one they meant to open."""

from __future__ import annotations

import html
import re

from approval.models import Market


def squeezed(response) -> str:  # noqa: ANN001
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def edit(web, path: str, data: dict):  # noqa: ANN001, ANN201
    """An edit form sent as its page sends it, with the values the page showed (``seen``)."""
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', web.get(path).get_data(as_text=True))
    assert seen, path
    return web.post(path, {**data, "seen": html.unescape(seen.group(1))})


def code_reasons(response) -> str:  # noqa: ANN001
    """The code field's reasons (its ``code-errors`` block), as the page shows them."""
    found = re.search(r'<div class="errors" id="code-errors">(.*?)</div>', squeezed(response))
    assert found, "the code field gives no reason"
    return found.group(1)


def test_a_new_market_with_a_taken_code_links_to_the_market_holding_it(admin_web, make, db_session):
    france = make.market("FR")
    france.name = "France"
    db_session.flush()

    response = admin_web.post("/admin/markets/new", {"code": " fr ", "name": "France bis",
                                                      "timezone": "Europe/Paris", "languages": "fr"})

    assert response.status_code == 422
    reasons = code_reasons(response)
    assert "Market FR exists already." in reasons
    assert f'<a href="/admin/markets/{france.id}/edit">Open market FR (France)</a>' in reasons
    assert 'aria-describedby="code-errors' in squeezed(response)  # read with the field
    opened = admin_web.get(f"/admin/markets/{france.id}/edit")
    assert opened.status_code == 200 and "Market FR" in squeezed(opened)
    assert db_session.query(Market).count() == 1


def test_another_market_given_a_taken_code_links_to_the_one_holding_it(admin_web, make):
    france = make.market("FR")
    kenya = make.market("KE", "Africa/Nairobi", ("en",))

    response = edit(admin_web, f"/admin/markets/{kenya.id}/edit", {"code": "FR", "name": "Kenya",
                                                                    "timezone": "Africa/Nairobi", "languages": "en"})

    assert response.status_code == 422
    assert f'<a href="/admin/markets/{france.id}/edit">Open market FR (Market FR)</a>' in code_reasons(response)


def test_a_code_refused_for_another_reason_links_nowhere(admin_web, make):
    make.market("FR")

    response = admin_web.post("/admin/markets/new", {"code": "F1", "name": "Nowhere", "timezone": "Europe/Paris",
                                                      "languages": "fr"})

    assert response.status_code == 422
    assert "Open market" not in code_reasons(response)


def test_a_market_saved_under_its_own_code_is_no_duplicate(admin_web, make):
    france = make.market("FR")

    response = edit(admin_web, f"/admin/markets/{france.id}/edit", {"code": "FR", "name": "",
                                                                     "timezone": "Europe/Paris", "languages": "fr"})

    assert response.status_code == 422  # the name is missing: the code is its own, nothing to open
    assert "Open market" not in squeezed(response)


def test_a_code_that_stays_links_nowhere_even_when_another_market_holds_the_one_typed(admin_web, make):
    make.market("FR")
    kenya = make.market("KE", "Africa/Nairobi", ("en",))
    make.account(kenya)  # its code stays from now on

    response = edit(admin_web, f"/admin/markets/{kenya.id}/edit", {"code": "FR", "name": "Kenya",
                                                                    "timezone": "Africa/Nairobi", "languages": "en"})

    assert response.status_code == 422
    reasons = code_reasons(response)
    assert "A market's code stays once it has accounts" in reasons and "Open market" not in reasons
