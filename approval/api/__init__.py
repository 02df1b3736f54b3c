"""The JSON API, v1: everything a person can do in the forms, a program can do over HTTP (CONTRACT.md).

flask-smorest builds the OpenAPI document from the same marshmallow schemas that read and write the requests; it is
served at /api/v1/openapi.json, with Swagger UI at /api/v1/docs (its files vendored in static/vendor/swagger-ui).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_smorest import Api

from approval.api.fields import Cursor, LocalTime
from approval.api.schemas import ErrorSchema

PREFIX = "/api/v1"

DESCRIPTION = """\
The publication approval workflow over HTTP: the same roles, markets and rules as the web forms.

* **Authentication**: a personal API token, created on your profile page (or with `approval token create EMAIL`),
  sent as `Authorization: Bearer <token>`. The session cookie of the web pages does not open the API.
* **Concurrency**: answers with a post carry its `ETag`; `PATCH /posts/{id}` and `POST /posts/{id}/transitions`
  require it back in `If-Match` (412 when the post changed since, 428 without the header).
* **Retries**: send an `Idempotency-Key` with `POST /posts` and the transitions: a retry with the same key returns
  the first answer and does nothing more.
* **Errors**: always `{"code", "status", "message", "errors"?}`, with `errors` by field, or under `_workflow` for
  what the post's state refuses.
* **Polling**: `GET /posts?updated_since=<instant>` lists the posts changed since then (a change is stamped when
  it starts and seen once committed, a moment later: ask from a minute before your last poll); `GET /posts/{id}` with
  `If-None-Match: <ETag>` answers 304 while the post has not changed. No answer may be cached
  (`Cache-Control: no-store`) but this document.
"""


class ApprovalApi(Api):
    """flask-smorest's Api, leaving errors to ``approval.errors``: one mapping, for the pages and the API alike."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def settings(static_url_path: str) -> dict:
    return {
        "API_TITLE": "approval",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": f"{static_url_path}/vendor/swagger-ui/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": False, "displayOperationId": True},
        "API_SPEC_OPTIONS": {
            "info": {"description": DESCRIPTION},
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "description": "A personal API token (see your profile page)."}}},
        },
    }


def init_app(app: Flask) -> ApprovalApi:
    """Register the API's blueprints on ``app``, CSRF-exempt: only a bearer token authenticates them."""
    from approval import csrf
    from approval.api import catalog, hub, lint, posts

    for key, value in settings(app.static_url_path or "/static").items():
        app.config.setdefault(key, value)
    api = ApprovalApi(app)
    api.register_field(LocalTime, "string", None)
    api.register_field(Cursor, "string", None)
    from approval.api import (
        calendar,  # issue 13
        media,  # issue 11
        notifications,  # issue 12
        stops,  # publishing's stop switches
    )

    for blueprint in (catalog.bp, posts.bp, lint.bp, hub.bp, calendar.bp, stops.bp, notifications.bp, media.bp):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.after_request(_kept_by_no_cache)
    return api


#: How long a client or a proxy may keep the OpenAPI document: it changes only with a new version of the application.
DOCUMENT_MAX_AGE = 300


def _kept_by_no_cache(response: Response) -> Response:
    """Every answer of the API, its errors too, says ``Cache-Control: no-store``: each is one user's (a token's) view
    of data that changes, which no cache (a proxy's, the client library's) may keep or hand to anyone else. Only the
    OpenAPI document, the same for everyone, may be kept a little while; its Swagger page is left as it is."""
    if not request.path.startswith(PREFIX + "/"):
        return response
    if request.endpoint == "api-docs.openapi_json":
        response.cache_control.public = True
        response.cache_control.max_age = DOCUMENT_MAX_AGE
    elif request.endpoint != "api-docs.openapi_swagger_ui":
        # The whole header: a file's answer (``api.media.file_response``) says private and a year for the pages.
        response.headers["Cache-Control"] = "no-store"
    return response
