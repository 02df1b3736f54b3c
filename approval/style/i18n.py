"""Messages without Flask: each finding carries an English msgid and its parameters, the web layer translates.

``N_`` only marks a string for extraction (``pybabel extract -k N_``); it returns it unchanged. A finding's
``message`` is the English text (what ``approval lint`` prints and what the JSON carries); ``message_id`` and
``params`` let a caller that has a translation catalogue render it in the reader's language::

    from flask_babel import gettext
    text = finding.localized(gettext)          # gettext(finding.message_id) % finding.params

A decimal parameter (a float: a file's size in MB, an aspect ratio, a frame rate) is written when the message is,
by ``number``: English by default (``0.8``), the reader's own where the caller passes it (``0,8`` in French).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(message: str) -> str:
    return message


def english_number(value: float) -> str:
    """A decimal as English writes it: two decimals at most, no trailing zeros (0.8, 1.91, 140)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render(message_id: str, params: Mapping[str, object], gettext: Callable[[str], str] | None = None,
           number: Callable[[float], str] = english_number) -> str:
    """The message in English, or through ``gettext`` with its decimals written by ``number``; a broken translation
    falls back to English."""
    template = gettext(message_id) if gettext else message_id
    if not params:
        return template
    written = {name: number(value) if isinstance(value, float) else value for name, value in params.items()}
    try:
        return template % written
    except (KeyError, ValueError, TypeError):
        return message_id % params
