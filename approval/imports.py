"""Posts imported from a spreadsheet: a CSV file of one post a row, checked row by row, then made as drafts in one
transaction (or submitted for review), each with its own revision and ``create`` row, or nothing at all.

The file: UTF-8 (with or without a BOM), its cells separated by commas or semicolons (French Excel writes
semicolons), a header row naming the columns (``COLUMNS``, in English or in French):

- ``account``: the network and the handle, as the app names an account ("x @helio_fr", "Instagram @helio_fr");
  the new-post form's "FR · X · @helio_fr" reads too. An account the writer does not write for reads as unknown,
  whether it exists or not.
- ``text``: the post's text.
- ``proposed time`` (optional): ``YYYY-MM-DD HH:MM``, the wall-clock time in the account's market zone; in a file in
  French (``day_first``), also ``DD/MM/YYYY HH:MM[:SS]`` as French Excel rewrites a date column. A date with slashes
  is never read elsewhere: "03/04/2027" is the 3rd of April in Paris and March the 4th in New York.
- ``campaign`` (optional): a campaign's name.
- ``fold`` (optional): ``first`` or ``second``, for a time the clocks read twice (the night they go back).
- ``error`` (ignored): what the check page's download of the file (``errors_csv``) says of each refused row, in the
  writer's language, so that the file, fixed, is checked again as it is.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading apostrophe, so
that no spreadsheet runs it as a formula (``neutralised``, as OWASP advises for CSV files): read back, such an
apostrophe is dropped (``unneutralised``).

Nothing here knows of requests: ``check_file`` reads the bytes and the writer's scope, ``import_posts`` writes in the
caller's transaction (it flushes; the caller commits once, or rolls back). An import is made once: its row in
``post_imports``, inserted first, is unique per writer and key (``import_key``), and a second request for the same
import waits on it and finds it made (``AlreadyImported``). Each post it made is named by a row of
``imported_posts`` (``ImportedPost``), with the file's row it came from. The style gate's verdict on a row, got at
the check, stands for the post's first revision and its submission while nothing the gate reads has changed
(``policies.reusing_verdicts``): the gate runs once a row, not three times under the writer's lock. Its callers
check the file first in a transaction that only reads (``db.reading_first``), then again in the one that writes,
with the first check's verdicts (``check_file``'s ``earlier``): what changed in between is seen, and the gate runs
outside the writer's lock.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from babel.numbers import format_decimal
from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from approval import operations as ops
from approval import policies, style
from approval.access import visible_accounts
from approval.db import utcnow
from approval.inputs import forbidden_character
from approval.labels import decimal_comma, said_in
from approval.models import Account, Campaign, Post, PostImport, StopScope, StopSwitch, User
from approval.models.imports import ImportedPost
from approval.models.media import revision_sha256
from approval.style.network import LIMITS, NAMES
from approval.style.text import shows_anything
from approval.workflow.errors import GuardFailed, WorkflowError
from approval.workflow.states import Action, Role

#: The most rows one file imports, and its largest size (1 MB, its line breaks counted as LF).
MAX_ROWS = 500
MAX_BYTES = 1_000_000
#: The check page sends the content back in a form field, which the browser sends with CRLF line breaks: a field
#: may hold ``MAX_FORM_MEMORY_SIZE`` (1 MiB), less this room for the field's own headers and for safety. A file of
#: many short lines, under 1 MB as checked, grows past it then: the check refuses it (``sent_back_size``).
SENT_BACK_MARGIN = 16 * 1024
#: The longest text any network takes (Facebook's): a longer one is no post anywhere.
LONGEST_TEXT = max(LIMITS.values())
#: Who imports: those who write posts.
WRITERS = (Role.community_manager, Role.project_manager)

#: The columns, by the name the template writes, with the other names a header may give them (English and
#: French), compared without case, accents, spaces, dashes or underscores.
COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("account", "compte"),
    "text": ("text", "texte", "message"),
    "proposed time": ("proposed time", "time", "heure proposee", "heure", "date", "date et heure"),
    "campaign": ("campaign", "campagne"),
    "fold": ("fold", "occurrence"),
}
REQUIRED = ("account", "text")
#: The columns' French names, as a French reader's template writes them and the help lists them (each one of
#: ``COLUMNS``' names, so that the template, filled in, reads).
FRENCH_NAMES = {"account": "compte", "text": "texte", "proposed time": "heure proposée", "campaign": "campagne",
                "fold": "occurrence"}
#: Names an English header gives a column too: no sign of a file in French ("occurrence", the fold's, is both).
SHARED_NAMES = ("occurrence", "message", "date")
#: The column the check page's download adds (``errors_csv``), named in the writer's language: read, it is ignored.
ERROR = "error"
ERROR_NAMES = ("error", "errors", "erreur", "erreurs")
#: ``fold``'s words: the first or the second of a time the clocks read twice.
FOLDS = {"first": 0, "1st": 0, "premier": 0, "premiere": 0, "second": 1, "2nd": 1, "seconde": 1, "deuxieme": 1}

_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{1,2}):([0-9]{2})(?::00)?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: A date as French Excel writes a date column ("20/12/2026 20:00", "20/12/2026 20:00:00"), or without its time. Not
#: Babel's ``parse_date``/``parse_time``: they read any digits in the locale's order ("20.12.26", "20/12/2026 x"),
#: where a file's cell is either this exact form or refused.
_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?")
_SPACES = re.compile(r"[\s_\-]+")


class AlreadyImported(Exception):
    """The import was made already (a double click, a reload, another tab): ``earlier`` is it."""

    def __init__(self, earlier: PostImport) -> None:
        super().__init__(f"import {earlier.id} was made already")
        self.earlier = earlier


class FileRefused(ValueError):
    """The file as a whole cannot be imported (too large, not UTF-8, its header...): why, in a sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    """A row of the file as checked: what it names, what the post would be, and what stops it."""

    #: The row as a spreadsheet numbers it (the header is row 1), and the line of the file it starts on (another
    #: when a cell above holds line breaks).
    number: int
    line: int
    account_given: str
    text: str
    time_given: str = ""
    campaign_given: str = ""
    account: Account | None = None
    campaign: Campaign | None = None
    #: The proposed time typed, as the market's clocks read it, and the instant it is.
    local_time: datetime | None = None
    proposed_at: datetime | None = None
    findings: tuple[style.Finding, ...] = ()
    #: The gate's verdict on the text (its ``findings``), and what it read: the ``gate_key`` of the post the row
    #: makes, before it is written (``policies.unwritten_gate_key``). The import reuses the verdict for the post
    #: while that key still holds (``create_posts``).
    verdict: policies.GateResult | None = None
    checked_key: tuple[Any, ...] | None = None
    errors: list[str] = field(default_factory=list)
    #: What does not stop it, but the writer should know (a stop switch on over it).
    warnings: list[str] = field(default_factory=list)
    #: The row's cells as the file gives them, for ``errors_csv``.
    cells: list[str] = field(default_factory=list)

    @property
    def zone(self) -> str | None:
        return self.account.market.timezone if self.account is not None else None

    @property
    def style_errors(self) -> list[style.Finding]:
        """What the style gate refuses: the post is made, a draft, but not submitted until it is fixed."""
        return [f for f in self.findings if f.severity == style.Severity.error]


@dataclass
class Checked:
    """A file checked: its rows, and the digest naming its content for its writer (a second sending of the same
    file makes nothing)."""

    rows: list[Row]
    digest: str
    content: str
    #: The file's header as it reads, its columns and its separator, for ``errors_csv``.
    sheet: Sheet | None = None

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    @property
    def ready(self) -> bool:
        return bool(self.rows) and not self.errors


@dataclass(frozen=True)
class Made:
    """A post the import made, and, when it was to be submitted and the engine refused, why it stayed a draft."""

    post: Post
    not_submitted: tuple[str, ...] = ()


# Reading the file ----------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8, its BOM dropped; refused when too large, empty or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 1 MB: split it into smaller files."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_("The file is not UTF-8 text: in your spreadsheet, save it as “CSV UTF-8”.")) from None
    if not text.strip():
        raise FileRefused(_("The file is empty."))
    return text


def _key(name: str) -> str:
    """A header's name compared: without case, accents, spaces, dashes or underscores."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", plain).strip().lower()


_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}


def _separator(text: str) -> str:
    """The header's separator: a semicolon where it has more of them than commas (French Excel), else a comma."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _columns(header: Sequence[str]) -> list[str | None]:
    """The column each header cell names (None: an empty header cell, whose cells must be empty too)."""
    if any(forbidden_character(cell) for cell in header):  # checked first: such a cell is never echoed
        raise FileRefused(_("The header row holds a control character (such as NUL): remove it."))
    named: list[str | None] = []
    for cell in header:
        if not cell.strip():
            named.append(None)
            continue
        column = ERROR if _is_error_column(cell) else _ALIASES.get(_key(cell))
        if column is None:
            raise FileRefused(_("Unknown column “%(name)s”: the columns are %(columns)s.", name=cell.strip()[:60],
                                columns=", ".join(map(_shown, COLUMNS))))
        if column in named:
            raise FileRefused(_("The column “%(name)s” is there twice.",
                                name=_("error") if column == ERROR else _shown(column)))
        named.append(column)
    for column in REQUIRED:
        if column not in named:
            raise FileRefused(_("The file has no column “%(name)s”: its first row names the columns (%(columns)s).",
                                name=_shown(column), columns=", ".join(map(_shown, COLUMNS))))
    return named


def _language() -> str:
    """The reader's language ("fr", "en"); English outside a request."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def column_names() -> dict[str, tuple[str, ...]]:
    """Each column's names as the reader reads them, theirs first: ``("compte", "account")`` in French."""
    french = _language() == "fr"
    return {column: (FRENCH_NAMES[column], column) if french else (column, FRENCH_NAMES[column]) for column in COLUMNS}


def _shown(column: str) -> str:
    """A column's name in the reader's language."""
    return column_names()[column][0]


def spreadsheet_separator() -> str:
    """The separator the reader's spreadsheet reads (``labels.decimal_comma``)."""
    return ";" if decimal_comma() else ","


def day_first(sheet: Sheet) -> bool:
    """Whether ``sheet`` is a file in French, whose "20/12/2026 20:00" is the 20th of December: the reader's language
    is French, or the file names a column in French, or separates its cells with semicolons (French Excel). Elsewhere
    no date with slashes is read: day first or month first would be a guess."""
    french = ({_key(name) for name in FRENCH_NAMES.values()} | {"heure", "date et heure", "erreur", "erreurs"}) \
        - {_key(name) for name in SHARED_NAMES}
    return (_language() == "fr" or sheet.separator == ";"
            or any(_key(cell) in french for cell in sheet.header))


def _is_error_column(name: str) -> bool:
    """Whether a header's cell names the column ``errors_csv`` adds, in English, in French or in the reader's
    language."""
    return _key(name) in ERROR_NAMES or _key(name) == _key(_("error"))


@dataclass(frozen=True)
class Record:
    number: int
    line: int
    cells: dict[str, str]
    extra: bool  # cells beyond the header's columns, or under an empty header cell
    #: The row as the file gives it, every cell in its place.
    raw: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sheet:
    """A file read: its header's cells as written, the column each names (None: none; ``ERROR``: the column a
    download added), its separator and its rows."""

    header: list[str]
    columns: list[str | None]
    separator: str
    records: list[Record]


def read_rows(text: str) -> list[Record]:
    """The file's rows under its header (``text``'s line breaks as LF), by column name, with their number and the
    line each starts on; empty rows skipped (and counted)."""
    return read_sheet(text).records


def read_sheet(text: str) -> Sheet:
    """The file (``text``'s line breaks as LF): its header and its rows (``read_rows``). A cell's leading apostrophe
    before a formula's first character (``neutralised``) is dropped."""
    separator = _separator(text)
    # Strict: a quote left open reads as an error, not as every row after it swallowed into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[Record] = []
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            raise FileRefused(_("The file is empty."))
        header = [unneutralised(cell) for cell in header]
        columns = _columns(header)
        start = reader.line_num + 1
        for number, read in enumerate(reader, start=2):
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in read):
                continue
            if len(records) == MAX_ROWS:
                raise FileRefused(_("The file has more than %(max)d rows: at most %(max)d are imported at once. "
                                    "Split it into several files.", max=MAX_ROWS))
            cells = [unneutralised(cell) for cell in read]
            given = {column: cell for column, cell in zip(columns, cells, strict=False)
                     if column is not None and column != ERROR}
            extra = any(cell.strip() for column, cell in zip(columns, cells, strict=False) if column is None) \
                or any(cell.strip() for cell in cells[len(columns):])
            records.append(Record(number, line, given, extra, cells))
    except csv.Error:
        raise FileRefused(_("Line %(line)d cannot be read: a quote is misplaced or not closed, or a cell is too long.",
                            line=start)) from None
    if not records:
        raise FileRefused(_("The file has no rows under its header."))
    return Sheet(header, columns, separator, records)


# Checking the rows ---------------------------------------------------------------------------------------------


def account_key(given: str) -> tuple[str, str] | None:
    """(network, handle) from "x @helio_fr", "Instagram @helio_fr" or "FR · X · @helio_fr"; None when unreadable."""
    parts = [part for part in re.split(r"[\s·]+", given.strip()) if part]
    if len(parts) < 2 or not parts[-1].startswith("@"):
        return None
    handle = parts[-1][1:].lower()
    network = parts[-2].lower()
    by_name = {name.lower(): value for value, name in NAMES.items()}
    network = by_name.get(network, network)
    return (network, handle) if network in NAMES and handle else None


def account_label(account: Account) -> str:
    """An account as a file names it: "x @helio_fr"."""
    return f"{account.network.value} @{account.handle}"


def writable_accounts(session: Session, user: User) -> list[Account]:
    """The accounts ``user`` writes for (those of their markets, or their executives'), active or not."""
    return list(session.scalars(visible_accounts(user).options(selectinload(Account.market))))


def check_file(session: Session, user: User, data: bytes | str, *, now: datetime | None = None,
               earlier: Checked | None = None) -> Checked:
    """Every row of the file checked as ``create_post`` would check it, and the style gate's findings for its
    account's network, nothing written. ``FileRefused`` when the file as a whole cannot be read. ``earlier``: the
    same file checked a moment ago, in a transaction that only read (``db.reading_first``): everything is checked
    again as it is now (an account deactivated, a campaign's embargo moved, a market no longer the writer's), but the
    gate's verdict on a row stands while nothing it reads has changed (``policies.unwritten_gate_key``), so that the
    writer's lock is not held for the gate (a second a file, and more the first time a process runs it)."""
    # Its line breaks as LF: a form sends its field's back as CRLF, and the file's size is measured without them.
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text.encode()) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 1 MB: split it into smaller files."))
    if sent_back_size(text) > _sent_back_limit():  # else accepted here, and refused (413) at "Create"
        raise FileRefused(_("The file is too large to import once its line breaks are counted (the page sends "
                            "each back as two characters): split it into smaller files."))
    sheet = read_sheet(text)
    now = now or utcnow()
    accounts = {(a.network.value, a.handle.lower()): a for a in writable_accounts(session, user)}
    campaigns = ops.usable_campaigns(session, user)
    stops = list(session.scalars(select(StopSwitch).where(StopSwitch.turned_off_at.is_(None))))
    contexts: dict[tuple[int, int | None], style.Context] = {}
    verdicts = {row.checked_key: row.verdict for row in earlier.rows if row.verdict is not None} if earlier else {}
    rows = []
    slashed_dates = day_first(sheet)
    for record in sheet.records:
        row = _check_row(record, user, accounts, campaigns, now, day_first=slashed_dates)
        if row.account is not None and not row.errors:
            if any(_covers(stop, row) for stop in stops):
                row.warnings.append(_("A stop switch is on over this account or its campaign: the post is made, "
                                      "but would be held at its time while the switch stays on."))
            row.checked_key = policies.unwritten_gate_key(row.account, row.campaign, revision_sha256(row.text))
            if (verdict := verdicts.get(row.checked_key)) is not None:
                row.verdict = replace(verdict, campaign=row.campaign)  # this session's campaign, read again
            else:
                key = (row.account.id, row.campaign.id if row.campaign is not None else None)
                if key not in contexts:  # an imported post has no pictures yet: the media rules read it so
                    contexts[key] = replace(policies.style_context(session, row.account, row.campaign), media=(),
                                            has_media=False)
                context = contexts[key]
                # As ``policies.check_body`` says it of the post once made (the version's id is the market's
                # pointer).
                row.verdict = policies.GateResult(tuple(style.check(row.text, context)), str(context.policy.version),
                                                  row.account.market.policy_version_id, row.campaign)
            row.findings = row.verdict.findings
        rows.append(row)
    return Checked(rows, digest(user, text), text, sheet)


def _covers(stop: StopSwitch, row: Row) -> bool:
    """Whether ``stop`` (on) holds what ``row`` would make, whenever it is scheduled."""
    assert row.account is not None
    return (stop.scope == StopScope.all or (stop.scope == StopScope.market and stop.market_id == row.account.market_id)
            or (stop.scope == StopScope.campaign and row.campaign is not None and stop.campaign_id == row.campaign.id))


def sent_back_size(text: str) -> int:
    """The size of ``text`` (its line breaks as LF) as the check page's form sends it back: each line break as
    CRLF."""
    return len(text.encode()) + text.count("\n")


def _sent_back_limit() -> int:
    """What the check page's form field may send back (the app's ``MAX_FORM_MEMORY_SIZE``), less a margin."""
    field = current_app.config.get("MAX_FORM_MEMORY_SIZE") if has_app_context() else None
    return int(field or 1024 * 1024) - SENT_BACK_MARGIN


def import_key(user: User, form_key: str, text: str) -> str:
    """What names one import (``PostImport.key``): its writer, the form key of the check page it is created from (a
    new check of the same file is a new import, made on purpose) and the file's content."""
    return hashlib.sha256(f"{user.id}\n{form_key}\n{text}".encode()).hexdigest()


def digest(user: User, text: str) -> str:
    """What names a file's content for its writer: the same file sent twice (a double click, the back button) is
    known by it."""
    return hashlib.sha256(f"{user.id}\n{text}".encode()).hexdigest()


def _check_row(record: Record, user: User, accounts: dict[tuple[str, str], Account], campaigns: Sequence[Campaign],
               now: datetime, *, day_first: bool = False) -> Row:
    cells = record.cells
    row = Row(record.number, record.line, cells.get("account", "").strip(), cells.get("text", ""),
              cells.get("proposed time", "").strip(), cells.get("campaign", "").strip(), cells=record.raw)
    errors = row.errors
    if record.extra:
        errors.append(_("This row has cells outside the header's columns: check its separators and quotes."))
    if any(forbidden_character(cell) for cell in cells.values()):
        errors.append(_("This row holds a control character (such as NUL) that no post accepts: remove it."))
        return row
    key = account_key(row.account_given)
    row.account = accounts.get(key) if key is not None else None
    if not row.account_given:
        errors.append(_("No account: write the network and the handle, like “x @helio_fr”."))
    elif row.account is None:
        # An account of a market the writer does not see reads exactly as one that does not exist.
        errors.append(_("Unknown account “%(account)s”: write the network and the handle, like “x @helio_fr”, of "
                        "an account you write for.", account=row.account_given[:80]))
    elif not row.account.active:
        errors.append(_("This account is deactivated."))
    if not shows_anything(row.text):
        errors.append(_("The post has no text."))
    elif len(row.text) > LONGEST_TEXT:
        errors.append(_("The text has %(length)s characters; no network takes more than %(max)s.",
                        length=_number(len(row.text)), max=_number(LONGEST_TEXT)))
    if row.account is not None:
        _check_campaign(row, campaigns)
        _check_time(row, cells.get("fold", "").strip(), now, day_first=day_first)
        _check_embargo(row)
        if not errors:
            try:  # what create_post refuses, asked as it will ask it
                ops.check_new_post(user, row.account, row.text, row.campaign, proposed_at=row.proposed_at, now=now)
            except WorkflowError as refused:
                errors.extend(_reasons(refused))
    return row


def _number(value: int) -> str:
    """A count in the reader's language ("63,206", "63 206"); English outside a request."""
    return format_decimal(value, locale=get_locale() or "en")


def _check_campaign(row: Row, campaigns: Sequence[Campaign]) -> None:
    if not row.campaign_given:
        return
    assert row.account is not None
    named = [c for c in campaigns if c.name.strip().casefold() == row.campaign_given.casefold()]
    usable = [c for c in named if c.market_id in (None, row.account.market_id)]
    if len(usable) == 1:
        row.campaign = usable[0]
    elif usable:
        row.errors.append(_("Several of your campaigns are named “%(name)s”: rename one of them first.",
                            name=row.campaign_given[:80]))
    elif named:
        row.errors.append(_("This campaign belongs to another market."))
    else:
        row.errors.append(_("Unknown campaign “%(name)s”: none of the campaigns you use is named so.",
                            name=row.campaign_given[:80]))


def _local_time(given: str, *, day_first: bool) -> datetime:
    """The wall-clock time ``given`` says: ``YYYY-MM-DD HH:MM``, or, with ``day_first`` (a file in French),
    ``DD/MM/YYYY HH:MM`` with or without seconds (:00, as a spreadsheet writes them). ``ValueError`` with why."""
    value = given[:40]
    slashed = _SLASHED.fullmatch(given)
    if match := _TIME.fullmatch(given):
        year, month, day, hour, minute = (int(part) for part in match.groups())
    elif day_first and slashed and slashed[4] is not None and slashed[6] in (None, "00"):
        day, month, year, hour, minute = (int(part) for part in slashed.groups()[:5])
    elif day_first and (slashed or _DAY.fullmatch(given)) and ":" not in given:
        raise ValueError(_("“%(value)s” has no time: write the date and the time, as DD/MM/YYYY HH:MM (28/03/2027 "
                           "20:00), in the account's market time.", value=value))
    elif _DAY.fullmatch(given):
        raise ValueError(_("“%(value)s” has no time: write the date and the time, as YYYY-MM-DD HH:MM (2027-03-28 "
                           "20:00), in the account's market time.", value=value))
    else:
        raise ValueError(_not_a_time(value, day_first=day_first, slashed=slashed is not None))
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:  # the 31st of April, 25:00
        raise ValueError(_not_a_time(value, day_first=day_first, slashed=slashed is not None)) from None


def _not_a_time(value: str, *, day_first: bool, slashed: bool) -> str:
    """Why ``value`` is no time, and how to write one: in a file in French, either way; elsewhere, a date with slashes
    is said to be ambiguous."""
    if day_first:
        return _("“%(value)s” is not a time: write it as DD/MM/YYYY HH:MM (28/03/2027 20:00) or YYYY-MM-DD HH:MM, in "
                 "the account's market time.", value=value)
    if slashed:
        return _("“%(value)s” is not a time: write it as YYYY-MM-DD HH:MM (2027-03-28 20:00), in the account's market "
                 "time. A date written with slashes reads day first in one language and month first in another: it "
                 "is read only in a file in French (DD/MM/YYYY HH:MM).", value=value)
    return _("“%(value)s” is not a time: write it as YYYY-MM-DD HH:MM (2027-03-28 20:00), in the account's market "
             "time. A spreadsheet may have rewritten it: format the column as text.", value=value)


def _check_time(row: Row, fold_given: str, now: datetime, *, day_first: bool = False) -> None:
    if not row.time_given:
        return
    assert row.account is not None
    try:
        row.local_time = _local_time(row.time_given, day_first=day_first)
    except ValueError as unread:
        row.errors.append(str(unread))
        return
    fold = FOLDS.get(_key(fold_given)) if fold_given else None
    if fold_given and fold is None:
        row.errors.append(_("“%(value)s” in the column “fold”: write “first” or “second”.", value=fold_given[:40]))
        return
    try:
        row.proposed_at = ops.proposal_time(row.account, row.local_time, fold, now)
    except GuardFailed as refused:
        reasons = refused.errors.get("proposed_time") or [refused.message]
        row.errors.extend(reasons)
        if "proposed_fold" in refused.errors:  # the clocks read it twice: which one
            row.errors.append(_("Add a column “fold” and write “first” or “second” on this row."))


def _check_embargo(row: Row) -> None:
    """A time proposed before its campaign's embargo lifts: refused now, not when a project manager schedules it
    (``guards.after_embargo``)."""
    campaign, when = row.campaign, row.proposed_at
    if campaign is None or campaign.embargo_until is None or when is None or when >= campaign.embargo_until:
        return
    assert row.account is not None
    row.errors.append(_("The campaign %(campaign)s is under embargo until %(until)s: propose a time after it, or "
                        "leave the time empty.", campaign=campaign.name,
                        until=said_in(campaign.embargo_until, row.account.market.timezone)))


def _reasons(refused: WorkflowError) -> list[str]:
    reasons = [reason for field_reasons in refused.errors.values() for reason in field_reasons]
    return list(dict.fromkeys(reasons)) or [refused.message]


# Making the posts ----------------------------------------------------------------------------------------------


def find_import(session: Session, user: User, key: str) -> PostImport | None:
    return session.scalar(select(PostImport).where(PostImport.created_by_id == user.id, PostImport.key == key))


def import_posts(session: Session, user: User, checked: Checked, *, key: str, submit: bool = False,
                 origin: str | None = None, now: datetime | None = None) -> tuple[PostImport, list[Made]]:
    """``create_posts``, once for ``key`` (``import_key``): the import's row inserted and flushed first, so that a
    second request for it waits on its unique key (PostgreSQL) or on the write lock (SQLite) until the first ends,
    then raises ``AlreadyImported`` with the first's, as does one sent after it; then one ``imported_posts`` row per
    post made. ``origin``: what the trail's rows of the posts say of where they came from (the command line's). Flushes;
    the caller commits once, or rolls back on any ``WorkflowError``."""
    earlier = find_import(session, user, key)
    if earlier is not None:
        raise AlreadyImported(earlier)
    made_import = PostImport(created_by_id=user.id, key=key, created_at=now or utcnow(), submitted=submit,
                             post_count=0)
    try:
        with session.begin_nested():
            session.add(made_import)
            session.flush()
    except IntegrityError:  # the same import, committed by another request while this one waited
        earlier = find_import(session, user, key)
        if earlier is None:
            raise
        raise AlreadyImported(earlier) from None
    made = create_posts(session, user, checked, submit=submit, origin=origin, now=now)
    session.add_all(ImportedPost(post_id=item.post.id, import_id=made_import.id, file_row=row.number)
                    for row, item in zip(checked.rows, made, strict=True))
    made_import.post_count = len(made)
    session.flush()
    return made_import, made


def imported_posts(posts: Select[tuple[Post]], made_import: PostImport) -> Select[tuple[Post]]:
    """Of ``posts`` (those a reader sees: ``access.visible_posts``), the ones ``made_import`` made, in the file's
    order."""
    return (posts.join(ImportedPost, ImportedPost.post_id == Post.id)
            .where(ImportedPost.import_id == made_import.id).order_by(Post.id))


def create_posts(session: Session, user: User, checked: Checked, *, submit: bool = False, origin: str | None = None,
                 now: datetime | None = None) -> list[Made]:
    """One draft per row, in the file's order, each with its revision and its ``create`` row, through
    ``create_post``; with ``submit``, each submitted for review through the engine, a refusal (the style gate's)
    leaving that one a draft with why. ``origin``: the comment of those rows (where they came from). Flushes; the
    caller commits once, or rolls back on any ``WorkflowError``."""
    if not checked.ready:
        raise GuardFailed(_("The file has errors: nothing was imported."))
    made: list[Made] = []
    # The new revision's findings and the engine's style guard at submission read the text the check read: its
    # verdict stands while every input of the gate is the one the check read (``policies.unwritten_gate_key``), so
    # the writer's lock is not held for the gate twice more. A policy saved, a campaign changed since the check:
    # another key, the gate runs again.
    with policies.reusing_verdicts():
        for row in checked.rows:
            assert row.account is not None
            if row.verdict is not None and row.checked_key is not None:
                policies.reuse_verdict(row.checked_key, row.verdict)
            post = ops.create_post(session, user, row.account, row.text, row.campaign, proposed_at=row.proposed_at,
                                   comment=origin, now=now)
            if not submit:
                made.append(Made(post))
                continue
            try:
                with session.begin_nested():
                    ops.act_on_post(session, post, Action.submit, user, expected_version=post.version,
                                    comment=origin, now=now)
            except GuardFailed as refused:
                made.append(Made(post, tuple(_reasons(refused))))
            else:
                made.append(Made(post))
    return made


def template_rows(accounts: Iterable[Account], now: datetime | None = None) -> list[list[str]]:
    """The template's rows, in the reader's language: its header (the columns' names in it: ``column_names``), then
    one example row per account (at most ten), proposed a week ahead at 10:00 in each account's market zone, the date
    written as the reader's spreadsheet writes it (French Excel: "14/12/2026 10:00"; read back in a file in
    French: ``day_first``), else as ``YYYY-MM-DD``."""
    day = ((now or utcnow()) + timedelta(days=7)).date()
    when = f"{day:%d/%m/%Y} 10:00" if _language() == "fr" else f"{day.isoformat()} 10:00"
    rows = [[_shown(column) for column in list(COLUMNS)[:4]]]
    for account in list(accounts)[:10]:
        rows.append([account_label(account), _("Your text for %(account)s", account=account_label(account)), when, ""])
    return rows


#: What starts a formula in a spreadsheet's cell (OWASP's list for CSV files).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """A cell a spreadsheet would not read as a formula: one starting with = + - @ (or a tab or carriage return)
    gets a leading apostrophe, and so does one whose apostrophes come before such a character ("'=1" is written
    "''=1"), so that ``unneutralised`` gives every text back as it was."""
    return "'" + cell if cell.lstrip("'")[:1] in FORMULA_STARTS else cell


def unneutralised(cell: str) -> str:
    """A cell as it was before ``neutralised``: a file this app wrote, edited in a spreadsheet and sent again,
    makes the texts it was written from (a post starting with "@helio" or "- ")."""
    return cell[1:] if cell[:1] == "'" and cell.lstrip("'")[:1] in FORMULA_STARTS else cell


def errors_csv(checked: Checked) -> str:
    """The file checked, every row of it, with a last column (``_("error")``) saying why each refused row is
    refused, in the reader's language: fixed in a spreadsheet, it is checked again as it is (its ``error`` column
    ignored, replaced in the next download). Its separator is the file's; every cell ``neutralised``; a BOM for
    Excel. Rows are all kept, not only the refused ones: an import is made whole or not at all."""
    assert checked.sheet is not None
    columns = checked.sheet.columns
    kept = [index for index, column in enumerate(columns) if column != ERROR]

    def line(cells: list[str], error: str) -> list[str]:
        cells = cells + [""] * (len(columns) - len(cells))
        # Cells beyond the header's stay beyond it, after the error: read again, they are refused again.
        return [neutralised(cell) for cell in [*(cells[index] for index in kept), error, *cells[len(columns):]]]

    out = io.StringIO()
    writer = csv.writer(out, delimiter=checked.sheet.separator, lineterminator="\r\n")
    writer.writerow(line(checked.sheet.header, _("error")))
    for row in checked.rows:
        writer.writerow(line(row.cells, " ".join(row.errors)))
    return "\ufeff" + out.getvalue()

