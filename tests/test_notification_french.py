"""A notice about a suggested message (an executive's account) says "suggested message", in a sentence of its own:
French agrees it ("Votre message proposé a été programmé"), where the post's sentence read "Votre publication a été
programmée" of it. The list's line and its link's name, and the mail's subject. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from approval.notifications import texts
from approval.models.notifications import NotificationKind as Kind
from approval.workflow.states import Role, State


@pytest.fixture()
def scene(make):  # noqa: ANN001, ANN201
    fr = make.market("FR")
    executive = make.executive("Hélène Marchand")
    return {"brand": make.account(fr), "executive": make.account(fr, executive=executive),
            "writer": make.user(Role.community_manager, markets=[fr], name="Camille"),
            "pm": make.user(Role.project_manager, markets=[fr], name="Pierre")}


def list_page(web, user, locale: str) -> str:  # noqa: ANN001
    user.locale = locale
    web.login(user)
    return web.get("/notifications").get_data(as_text=True)


def test_a_suggested_message_is_told_as_one(make, web, db_session, scene):
    brand = make.post(State.scheduled, account=scene["brand"], author=scene["writer"], reviewer=scene["pm"])
    suggestion = make.post(State.scheduled, account=scene["executive"], author=scene["writer"], reviewer=scene["pm"])
    db_session.flush()
    page = list_page(web, scene["writer"], "en")
    hidden = '<span class="visually-hidden">, '
    assert f">Your suggested message was scheduled{hidden}suggested message #{suggestion.id}, @" in page
    assert f">Your post was scheduled{hidden}post #{brand.id}, @" in page


@pytest.mark.parametrize(("kind", "post", "suggestion"), [
    (Kind.scheduled, "Votre publication a été programmée", "Votre message proposé a été programmé"),
    (Kind.rejected, "Votre publication a été rejetée", "Votre message proposé a été rejeté"),
    (Kind.approved, "Votre publication a été approuvée", "Votre message proposé a été approuvé"),
    (Kind.published, "Votre publication a été publiée", "Votre message proposé a été publié"),
    (Kind.review_requested, "Une publication attend votre relecture", "Un message proposé attend votre relecture"),
])
def test_in_french_each_agrees_with_what_it_tells_of(app, kind, post, suggestion):
    """Needs the French of the new sentences in the catalogue (``SUGGESTION_TITLES``)."""
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert texts.title(kind) == post
        assert texts.title(kind, suggestion=True) == suggestion
