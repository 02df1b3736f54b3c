"""approval: no message goes online before the social-media project manager has seen it."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, lazy_gettext
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from approval.config import PROJECT_ROOT, Settings, flask_config
from approval.db import db

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application; ``config`` overrides the settings read from the environment (tests, benchmarks)."""
    settings = Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path), template_folder=str(PROJECT_ROOT / "templates"))
    app.config.update(flask_config(settings, config or {}))

    from approval import inputs

    inputs.init_app(app)  # before the blueprints: their routes use the ``id`` converter
    db.init_app(app)
    _init_login(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)

    from approval import api, errors, filters
    from approval.views import admin, auth, cabinet, posts, profile, review

    for blueprint in (auth.bp, posts.bp, review.bp, cabinet.bp, admin.bp, profile.bp):
        app.register_blueprint(blueprint)
    from approval.views import calendar as calendar_views  # the read side (issue 13): calendar, wall, kiosks

    app.register_blueprint(calendar_views.bp)
    from approval.views import publishing as publishing_views  # the publishing desk and the stop switches

    app.register_blueprint(publishing_views.bp)
    from approval.views import campaigns as campaign_views  # kept by the project managers who run them

    app.register_blueprint(campaign_views.bp)
    from approval.views import hub as hub_views

    app.register_blueprint(hub_views.bp)
    from approval.views import notifications as notification_views  # issue 12: the bell, the list, preferences

    app.register_blueprint(notification_views.bp)
    from approval.views import reports as report_views  # issue 12: reports and the audit page

    app.register_blueprint(report_views.bp)
    from approval.views import media as media_views  # issue 11: uploads, files, previews

    app.register_blueprint(media_views.bp)
    from approval.views import sets as set_views  # the posts one message was written as for several accounts

    app.register_blueprint(set_views.bp)
    from approval.views import imports as import_views  # posts imported from a spreadsheet (CSV)

    app.register_blueprint(import_views.bp)
    from approval.views import health  # GET /healthz, for a load balancer: no session, no throttle

    app.register_blueprint(health.bp)
    api.init_app(app)
    errors.register(app)
    filters.register(app)
    from approval import security

    security.init_app(app)  # after the blueprints: it throttles the login view and the API's

    from approval.cli import register_commands

    register_commands(app)

    @app.get("/favicon.ico")
    def favicon():  # noqa: ANN202
        # Browsers ask for it beside the first page they open: a 404 page would be rendered, with a form token in a
        # new session whose cookie could replace the one the login form was just given ("this form expired").
        return app.send_static_file("favicon.svg")

    return app


def _init_login(app: Flask) -> None:
    from approval.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")

    @login_manager.user_loader
    def load_user(session_key: str) -> User | None:
        """The session's user while the session is still theirs: not ended (logout, deactivation, an admin), and
        opened with their current password."""
        from approval.inputs import parse_id

        user_id = parse_id(session_key.partition(":")[0])
        user = db.session.get(User, user_id) if user_id is not None else None
        if user is None or not user.opens_session(session_key):
            return None
        return user


def _select_timezone() -> str | None:
    """The zone the pages' dates (a token made, a link revoked, "your time" beside a post's) are told in: the user's
    own (their profile's), else their browser's, else their first market's; UTC outside a signed-in request. Posts'
    times are told in their market's zone first."""
    if not has_request_context() or request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    from approval.models.notifications import NotificationProfile
    from approval.notifications.zones import page_zone

    profile = db.session.get(NotificationProfile, current_user.id)
    return page_zone(profile.timezone if profile else None, current_user)


def _select_locale() -> str | None:
    """The user's choice, else the session's (before login), else the browser's; the default outside requests."""
    if not has_request_context():
        return None
    browser = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    if request.path.startswith("/api/"):
        # A program's Accept-Language, else the token's user's language (never the session's: no cookie counts on
        # the API): a person who reads the pages in French had their script's errors in French whatever it asked.
        return browser or getattr(g.get("api_user"), "locale", None)
    if current_user and getattr(current_user, "locale", None):
        return current_user.locale
    return session.get("locale") or browser
