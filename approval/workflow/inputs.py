"""What an action needs besides its name: each row of the transition table declares its inputs.

The API's validation and OpenAPI document, the post page's form fields and the engine's parameters are all derived
from these declarations (Wagtail gives each action its form the same way): adding an action with a parameter is one
row of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Kind(StrEnum):
    instant = "instant"        # an aware datetime with its UTC offset
    local_time = "local_time"  # a wall-clock time (YYYY-MM-DDTHH:MM) in the account's market zone
    fold = "fold"              # 0 or 1: which of the two instants of a repeated wall-clock time
    url = "url"                # an http(s) address
    flag = "flag"              # a yes/no a person ticks


@dataclass(frozen=True)
class Input:
    name: str
    kind: Kind
    label: object
    help: object = ""


SCHEDULED_AT = Input("scheduled_at", Kind.instant, _l("Publication instant"),
                     _l("The instant of publication, with its UTC offset."))
LOCAL_TIME = Input("local_time", Kind.local_time, _l("Publication time"),
                   _l("Wall-clock time in the account's market zone, instead of scheduled_at."))
FOLD = Input("fold", Kind.fold, _l("Which occurrence"),
             _l("When the clocks go back, a local time happens twice: 0 is the first, 1 the second."))
URL = Input("url", Kind.url, _l("Published at (address)"), _l("The address of the published message."))
ACKNOWLEDGE = Input("acknowledge_warnings", Kind.flag, _l("I have read these warnings"),
                    _l("The person read the warnings shown with the action (sensitive terms when approving; "
                       "that the network may already show the post when retrying an unconfirmed publication)."))
