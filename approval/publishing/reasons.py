"""Why the worker did not send a post, in words each reader gets in their language.

The worker writes its reasons into the audit trail: the step's comment in English (what the trail, the API and the
command line show), and beside it, in the step's payload (``why``), each reason as a message id and its parameters,
so that a page renders it in its reader's language. A reason from the style gate carries its findings (each with
its own message id) rather than their English text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from approval.style import localize
from approval.style.i18n import N_, english_number, render

Reason = dict[str, Any]

DEACTIVATED = N_("The account is deactivated.")
NOT_APPROVED = N_("The current revision is not the approved one.")
DIGEST_CHANGED = N_("The text or the media no longer match the SHA-256 that was approved.")
FILE_CHANGED = N_("Media file %(sha)s… is missing from the media store, or its bytes are not the approved ones.")
STYLE_GATE = N_("The style gate refuses it under the policy in force: %(errors)s")
NO_TEXT = N_("The post has no text.")
CHECK_FAULT = N_("The checks before sending stopped on an error (%(error)s); nothing was sent. Retry it, and if it "
                 "fails again, ask an administrator to read the worker's log.")
NOT_CONNECTED = N_("The account is not connected to a publisher: connect it, then retry.")
# Why a slot was missed (the grace period passed before the post went out).
MISSED_HELD = N_("A stop switch or an embargo held it until its grace period passed.")
MISSED_REFUSED = N_("The network kept asking to wait (last: %(last)s) until its grace period passed.")
MISSED_QUOTA = N_("The network's posting quota for the account held it back until its grace period passed.")
MISSED_UNSENT = N_("No publishing worker sent it within its grace period: was one running (approval worker)?")


def reason(message_id: str, *, findings: Iterable[Mapping[str, Any]] = (), **params: object) -> Reason:
    """One reason: its message id, its parameters, and for the style gate the findings it names (stored dicts)."""
    return {"id": message_id, "params": params, "findings": list(findings)}


def text(reasons: Iterable[Reason], gettext: Callable[[str], str] | None = None,
         number: Callable[[float], str] = english_number) -> str:
    """The reasons as one text: in English, or through ``gettext`` with decimals written by ``number``."""
    return " ".join(_one(r, gettext, number) for r in reasons)


def _one(given: Reason, gettext: Callable[[str], str] | None, number: Callable[[float], str]) -> str:
    params = dict(given.get("params") or {})
    if given.get("findings"):
        params["errors"] = "; ".join(f"{f['rule']}: {localize(f, gettext, number) if gettext else f['message']}"
                                     for f in given["findings"])
    return render(given["id"], params, gettext, number)
