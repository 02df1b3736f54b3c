"""Why the engine refused an action. ``approval.errors`` maps each to one HTTP status, once."""

from __future__ import annotations


class WorkflowError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None,
                 findings: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        #: The style gate's findings when it refused the action (as revisions keep them), for the API's answer.
        self.findings = findings or []


class NotPermitted(WorkflowError):
    """The actor's role, markets or relation to the post do not allow this action."""

    status = 403


class InvalidTransition(WorkflowError):
    """The action does not exist from the post's current state."""

    status = 409


class Stale(WorkflowError):
    """The post changed since the actor loaded it: their page or ETag is outdated."""

    status = 409


class GuardFailed(WorkflowError):
    """The action is possible here, but a condition failed; ``errors`` says which and why."""

    status = 422
