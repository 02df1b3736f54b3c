"""Use cases for a post's media: store an upload, then add, remove, reorder or describe a file. Each change writes
a new revision through ``operations.edit_post``, the one path that writes revisions: the engine's ``edit`` action,
its audit row, the freshness check and the back-to-review rule apply exactly as for a text edit. They flush; the
caller commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from approval import operations as ops
from approval.access import post_clause, revision_clause
from werkzeug.datastructures import FileStorage

from approval.media.inspect import Invalid, MediaRefused, NotMedia, Unsupported
from approval.media import convert, intake
from approval.media.intake import MAX_MEDIA, Received, check_name
from approval.media.storage import file_key, storage, thumbnail_key
from approval.models import Account, Attachment, Market, MediaFile, MediaKind, Post, Revision, RevisionMedia, User
from approval.style.i18n import render
from approval.style.media import FORMAT, KIND_NAMES, LOCATION, NETWORKS, never_taken
from approval.style.network import network_name
from approval.style.text import shows_anything
from approval.workflow import engine
from approval.workflow.errors import GuardFailed
from approval.workflow.states import Action

#: The longest alternative text kept (X and Instagram take 1,000 characters).
MAX_ALT = 1000


def _refuse(field: str, message: str) -> GuardFailed:
    return GuardFailed(message, {field: [message]})


def strips_location(session: Session, post: Post) -> bool:
    """The market's policy sets ``media.location`` to ``error``: location data is removed from pictures at upload."""
    return strips_location_in(session, post.account.market)


def strips_location_in(session: Session, market: Market) -> bool:
    """``strips_location`` for a post not written yet, on an account of ``market``."""
    from approval.policies import current_policy

    version = current_policy(session, market)
    return bool(version and (version.rules or {}).get(LOCATION) == "error")


def check_can_change(post: Post, actor: User, expected_version: int | None, *,
                     alts: Sequence[str | None] = ()) -> None:
    """Refuse before anything is stored: stale (412/409), not the actor's to edit (403) or not now (409), and
    alternative texts ``add_media`` would refuse: a file stored for an upload then refused stayed in the store, with
    no row to name it. ``check_room`` does the same for the number of files, once they are read."""
    engine.check_fresh(post, expected_version)
    engine.find_transition(post, Action.edit, actor)
    check_alts(alts)


def check_alts(alts: Sequence[str | None]) -> None:
    """Refuse, before anything is stored, alternative texts that a revision would refuse (422)."""
    for alt in alts:
        _alt(alt)


#: How a refusal of one file among those of a request says which: ``_named`` for the editor; the new-post form says
#: it in its own words (the post was not made, the files are picked again).
Namer = Callable[[MediaRefused, Sequence[Any], int], MediaRefused]


def receive_uploads(uploads: Sequence[Any], alts: Sequence[str | None], *, strip_gps: bool, network: str | None,
                    not_media: str | None = None, named: Namer | None = None) -> list[Received]:
    """The files of one upload (``FileStorage``s, in order), checked and inspected before anything is stored, as the
    API and the editor take them: one alternative text per file or none (422), each file read
    (``intake.receive``: 413, 415, 422; a still picture of a type the network does not take, where it takes JPEG,
    converted to one: ``conversion_note`` says so), none twice, each of a type the post's network takes
    (``check_type``: 415, ``network`` as ``typed_network`` says). One refused refuses them all; among several, the
    refusal names the file (its name and place) and says that none was added, so whoever dropped them knows which
    one to leave out. ``not_media``: what to say of a file that is neither a picture nor a video (the editor names
    the types the post's network takes). ``named``: how a refusal names its file (``_named`` by default)."""
    name_refusal = named or _named
    if alts and len(alts) != len(uploads):
        message = _("Send one alternative text per file, in the files' order, or none: this request has "
                    "%(files)d files and %(alts)d texts.", files=len(uploads), alts=len(alts))
        raise GuardFailed(message, {"alt": [message]})
    received = []
    for index, upload in enumerate(uploads):
        try:
            received.append(intake.receive(upload, strip_gps=strip_gps, network=network))
        except NotMedia as refused:
            raise name_refusal(NotMedia(not_media) if not_media else refused, uploads, index) from None
        except MediaRefused as refused:
            raise name_refusal(refused, uploads, index) from None
    seen: set[str] = set()
    for index, checked in enumerate(received):
        if checked.sha256 in seen:  # its alternative texts would be one file's, the first dropped
            raise name_refusal(Invalid(_("The same file is sent twice in this request: send each file once.")),
                               uploads, index)
        seen.add(checked.sha256)
    for index, checked in enumerate(received):
        try:
            check_type(network, checked)
        except MediaRefused as refused:
            raise name_refusal(refused, uploads, index) from None
    return received


def conversion_note(received: Sequence[Received], network: str | None) -> str | None:
    """What the upload did to the files it converted to JPEG (``intake.receive``), for the answer: "launch.png was
    converted to JPEG for Instagram."; None when none was."""
    converted = [checked for checked in received if checked.converted_from]
    if not converted or network is None:
        return None
    names = [checked.sent_name for checked in converted]
    if all(names):
        return ngettext("%(names)s was converted to JPEG for %(network)s.",
                        "%(names)s were converted to JPEG for %(network)s.", len(names),
                        names=format_list(names, locale=get_locale() or "en"), network=network_name(network))
    return ngettext("A picture was converted to JPEG for %(network)s.",
                    "%(num)d pictures were converted to JPEG for %(network)s.", len(converted),
                    network=network_name(network))


def _named(refused: MediaRefused, uploads: Sequence[Any], index: int) -> MediaRefused:
    """``refused``, saying which of several files it is about and that none was added; alone, the file is the
    upload (the editor's script writes its name beside the words)."""
    if len(uploads) == 1:
        return refused
    try:
        name = check_name(uploads[index].filename or "")
    except MediaRefused:  # a name that is a path or holds control characters is not repeated: its place says it
        name = ""
    if name:
        message = _("%(name)s (file %(number)d of %(count)d): %(reason)s Nothing was added: add the other files "
                    "again without this one.", name=name, number=index + 1, count=len(uploads),
                    reason=refused.message)
    else:
        message = _("File %(number)d of %(count)d: %(reason)s Nothing was added: add the other files again "
                    "without this one.", number=index + 1, count=len(uploads), reason=refused.message)
    return type(refused)(message)


def check_room(post: Post, digests: Sequence[str]) -> None:
    """Refuse, before they are stored, files the post has no room for (those it already shows take none)."""
    check_room_beside([a.file.sha256 for a in current_attachments(post)], digests)


def check_room_beside(shown: Sequence[str], digests: Sequence[str]) -> None:
    """``check_room`` for files added to those of ``shown`` (their SHA-256s): a new post's, a copy's."""
    _check_room(len(set(shown)) + len(set(digests) - set(shown)))


def typed_network(session: Session, post: Post) -> str | None:
    """The post's network, whose file types an upload must have, while the market's policy keeps
    ``network.media-format`` an error (its default); None where the policy made it a warning or turned it off: the
    gate then takes another type, and so does the upload."""
    return typed_network_of(session, post.account)


def typed_network_of(session: Session, account: Account) -> str | None:
    """``typed_network`` for a post not written yet, on ``account``."""
    from approval.policies import current_policy

    version = current_policy(session, account.market)
    setting = (version.rules or {}).get(FORMAT) if version else None
    return account.network.value if setting in (None, "error") else None


def check_type(network: str | None, received: Received) -> None:
    """Refuse, before it is stored, a file of a type the post's network never takes (a PNG on Instagram, a picture
    on YouTube), in the style gate's words: the editor's picker offered only the types it takes, a drop or a script
    could send another, and it was added, to be refused by the gate afterwards (415). ``network``: what
    ``typed_network`` says (None: any type goes in)."""
    if network is None:
        return
    refusal = never_taken(network, received.found.kind, received.found.mime)
    if refusal is not None:
        message_id, params = refusal
        raise Unsupported(render(message_id, params, _))


def _check_room(count: int) -> None:
    if count > MAX_MEDIA:
        raise _refuse("file", _("A post carries at most %(limit)d pictures and videos.", limit=MAX_MEDIA))


def store(session: Session, received: Received, actor: User) -> MediaFile:
    """The file's row, made once per distinct content: the same bytes uploaded again reuse it."""
    found = session.scalar(select(MediaFile).where(MediaFile.sha256 == received.sha256))
    store_ = storage()
    if found is not None:
        # Its file gone from the store (the sweep's window: ``approval.media.sweep.remove_orphans``, or a store
        # restored without it), the same bytes sent again put it back: the row names a file that is there.
        if not store_.exists(found.storage_key):
            received.synced()
            if received.thumbnail is not None and found.thumbnail_key:
                store_.put(found.thumbnail_key, received.thumbnail, content_type="image/jpeg", move=True)
            store_.put(found.storage_key, received.path, content_type=received.found.mime, move=True)
        return found
    received.synced()  # on disk whole before its digest names it
    key = file_key(received.sha256)
    thumb = None
    if received.thumbnail is not None:
        thumb = thumbnail_key(received.sha256)
        store_.put(thumb, received.thumbnail, content_type="image/jpeg", move=True)
    elif received.found.kind == "image":
        thumb = thumbnail_key(received.sha256)  # drawn on first view (approval.media.thumbnails)
    # Last, and moved rather than copied where the store allows: the upload's temporary file is not read again.
    store_.put(key, received.path, content_type=received.found.mime, move=True)
    info = received.found
    media_file = MediaFile(
        sha256=received.sha256, kind=MediaKind(info.kind), mime=info.mime, bytes=received.size, width=info.width,
        height=info.height, duration_s=info.duration_s, codec=info.codec, frame_rate=info.frame_rate,
        frames=info.frames, has_location=info.has_location, storage_key=key, thumbnail_key=thumb,
        original_name=received.name, uploaded_by_id=actor.id,
    )
    try:
        with session.begin_nested():  # the same bytes uploaded at the same moment by someone else: theirs wins
            session.add(media_file)
    except IntegrityError:
        return session.scalars(select(MediaFile).where(MediaFile.sha256 == received.sha256)).one()
    return media_file


def current_attachments(post: Post) -> list[Attachment]:
    return ops.attachments_of(post.current_revision)


def _alt(alt: str | None) -> str:
    alt = (alt or "").replace("\r\n", "\n").strip()
    if len(alt) > MAX_ALT:
        raise _refuse("alt", _("An alternative text has at most %(limit)d characters.", limit=MAX_ALT))
    if alt and not shows_anything(alt):
        raise _refuse("alt", _("An alternative text describes the picture in words a reader sees; this one is made "
                               "of invisible characters only."))
    return alt


def _save(session: Session, post: Post, actor: User, media: Sequence[Attachment],
          expected_version: int | None) -> engine.TrailEntry | None:
    return ops.edit_post(session, post, actor, post.body, expected_version=expected_version, media=media)


def add_media(session: Session, post: Post, actor: User, *media_files: MediaFile,
              alts: Sequence[str | None] = (), names: Sequence[str] = (),
              expected_version: int | None) -> engine.TrailEntry | None:
    """Attach stored files at the end of the post's media, in one new revision (a file it already shows keeps its
    place); ``alts``: each file's alternative text, in the same order (None or missing: none, or, for a file the post
    shows, the one it has); ``names``: the files' names as the uploader sent them, in the same order."""
    media = appended(current_attachments(post), media_files, alts=alts, names=names)
    return _save(session, post, actor, media, expected_version)


def appended(media: Sequence[Attachment], media_files: Sequence[MediaFile], *, alts: Sequence[str | None] = (),
             names: Sequence[str] = ()) -> list[Attachment]:
    """``media`` with ``media_files`` after them, as ``add_media`` adds them (a new post's first revision takes its
    picked files the same way, after those a copy brings)."""
    media = list(media)
    for index, media_file in enumerate(media_files):
        text = alts[index] if index < len(alts) else None
        shown = next((a for a in media if a.file.id == media_file.id), None)
        if shown is not None:
            if text is not None:
                shown.alt = _alt(text)
            continue
        _check_room(len(media) + 1)
        media.append(Attachment(media_file, _alt(text), names[index] if index < len(names) else ""))
    return media


def remove_media(session: Session, post: Post, actor: User, media_id: int, *,
                 expected_version: int | None) -> engine.TrailEntry | None:
    media = current_attachments(post)
    kept = [a for a in media if a.file.id != media_id]
    if len(kept) == len(media):
        raise ops.NotFound(media_id)
    return _save(session, post, actor, kept, expected_version)


def set_media(session: Session, post: Post, actor: User, items: Sequence[tuple[int, str | None]], *,
              expected_version: int | None) -> engine.TrailEntry | None:
    """The post's media as ``items`` lists them: (file id, alternative text or None to keep it), in order. Files
    the post shows and ``items`` omits are removed; a file it does not show is refused (upload it first)."""
    by_id = {a.file.id: a for a in current_attachments(post)}
    seen: set[int] = set()
    media = []
    for media_id, alt in items:
        if media_id in seen:
            raise _refuse("items", _("A file is listed twice."))
        seen.add(media_id)
        attachment = by_id.get(media_id)
        if attachment is None:
            raise _refuse("items", _("File %(id)s is not among this post's media: upload it first.", id=media_id))
        media.append(Attachment(attachment.file, attachment.alt if alt is None else _alt(alt), attachment.name))
    return _save(session, post, actor, media, expected_version)


def load_visible_file(session: Session, user: User, media_id: int) -> MediaFile:
    """A file ``user`` may see: one that a revision they read of a post they see shows (404 otherwise, as for
    posts)."""
    shown = (
        select(RevisionMedia.id).join(Revision, Revision.id == RevisionMedia.revision_id)
        .where(RevisionMedia.media_file_id == media_id, revision_clause(user),
               Revision.post_id.in_(select(Post.id).where(post_clause(user))))
    )
    media_file = session.scalar(select(MediaFile).where(MediaFile.id == media_id, exists(shown)))
    if media_file is None:
        raise ops.NotFound(media_id)
    return media_file



# A copy's files, for its network ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """A file a copy brings that its network takes only as a JPEG (``conversions``): its place among the copy's
    files, and what reading it again needs once the session has let go of the rows (``convert_copies``)."""

    position: int
    key: str
    mime: str
    name: str

    @property
    def shown_name(self) -> str:
        return self.name or _("Picture %(number)d", number=self.position + 1)


def conversions(media: Sequence[Attachment], network: str | None) -> list[Conversion]:
    """The still pictures among a copy's ``media`` that its network (``typed_network_of``: None where the policy
    takes any type) takes only converted to JPEG, as an upload of them would be (a PNG accepted on Facebook, copied
    for Instagram). An animation, which a JPEG cannot hold, is refused (415), naming it: the style gate flagged the
    copy otherwise, and nothing on the new-post page could fix it."""
    plans = []
    for position, attachment in enumerate(media):
        media_file = attachment.file
        if not convert.converts(network, media_file.kind.value, media_file.mime):
            continue
        plan = Conversion(position, media_file.storage_key, media_file.mime, attachment.name)
        if (media_file.frames or 1) > 1:
            assert network is not None  # ``converts`` says no without one
            types = ", ".join(sorted(KIND_NAMES[t] for t in NETWORKS[network].image_types))
            raise Unsupported(_("%(name)s, which comes with the copy, is an animation: %(network)s takes %(types)s "
                                "pictures, and a JPEG would keep one frame of it. Nothing was saved: copy the post "
                                "for an account of another network, or write a new post without it.",
                                name=plan.shown_name, network=network_name(network), types=types))
        plans.append(plan)
    return plans


def convert_copies(plans: Sequence[Conversion], *, strip_gps: bool, network: str | None) -> dict[int, Received]:
    """Each of ``plans`` read from the store and received as an upload of it is (``intake.receive``: inspected,
    converted to JPEG, its location removed where the market's policy says so), by its place among the copy's files.
    A file that cannot be is refused, naming it, with the reason."""
    store_ = storage()
    remade = {}
    for plan in plans:
        try:
            with store_.open(plan.key) as source:
                checked = intake.receive(FileStorage(stream=source, filename=plan.name, content_type=plan.mime),
                                         strip_gps=strip_gps, network=network)
            check_type(network, checked)
        except (MediaRefused, FileNotFoundError) as refused:
            reason = refused.message if isinstance(refused, MediaRefused) else \
                _("Its file is missing from the media store.")
            kind = type(refused) if isinstance(refused, MediaRefused) else Invalid
            raise kind(_("%(name)s, which comes with the copy, cannot be converted to JPEG for %(network)s: "
                         "%(reason)s Nothing was saved.", name=plan.shown_name, network=network_name(network or ""),
                         reason=reason)) from None
        remade[plan.position] = checked
    return remade


def copied_media(media: Sequence[Attachment], remade: Mapping[int, MediaFile], names: Mapping[int, str]) \
        -> list[Attachment]:
    """A copy's ``media`` with the files converted for its network (``remade``, stored, by place) in place of the
    originals, under their new names, with the same alternative texts."""
    return [Attachment(remade[i], a.alt, names[i]) if i in remade else a for i, a in enumerate(media)]
