"""The interface language is the user's own only when they choose it (the header's EN/FR, or the profile's
"Language" setting): a login saves none. Camille (French market, French browser) logged in once from an English
browser and read English from then on, her mails too, with nothing on her profile to undo it."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from approval.notifications.mailer import mail_locale
from approval.workflow.states import Role

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _login(web, user, headers: dict) -> None:  # noqa: ANN001
    web.client.get("/login", headers=headers)
    web.refresh_token("/login")
    answer = web.client.post("/login", data={"email": user.email, "password": "correct horse battery",
                                             "csrf_token": web.token}, headers=headers)
    assert answer.status_code == 302
    web.refresh_token("/profile")


def _logout(web) -> None:  # noqa: ANN001
    web.client.post("/logout", data={"csrf_token": web.refresh_token("/profile")})


def _lang(web, headers: dict, url: str = "/profile") -> str:  # noqa: ANN001
    page = web.client.get(url, headers=headers).get_data(as_text=True)
    return re.search(r'<html lang="([a-z]+)"', page).group(1)


def _french(app, message: str) -> str:  # noqa: ANN001
    """A message as the French catalogue gives it (the new ones are translated apart from this change)."""
    with app.test_request_context(), force_locale("fr"):
        return gettext(message)


@pytest.fixture()
def camille(make):  # noqa: ANN001, ANN201
    return make.user(Role.community_manager, markets=[make.market("FR", languages=("fr",))], name="Camille Dubois")


def test_a_login_from_an_english_browser_leaves_a_french_browser_french(camille, web, db_session, app):
    _login(web, camille, ENGLISH)
    assert _lang(web, ENGLISH) == "en"
    db_session.expire_all()
    assert camille.locale is None  # nothing was chosen: nothing is saved
    # Her mails, written away from any browser, stay in her market's language.
    assert mail_locale(camille, app.config["LANGUAGES"]) == "fr"
    _logout(web)
    _login(web, camille, FRENCH)
    assert _lang(web, FRENCH) == "fr"
    assert _lang(web, FRENCH, "/posts") == "fr"


def test_the_language_chosen_before_logging_in_lasts_the_session_and_is_not_saved(camille, web, db_session):
    web.client.get("/login", headers=ENGLISH)
    web.refresh_token("/login")
    web.client.post("/language", data={"language": "fr", "next": "/login", "csrf_token": web.token}, headers=ENGLISH)
    _login(web, camille, ENGLISH)
    assert _lang(web, ENGLISH) == "fr"  # the page does not turn English under her at login
    db_session.expire_all()
    assert camille.locale is None


def test_the_profile_setting_is_saved_wins_over_the_browser_and_automatic_clears_it(camille, web, db_session, app):
    _login(web, camille, ENGLISH)
    page = web.client.get("/profile", headers=ENGLISH).get_data(as_text=True)
    assert 'action="/profile/language"' in page
    assert re.search(r'<option selected value="">Browser’s language \(automatic\)</option>', page), page
    assert '<option lang="fr" value="fr">Français</option>' in page
    # Without its CSRF token, nothing is saved.
    assert web.client.post("/profile/language", data={"language": "fr"}, headers=ENGLISH).status_code == 400
    db_session.expire_all()
    assert camille.locale is None

    answer = web.client.post("/profile/language", data={"language": "fr", "csrf_token": web.token}, headers=ENGLISH)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/profile")
    db_session.expire_all()
    assert camille.locale == "fr"
    page = web.client.get("/profile", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="fr"' in page and _french(app, "Your language is saved.") in page
    assert '<option lang="fr" selected value="fr">Français</option>' in page
    assert mail_locale(camille, app.config["LANGUAGES"]) == "fr"
    _logout(web)
    _login(web, camille, ENGLISH)  # another browser, another day: still hers
    assert _lang(web, ENGLISH) == "fr"

    web.client.post("/profile/language", data={"language": "", "csrf_token": web.token}, headers=ENGLISH)
    db_session.expire_all()
    assert camille.locale is None
    assert _lang(web, ENGLISH) == "en" and _lang(web, FRENCH) == "fr"  # the browser's again


def test_the_profile_refuses_a_language_it_does_not_offer(camille, web, db_session):
    _login(web, camille, ENGLISH)
    answer = web.client.post("/profile/language", data={"language": "pl", "csrf_token": web.token}, headers=ENGLISH)
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.get_data(as_text=True)
    db_session.expire_all()
    assert camille.locale is None


def test_automatic_also_forgets_the_header_switchs_choice_of_this_session(camille, web, db_session):
    _login(web, camille, FRENCH)
    web.client.post("/language", data={"language": "en", "next": "/profile", "csrf_token": web.token},
                    headers=FRENCH)
    assert _lang(web, FRENCH) == "en"
    web.client.post("/profile/language", data={"language": "", "csrf_token": web.refresh_token("/profile")},
                    headers=FRENCH)
    db_session.expire_all()
    assert camille.locale is None
    assert _lang(web, FRENCH) == "fr"


def test_the_header_switch_still_saves_the_users_choice(camille, web, db_session):
    _login(web, camille, FRENCH)
    answer = web.client.post("/language", data={"language": "en", "next": "/posts", "csrf_token": web.token},
                             headers=FRENCH)
    assert answer.headers["Location"].endswith("/posts")
    db_session.expire_all()
    assert camille.locale == "en"
    _logout(web)
    _login(web, camille, FRENCH)
    assert _lang(web, FRENCH) == "en"
    assert 'selected value="en"' in web.client.get("/profile", headers=FRENCH).get_data(as_text=True)


def test_a_language_post_without_the_field_is_refused_and_forgets_nothing(camille, web, db_session):
    # "Automatic" is the empty value, chosen: a form that sends no field at all chose nothing.
    _login(web, camille, ENGLISH)
    assert web.client.post("/profile/language", data={"language": "fr", "csrf_token": web.token},
                           headers=ENGLISH).status_code == 302
    answer = web.client.post("/profile/language", data={"csrf_token": web.token}, headers=ENGLISH)
    assert answer.status_code == 422
    db_session.expire_all()
    assert camille.locale == "fr"
