"""The audit export's file name (probe h4, F1): the ``market`` asked for went into the download's
Content-Disposition as typed. Two Arabic-Indic digits could not be sent in an HTTP/1.1 header (the server dropped the
connection without an answer), a quote broke the header, and a market that does not exist was a 200 with an empty
file. The market is now one that exists, named by its stored code; anything else is refused as the page refuses it."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_options_header

from approval.workflow.states import Action, State


@pytest.fixture()
def trail(make):
    """A French post submitted: one audit row to export."""
    fr = make.market("FR")
    make.market("KE", timezone="Africa/Nairobi")
    post = make.post(State.draft, account=make.account(fr))
    make.act(post, Action.submit, post.created_by)
    return post


def _export(web, **args: str):  # noqa: ANN001, ANN202
    """The export, read to its end: a streamed body left open holds its request (and the next one's session)."""
    answer = web.get("/reports/audit.csv", query_string=args)
    answer.get_data()
    return answer


def _file_name(answer) -> str:  # noqa: ANN001
    header = answer.headers["Content-Disposition"]
    header.encode("latin-1")  # what HTTP/1.1 can carry: the server could not send it otherwise
    disposition, options = parse_options_header(header)
    assert disposition == "attachment"
    return options["filename"]


def test_the_export_is_named_by_the_markets_stored_code(trail, admin_web):
    for asked in ("FR", "fr", " fr "):
        answer = _export(admin_web, market=asked)
        assert answer.status_code == 200, asked
        assert _file_name(answer) == "audit_FR.csv", asked
        assert answer.get_data(as_text=True).count("\n") == 3, asked  # the header, the creation, the submission
    answer = _export(admin_web, market="FR", **{"from": "2026-01-01", "to": "2026-12-31"})
    assert _file_name(answer) == "audit_FR_2026-01-01_2026-12-31.csv"
    assert _file_name(_export(admin_web)) == "audit.csv"


@pytest.mark.parametrize(("asked", "status"), [("\u0661\u0662", 404), ("\u01d8x", 404), ('a"b', 404), ("ZZ", 404),
                                               ("FRA", 404), ("F", 404), ("K\u212a", 404), ("\u00df", 404),
                                               ("F\x00", 422)])  # a NUL byte: refused before any view
def test_a_market_that_is_none_is_refused_by_the_export_as_by_the_page(trail, admin_web, asked, status):
    """Never an empty 200, never a header the server cannot send: the page and its export give the same 404 as the
    reports do for a market that is not one of the viewer's ("\u00df" is "SS" once upper-cased)."""
    page = admin_web.get("/reports/audit", query_string={"market": asked})
    export = _export(admin_web, market=asked)
    assert page.status_code == export.status_code == status, (asked, page.status_code, export.status_code)
    assert "Content-Disposition" not in export.headers


def test_a_project_manager_still_cannot_export_the_audit(trail, make, web):
    from approval.workflow.states import Role

    web.login(make.user(Role.project_manager, markets=[trail.account.market]))
    assert _export(web, market="FR").status_code == 403
