"""Media over HTTP (CONTRACT.md): upload a picture or a video to a post, remove it, set the order and the
alternative texts, and read a file. Every change is a new revision, with the same rules as a text edit: If-Match,
and an approved or scheduled post goes back to review.

Uploads are ``multipart/form-data`` (a ``file`` and an optional ``alt``), streamed to disk while their SHA-256 is
computed (``approval.media.intake``): the API's JSON-only, 1 MB rule does not apply to this blueprint's upload.
"""

from __future__ import annotations

import mimetypes
import re
from typing import cast

from flask import Response, current_app, g, request, send_file
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import fields
from werkzeug.exceptions import BadRequest, PreconditionRequired

from approval import operations as ops
from approval.access import read_by
from approval.api.auth import MAX_BODY_BYTES, _authenticate, check_json_body, current_api_user
from approval.api.blueprint import IF_MATCH, Blueprint
from approval.api.fields import MAX_ID
from approval.api.posts import ETAG, POST, POST_SCHEMA, post_headers, post_response
from approval.api.preconditions import expected_version
from approval.api.schemas import ErrorSchema, MediaOrderArgs, PostSchema
from approval.db import db
from approval.errors import error_body
from approval.inputs import check_form_text
from approval.media import attach, intake
from approval.media.inspect import MediaRefused
from approval.media.storage import iter_file, storage
from approval.models import Post, User
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Action

bp = Blueprint("api_media", __name__, url_prefix="/api/v1",
               description="Pictures and videos on posts: each change is a new revision, approved with the text.")

MEDIA = f"<int(min=1, max={MAX_ID}):media_id>"
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "JPEG, PNG, WebP or GIF picture; MP4 or MOV video (H.264 or HEVC), of "
                                           "a type the post's network takes. A still picture of a type it does not "
                                           "take, on a network that takes JPEG, is converted to a JPEG (a PNG on "
                                           "Instagram: transparency on white, orientation applied, sRGB; its name "
                                           "ends in .jpg, and `message` says so); any other type it does not take "
                                           "is a 415 (an animated GIF on Instagram, a picture on YouTube). "
                                           "Repeat the field to add several files together, in order, in one "
                                           "revision (one review for a carousel); one refused refuses them all, "
                                           "and the refusal names it (\"b.jpg (file 2 of 3): ...\")."},
                   "alt": {"type": "string", "maxLength": attach.MAX_ALT,
                           "description": "The alternative text read to people who cannot see the picture. With "
                                          "several files: none, or one per file in the files' order (422 "
                                          "otherwise)."}}}}}}


class UploadSchema(PostSchema):
    """The post an upload changed, and what the upload did to the files it took (CONTRACT.md's post, and
    ``message``)."""

    message = fields.String(required=True, allow_none=True, metadata={
        "description": "What the upload did to the files sent, in the reader's language: \"launch.png was converted "
                       "to JPEG for Instagram.\" Null when each file is stored as sent."})


@bp.url_value_preprocessor
def _before_the_body_is_read(endpoint: str | None, _values: dict | None) -> None:
    """Runs before every ``before_request``: an upload's files will stream to disk under the media caps, once its
    view reads the body, after the token and whether its user may change the post (``approval.inputs`` leaves its
    form to the view). Every other call keeps the API's 1 MB cap."""
    if endpoint == "api_media.upload_media" and request.method == "POST":
        intake.stream_uploads_to_disk()
    else:
        request.max_content_length = MAX_BODY_BYTES


@bp.before_request
def _check_request() -> None:
    """As every API call (approval.api.auth.check_request): the body's type first, then the bearer token; the
    upload takes ``multipart/form-data`` where the other calls take JSON."""
    if request.method == "OPTIONS":
        return
    if request.endpoint != "api_media.upload_media":
        check_json_body()
    elif request.method == "POST" and request.mimetype and request.mimetype != "multipart/form-data":
        raise BadRequest(_("Send the file as multipart/form-data, in a field named file."))
    g.api_user = _authenticate()


bp.teardown_request(intake.remove_temporary_files)
bp.teardown_request(intake.remove_thumbnails)


@bp.errorhandler(MediaRefused)
def _refused(error: MediaRefused):  # noqa: ANN202
    return error_body(error.status, error.message, {"file": [error.message]}), error.status


@bp.errorhandler(intake.TooManyFiles)
def _too_many(_error: intake.TooManyFiles):  # noqa: ANN202
    return _refused(intake.too_many_files())


@bp.route(f"{POST}/media", methods=["POST"])
@bp.doc(requestBody=UPLOAD_BODY)
@bp.response(201, UploadSchema, headers=ETAG)
@bp.alt_response(200, schema=UploadSchema, headers=ETAG, success=True,
                 description="The post already shows this file with this alternative text: nothing changed.")
@bp.refusals(400, 403, 404, 409, 413, 422)
@bp.alt_response(415, schema=ErrorSchema, description=(
    "Not a picture or a video that posts take, or of a type the post's network never takes and that is not "
    "converted (an animated GIF on Instagram, a picture on YouTube): the reason under `errors.file`."))
@bp.requires_if_match
def upload_media(post_id: int):
    """Attach pictures or videos: a new revision; an approved or scheduled post goes back to review."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id)  # outside the user's markets: 404 first, before the body
    attach.check_can_change(post, user, None)  # not the user's to change, or not now: before the body
    strip_gps = attach.strips_location(db.session, post)
    network = attach.typed_network(db.session, post)  # whose types a file must have, if the policy says so
    db.session.rollback()  # nothing held while the file is inspected (views.media.upload_media)
    if request.mimetype != "multipart/form-data":
        raise BadRequest(_("Send the file as multipart/form-data, in a field named file."))
    uploads = request.files.getlist("file")  # the body is read here, the files streaming to disk
    alts = request.form.getlist("alt")
    check_form_text()
    # The body's shape first, then its preconditions. Several files are added together, in order, in one revision
    # (a carousel is one review), each with the alternative text at its place; one refused refuses them all.
    if not uploads:
        raise _file_refused(_("Send the file in a field named file."))
    # Checked and inspected, a type the post's network never takes refused (415), the file named among several.
    received = attach.receive_uploads(uploads, alts, strip_gps=strip_gps, network=network)
    post = ops.load_post(db.session, user, post_id, for_update=True)
    version = _expected_version(post)
    attach.check_can_change(post, user, version, alts=alts)
    attach.check_room(post, [checked.sha256 for checked in received])
    media_files = [attach.store(db.session, checked, user) for checked in received]
    entry = attach.add_media(db.session, post, user, *media_files, alts=alts,
                             names=[checked.name for checked in received], expected_version=version)
    # The same bytes with the same alternative texts: the post already shows them, no revision is made.
    return _upload_response(post, 200 if entry is None else 201, attach.conversion_note(received, network))


def _upload_response(post: Post, status: int, message: str | None) -> Response:
    """``approval.api.posts.post_response``, with what the upload did to the files (``UploadSchema``)."""
    body = {**POST_SCHEMA.dump(read_by(db.session, current_api_user(), [post])[0]), "message": message}
    response = cast(Response, current_app.json.response(body))
    response.status_code = status
    response.headers.update(post_headers(body, created=status == 201))
    return response


def _file_refused(message: str) -> BadRequest:
    error = BadRequest(message)
    # werkzeug's exceptions declare no ``data``: the error handlers read it with getattr (errors.py).
    setattr(error, "data", {"message": message, "messages": {"files": {"file": [message]}}})
    return error


@bp.route(f"{POST}/media/{MEDIA}", methods=["DELETE"])
@bp.response(200, PostSchema, headers=ETAG)
@bp.refusals(400, 403, 404, 409)
@bp.requires_if_match
def delete_media(post_id: int, media_id: int):
    """Remove a file from the post: a new revision (the file stays in earlier revisions)."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id, for_update=True)
    attach.remove_media(db.session, post, user, media_id, expected_version=_expected_version(post))
    return post_response(post)


@bp.route(f"{POST}/media", methods=["PUT"])
@bp.arguments(MediaOrderArgs())
@bp.response(200, PostSchema, headers=ETAG)
@bp.refusals(400, 403, 404, 409, 413)
@bp.requires_if_match
def set_media(args: dict, post_id: int):
    """Set the order and the alternative texts of the post's files: a new revision. Every file of the post is
    listed (422 otherwise, nothing changed); a file leaves the post through `DELETE /posts/{id}/media/{media_id}`."""
    user = current_api_user()
    post = ops.load_post(db.session, user, post_id, for_update=True)
    version = _expected_version(post)
    items = [(item["id"], item.get("alt")) for item in args["items"]]
    _check_every_file_listed(post, user, version, [media_id for media_id, _alt in items])
    attach.set_media(db.session, post, user, items, expected_version=version)
    return post_response(post)


def _check_every_file_listed(post: Post, user: User, version: int, listed: list[int]) -> None:
    """Refuse a list that leaves out files of the post: a client sending only the files whose text changed lost the
    others without a word (the web form removes a file through its own button, ``attach.set_media`` as it is)."""
    listed_ids = set(listed)
    missing = [a.file.id for a in attach.current_attachments(post) if a.file.id not in listed_ids]
    if not missing:
        return
    attach.check_can_change(post, user, version)  # stale (412), not theirs (403) or not now (409): said first
    message = ngettext(
        "The list leaves out file %(ids)s of this post: list all its files. To remove one, send DELETE "
        "/posts/%(post_id)s/media/{media_id}.",
        "The list leaves out files %(ids)s of this post: list all its files. To remove one, send DELETE "
        "/posts/%(post_id)s/media/{media_id}.",
        len(missing), ids=", ".join(str(media_id) for media_id in missing), post_id=post.id)
    raise GuardFailed(message, {"items": [message]})


@bp.route(f"/media/{MEDIA}", methods=["GET"])
@bp.response(200, description="The file's bytes, with its real type.",
             content_type="application/octet-stream")
@bp.refusals(404)
def get_media(media_id: int):
    """The file itself, for whoever sees a post that shows it."""
    media_file = attach.load_visible_file(db.session, current_api_user(), media_id)
    return file_response(media_file.storage_key, media_file.mime, media_file.sha256, media_file.bytes)


_ETAG_OR_STAR = re.compile(IF_MATCH["schema"]["pattern"])


def _expected_version(post) -> int:  # noqa: ANN001
    """``approval.api.preconditions.expected_version``, with a blank If-Match counted as missing (428) and one that
    is not a post's ETag (the document's pattern) refused as malformed (400)."""
    if "If-Match" in request.headers:
        given = request.headers["If-Match"].strip()
        if not given:
            raise PreconditionRequired(_("Send If-Match with the ETag of the post as you last saw it."))
        if not _ETAG_OR_STAR.match(given):
            raise BadRequest(_("If-Match is not the ETag of a post (\"post-ID-vN\") nor *."))
    return expected_version(post, Action.edit)  # a media change is an edit


def file_response(key: str, mime: str, etag: str, size: int | None = None) -> Response:
    """A stored file, streamed (or sent by the web server from the folder store); immutable: its name is its hash."""
    store = storage()
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise ops.NotFound(key)
        response = send_file(path, mimetype=mime, etag=etag, conditional=True, max_age=31536000)
    else:
        try:
            handle = store.open(key)
        except FileNotFoundError:
            raise ops.NotFound(key) from None
        response = Response(iter_file(handle), mimetype=mime, direct_passthrough=True)
        if size is not None:
            response.content_length = size
        response.set_etag(etag)
        response.cache_control.max_age = 31536000
    response.cache_control.public = False  # send_file's max_age makes it public: a post's file is not
    response.cache_control.private = True
    # Saved from the browser, the file gets a name with its type's extension (the stored one is its bare digest).
    # Not the uploader's name: the file is shared by every post that sent the same bytes, in any market.
    extension = mimetypes.guess_extension(mime) or ""
    response.headers["Content-Disposition"] = f'inline; filename="{etag[:16]}{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
