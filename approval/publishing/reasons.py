"""Why the worker did not send a post, and what a call to a network came to, in words each reader gets in their
language.

The worker writes its reasons into the audit trail: the step's comment in English (what the trail, the API and the
command line show), and beside it, in the step's payload (``why``), each reason as a message id and its parameters,
so that a page renders it in its reader's language. A reason from the style gate carries its findings (each with
its own message id) rather than their English text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from approval.models.publishing import Outcome
from approval.style import localize
from approval.style.i18n import N_, english_number, render

Reason = dict[str, Any]

DEACTIVATED = N_("The account is deactivated.")
NOT_APPROVED = N_("The current revision is not the approved one.")
DIGEST_CHANGED = N_("The text or the media no longer match the SHA-256 that was approved.")
FILE_CHANGED = N_("Media file %(sha)s… is missing from the media store, or its bytes are not the approved ones.")
STYLE_GATE = N_("The style gate refuses it under the policy in force: %(errors)s")
NO_TEXT = N_("The post has no text.")
CHECK_FAULT = N_("The checks before sending stopped on an error (%(error)s); nothing was sent. Retry it, and if it "
                 "fails again, ask an administrator to read the worker's log.")
NOT_CONNECTED = N_("The account is not connected to a publisher: connect it, then retry.")
# Why a slot was missed (the grace period passed before the post went out).
MISSED_HELD = N_("A stop switch or an embargo held it until its grace period passed.")
#: The same, naming what held it (``worker._missed_because``): the switch's scope, its reason and who turned it on
#: (the reason and the name are the people's own words), or the campaign's embargo. Rows before 7 December 2026 name
#: ``MISSED_HELD``, which still translates.
MISSED_HELD_BY_ALL = N_("The stop switch over everything (“%(reason)s”, turned on by %(name)s) held it until its "
                        "grace period passed.")
MISSED_HELD_BY_MARKET = N_("The stop switch over market %(market)s (“%(reason)s”, turned on by %(name)s) held it "
                           "until its grace period passed.")
MISSED_HELD_BY_CAMPAIGN = N_("The stop switch over the campaign %(campaign)s (“%(reason)s”, turned on by %(name)s) "
                             "held it until its grace period passed.")
MISSED_EMBARGO = N_("The embargo of the campaign %(campaign)s held it until its grace period passed.")
#: Who turned a switch on from the command line (``approval stop``), in the reader's language.
FROM_THE_COMMAND_LINE = N_("the command line")
MISSED_REFUSED = N_("The network kept asking to wait (last: %(last)s) until its grace period passed.")
MISSED_UNREACHABLE = N_("The receiver could not be reached (last: %(last)s) until its grace period passed.")
# Missed before the grace period ends: the next try the network asked for would come after it.
MISSED_REFUSED_EARLY = N_("The network kept asking to wait (last: %(last)s): its next try would come after its "
                          "grace period.")
MISSED_UNREACHABLE_EARLY = N_("The receiver could not be reached (last: %(last)s): its next try would come after its "
                              "grace period.")
MISSED_QUOTA = N_("The network's posting quota for the account held it back until its grace period passed.")
MISSED_UNSENT = N_("No publishing worker sent it within its grace period: was one running?")
#: The same, as the trail kept it until 6 December 2026 (its rows name it by this id): a command name in a sentence
#: every reader gets, community managers included.
MISSED_UNSENT_UNTIL_2026_12 = N_("No publishing worker sent it within its grace period: was one running (approval "
                                 "worker)?")
# What a call to a network came to, when the words are the worker's own rather than the network's (those, an HTTP
# status and the body it came with, are quoted as they are).
NO_ANSWER_IN_TIME = N_("no complete answer within %(seconds)s s")
CONNECTION_BROKE = N_("the connection broke after sending, before an answer (%(error)s)")
INTERIM_ANSWER = N_("HTTP %(status)s: an interim answer, and no final one was read")
NO_USABLE_ID = N_("the answer gave no usable id")
# A 2xx without the post's address is not taken for a publication: any server that answers 200 to a POST would
# mark posts published. Nobody knows whether it went out: a person confirms it with its address, or retries.
NO_ADDRESS_IN_ANSWER = N_("the receiver answered HTTP %(status)s without the post's address (a JSON object with its "
                          "\"url\")")
# A 409 is how receivers say "this key again": one that caches its answers by key, or keeps one post per key. With the
# post's address it is a publication (below); without it, the post may be online: a person checks.
CONFLICT_WITHOUT_ADDRESS = N_("the receiver answered HTTP 409 (a conflict: this key may be a post it already has) "
                              "without the post's address")
# An address on the receiver's own server (an echo server answers the address it was called at) is not where the
# post is online: as unknown as no address.
OWN_ADDRESS_IN_ANSWER = N_("the receiver answered HTTP %(status)s with an address on its own server (%(host)s), not "
                           "the post's")
# A 303, or the 302 of Post/Redirect/Get, answers a POST the server processed: the post may be online.
REDIRECTS_AFTER_TAKING = N_("the webhook's address answered HTTP %(status)s, to %(location)s: the receiver may have "
                            "taken the post")
# A redirect is never followed (the signed body would go where nobody set it): the address must change.
REDIRECTS_TO = N_("the webhook's address redirects (HTTP %(status)s) to %(location)s: an admin updates the "
                  "account's address")
REDIRECTS_NOWHERE = N_("the webhook's address redirects (HTTP %(status)s), to no address it names: an admin checks "
                       "the account's address")
INTERNAL_ADDRESS = N_("the webhook's address leads to %(address)s, on this server's own network: nothing was sent "
                      "(set a public address, or allow private ones with %(setting)s=1)")
UNCALLABLE_ADDRESS = N_("the webhook's address cannot be called: %(error)s")
NO_CONNECTION = N_("could not connect: %(error)s")
# Why a post the network kept refusing for a while was given up at its slot (``worker.MAX_RATE_LIMITED``,
# ``worker.MAX_ATTEMPTS``); ``last`` is the last answer, a reason itself or the network's words.
GAVE_UP_RATE_LIMITED = N_("The worker gave up after %(tries)s rate-limited tries at this slot (last: %(last)s); a "
                          "retry starts a new series.")
GAVE_UP_FAILING = N_("The worker gave up after %(tries)s tries at this slot that did not go through (last: "
                     "%(last)s); a retry starts a new series.")
# A worker that stopped (killed, its lease expired) with a call in flight, as the next one finds it.
STOPPED_CONNECTOR_CHANGED = N_("the worker stopped while sending, and the account's connector changed since: the "
                               "network that was called cannot be asked whether the post went out")
STOPPED_NO_LOOKUP = N_("the worker stopped while sending; the network cannot be asked whether the post went out")
STOPPED_NOT_FOUND = N_("lease expired; the network has no such post")
STOPPED_BEFORE_SENDING = N_("lease expired before sending")
WORKER_STOPPING = N_("its worker was stopping before its turn: put back for the next one")
# Why a claimed post was put back unsent, just before its call.
GRACE_ENDED = N_("its slot's grace period ended before it could be sent")
HELD_SINCE_CLAIM = N_("a stop switch or an embargo holds it since it was claimed")
DEACTIVATED_SINCE_CLAIM = N_("its account was deactivated since it was claimed")
CONNECTOR_CHANGED_SINCE_CLAIM = N_("its account's connector changed since it was claimed")

#: What attempts and steps recorded before these words changed still hold: kept for the catalogue, so that they
#: read in their reader's language.
EARLIER = (
    N_("the answer gave no usable url"),
    N_("the answer gave no usable id nor url"),
    N_("the webhook's address leads to %(address)s, on this server's own network: nothing was sent (set a public "
       "address, or allow private ones)"),
)


# What a page says before the network's own words (an HTTP status and the body it came with, quoted as they came,
# never translated: they are what its support asks for), by what the call came to: what happened, and what to do.
NETWORK_REFUSED = N_("The network refused the post, for the reason in its answer: fix what it names (the text, the "
                     "media), then retry from the post.")
NETWORK_NEEDS_RECONNECT = N_("The network no longer accepts the account's access: an admin reconnects the account in "
                             "Publishing settings, then retry from the post.")
NETWORK_RATE_LIMITED = N_("The network asked to wait (a rate limit); nothing went out: the worker tries again at the "
                          "time shown.")
NETWORK_UNAVAILABLE = N_("The network could not take the post for now; nothing went out: the worker tries again at "
                         "the time shown.")
NETWORK_UNCLEAR = N_("Nobody knows whether the post went out: the network's answer does not say. Check the account "
                     "on the network: if the post is there, confirm it with its address; if not, retry.")
FRAMES = {Outcome.refused: NETWORK_REFUSED, Outcome.needs_reconnect: NETWORK_NEEDS_RECONNECT,
          Outcome.rate_limited: NETWORK_RATE_LIMITED, Outcome.temporary_error: NETWORK_UNAVAILABLE,
          Outcome.unknown: NETWORK_UNCLEAR}
#: Where a sentence of the worker's named the network's last answer (``last``): the answer follows, quoted.
ANSWER_QUOTED = N_("its answer, quoted below")
#: The network's words shown whole up to this many characters; longer ones are cut there, the whole of them a click
#: away (an HTML error page or a JSON body filled the desk's column).
WORDS_SHOWN = 100


def reason(message_id: str, *, findings: Iterable[Mapping[str, Any]] = (), **params: object) -> Reason:
    """One reason: its message id, its parameters, and for the style gate the findings it names (stored dicts)."""
    return {"id": message_id, "params": params, "findings": list(findings)}


def own_words(message_id: str, **params: object) -> dict[str, Any]:
    """A connector's result said in the worker's words: ``message`` in English (the trail, the API, the command line),
    ``why`` for the pages, as ``Result(outcome, **own_words(...))`` takes them."""
    why: Reason = {"id": message_id, "params": params, "findings": []}
    return {"message": text([why]), "why": why}


def text(reasons: Iterable[Reason], gettext: Callable[[str], str] | None = None,
         number: Callable[[float], str] = english_number) -> str:
    """The reasons as one text: in English, or through ``gettext`` with decimals written by ``number``."""
    return " ".join(_one(r, gettext, number) for r in reasons)


def _one(given: Reason, gettext: Callable[[str], str] | None, number: Callable[[float], str]) -> str:
    # A parameter may be a reason itself (the last answer a missed slot got): written in the same language.
    params = {name: _one(value, gettext, number) if isinstance(value, dict) and "id" in value else value
              for name, value in (given.get("params") or {}).items()}
    if given.get("findings"):
        params["errors"] = "; ".join(f"{f['rule']}: {localize(f, gettext, number) if gettext else f['message']}"
                                     for f in given["findings"])
    return render(given["id"], params, gettext, number)


@dataclass(frozen=True)
class Told:
    """Why a call did not go through, as a page says it: a sentence in the reader's language, then, where the network
    gave some, its own words, quoted as they came (``words``)."""

    sentence: str
    words: str | None = None

    @property
    def excerpt(self) -> str | None:
        """The network's words cut to ``WORDS_SHOWN`` characters on one line, at a word where one ends near there;
        None where they fit whole."""
        if self.words is None or len(self.words) <= WORDS_SHOWN:
            return None
        line = " ".join(self.words.split())[:WORDS_SHOWN]
        space = line.rfind(" ")
        return (line[:space] if space > WORDS_SHOWN * 2 // 3 else line).rstrip(" ,;:") + "…"


#: An answer the worker recorded as it came: its HTTP status first ("HTTP 400 {"error": ...").
_STATUS = re.compile(r"HTTP (\d{3})\b")


def told(comment: str | None, payload: Mapping[str, Any] | None, *, outcome: Outcome,
         gettext: Callable[[str], str] | None = None, number: Callable[[float], str] = english_number) -> Told | None:
    """Why, from a step of the trail (``fail``, ``lose``, ``postpone``, ``miss``: its comment and payload), in the
    reader's language (``gettext``). The worker's own reasons are sentences already; the network's words (the comment
    of a step that has no reason of the worker's) follow a sentence saying what the call came to (its ``outcome`` as
    recorded, else as its HTTP status says, else ``outcome``) and what to do; the network's words a reason of the
    worker's quotes (its ``last`` answer) follow that reason. None for a step that says nothing."""
    payload = payload or {}
    why = payload.get("why")
    if why:
        quoting = [_networks((given.get("params") or {}).get("last")) for given in why]
        if not any(quoting):
            return Told(text(why, gettext, number))
        words = next(given["params"]["last"] for given, quotes in zip(why, quoting) if quotes)
        quoted = render(ANSWER_QUOTED, {}, gettext)
        said = [{**given, "params": {**given["params"], "last": quoted}} if quotes else given
                for given, quotes in zip(why, quoting)]
        return Told(text(said, gettext, number), words)
    if not comment:
        return None
    kind = came_to(comment, payload, outcome)
    if kind is None:
        return Told(comment)  # a step recorded before the worker kept its outcome, in words of its own
    return Told(render(FRAMES.get(kind, NETWORK_REFUSED), {}, gettext), comment)


def came_to(comment: str | None, payload: Mapping[str, Any] | None, outcome: Outcome) -> Outcome | None:
    """What the network's words a step recorded (its comment, where the worker gave no reason of its own) came to:
    the outcome the step recorded, else as their HTTP status says, else ``outcome``. None where the step quotes no
    network: the worker's own reasons, no comment, or words recorded before the worker kept outcomes and without an
    HTTP status. The publishing desk's and the post page's sentence, and the wall's few words, follow it."""
    payload = payload or {}
    if payload.get("why") or not comment:
        return None
    status = http_status(comment)
    if status is None and "outcome" not in payload:
        return None
    recorded = payload.get("outcome")
    return Outcome(recorded) if recorded in FRAMES else _by_status(status) if status is not None else outcome


def http_status(words: str | None) -> int | None:
    """The HTTP status an answer recorded as it came begins with ("HTTP 400 {"error": ..."), if it does."""
    found = _STATUS.match(words or "")
    return int(found.group(1)) if found else None


def _networks(last: object) -> bool:
    """A reason's ``last`` answer is the network's own words (not a reason of the worker's, nor a bare outcome)."""
    return isinstance(last, str) and bool(last.strip()) and last not in set(Outcome)


def _by_status(status: int) -> Outcome:
    """What an answer came to by its HTTP status alone, as the webhook connector reads it."""
    if status in (401, 403):
        return Outcome.needs_reconnect
    if status == 429:
        return Outcome.rate_limited
    if status >= 500 or status == 408:
        return Outcome.temporary_error
    return Outcome.refused
