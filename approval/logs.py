"""The long-running commands' log lines (`approval worker`, `approval notify`): on stderr, where a service manager
collects them, from the level ``--log-level`` or ``APPROVAL_LOG_LEVEL`` names up."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import current_app
from flask.logging import default_handler

from approval.config import LOG_LEVELS

#: A log line: its time in UTC to the millisecond, its level, its logger, its message.
LOG_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "approval.logs"

Command = TypeVar("Command", bound=Callable[..., Any])


def log_to_stderr(level: str) -> None:
    """The process's log lines, from ``level`` up, on stderr (where a service manager collects them). Without it the
    worker's warnings came out bare, through Python's last resort, and its other lines not at all."""
    formatter = logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for configured in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:  # a command run again in-process
        root.removeHandler(configured)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger(current_app.name).removeHandler(default_handler)  # Flask's own would print each line twice


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
