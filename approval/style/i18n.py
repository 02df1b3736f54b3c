"""Messages without Flask: each finding carries an English msgid and its parameters, the web layer translates.

``N_`` only marks a string for extraction (``pybabel extract -k N_``); it returns it unchanged. A finding's
``message`` is the English text (what ``approval lint`` prints and what the JSON carries); ``message_id`` and
``params`` let a caller that has a translation catalogue render it in the reader's language::

    from flask_babel import gettext
    text = finding.localized(gettext)          # gettext(finding.message_id) % finding.params
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(message: str) -> str:
    return message


def render(message_id: str, params: Mapping[str, object], gettext: Callable[[str], str] | None = None) -> str:
    """The message in English, or through ``gettext``; a broken translation falls back to English."""
    template = gettext(message_id) if gettext else message_id
    if not params:
        return template
    try:
        return template % params
    except (KeyError, ValueError, TypeError):
        return message_id % params
