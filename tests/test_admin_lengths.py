"""The administration's forms say a field's limit as the post forms do (``approval.forms.AtMost``), its number
written in the reader's language: "At most 2,000 characters." in English, "Au plus 2 000 caractères." (a narrow
no-break space, as Babel writes French numbers) in French, never WTForms' "Field cannot be longer than 2000
characters."; a number below 1,000 reads the same in both. The policy's counts of terms and tags too."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from approval.models import Account, Campaign, Market, PolicyVersion, User
from tests.conftest import PASSWORD

FRENCH = {"Accept-Language": "fr"}
NNBSP = "\u202f"


def said(response) -> str:  # noqa: ANN001
    return unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def count(db_session, model) -> int:  # noqa: ANN001
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


def _new_account(make) -> dict:  # noqa: ANN001
    return {"market_id": make.market("KE", "Africa/Nairobi", ("en", "sw")).id, "network": "instagram",
            "handle": "globexkenya", "brand": "", "kind": "brand", "executive_id": "", "connector": "webhook",
            "url": "https://hooks.example/" + "a" * 2000, "secret": "a-secret-of-enough-length"}


def _new_user(make) -> dict:  # noqa: ANN001
    return {"email": "long@helio.example", "name": "Long Password", "role": "community_manager",
            "market_ids": str(make.market("FR").id), "how": "password", "password": "p" * 1025}


def _new_campaign(make) -> dict:  # noqa: ANN001
    return {"name": "Été 2027", "market_id": str(make.market("FR").id), "hashtag": "", "description": "d" * 5001}


@pytest.mark.parametrize(("path", "data", "model", "english", "french"), [
    ("/admin/accounts/new", _new_account, Account, "At most 2,000 characters.", f"Au plus 2{NNBSP}000 caractères."),
    ("/admin/users/new", _new_user, User, "At most 1,024 characters.", f"Au plus 1{NNBSP}024 caractères."),
    ("/campaigns/new", _new_campaign, Campaign, "At most 5,000 characters.", f"Au plus 5{NNBSP}000 caractères."),
])
def test_a_value_too_long_says_the_limit_in_the_readers_numbers(admin_web, make, db_session, path, data, model,
                                                                english, french):
    sent = data(make)
    db_session.commit()
    before = count(db_session, model)

    refused = admin_web.post(path, sent)

    page = said(refused)
    assert refused.status_code == 422 and english in page, page[-3000:]
    assert "Field cannot be longer" not in page
    refused = admin_web.post(path, sent, headers=FRENCH)
    page = said(refused)
    assert refused.status_code == 422 and french in page, page[-3000:]
    assert count(db_session, model) == before


def test_a_limit_below_a_thousand_reads_the_same_in_both_languages(admin_web, db_session):
    sent = {"code": "FR", "name": "F" * 121, "timezone": "Europe/Paris", "languages": "fr"}

    english = said(admin_web.post("/admin/markets/new", sent))
    french = said(admin_web.post("/admin/markets/new", sent, headers=FRENCH))

    assert "At most 120 characters." in english and "Field cannot be longer" not in english
    assert "Au plus 120 caractères." in french
    assert count(db_session, Market) == 0


def test_the_policy_counts_its_tags_and_terms_in_the_readers_numbers(admin_web, make, db_session):
    market = make.market("FR")
    db_session.commit()
    path = f"/admin/markets/{market.id}/policy"
    policy = {"based_on": "0", "forbidden": "", "sensitive": "", "capital_exceptions": "", "note": ""}
    tags = {**policy, "disclosures": " ".join(f"#ad{n}" for n in range(1001))}
    terms = {**policy, "forbidden": "\n".join(f"mot{n} | raison" for n in range(1001))}

    assert "At most 1,000 tags." in said(admin_web.post(path, tags))
    assert "At most 1,000 terms." in said(admin_web.post(path, terms))
    assert count(db_session, PolicyVersion) == 0


def test_a_persons_own_new_password_too_long_says_the_limit_in_the_readers_numbers(admin_web):
    """The profile's form (``approval.forms.profile``) as the administration's."""
    sent = {"current_password": PASSWORD, "new_password": "p" * 1025, "confirm_password": "p" * 1025}

    english = said(admin_web.post("/profile/password", sent))
    french = said(admin_web.post("/profile/password", sent, headers=FRENCH))

    assert "At most 1,024 characters." in english and "Field cannot be longer" not in english
    assert f"Au plus 1{NNBSP}024 caractères." in french


def test_a_descriptions_line_breaks_count_once_as_the_box_counts_them(admin_web, make, db_session):
    """A browser sends a text area's line breaks as CRLF, and its ``maxlength`` counts each as one character: 4,999
    characters typed with nine line breaks were 5,008 sent, and refused "At most 5,000 characters."."""
    typed = "\r\n".join(["d" * 499] * 10)  # 4,990 letters and 9 line breaks: 4,999 as the box counts, 5,008 sent
    sent = {**_new_campaign(make), "description": typed}
    db_session.commit()
    before = count(db_session, Campaign)
    answer = admin_web.post("/campaigns/new", sent)
    assert answer.status_code in (302, 303), said(answer)[-1500:]
    assert count(db_session, Campaign) == before + 1
    refused = admin_web.post("/campaigns/new", {**sent, "name": "Hiver 2027", "description": typed + "d" * 10})
    assert refused.status_code == 422 and "At most 5,000 characters." in said(refused)
