"""HTML blueprints, one per role or area, and the helpers they share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, request
from flask_login import current_user, login_required

from approval.workflow.states import Role


def show_refusal(form: Any, errors: dict[str, list[str]]) -> None:
    """A refusal's reasons on the form's fields; a reason about no field the form has is a message."""
    for name, messages in errors.items():
        field = getattr(form, name, None) if form is not None else None
        if field is None or not hasattr(field, "errors"):
            for message in messages:
                flash(message, "error")
        else:
            field.errors = [*field.errors, *messages]


def roles_required(*roles: Role) -> Callable:
    """A logged-in user of one of ``roles``, or 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def form_version() -> int:
    """The post's version the page was read at (the form's ``version``). Missing, or no number: a version no post
    has, so the engine refuses the change as made on a stale page, instead of making it without the check."""
    version = request.form.get("version", type=int)
    return -1 if version is None else version
