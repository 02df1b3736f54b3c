"""ETags and If-Match: a post's ETag names its version, and a change must say which version it was made on.

The ETag is strong and changes with every change of the post (its version is bumped on every UPDATE), and with what
holds it: a stop switch or an embargo changes the post's ``hold`` without touching the post, so a held post's ETag
carries a digest of its hold besides its version (``"post-42-v3-h0123456789abcdef"``). Without it a client polling
with If-None-Match got a 304 for a post a switch now held: one strong ETag for two answers.

The API reads the version back out of ``If-Match`` and hands it to the operation as ``expected_version``: the
engine's freshness check is the one rule, and ``approval.errors`` answers its ``Stale`` with 412 on the API. The
hold part is not compared there: a hold is no edit, and a write made on the version read, before or after the switch,
conflicts with nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, PreconditionRequired

from approval.models import Post
from approval.workflow.errors import Stale
from approval.workflow.states import Action

#: The digits of a hold's digest in an ETag: enough that two holds of one post never share one.
HOLD_DIGITS = 16
#: A post's ETag between its quotes, as the OpenAPI document gives it (``blueprint.IF_MATCH``).
POST_TAG = rf"post-[0-9]{{1,10}}-v[0-9]{{1,10}}(-h[0-9a-f]{{{HOLD_DIGITS}}})?"
_POST_TAG = re.compile(rf"post-([0-9]{{1,10}})-v([0-9]{{1,10}})(?:-h[0-9a-f]{{{HOLD_DIGITS}}})?", re.ASCII)


def etag_of(post_id: int, version: int, hold: Mapping[str, Any] | None = None) -> str:
    """The ETag of a post's answer: its version, and ``hold`` (the answer's ``hold`` as dumped, None when nothing
    holds it) as a digest of everything the answer says of it (what holds it, since and until when, why)."""
    if hold is None:
        return f'"post-{post_id}-v{version}"'
    said = json.dumps(hold, sort_keys=True, separators=(",", ":"), default=str)
    return f'"post-{post_id}-v{version}-h{hashlib.sha256(said.encode()).hexdigest()[:HOLD_DIGITS]}"'


#: The actions ``If-Match: *`` ("whatever it is now") may ask for: they decide nothing about the text, and undo
#: easily. Every other one binds what its sender read: a decision (approve, reject, request changes, a cabinet's
#: answer, a schedule, a retry, a withdrawal) would land on a text written after the request left, an edit would
#: silently overwrite another person's; they need a real ETag.
ANY_VERSION = frozenset({Action.submit, Action.recall, Action.unschedule})


def expected_version(post: Post, action: Action | str | None = None) -> int:
    """The version ``If-Match`` names for ``post``: 428 without the header (or with ``*`` for an action outside
    ``ANY_VERSION``), 412 when it names no version of it. A held post's ETag names its version as the plain one does
    (its hold part is not compared)."""
    if not request.headers.get("If-Match", "").strip():
        raise PreconditionRequired(_("Send If-Match with the ETag of the post as you last saw it."))
    if_match = request.if_match
    if if_match.star_tag:
        if action not in ANY_VERSION:
            raise PreconditionRequired(_("A decision or an edit needs the ETag of the version you read: If-Match: * "
                                         "is not enough."))
        return post.version
    versions, well_formed = set(), False
    strong = if_match.as_set()
    for tag in strong:
        match = _POST_TAG.fullmatch(tag or "")  # an empty tag ("") parses as None
        well_formed = well_formed or match is not None
        if match and int(match[1]) == post.id:
            versions.add(int(match[2]))
    if not well_formed:
        if any(_POST_TAG.fullmatch(tag or "") for tag in if_match.as_set(include_weak=True) - strong):
            # RFC 9110: If-Match compares strongly; a weak tag matches no version.
            raise Stale(_("A weak ETag (W/...) matches no version in If-Match: send the ETag as the answer gave "
                          "it."))
        # Not a post's ETag at all: a malformed request, not a stale one.
        raise BadRequest(_('If-Match is not the ETag of a post ("post-ID-vN") nor *.'))
    if not versions:
        raise Stale(_("If-Match names no version of this post: reload it and use its ETag."))
    return post.version if post.version in versions else min(versions)
