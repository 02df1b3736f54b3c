"""One input policy for the pages and the API: what a request may carry before any view reads it.

- Text: no NUL, no other control character but tab, line feed and carriage return, no unpaired surrogate (PostgreSQL
  and UTF-8 cannot store some of them, and none belongs in a name, a post or an address). Query strings, form fields
  and path segments are checked before the view runs; the API's JSON strings by its ``Text`` field, with the same
  pattern.
- Ids: a path id is a whole number the database's integer holds (the ``id`` converter); anything else is a 404 before
  the view runs. ``request.args.get(name, type=int)`` and ``request.form.get(name, type=int)`` give the default for
  a number the database cannot hold, as they do for one that is not a number.
- Sizes: every body is capped (``MAX_CONTENT_LENGTH``, and form limits for the fields in memory), with a 413.

A refused character is a 422 naming the field: a page that says so, or the API's JSON error. The administration's
form pages (``shows_characters_on_form``) show it on the field that holds it instead, with what was typed kept, as
they show any other mistake; the rule is the same, and such a request is still never a success.
"""

from __future__ import annotations

import ipaddress
import re
import tempfile
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from flask.wrappers import Request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.wsgi import ClosingIterator

#: The largest id the database's integer columns hold (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
MIN_INT = -(2**31)

#: What no text may hold: C0 controls but tab, line feed and carriage return; DEL; unpaired surrogates.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


#: The controls that turn the direction of what follows them (embeddings, overrides, isolates): a comment holding one
#: reads reversed (U+202E then "evil" shows as "live"), and right-to-left text needs none (the pages draw each comment
#: in its own direction, ``dir="auto"``). The comment fields refuse them, on the pages and over the API.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def direction_controls(text: str) -> str | None:
    """The controls turning the text's direction that ``text`` holds (``BIDI_CONTROLS``), named by their code points
    ("U+202E, U+2066"); None when it holds none."""
    found = sorted(set(BIDI_CONTROLS.findall(text)))
    return ", ".join(f"U+{ord(character):04X}" for character in found) or None


def direction_controls_refusal(text: str) -> str | None:
    """Why ``text`` may not be a comment: the direction controls it holds; None when it holds none."""
    if (codes := direction_controls(text)) is None:
        return None
    return _("The comment holds a control of the text's direction (%(codes)s): remove it; right-to-left text needs "
             "none.", codes=codes)


_ID = re.compile(r"[0-9]{1,10}")


def parse_id(value: object) -> int | None:
    """``value`` as an id the database can hold (ASCII digits, 1 to ``MAX_ID``), else None. ``str.isdigit`` also
    says yes to "²" and "①", which ``int`` then refuses with a ValueError."""
    if isinstance(value, str) and _ID.fullmatch(value):
        number = int(value)
        return number if number <= MAX_ID and number > 0 else None
    return None


def forbidden_character(text: str) -> bool:
    return FORBIDDEN_CHARACTERS.search(text) is not None


def invisible_format(text: str) -> bool:
    """Whether ``text`` holds a format character (Unicode's Cf): drawn as nothing, or reordering what follows it (a
    right-to-left override shows "photo\u202egpj.exe" as "photoexe.jpg"). No address or file name needs one."""
    return any(unicodedata.category(c) == "Cf" for c in text)


class IdConverter(BaseConverter):
    """``<id:name>``: an id of the database (1 to 2^31 - 1, digits only); anything else matches no route (404)."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class BoundedMultiDict(ImmutableMultiDict):
    """Query strings and forms whose ``get(..., type=int)`` never yields a number the database cannot hold."""

    # werkzeug's signature. Its overloads put ``type`` second, where its implementation (and this one) has ``default``:
    # werkzeug's own implementation needs a type: ignore for that mismatch, and so does this override.
    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]  # noqa: A002
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and value is not default and not MIN_INT <= value <= MAX_ID:
            return default
        return value


class BoundedRequest(Request):
    parameter_storage_class = BoundedMultiDict


#: The largest URL-encoded form body (a post of 63,206 characters, each percent-encoded, fits).
FORM_BODY_BYTES = 2 * 1024 * 1024


def web_address(value: Any, *, longest: int = 2000) -> str | None:
    """``value`` stripped when it is an http(s) address with a host (what a page may link to, or a server call),
    else None: a ``javascript:`` or relative address is no address here."""
    if not isinstance(value, str) or len(value) > longest:
        return None
    address = value.strip()
    try:
        # urlsplit itself refuses a bracketed host that is no IPv6 address ("https://[::1", "http://[1::2::3]/");
        # reading the port refuses one that is no number, or out of range; IDNA refuses a label too long or empty
        # ("a..b"): no host a call could reach, and no exception for the caller (a worker reading an answer).
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
        # A backslash: Python reads https://evil.example\@site/ as on ``site``, a browser as on evil.example (it
        # takes a backslash for "/" in an http address): a check of the host passed what the link does not go to.
        if host is None or parts.scheme not in ("http", "https") or any(c.isspace() for c in address) \
                or "\\" in address or invisible_format(address):
            return None
        host.encode("idna")
        if "[" in parts.netloc:
            ipaddress.IPv6Address(host.split("%", 1)[0])  # "[v1.x]" (IPvFuture) parses, and reaches nothing
    except (ValueError, UnicodeError):
        return None
    return address if port != 0 else None


def check_request_text() -> None:
    """Before every view: the query string, the form fields and the path's values hold no forbidden character. An
    upload's form (``g.media_uploads``: its files stream to disk) is left to its view, which reads the body only once
    it has decided who may upload there (``check_form_text``)."""
    if request.mimetype == "application/x-www-form-urlencoded":
        request.max_content_length = min(request.max_content_length or FORM_BODY_BYTES, FORM_BODY_BYTES)
    _check_values("query", request.args)
    if g.get("media_uploads") is None:
        check_form_text()
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and forbidden_character(value):
            refuse("path", name)


def check_form_text() -> None:
    """The form's fields hold no forbidden character (reading the form reads the body). A page's form sent to a view
    that shows them on its form (``shows_characters_on_form``) has the fields holding one noted for it instead."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        if _form_shows_characters():
            _hold_values(request.form)
        else:
            _check_values("form", request.form)


def shows_characters_on_form(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a form page that shows a forbidden character on the field holding it, what was typed kept, instead of
    the whole-page refusal. Only a page's form post is left to it (not the API's, nor one asking for JSON), and only
    its fields' values: a field's name, the query string and the path are refused before it runs, as everywhere.

    Its form reports each field (``approval.forms.characters.ShowsControlCharacters``, which ``held_characters``
    feeds). A field it did not report (a hidden one, one it does not have), or a success answered all the same, is
    the refusal after all, raised before the request commits: no character is ever taken."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        flashed = list(session.get("_flashes", ()))
        answer = current_app.make_response(view(*args, **kwargs))
        held = held_characters()
        if held:
            unreported = [name for name in held if name not in g.get("reported_characters", ())]
            if unreported or answer.status_code < 400:
                _unsay(flashed)
                refuse("form", (unreported or list(held))[0])
        return answer

    checked.shows_characters_on_form = True  # type: ignore[attr-defined]
    return checked


def _unsay(flashed: list) -> None:
    """Take back what a view refused after all flashed ("Saved."): the messages are those from before it ran."""
    if flashed:
        session["_flashes"] = flashed
    else:
        session.pop("_flashes", None)


def held_characters() -> dict[str, str]:
    """The fields of this request's form holding forbidden characters, each with those it holds, left to its view's
    form to show (``shows_characters_on_form``); empty for any other request, which was refused."""
    return g.get("held_characters") or {}


def reported_characters(name: str) -> None:
    """The form has shown the characters field ``name`` holds, on the field."""
    g.setdefault("reported_characters", set()).add(name)


def _form_shows_characters() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "shows_characters_on_form", False):
        return False
    from approval.errors import answers_in_json  # it reads the whole application; this module is read first

    return not answers_in_json()


#: What a page cannot show back: no UTF-8 holds an unpaired surrogate.
_UNSHOWABLE = re.compile("[\ud800-\udfff]")


def _hold_values(values: Any) -> None:
    held: dict[str, str] = g.setdefault("held_characters", {})
    for name, value in values.items(multi=True):
        if forbidden_character(name or ""):
            refuse("form", name or "")  # no field of the page is named so: nowhere to show it
        if isinstance(value, str) and (found := FORBIDDEN_CHARACTERS.findall(value)):
            if _UNSHOWABLE.search(value):
                refuse("form", name)
            held[name] = "".join(sorted(set(held.get(name, "")).union(found)))


def _check_values(place: str, values: Any) -> None:
    for name, value in values.items(multi=True):
        # A multipart part can come without a name or a value (Werkzeug gives None): nothing to check there.
        if forbidden_character(name or "") or forbidden_character(value if isinstance(value, str) else ""):
            refuse(place, name or "")


def refuse(place: str, field: str) -> None:
    """A 422 naming the field (pages show the message; the API answers its JSON error with the field)."""
    message = _("The request holds a control character (such as NUL) that no field accepts: remove it and retry.")
    error = UnprocessableEntity(message)
    # werkzeug's exceptions declare no ``data``: the error handlers read it with getattr (errors.py), as for webargs'.
    setattr(error, "data", {"message": message, "messages": {place: {_field_name(field): [message]}}})
    raise error


def _field_name(name: str) -> str:
    return FORBIDDEN_CHARACTERS.sub("?", name)[:100]


class SizedBody:
    """WSGI middleware: a body sent without Content-Length (chunked) gets one, so that every size limit holds.

    Werkzeug reads such a body up to the limit and silently drops the rest: a 10 MB JSON body arrived cut, and was
    answered "not valid JSON". Here it is read up to one byte past the application's limit and its length noted;
    a longer one keeps a length past the limit, which every reader refuses with a 413. What is read waits on disk
    past its first ``SPOOLED_IN_MEMORY`` bytes: anyone, logged in or not, could make each request hold the limit in
    memory.
    """

    #: What a body without a length may hold in memory before the rest goes to a temporary file.
    SPOOLED_IN_MEMORY = 1024 * 1024

    def __init__(self, wsgi_app: Callable, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        # Gunicorn says every request's input is terminated: a GET without a length has no body to measure, and its
        # answer (a file sent by the server itself, zero-copy) is passed on untouched.
        unmeasured = chunked or (not environ.get("CONTENT_LENGTH") and environ.get("REQUEST_METHOD") not in BODILESS)
        if not (environ.get("wsgi.input_terminated") and unmeasured):
            return self.wsgi_app(environ, start_response)
        limit = self.app.config.get("MAX_CONTENT_LENGTH") or FORM_BODY_BYTES
        spool = tempfile.SpooledTemporaryFile(max_size=self.SPOOLED_IN_MEMORY)
        try:
            source, size = environ["wsgi.input"], 0
            while size <= limit and (piece := source.read(min(64 * 1024, limit + 1 - size))):
                spool.write(piece)
                size += len(piece)
            spool.seek(0)
            environ["wsgi.input"] = spool
            environ["CONTENT_LENGTH"] = str(size)
            # An upload's view raises the cap past the one read here, and would parse the cut body as whole.
            environ["approval.body_cut"] = size > limit
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores the length of a chunked body
            answer = self.wsgi_app(environ, start_response)
        except BaseException:
            spool.close()
            raise
        if not size:
            spool.close()
            return answer
        return ClosingIterator(answer, spool.close)


#: Methods whose requests carry no body unless they say so (a length, or chunks).
BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    app.wsgi_app = SizedBody(app.wsgi_app, app)  # type: ignore[method-assign]  # Flask's documented middleware hook
    app.request_class = BoundedRequest
    app.url_map.converters["id"] = IdConverter
    app.before_request(check_request_text)
