"""Schemathesis against the app's own OpenAPI document, in-process (WSGI), with a token of each role.

Every operation of the document gets Schemathesis's default phases (explicit examples, coverage, fuzzing with
positive and negative data, at least ``MAX_EXAMPLES`` each) and all its default checks; a stateful run follows the
document's links (create -> submit -> approve -> schedule) with a small team: each request goes out with the token of
the role whose job it is. The database is a fresh committed one per backend, loaded with the demo (posts in every
state), so generated ids hit real posts as well as missing ones.

A failure prints Schemathesis's report (the check that failed, the response, a curl command to replay it); a 500
also leaves the server's traceback in the captured log.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from sqlalchemy import select
from sqlalchemy.orm import Session

from approval import create_app
from approval.api.fields import MAX_ID
from approval.forms.posts import MAX_BODY
from approval.api.tokens import issue_token
from approval.db import make_engine
from approval.demo import load_demo
from approval.models import Post, User
from approval.workflow.states import Role
from approval.workflow.table import ACTIONS_TAKING, USER_ACTIONS, rows_for

MAX_EXAMPLES = 20
STATEFUL_SCENARIOS = 40
STATEFUL_ROUNDS = 4
TEAM = {"community_manager": "camille@helio.example", "project_manager": "lucile@helio.example",
        "cabinet": "cabinet@helio.example", "admin": "admin@helio.example"}

CONFIG = schemathesis.Config.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES},
    "checks": {
        # Well-formed input the rules refuse is an answer of the contract, not a rejected valid request: a failed
        # guard (style errors, a time in the past, a DST gap, a comment the action requires) is a 422, an If-Match
        # naming another version is a 412, `If-Match: *` with a decision is a 428 (the document says so: a rule
        # between a header and the body's action that JSON Schema cannot state), and an uploaded file of a kind
        # posts do not take is a 415 (CONTRACT.md; its bytes, not its declared type, decide).
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "412", "415", "422",
                                                           "428"]},
        # A body over the API's size limit is refused before it is read (413), and an If-Match naming another
        # version before the body is looked at (412): a stale request is refused as stale, whatever it carries.
        "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "412",
                                                          "413", "415", "422", "428", "429", "5xx"]},
        # CONTRACT.md: a missing If-Match is a 428.
        "missing_required_header": {"expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]},
    },
    # The stateless phases send the negative data; the stateful runs walk the workflow with valid requests.
    "phases": {"stateful": {"generation": {"mode": "positive"}}},
})


class CurrentApp:
    """The WSGI app Schemathesis calls: the document is read once at import, the requests go to the app of the
    backend under test (each has its own database)."""

    def __init__(self) -> None:
        self.target: Flask = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "openapi-document",
                                         "THROTTLING": False})
        self.post_ids: list[int] = []
        self.tokens: dict[str, str] = {}
        #: In the stateful runs, new posts are written on the writer's accounts in a text the style gate passes, so
        #: that the links can take them through the workflow (the stateless phases send every other kind of body).
        self.writable_accounts: list[int] = []
        #: The role whose token goes with the requests (the stateful team picks one per request itself).
        self.caller = "community_manager"

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.target(environ, start_response)


APP = CurrentApp()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    """Half the generated post ids are posts that exist (in every state), the others whatever Hypothesis draws. Not in
    the stateful runs: there the links give the id with the ETag that goes with it."""
    post_id = (path_parameters or {}).get("post_id")
    if APP.writable_accounts or not APP.post_ids or not isinstance(post_id, int) or not 1 <= post_id <= MAX_ID:
        return st.just(path_parameters)
    existing = st.sampled_from(APP.post_ids).map(lambda known: {**path_parameters, "post_id": known})
    return st.one_of(st.just(path_parameters), existing)


VALID_TEXTS = ("La Tour Eiffel brille ce soir.", "Rendez-vous samedi au Social Hub. #EURO2028")
#: What a creation may carry besides its account and text. The stateful runs leave them out (a copy of another post,
#: a proposed time that may be past by the time it is read): a generated body carries one or more of them far more
#: often than none, and only the creations rewritten to a text the gate takes can be submitted.
OPTIONAL_AT_CREATION = ("campaign_id", "copy_of", "proposed_at", "proposed_local_time", "proposed_fold")


def _schema_valid_creation(body: dict) -> bool:
    """Whether a generated ``POST /posts`` body is one the document allows (positive data): only those are made into
    a creation that goes through (a writable account, a text the gate takes). A negative one stays as generated: made
    valid, it would be "accepted" where it should have been refused."""
    def an_id(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID

    return (set(body) <= {"account_id", "body", *OPTIONAL_AT_CREATION} and an_id(body.get("account_id"))
            and isinstance(body.get("body"), str) and 1 <= len(body["body"]) <= MAX_BODY
            and (body.get("campaign_id") is None or an_id(body["campaign_id"])))


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy:
    if not APP.writable_accounts or context.operation.path != "/api/v1/posts" or not isinstance(body, dict) \
            or not _schema_valid_creation(body):
        return st.just(body)
    return st.builds(lambda account, text: {"account_id": account, "body": text},
                     st.sampled_from(APP.writable_accounts), st.sampled_from(VALID_TEXTS))


@schema.hook
def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """No If-None-Match: its 304 is a conditional read's answer, which the checks take for a valid request refused
    (the 304 has its own tests, tests/api/test_api_integrator_http.py)."""
    if headers:
        headers.pop("If-None-Match", None)
    return headers


@schema.auth(refresh_interval=None)
class PersonalToken:
    """The bearer token of the role under test (read when a request goes out, after the database is seeded)."""

    def get(self, case: Any, context: Any) -> str:
        return APP.tokens.get(APP.caller, "not-seeded-yet")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def seeded(backend, databases):
    """A committed database of ``backend`` with the demo, and a token for one person of each role."""
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    # The token throttle would answer 429 to the generated requests without a valid token (its own test is in
    # tests/test_hardening.py).
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "schemathesis", "THROTTLING": False})
    with app.app_context(), Session(engine) as session:  # the demo stores its media in the app's instance folder
        load_demo(session)
        tokens = {}
        for role, email in TEAM.items():
            user = session.scalar(select(User).where(User.email == email))
            tokens[role] = issue_token(session, user, "schemathesis")[1]
        session.commit()
        post_ids = list(session.scalars(select(Post.id).order_by(Post.id)))
    APP.target, APP.post_ids, APP.tokens = app, post_ids, tokens
    yield
    engine.dispose()


@pytest.fixture(scope="module", params=list(TEAM))
def role(request: pytest.FixtureRequest) -> str:
    return request.param


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_operation_for_every_role(case, seeded, role):
    APP.caller = role
    case.call_and_validate()


#: Who does what in the stateful runs: the transitions go out with the token of the role whose job they are (the
#: writers' actions by the community manager, the others by the table's project manager, else its cabinet).
ROLE_OF_ACTION = {
    action: next(role.value for role in (Role.community_manager, Role.project_manager, Role.cabinet)
                 if any(role in row.roles for row in rows_for(action)))
    for action in USER_ACTIONS
}


#: The operations the links join: a run that starts anywhere else (stops, notifications, media...) never reaches the
#: workflow, and those operations have their own runs above.
WORKFLOW = schema.include(operation_id=["create_post", "get_post", "edit_post", "act_on_post", "list_transitions"])


def test_stateful_runs_follow_the_links(seeded):
    seeded_accounts = APP.target.test_client().get("/api/v1/accounts", headers={
        "Authorization": f"Bearer {APP.tokens['community_manager']}"}).get_json()
    # Text alone goes out on these networks; Instagram, YouTube and Snapchat need media (network.media-required).
    seeded_accounts = [account["id"] for account in seeded_accounts["items"]
                       if account["network"] in ("facebook", "x", "linkedin")]
    reached: dict[str, int] = {}

    APP.caller = "community_manager"
    APP.writable_accounts = seeded_accounts

    class Team(WORKFLOW.as_state_machine()):
        """Each request goes out with the token of the role whose job it is, a transition carries only the fields
        of its action, and an Idempotency-Key is new for each request (as a well-behaved client sends them)."""

        def before_call(self, case: Any) -> None:
            super().before_call(case)
            if case.headers and "Idempotency-Key" in case.headers:
                case.headers = {**case.headers, "Idempotency-Key": str(uuid.uuid4())}
            if case.method.upper() == "POST" and case.path.endswith("/transitions") and isinstance(case.body, dict):
                action = case.body.get("action")
                for name, actions in ACTIONS_TAKING.items():  # the inputs each action declares in the table
                    if action not in actions:
                        case.body.pop(name, None)
                role = ROLE_OF_ACTION.get(action, "community_manager")
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {APP.tokens[role]}"}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            if case.method.upper() == "POST" and case.path.endswith("/transitions") and response.status_code == 200:
                state = response.json()["state"]
                reached[state] = reached.get(state, 0) + 1

    started = time.monotonic()
    # As Schemathesis's own runner does: generation only (a scenario replayed or shrunk against a database that has
    # moved on cannot behave the same), and a round that Hypothesis stops because the rules on offer changed under
    # it (the links depend on earlier answers) is followed by a fresh one. A failed check is never swallowed: it
    # comes as a FailureGroup, or as a FlakyFailure when it did not happen again on replay.
    scenarios = settings(max_examples=STATEFUL_SCENARIOS // STATEFUL_ROUNDS, stateful_step_count=8, deadline=None,
                         database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    flaky = 0
    for _round in range(STATEFUL_ROUNDS):
        try:
            Team.run(settings=scenarios)
        except FlakyStrategyDefinition:
            flaky += 1
    APP.writable_accounts = []
    print(f"stateful: {time.monotonic() - started:.0f} s, {flaky} rounds cut short, states reached: {reached}")
    assert "in_review" in reached, reached  # the links lead from a created post to its submission
