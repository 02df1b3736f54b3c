"""Messages without Flask: each finding carries an English msgid and its parameters, the web layer translates.

``N_`` only marks a string for extraction (``pybabel extract -k N_``); it returns it unchanged. A finding's
``message`` is the English text (what ``approval lint`` prints and what the JSON carries); ``message_id`` and
``params`` let a caller that has a translation catalogue render it in the reader's language::

    from flask_babel import gettext
    text = finding.localized(gettext)          # gettext(finding.message_id) % finding.params

A decimal parameter (a float: a file's size in MB, an aspect ratio, a frame rate) is written when the message is,
by ``number``: English by default (``0.8``), the reader's own where the caller passes it (``0,8`` in French); where
the caller passes one, whole numbers too (``63 206`` in French), the English default leaving them bare (``63206``).
"""

from __future__ import annotations

import re
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
    if number is not english_number:
        # A page's reader gets whole numbers in their own language too ("63 206 caractères" beside the page's
        # "5 000", not "63206"); the gate's own English (the CLI, the JSON's message) keeps them bare.
        whole = {name: number(value) for name, value in params.items()
                 if isinstance(value, int) and not isinstance(value, bool)}
        if whole:
            written.update(whole)
            template = re.sub(r"%\((" + "|".join(map(re.escape, whole)) + r")\)d", r"%(\1)s", template)
    try:
        return template % written
    except (KeyError, ValueError, TypeError):
        return message_id % params
