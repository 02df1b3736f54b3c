"""Posts imported from a spreadsheet (``approval.imports``): a CSV file checked row by row, nothing written; then,
with no row in error, its posts made as drafts (or submitted for review) in one transaction, or none; with rows in
error, the file downloaded back with why in a last column, to fix and check again as it is."""

from __future__ import annotations

import csv
import io
import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as Redirect

from approval import imports
from approval.access import visible_posts
from approval.db import db, reading_first
from approval.forms.imports import CreateForm, ErrorsForm, UploadForm
from approval.inputs import parse_id
from approval.models import Account, Post, PostImport
from approval.views import roles_required
from approval.workflow.errors import WorkflowError

bp = Blueprint("imports", __name__, url_prefix="/posts/import")

#: The browser session's key of the files it imported, the last ``IMPORTS_KEPT``: [the start of the file's digest,
#: the import's id]. Only for the check page to say a file was imported already: what makes an import once is its
#: row in ``post_imports`` (``imports.import_posts``), not this cookie, which a second request may carry as it was
#: before the first answered.
IMPORTS_MADE = "imports_made"
IMPORTS_KEPT = 5
DIGEST_KEPT = 16


def _made(digest: str) -> list | None:
    return next((entry for entry in browser_session.get(IMPORTS_MADE) or [] if entry[0] == digest[:DIGEST_KEPT]),
                None)


def _remember(digest: str, made_import: PostImport) -> None:
    entry = [digest[:DIGEST_KEPT], made_import.id]
    browser_session[IMPORTS_MADE] = [*(browser_session.get(IMPORTS_MADE) or []), entry][-IMPORTS_KEPT:]


@bp.route("", methods=["GET", "POST"])
@roles_required(*imports.WRITERS)
def import_posts():
    """Step 1: the page, and the file sent to it checked: every row listed with its account, its text, the style
    gate's findings, its proposed time and its errors. Nothing is written."""
    form = UploadForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("imports/upload.html", form=form, **_help()), 200 if request.method == "GET" else 400
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(form, _("Choose a CSV file to check."))
    data = upload.stream.read(imports.MAX_BYTES + 1)
    return _checked(form, data)


def _refused(form: UploadForm, message: str):  # noqa: ANN202
    return render_template("imports/upload.html", form=form, refusal=message, **_help()), 422


def _checked(form: UploadForm, data: bytes | str, *, status: int = 200,  # noqa: ANN202
             earlier: imports.Checked | None = None):
    """The check page of ``data``: checked and shown without the write lock (``reading_first``: it writes nothing),
    or, given the check just made under it (``earlier``, at "Create"), again with its gate's verdicts."""
    if earlier is None:
        with reading_first(db.session):
            return _check_page(form, data, status=status)
    return _check_page(form, data, status=status, earlier=earlier)


def _check_page(form: UploadForm, data: bytes | str, *, status: int,  # noqa: ANN202
                earlier: imports.Checked | None = None):
    try:
        checked = imports.check_file(db.session, current_user, data, earlier=earlier)
    except imports.FileRefused as refused:
        return _refused(form, refused.message)
    # A new form key for each check: the same page sent twice is one import, the same file checked again another.
    create = CreateForm(formdata=None, content=checked.content, key=secrets.token_urlsafe(16))
    return render_template("imports/check.html", form=form, checked=checked, create=create,
                           already=_made(checked.digest) is not None, **_help()), status if checked.ready else 422


@bp.post("/create")
@roles_required(*imports.WRITERS)
def create_posts():
    """Step 2: the content checked again in full, then every post made in one transaction (with "submit", each
    submitted for review through the engine), or nothing; the same check page's content sent twice (a double click,
    a reload, a retry, another tab) makes its posts once, and the second is shown the first's."""
    form = CreateForm()
    if not form.validate_on_submit():
        return _refused(UploadForm(), _("Nothing was sent to import: choose the file again."))
    content = form.content.data or ""
    try:
        # The long part (the style gate on every row) read without the write lock, which every other writer waits
        # for on SQLite; then checked again under it as it is now, the gate's verdicts kept where nothing it reads
        # has changed.
        with reading_first(db.session):
            checked = imports.check_file(db.session, current_user, content)
        checked = imports.check_file(db.session, current_user, content, earlier=checked)
    except imports.FileRefused as refused:
        return _refused(UploadForm(), refused.message)
    key = imports.import_key(current_user, form.key.data or "", checked.content)
    earlier = imports.find_import(db.session, current_user, key)
    if earlier is not None:
        return _already(earlier)
    if not checked.ready:  # something changed since the check (a time passed, an account deactivated)
        flash(_("The file was checked again before importing, and has errors now: nothing was imported."), "error")
        return _checked(UploadForm(), content, status=422, earlier=checked)
    submit = "submit" in request.form
    try:
        made_import, made = imports.import_posts(db.session, current_user, checked, key=key, submit=submit)
    except imports.AlreadyImported as already:
        return _already(already.earlier)
    except WorkflowError as refused:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=refused.message), "error")
        return _checked(UploadForm(), content, status=refused.status, earlier=checked)
    _remember(checked.digest, made_import)  # committed with the request's answer (``db._end_request_transaction``)
    submitted = sum(1 for m in made if submit and not m.not_submitted)
    if submit:
        flash(ngettext("%(num)d post imported and submitted for review.",
                       "%(num)d posts imported and submitted for review.", submitted), "success")
        kept = len(made) - submitted
        if kept:
            flash(ngettext("%(num)d post stays a draft: the style check found errors in it (listed below).",
                           "%(num)d posts stay drafts: the style check found errors in them (listed below).", kept),
                  "warning")
    else:
        flash(ngettext("%(num)d draft imported.", "%(num)d drafts imported.", len(made)), "success")
    return redirect(url_for("imports.imported", file=made_import.id), 303)


def _already(earlier: PostImport) -> Redirect:
    """The answer to an import made already (the first request's, or one before): its posts, none made again."""
    flash(_("This file was imported already: here are its posts."), "info")
    return redirect(url_for("imports.imported", file=earlier.id), 303)


@bp.get("/done")
@roles_required(*imports.WRITERS)
def imported():
    """What an import of the user's made (``file``: its number; else their last): each post with its link and its
    state; a post to submit that is still a draft, with the style check's errors that kept it one. Another's
    import is no import (404)."""
    asked = request.args.get("file")
    query = select(PostImport).where(PostImport.created_by_id == current_user.id)
    if asked is not None:
        number = parse_id(asked)  # an id the database can hold, else none
        if number is None:
            abort(404)
        made_import = db.session.scalar(query.where(PostImport.id == number))
        if made_import is None:
            abort(404)
    else:
        made_import = db.session.scalar(query.order_by(PostImport.id.desc()).limit(1))
        if made_import is None:
            return redirect(url_for("imports.import_posts"))
    # The posts it made, as its own rows name them (those of markets the user no longer sees left out).
    posts = list(db.session.scalars(
        imports.imported_posts(visible_posts(current_user), made_import)
        .options(selectinload(Post.account).selectinload(Account.market), selectinload(Post.current_revision))))
    return render_template("imports/done.html", posts=posts, submitted=made_import.submitted)


@bp.post("/errors.csv")
@roles_required(*imports.WRITERS)
def error_lines():
    """The check page's file, checked again, with a last column saying why each refused row is refused
    (``imports.errors_csv``): to fix in a spreadsheet and check again as it is, without choosing it again."""
    form = ErrorsForm()
    if not form.validate_on_submit():
        return _refused(UploadForm(), _("Nothing was sent to import: choose the file again."))
    try:
        with reading_first(db.session):
            lines = imports.errors_csv(imports.check_file(db.session, current_user, form.content.data or ""))
    except imports.FileRefused as refused:
        return _refused(UploadForm(), refused.message)
    return Response(lines, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=posts-import-errors.csv"})


@bp.get("/template.csv")
@roles_required(*imports.WRITERS)
def template_csv():
    """A file to fill in, as the user's spreadsheet opens it (``imports.template_rows``: the columns' names and the
    dates in their language; cells apart by semicolons where decimals take a comma, as the reports' exports): the
    header, and an example row for each of the user's accounts (at most ten)."""
    accounts = [a for a in imports.writable_accounts(db.session, current_user) if a.active]
    accounts.sort(key=lambda a: (a.market.code, a.network.value, a.handle.lower()))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=imports.spreadsheet_separator(), lineterminator="\r\n")
    for row in imports.template_rows(accounts):
        writer.writerow([imports.neutralised(cell) for cell in row])
    # The BOM: Excel reads a CSV file without one in the computer's own encoding, and mangles the accents.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=posts-import-template.csv"})


def _help() -> dict:
    """What the help on writing the file (``imports/_format.html``) shows: the columns' names in the reader's
    language (and the other one's), a few of their accounts, the most rows a file holds."""
    return {"examples": _examples(), "columns": imports.column_names(), "max_rows": imports.MAX_ROWS}


def _examples() -> list[str]:
    """A few of the user's accounts as a file names them, for the page's explanation."""
    accounts = [a for a in imports.writable_accounts(db.session, current_user) if a.active]
    return [imports.account_label(a) for a in sorted(accounts, key=lambda a: (a.network.value, a.handle))[:3]]
