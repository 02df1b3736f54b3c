"""HTML blueprints, one per role or area, and the helpers they share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import current_user, login_required

from approval.workflow.states import Role


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
