"""The pages' side of media (issue 11): the editor uploads (with progress, from its script), reorders, describes and
removes files; every page shows files and thumbnails to those who see a post showing them; the previews of a post
as each network shows it, redrawn as the text changes.

The forms work without script too: an upload form, and one form listing the files in order with their alternative
texts and buttons to move or remove each. With script (static/media.js) the same endpoints answer JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from approval import csrf
from approval import operations as ops
from approval.access import revision_read_by, visible_accounts
from approval.api.media import file_response
from approval.db import db
from approval.filters import file_size
from approval.inputs import check_form_text, parse_id
from approval.labels import finding_message, label, state_label
from approval.media import attach, convert, downloads, intake, previews, thumbnails
from approval.media.inspect import MediaRefused
from approval.media.publication import still_to_go_out
from approval.models import Account, MediaFile, MediaKind, Post, Revision
from approval.publishing.status import dropped_slot
from approval.views import form_version
from approval.style import Severity
from approval.style.media import DIMENSIONS, KIND_NAMES, NETWORKS, MediaItem, accepted, media_index
from approval.style.network import MEDIA, NAMES
from approval.workflow.engine import TrailEntry
from approval.workflow.errors import WorkflowError

bp = Blueprint("media", __name__)

UPLOAD_ENDPOINT = "media.upload_media"


@bp.url_value_preprocessor
def _before_the_body_is_read(endpoint: str | None, _values: dict | None) -> None:
    """An upload's files stream to disk under the media caps, once its view reads the body: after it has decided who
    may upload there (logged out, outside the user's markets, not theirs to change or not now, nobody has a byte
    written to disk). The CSRF check, which reads the form, is the view's own for that reason."""
    if endpoint == UPLOAD_ENDPOINT and request.method == "POST":
        intake.stream_uploads_to_disk()


bp.teardown_request(intake.remove_temporary_files)
bp.teardown_request(intake.remove_thumbnails)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


def media_json(post: Post) -> dict:
    """What the editor's script redraws from after a change."""
    revision = post.current_revision
    return {
        "version": post.version,
        "state": post.state.value,
        "state_label": state_label(post.state, post),  # as the title's badge says it (``state_badge``)
        "revision": revision.number if revision else None,
        "media": [{"id": m.file.id, "kind": m.file.kind.value, "name": m.name, "mime": m.file.mime,
                   "width": m.file.width,
                   "height": m.file.height, "bytes": m.file.bytes, "duration_s": m.file.duration_s, "alt": m.alt,
                   # As the card and the findings write it (``approval.filters.file_size``): one unit everywhere.
                   "size": file_size(m.file.bytes),
                   "thumbnail": url_for("media.thumbnail", media_id=m.file.id) if m.file.thumbnail_key else None,
                   "url": url_for("media.show_file", media_id=m.file.id)}
                  for m in (revision.media if revision else [])],
        # The findings about the media: each on its file (``media``: its position), or on them all (none yet).
        "findings": _media_findings(revision),
    }


def _media_findings(revision: Revision | None) -> list[dict]:
    """The revision's findings about its media: each on its file (``media``: its position), or on them all (a post
    that has none and needs some)."""
    if revision is None:
        return []
    shown = []
    for finding in revision.findings or []:
        index = media_index(finding["start"], finding["end"], revision.body)
        if index is not None or finding.get("rule") == MEDIA:
            shown.append({**finding, "message": finding_message(finding), "media": index,
                          "severity_label": label(Severity(finding["severity"]))})
    return shown


def _answer(post: Post, message: str | None = None, status: int = 200,  # noqa: ANN202
            entry: TrailEntry | None = None):
    if entry is not None and (dropped := dropped_slot(post, entry)):
        message = f"{message} {dropped}" if message else dropped
    if _wants_json():
        return jsonify({**media_json(post), "message": message}), status
    if message:
        flash(message, "success")
    return redirect(url_for("posts.edit_post", post_id=post.id, _anchor="media-editor"))


def _refusal(post_id: int, message: str, status: int, errors: dict | None = None):  # noqa: ANN202
    """A refusal: JSON for the editor's script (with ``errors``, the fields concerned), else the message flashed on
    the editor."""
    if _wants_json():
        return jsonify({"code": status, "message": message, **({"errors": errors} if errors else {})}), status
    flash(message, "error")
    return redirect(url_for("posts.edit_post", post_id=post_id, _anchor="media-editor")), 303


@bp.errorhandler(MediaRefused)
def _media_refused(error: MediaRefused):  # noqa: ANN202
    post_id = (request.view_args or {}).get("post_id")
    if not post_id:
        return error.message, error.status
    return _refusal(post_id, error.message, error.status, {"file": [error.message]})


@bp.errorhandler(intake.TooManyFiles)
def _too_many(_error: intake.TooManyFiles):  # noqa: ANN202
    return _media_refused(intake.too_many_files())


def _workflow_refusal(post_id: int, refused: WorkflowError):  # noqa: ANN202
    db.session.rollback()
    reasons = [r for rs in getattr(refused, "errors", {}).values() for r in rs]
    # A refusal of one field says its message twice (as the whole and as the field's): once is enough.
    return _refusal(post_id, " ".join(dict.fromkeys([refused.message, *reasons])).strip(), refused.status)


@bp.post("/posts/<id:post_id>/media")
@csrf.exempt  # checked in the view, once it has decided the user may upload here: the check reads the body
@login_required
def upload_media(post_id: int):
    post = ops.load_post(db.session, current_user, post_id)  # outside the user's markets: 404, before the body
    try:
        attach.check_can_change(post, current_user, None)  # not the user's to change, or not now: before the body
    except WorkflowError as refused:
        return _workflow_refusal(post_id, refused)
    strip_gps = attach.strips_location(db.session, post)
    network = attach.typed_network(db.session, post)  # whose types a file must have, if the policy says so
    post_network = post.account.network.value
    # Nothing held while the body is read and the files inspected (seconds for a video): SQLite's write lock, which
    # every transaction takes there, kept every other writer waiting until they gave up (503s).
    db.session.rollback()
    try:  # the body is read here, the files streaming to disk: the CSRF token, then every field's characters
        validate_csrf(request.form.get("csrf_token") or request.headers.get("X-CSRFToken"))
    except ValidationError as refused:
        raise CSRFError(str(refused)) from None  # answered as the CSRF check answers every other form
    check_form_text()
    version = form_version()
    # The files of a drop or of a pick, the script's as the plain form's, go in one request and are added together
    # in one revision. Each is checked and inspected as the API checks it (a type the post's network never takes is
    # refused; among several, the refusal names the file), then stored once the locked post accepts them (refused,
    # nothing is stored: the temporary files go with the request).
    uploads = [u for u in request.files.getlist("file") if u.filename or u.content_length]
    alts = one_text_per_file(request.form.getlist("alt"), len(uploads))
    try:
        # Neither a picture nor a video: said with the types this post's network takes.
        received = attach.receive_uploads(uploads, alts, strip_gps=strip_gps, network=network,
                                          not_media=not_media_words(post_network))
    except WorkflowError as refused:
        return _workflow_refusal(post_id, refused)
    post = ops.load_post(db.session, current_user, post_id, for_update=True)
    try:
        attach.check_can_change(post, current_user, version, alts=alts)
        if not uploads:
            return _refusal(post_id, _("Choose a picture or a video to add."), 400)
        attach.check_room(post, [checked.sha256 for checked in received])
        media_files = [attach.store(db.session, checked, current_user) for checked in received]
        entry = attach.add_media(db.session, post, current_user, *media_files, alts=alts,
                                 names=[checked.name for checked in received], expected_version=version)
    except WorkflowError as refused:
        return _workflow_refusal(post_id, refused)
    # A picture converted to JPEG for the post's network is said after what became of the upload, there too.
    converted = attach.conversion_note(received, network)
    if entry is None:  # the same bytes are already among the post's media, with the same alternative texts
        return _answer(post, _said(ngettext("This file is already among the post's media: nothing changed.",
                                            "These files are already among the post's media: nothing changed.",
                                            len(received)), converted))
    moved = entry.from_state != entry.to_state
    added = (_("Added. The post went back to review: the approval was for the previous media.") if moved
             else _("Added."))
    return _answer(post, _said(added, converted), 201 if _wants_json() else 200, entry)


def _said(*sentences: str | None) -> str:
    return " ".join(sentence for sentence in sentences if sentence)


@bp.post("/posts/<id:post_id>/media/arrange")
@login_required
def arrange_media(post_id: int):
    """The files in the order the form lists them (``item``), with their alternative texts (``alt-<id>``); ``up``,
    ``down`` or ``remove`` (a file's id) moves or removes one. A form that lists no file keeps the post's order: a
    file leaves the post through ``remove`` only (a form cut short, or sent by hand, emptied the post). An id that
    cannot be read refuses the whole form: it was dropped, and its file removed."""
    post = ops.load_post(db.session, current_user, post_id, for_update=True)
    version = form_version()
    try:
        ids = [_form_id(value) for value in request.form.getlist("item")]
        named = {key: _form_id(request.form[key]) for key in ("up", "down", "remove") if key in request.form}
    except ValueError:
        db.session.rollback()
        message = _("The form names a file by an id that cannot be read: reload the page and retry.")
        return _refusal(post_id, message, 400, {"item": [message]})
    if "item" not in request.form:
        ids = [attachment.file.id for attachment in attach.current_attachments(post)]
    for key, delta in (("up", -1), ("down", 1)):
        moved = named.get(key)
        if moved in ids:
            at = ids.index(moved)
            to = max(0, min(len(ids) - 1, at + delta))
            ids[at], ids[to] = ids[to], ids[at]
    removed = named.get("remove")
    items = [(media_id, request.form.get(f"alt-{media_id}")) for media_id in ids if media_id != removed]
    try:
        entry = attach.set_media(db.session, post, current_user, items, expected_version=version)
    except WorkflowError as refused:
        return _workflow_refusal(post_id, refused)
    if entry is None:
        return _answer(post, _("Already saved: nothing changed since."))
    moved_state = entry.from_state != entry.to_state
    if removed is not None and removed in ids:
        message = (_("Removed. The post went back to review: the approval was for the previous media.")
                   if moved_state else _("Removed."))
    else:
        message = (_("Saved. The post went back to review: the approval was for the previous media.") if moved_state
                   else _("Saved."))
    return _answer(post, message, entry=entry)


def one_text_per_file(alts: list[str], files: int) -> list[str | None]:
    """The alternative texts of an upload, one per file as the API takes them, or none (the script sends none: each
    file is described in the list, where it lands). The plain form's one field describes the first of the files
    picked. The form always sends its field: left empty, it says nothing (a file picked again keeps its text)."""
    texts: list[str | None] = [alt if alt.strip() else None for alt in alts]
    if len(texts) == 1 and files != 1:
        return [*texts[:files], *[None] * (files - 1)]
    return texts


def not_media_words(network: str) -> str:
    """A file that is neither a picture nor a video: the types a post on ``network`` takes, not every type the
    application reads (an Instagram post takes JPEG pictures only, YouTube a video)."""
    takes = NETWORKS[network]
    pictures = ", ".join(KIND_NAMES[t] for t in accepted(network) if t.startswith("image/"))
    videos = ", ".join(KIND_NAMES[t] for t in accepted(network) if t.startswith("video/"))
    name = NAMES[network]
    if not takes.max_images:
        return _("This is not a video (%(videos)s) that %(network)s takes.", videos=videos, network=name)
    return _("This is neither a picture (%(pictures)s) nor a video (%(videos)s) that %(network)s takes.",
             pictures=pictures, videos=videos, network=name)


def _form_id(value: str) -> int:
    """A file's id as the form sends it; ValueError when it is not one."""
    media_id = parse_id(value)
    if media_id is None:
        raise ValueError(value)
    return media_id


@bp.get("/media/<id:media_id>")
@login_required
def show_file(media_id: int):
    media_file = attach.load_visible_file(db.session, current_user, media_id)
    return file_response(media_file.storage_key, media_file.mime, media_file.sha256, media_file.bytes)


@bp.get(f"/media/files/<string(maxlength={downloads.MAX_TOKEN}):token>")
def published_file(token: str):
    """A publication's file, for its receiver (the ``url`` of a webhook's or the outbox's media item): no account,
    a link the worker signed (``approval.media.downloads``), open for a week after the slot and while the file may
    still go out; 404 for any other."""
    named = downloads.opened(current_app, token)
    if named is None or named.expired:
        abort(404)
    media_file = db.session.get(MediaFile, named.file_id)
    if media_file is None or media_file.sha256 != named.sha256:
        abort(404)
    if named.closed and not (named.post_id is not None and still_to_go_out(db.session, named.file_id, named.post_id)):
        abort(404)
    return file_response(media_file.storage_key, media_file.mime, media_file.sha256, media_file.bytes)


@bp.get("/media/<id:media_id>/thumbnail")
@login_required
def thumbnail(media_id: int):
    media_file = attach.load_visible_file(db.session, current_user, media_id)
    if not thumbnails.ready(media_file):
        if media_file.kind != MediaKind.image:
            abort(404)  # a video whose first frame could not be drawn: the pages show its name instead
        # A picture whose thumbnail cannot be drawn (its file is damaged, or missing from the store): the pages
        # show a plain placeholder, not a broken image.
        placeholder = send_from_directory(current_app.static_folder or "static", "no-thumbnail.svg",
                                          mimetype="image/svg+xml")
        placeholder.cache_control.no_store = True
        return placeholder
    assert media_file.thumbnail_key is not None
    return file_response(media_file.thumbnail_key, "image/jpeg", media_file.sha256 + "-thumbnail")


@bp.post("/posts/preview")
@login_required
def preview():
    """The previews for a text being written (the editor's script posts it as the user types): the post's media and
    network, or the chosen account's network for a new post."""
    text = (request.form.get("body") or "")[:70000].replace("\r\n", "\n")
    post_id = request.form.get("post_id", type=int)
    revision = None
    if post_id:
        post = ops.load_post(db.session, current_user, post_id)
        # A cabinet previews what it was sent, never the writers' draft since (``access.read_by``).
        account, revision = post.account, revision_read_by(db.session, post, current_user)
    else:
        account = db.session.scalar(visible_accounts(current_user).where(
            Account.id == request.form.get("account_id", type=int)))
        # A new post copied from another (``views.posts.new_post``): the files the copy brings, on this account, as
        # its writer reads it (a cabinet writes no post, and reads only what it was sent: ``access.read_by``).
        copy_of = request.form.get("copy_of", type=int)
        if copy_of:
            revision = revision_read_by(db.session, ops.load_post(db.session, current_user, copy_of), current_user)
    network = account.network.value if account else "x"
    # The files picked on a new post's form and not sent yet, after a copy's: drawn without a picture of their own.
    picked = picked_items(account) if account is not None and not post_id else []
    views = [previews.MediaView(id=0, kind=item.kind, width=item.width, height=item.height, alt=item.alt,
                                has_thumbnail=False) for item in picked]
    return render_template("media/_preview.html", preview=previews.build(
        network, text, [*previews.media_views(revision), *views], handle=account.handle if account else "handle",
        name=_shown_name(account) if account else ""))


#: The most a picked file's figures may be, as the new-post form's script measures them (``picked_items``).
PICKED_MAX_SIDE = 100_000
PICKED_MAX_SECONDS = 100_000


def picked_items(account: Account) -> list[MediaItem]:
    """The files picked on the new-post form for a post on ``account``, not sent yet, as its script describes them
    (``picked``: a JSON list of ``{"type", "bytes", "width", "height", "seconds", "alt"}``, static/media.js): what
    the live check and the preview know of them before they are stored. A picture its network takes only as a JPEG
    is seen as the JPEG it becomes (``convert.converts``); a side the browser could not measure is 0, and
    ``unmeasured`` drops the findings about it. A type that is no picture nor video is left out: the form refuses it
    when it is sent. A value that is not such a list is refused (400)."""
    raw = request.form.get("picked") or ""
    if not raw:
        return []
    try:
        listed = json.loads(raw)
        if not isinstance(listed, list) or len(listed) > intake.MAX_MEDIA:
            raise ValueError(raw)
        items = [_picked_item(value) for value in listed]
    except (ValueError, RecursionError):
        abort(400, description=_("The files picked on the form could not be read: reload the page and pick them "
                                 "again."))
    return as_saved([item for item in items if item.kind], account)


def as_saved(items: Sequence[MediaItem], account: Account) -> list[MediaItem]:
    """``items`` as a new post on ``account`` stores them: a still picture its network takes only as a JPEG is that
    JPEG (``convert.converts``; a copy's, ``attach.conversions``; one picked, ``intake.receive``)."""
    network = attach.typed_network_of(db.session, account)
    return [replace(item, mime=convert.JPEG) if (item.frames or 1) == 1 and convert.converts(network, item.kind,
                                                                                               item.mime) else item
            for item in items]


def _picked_item(value: object) -> MediaItem:
    """One picked file's description (``picked_items``); its kind empty for a type that is no picture nor video;
    ValueError when it is no such description."""
    if not isinstance(value, dict):
        raise ValueError(value)
    mime, alt, seconds = value.get("type") or "", value.get("alt") or "", value.get("seconds")
    if not isinstance(mime, str) or not isinstance(alt, str) or len(alt) > attach.MAX_ALT:
        raise ValueError(value)
    if seconds is not None and not (_number(seconds) and math.isfinite(seconds)
                                    and 0 <= seconds <= PICKED_MAX_SECONDS):
        raise ValueError(value)
    return MediaItem(kind=mime.split("/", 1)[0] if mime in KIND_NAMES else "", mime=mime,
                     bytes=_whole(value.get("bytes")), width=_whole(value.get("width"), PICKED_MAX_SIDE),
                     height=_whole(value.get("height"), PICKED_MAX_SIDE),
                     duration_s=float(seconds) if seconds is not None else None, alt=alt)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: object, high: int | None = None) -> int:
    """A count from the script's JSON (missing: 0); ValueError when it is none, or above ``high``."""
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (high is not None and value > high):
        raise ValueError(value)
    return value


def unmeasured(findings: list[Any], items: list[MediaItem], offset: int, text: str) -> list[Any]:
    """``findings`` without those about the sides of picked files the browser could not measure (``items``, after
    ``offset`` files of a copy): a picture of 0×0 is no finding about the file picked."""
    blind = {offset + i for i, item in enumerate(items) if not (item.width and item.height)}
    return [f for f in findings if not (f.rule == DIMENSIONS and media_index(f.start, f.end, text) in blind)]


def pick_words(network: str) -> dict[str, Any]:
    """What the new-post form's file field says and offers for a post on ``network`` (templates/media/_pick.html):
    the types it takes, as the editor says them, those converted to JPEG, and whether it shows alternative texts."""
    takes, converted = accepted(network), convert.converted_types(network)
    said = _("%(network)s takes %(types)s.", network=NAMES[network], types=", ".join(KIND_NAMES[t] for t in takes))
    if converted:
        said += " " + _("Still %(types)s pictures are converted to JPEG.",
                        types=", ".join(KIND_NAMES[t] for t in converted))
    return {"takes": said, "accept": ",".join((*takes, *converted)), "name": NAMES[network],
            "alt_image": media_alt_taken(network, "image"), "alt_video": media_alt_taken(network, "video")}


def _shown_name(account: Account) -> str:
    """The name a network shows above the account's posts: the executive's for an executive's own account."""
    return account.executive.name if account.executive else (account.brand or account.handle)


@bp.app_template_global("network_preview")
def network_preview(post: Post | None, revision: Revision | None = None, account: Account | None = None,
                    text: str = "") -> previews.Preview:
    """The preview of ``revision`` (the post's current one by default) as the post's network shows it; for a post
    not written yet, ``text`` as ``account`` (the one the form has chosen) would show it, before any script runs."""
    if post is None:  # ``revision``: the post a new one copies, whose files come with it
        if account is None:
            return previews.build("x", text, previews.media_views(revision))
        return previews.build(account.network.value, text, previews.media_views(revision), handle=account.handle,
                              name=_shown_name(account))
    revision = revision or post.current_revision
    return previews.build(post.account.network.value, revision.body if revision else "",
                          previews.media_views(revision), handle=post.account.handle,
                          name=_shown_name(post.account))


@bp.app_template_global("media_alt_taken")
def media_alt_taken(network: str, kind: str) -> bool:
    """Whether ``network`` shows an alternative text for a file of ``kind`` ("image" or "video"): the editor asks for
    one only then (``approval.style.media.NETWORKS``)."""
    limits = NETWORKS.get(network)
    return limits is not None and limits.alt_supported and (kind != "video" or limits.video_alt)


@bp.app_template_test("media_picture_type")
def media_picture_type(mime: str) -> bool:
    return mime.startswith("image/")


@bp.app_template_global("media_changes")
def media_changes(old: Revision | None, new: Revision | None) -> list[dict]:
    """What changed in the media from ``old`` to ``new``, for the diff view: each file of either, with what a person
    did to it: ``change`` is added, removed, moved, described or kept (``described`` also says a moved file got a
    new alternative text), ``passed`` that a kept file changed place because another file moved past it (rather than
    because one before it was added or removed)."""
    before = {m.file.id: (i, m) for i, m in enumerate(old.media if old else [])}
    after = {m.file.id: (i, m) for i, m in enumerate(new.media if new else [])}
    moved = _moved([media_id for media_id in before if media_id in after],
                   [media_id for media_id in after if media_id in before])
    changes = []
    for media_id, (position, item) in after.items():
        was = before[media_id][0] if media_id in before else None
        described = was is not None and before[media_id][1].alt != item.alt
        if was is None:
            change = "added"
        elif media_id in moved:
            change = "moved"
        elif described:
            change = "described"
        else:
            change = "kept"
        # A kept file's place shifts by the files added before it less those removed before it; any other shift is
        # another file's move.
        shift = (sum(1 for other in list(after)[:position] if other not in before)
                 - sum(1 for other in list(before)[:was] if other not in after)) if was is not None else 0
        changes.append({"file": item.file, "name": item.name, "alt": item.alt, "position": position + 1,
                        "change": change, "described": described,
                        "passed": was is not None and position - was != shift,
                        "was": was + 1 if was is not None else None,
                        "old_alt": before[media_id][1].alt if media_id in before else None})
    for media_id, (position, item) in before.items():
        if media_id not in after:
            changes.append({"file": item.file, "name": item.name, "alt": item.alt, "position": None,
                            "change": "removed", "described": False, "passed": False,
                            "was": position + 1, "old_alt": item.alt})
    return changes


def _moved(before: list[int], after: list[int]) -> set[int]:
    """The files whose order among the others changed (``before`` and ``after`` list the same files): those outside
    a longest common subsequence of the two orders, the fewest moves that explain the new one. A file dragged to the
    front moved; the files it passed did not, though their positions changed."""
    longest = [[0] * (len(after) + 1) for _ in range(len(before) + 1)]
    for i in reversed(range(len(before))):
        for j in reversed(range(len(after))):
            longest[i][j] = (longest[i + 1][j + 1] + 1 if before[i] == after[j]
                             else max(longest[i + 1][j], longest[i][j + 1]))
    stayed = set()
    i = j = 0
    while i < len(before) and j < len(after):
        if before[i] == after[j]:
            stayed.add(before[i])
            i, j = i + 1, j + 1
        elif longest[i + 1][j] >= longest[i][j + 1]:
            i += 1
        else:
            j += 1
    return set(after) - stayed
