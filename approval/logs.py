"""The long-running processes' log lines (the web's ``approval.wsgi``, `approval worker`, `approval notify`): on
stderr, where a service manager collects them, from the level ``--log-level`` or ``APPROVAL_LOG_LEVEL`` names up, one
line each: time in UTC, level, logger, message. A message of several lines (a traceback) keeps them, each after the
same header and a ``|``: a reader of the log by lines (grep, a log shipper) still sees whose line it is."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.logging import default_handler

from approval.config import LOG_LEVELS

#: A log line: its time in UTC to the millisecond, its level, its logger, its message.
LOG_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "approval.logs"

Command = TypeVar("Command", bound=Callable[..., Any])


class LineFormatter(logging.Formatter):
    """``LOG_FORMAT``, with each further line of a record (its traceback, a message's own line breaks) behind the
    record's header and ``| ``: Flask's default wrote a web process's errors as ``[2026-12-06 04:00:53,702] ERROR in
    app:`` followed by bare traceback lines, another format than the worker's, in local time."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        first, *rest = super().format(record).split("\n")
        if not rest:
            return first
        head = f"{self.formatTime(record, self.datefmt)}.{int(record.msecs):03d}Z {record.levelname} {record.name}: | "
        return "\n".join([first, *(head + line for line in rest)])


def log_to_stderr(level: str, app: Flask | None = None) -> None:
    """The process's log lines, from ``level`` up, on stderr (where a service manager collects them). Without it the
    worker's warnings came out bare, through Python's last resort, and its other lines not at all."""
    formatter = LineFormatter()
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for configured in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:  # a command run again in-process
        root.removeHandler(configured)
    root.addHandler(handler)
    root.setLevel(level)
    app = app or current_app
    logging.getLogger(app.name).removeHandler(default_handler)  # Flask's own would print each line twice


def log_level_option(command: Command) -> Command:
    """``--log-level`` for a command, whose log lines then go to stderr before it runs. Put it below the command's
    other options: it is listed last."""
    return click.option(
        "--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False), default=None, expose_value=False,
        callback=_log_from, help="The least level logged on stderr (time in UTC, level, logger, message); default: "
                                 "APPROVAL_LOG_LEVEL, else INFO.")(command)


def _log_from(ctx: click.Context, _param: click.Parameter, level: str | None) -> None:
    if not ctx.resilient_parsing:  # shell completion parses the command line too: it runs nothing
        log_to_stderr((level or current_app.config["LOG_LEVEL"]).upper())
