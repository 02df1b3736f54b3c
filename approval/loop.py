"""The loop of a long-running process (``approval worker``, ``approval notify``): one pass at a time until stopped,
and a pass that fails never ends the process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from approval.db import driver_says

R = TypeVar("R")


def one_pass(run_once: Callable[[], R], stopping: threading.Event, *, once: bool, wait_s: float,
             log: logging.Logger, outage: str, fault: str) -> R | None:
    """``run_once``'s report; None after a pass that failed, said in ``log`` and followed by a wait of ``wait_s``
    (``stopping`` cuts it short). The database down or unreachable for a moment (a restart, a failover) is
    ``outage`` (formatted with the driver's words and the wait); any other fault, of the code or of a row's data,
    is ``fault`` (with the wait) and its traceback: a process that died would stop its work in every market until
    someone restarted it. With ``once`` the failure is raised instead, for the command line to say."""
    try:
        return run_once()
    except OperationalError as error:
        if once:
            raise
        log.error(outage, driver_says(error), wait_s)
    except Exception:
        if once:
            raise
        log.exception(fault, wait_s)
    stopping.wait(wait_s)
    return None
