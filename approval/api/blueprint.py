"""The API's blueprint: webargs as flask-smorest uses it, with the contract's 422 for every kind of bad input, and
the documentation of the answers every view shares (its refusals, If-Match)."""

from __future__ import annotations

import http
import json
from collections.abc import Callable
from typing import Any, NoReturn

import flask
import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort

from approval.api.preconditions import POST_TAG
from approval.api.schemas import ErrorSchema


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422
    #: Unknown query parameters are refused like unknown body fields; headers are many and mostly not ours.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not req.is_json:
            return core.missing
        try:
            return core.parse_json(req.get_data(cache=True))
        except RecursionError:  # nested deeper than the parser goes: as bad as malformed
            raise json.JSONDecodeError("nested too deeply", "(nested)", 0) from None
        except json.JSONDecodeError:
            raise
        except ValueError:  # a number Python will not read (an integer of more than 4,300 digits): as bad
            raise json.JSONDecodeError("number too long", "(number)", 0) from None

    def _handle_invalid_json_error(self, error: Exception, req: flask.Request, *args: Any, **kwargs: Any) -> NoReturn:
        abort(422, exc=error, message=_("The body is not valid JSON."),
              messages={"json": {"_schema": [_("The body is not valid JSON.")]}})

    def handle_error(self, error: ma.ValidationError, req: flask.Request, schema: ma.Schema, *,
                     error_status_code: int | None, error_headers: Any) -> NoReturn:
        abort(error_status_code or self.DEFAULT_VALIDATION_STATUS, exc=error, messages=error.messages,
              message=_("The request is not valid: see the errors by field."), schema=schema)


#: What each refusal means, for the document.
REFUSALS = {
    400: "The body is not JSON (the API takes application/json only).",
    401: "No token, or a token unknown, revoked, or of a deactivated user.",
    403: "The user's role, or their relation to the post, does not allow this.",
    404: "Not found, or outside the user's markets.",
    409: "The action is not possible from the post's state.",
    412: "If-Match names an older version of the post: reload it.",
    413: "The body is too large.",
    422: "Invalid input (errors by field), or a failed guard: its reasons by field or under `_workflow`.",
    428: "If-Match is missing, or is `*` for a decision (approve, accept, schedule, mark_published, "
         "confirm_published).",
    429: "Too many requests with unknown or revoked tokens from this client (a valid token is never throttled): "
         "wait the seconds Retry-After says.",
}
#: The headers of a refusal, for the document.
REFUSAL_HEADERS = {429: {"Retry-After": {
    "description": "Seconds to wait before retrying.", "required": True,
    "schema": {"type": "integer", "minimum": 1}}}}


#: The If-Match header as the server reads it: the post's ETag as last received, or ``*`` (any version), which a
#: decision refuses.
IF_MATCH: dict[str, Any] = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The `ETag` of the post as you last received it (412 when the post changed since). Only its "
                   "version is compared: the ETag of a held post (`\"post-42-v3-h0123456789abcdef\"`, its hold "
                   "part changing with the post's `hold`) and the plain one of the same version (`\"post-42-v3\"`) "
                   "are both accepted, as a stop switch or an embargo changes no text. `*` (any version) is "
                   "accepted for actions that decide nothing, but edits (text and media) and the decisions "
                   "`approve`, `accept`, `schedule`, `mark_published` and `confirm_published` need the real ETag "
                   "(428).",
    "schema": {"type": "string", "pattern": rf'^(\*|"{POST_TAG}")$', "example": '"post-42-v3"'},
}


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_if_match_doc)
        self._prepare_doc_cbks.append(self._prepare_one_body_per_action_doc)

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any) -> Callable:
        """Flask-smorest's route, naming the operation after the view (links in the document refer to it)."""
        register = super().route(rule, parameters=parameters, tags=tags, **options)

        def decorate(view: Callable) -> Callable:
            return register(self.doc(operationId=options.get("endpoint") or view.__name__)(view))

        return decorate

    def refusals(self, *codes: int) -> Callable:
        """Document the errors a view answers besides the ones every view may (401 and the token throttle's 429, and
        422 for its input)."""

        def decorate(view: Callable) -> Callable:
            for code in sorted({401, 429, *codes}, reverse=True):
                view = self.alt_response(code, schema=ErrorSchema, description=REFUSALS[code],
                                         headers=REFUSAL_HEADERS.get(code))(view)
            return view

        return decorate

    @staticmethod
    def requires_if_match(view: Callable) -> Callable:
        """Document the If-Match header the view requires, and its 412 and 428."""
        # flask-smorest keeps a view's documentation in this attribute (typing declares none on a function).
        setattr(view, "_apidoc", {**getattr(view, "_apidoc", {}), "if_match": True})
        return view

    def _prepare_if_match_doc(self, doc: dict, doc_info: dict, **_kwargs: Any) -> dict:
        if doc_info.get("if_match"):
            doc.setdefault("parameters", []).append(IF_MATCH)
            for code in (412, 428):
                doc["responses"][code] = http.HTTPStatus(code).name
        return doc


    @staticmethod
    def one_body_per_action(view: Callable) -> Callable:
        """Document the view's JSON body as one variant per action of the workflow table: each with the inputs
        that action takes (the server refuses the others) and, when the action requires one, the comment."""
        setattr(view, "_apidoc", {**getattr(view, "_apidoc", {}), "one_body_per_action": True})  # as above
        return view

    def _prepare_one_body_per_action_doc(self, doc: dict, doc_info: dict, *, spec: Any, **_kwargs: Any) -> dict:
        if not doc_info.get("one_body_per_action") or "requestBody" not in doc:
            return doc
        content = doc["requestBody"]["content"]["application/json"]
        schema = content["schema"]
        name = (type(schema) if isinstance(schema, ma.Schema) else schema).__name__.removesuffix("Schema")
        if name not in spec.components.schemas:  # the variants point into it: it stays in the document
            spec.components.schema(name, schema=schema)
        content["schema"] = {"oneOf": transition_bodies(name)}
        return doc


def transition_bodies(component: str) -> list[dict]:
    """The body of each action: ``action`` fixed, ``comment``, and the inputs it takes, as the table says; the
    fields themselves are the ``component`` schema's."""
    from approval.workflow.table import ACTIONS_TAKING, USER_ACTIONS, rows_for

    base = f"#/components/schemas/{component}/properties"
    bodies = []
    for action in USER_ACTIONS:
        inputs = sorted(input_name for input_name, actions in ACTIONS_TAKING.items() if action in actions)
        required = ["action"]
        if any(row.comment_required for row in rows_for(action)):
            required.append("comment")
        bodies.append({
            "type": "object",
            "title": action.value,
            "properties": {"action": {"type": "string", "enum": [action.value]},
                           **{field: {"$ref": f"{base}/{field}"} for field in ("comment", *inputs)}},
            "required": required,
            "additionalProperties": False,
        })
    return bodies


def field_errors(messages: Any) -> dict[str, list[str]]:
    """webargs' ``{location: {field: [message]}}`` as the contract's ``{field: [message]}``.

    A field's nested messages (a list item, say) are joined into its own list; a location's own messages (the body
    was not an object) go under ``_schema``.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_schema": _strings(messages)}
    for location_messages in messages.values():
        if not isinstance(location_messages, dict):
            errors.setdefault("_schema", []).extend(_strings(location_messages))
            continue
        for field, reasons in location_messages.items():
            errors.setdefault(str(field), []).extend(_strings(reasons))
    return errors


def _strings(reasons: Any) -> list[str]:
    if isinstance(reasons, dict):
        return [text for value in reasons.values() for text in _strings(value)]
    if isinstance(reasons, list | tuple):
        return [text for value in reasons for text in _strings(value)]
    return [str(reasons)]
