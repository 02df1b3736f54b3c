"""Every HTML route and every API operation, walked with hostile values for each of its parameters: no 5xx.

The values are the ones that broke pages before (issue 10): NUL and other control characters, CR/LF, ids of 2^31
and 2^63, numbers of 5,000 digits, years 1 and 9999, bodies past the size limits. Each page route declares the
query or form parameters it reads (``PARAMETERS``); the fields of the forms its pages render are found and walked
too. The API's operations, parameters and body fields come from its OpenAPI document. A route that is neither
declared here nor in the document fails ``test_every_route_is_walked``: a new route must join the walk.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from approval import administration as admin
from approval import operations as ops
from approval.api.tokens import issue_token
from approval.inputs import IdConverter
from approval.workflow.states import Action, Role, State

from conftest import WebClient

#: What each page route reads besides its path: query parameters for a GET, form fields for a POST (the fields of
#: the forms its pages render are added by the walk). Every page route is listed, with () when it reads nothing.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "favicon": (),
    "auth.home": (),
    "auth.login": ("next", "email", "password"),
    "auth.forgot_password": ("email",),
    "auth.accept_invitation": ("new_password", "confirm_password"),
    "auth.reset_password": ("new_password", "confirm_password"),
    "auth.logout": (),
    "auth.set_language": ("language", "next"),
    "posts.list_posts": ("state", "market", "mine", "after", "author_id", "account_id", "campaign_id",
                         "created_from", "created_to", "q"),
    "posts.new_post": ("account_id", "also_account_ids", "campaign_id", "body", "submit", "copy_of", "file", "alt",
                       "proposed_time", "proposed_fold", "proposed_fold-Europe/Paris"),
    "posts.show_post": ("r", "diff_from", "diff_to"),
    "posts.post_version": (),
    "posts.edit_post": ("body", "version", "submit", "proposed_time", "proposed_fold"),
    "posts.act": ("version", "comment", "local_time", "url", "acknowledge_warnings", "fold", "and_schedule", "when",
                  "ask_first"),
    "posts.add_comment": ("body",),
    "posts.add_live_link": ("url", "version"),
    "posts.check_text": ("account_id", "campaign_id", "body", "picked", "also_account_ids"),
    "imports.import_posts": ("file",),
    "imports.create_posts": ("content", "submit", "key"),
    "imports.imported": ("file",),
    "imports.template_csv": (),
    "imports.error_lines": ("content",),
    "sets.show_set": (),
    "sets.submit_all": ("version-1",),
    "sets.apply_text": ("version-1", "source", "source_revision", "target"),
    "sets.list_sets": ("after", "q", "market", "network", "account_id", "campaign_id", "state", "author_id",
                       "created_from", "created_to"),
    "sets.approve_all": ("version-1", "and_schedule", "acknowledge_warnings", "comment", "local_time",
                         "fold-Europe/Paris", "time_basis", "time_zone"),
    "review.queue": ("after", "market", "author_id", "account_id", "campaign_id"),
    "cabinet.inbox": ("after", "answered_after"),
    "profile.show_profile": (),
    "profile.create_token": ("name",),
    "profile.revoke": ("token_id",),
    "profile.change_password": ("current_password", "new_password", "confirm_password"),
    "profile.set_language": ("language",),
    "admin.index": (),
    "admin.list_markets": (),
    "admin.new_market": ("code", "name", "timezone", "languages", "grace_minutes"),
    "admin.edit_market": ("name", "timezone", "languages", "grace_minutes"),
    "admin.edit_policy": ("forbidden", "sensitive", "capital_exceptions", "disclosures", "strict_full_stop", "note"),
    "admin.list_accounts": ("market",),
    "admin.new_account": ("market_id", "network", "handle", "brand", "executive_id", "connector", "url", "secret"),
    "admin.edit_account": ("market_id", "network", "handle", "brand", "executive_id"),
    "admin.deactivate_account": (),
    "admin.reactivate_account": (),
    "admin.list_executives": (),
    "admin.new_executive": ("name", "title"),
    "admin.edit_executive": ("name", "title"),
    "admin.add_cabinet_member": ("user_id",),
    "admin.remove_cabinet_member": (),
    "admin.list_users": ("role", "market"),
    "admin.new_user": ("email", "name", "role", "market_ids", "all_markets", "executive_ids", "password",
                       "market_id", "how"),
    "admin.send_invitation": (),
    "admin.edit_user": ("name", "role", "market_ids", "all_markets", "executive_ids"),
    "admin.set_password": ("password",),
    "admin.deactivate_user": (),
    "admin.reactivate_user": (),
    "admin.end_user_sessions": (),
    "admin.unlock_user_login": (),
    "admin.log": ("subject", "id", "actor", "before"),
    "campaigns.list_campaigns": (),
    "campaigns.new_campaign": ("name", "market_id", "hashtag", "description", "embargo_until", "embargo_fold"),
    "campaigns.edit_campaign": ("name", "market_id", "hashtag", "description", "embargo_until", "embargo_fold"),
    "publishing.release_all": ("post", "version-1"),
    "publishing.desk": ("market",),
    "publishing.reschedule": ("post", "local_time", "when"),
    "publishing.release": ("post", "only", "version-1"),
    "publishing.stops": ("scope", "market", "campaign_id", "reason"),
    "publishing.turn_off": (),
    "publishing.settings": (),
    "publishing.set_grace": ("grace_minutes",),
    "publishing.connect_account": ("connector", "url", "secret"),
    "publishing.set_embargo": ("embargo_until", "embargo_fold"),
    "calendar.show_calendar": ("date", "market", "tz", "view", "account_id", "campaign_id"),
    "calendar.feed": ("token", "market"),
    "calendar.feed_settings": (),
    "calendar.create_feed": (),
    "calendar.revoke_feed": (),
    "calendar.move_post": ("post_id", "version", "local_time", "tz", "next", "when", "ask_first"),
    "hub.wall": ("market", "campaign", "view"),
    "hub.dashboard": ("market", "campaign", "view"),
    "hub.stream": ("market", "since", "campaign", "view"),
    "hub.kiosk_wall": ("market", "campaign", "view"),
    "hub.kiosk_stream": ("market", "since", "campaign", "view"),
    "hub.list_kiosks": (),
    "hub.create_kiosk": ("name", "markets"),
    "hub.revoke_kiosk": ("kiosk_id",),
    "hub.set_thresholds": ("review_amber_minutes", "review_red_minutes"),
    "notifications.list_notifications": ("before",),
    "notifications.open_notification": (),
    "notifications.open_group": (),
    "notifications.preferences": ("mode-review", "timezone"),
    "notifications.mark_read": ("id", "all"),
    "notifications.market_settings": ("chat_webhook_url",),
    "media.upload_media": ("version", "alt"),
    "media.arrange_media": ("version", "item", "up", "down", "remove"),
    "media.show_file": (),
    "media.thumbnail": (),
    "media.published_file": (),
    "media.preview": ("body", "post_id", "account_id", "picked"),
    "notifications.settings_index": (),
    "reports.show_reports": ("from", "to", "market", "sort", "by", "campaign"),
    "health.healthz": (),
    "reports.chart_csv": ("from", "to", "market", "campaign"),
    "reports.chart_svg": ("from", "to", "market", "campaign"),
    "reports.audit": ("from", "to", "market", "actor", "action", "before"),
    "reports.audit_csv": ("from", "to", "market", "actor", "action", "before"),
}
#: Who walks a route, when it is not the project manager (who sees most pages): admin pages, the cabinet's inbox.
WALKERS = {"notifications.settings_index": "admin", "notifications.market_settings": "admin",
           "publishing.settings": "admin", "publishing.set_grace": "admin", "publishing.connect_account": "admin",
           "publishing.set_embargo": "admin", "hub.list_kiosks": "admin", "hub.create_kiosk": "admin",
           "hub.revoke_kiosk": "admin", "hub.set_thresholds": "admin", "reports.audit": "admin",
           "reports.audit_csv": "admin"}
#: The page walk in parts, by blueprint, so that test processes share it: each part walks its routes with a world,
#: logins and form discovery of its own (the discovery reads every page: a form may post to any route). Every
#: blueprint of ``PARAMETERS`` is in one part (``test_every_route_is_walked``).
PAGE_PARTS = {
    "admin": ("admin",),
    "posts": ("posts", "imports", "review"),
    "people": ("auth", "favicon", "health", "profile", "cabinet", "notifications"),
    "planning": ("sets", "campaigns", "publishing", "calendar", "hub", "media", "reports"),
}
#: Served by Flask itself, not by the application.
EXEMPT = {"static"}
#: Routes that may end the walker's own session.
LOG_OUT = {"auth.logout", "auth.login", "profile.change_password"}
#: Answers that stream until the client leaves: their status is checked, their body is not read.
STREAMS = {"hub.stream", "hub.kiosk_stream"}

BIG_IDS = (2**31, 2**63)
VALUES = ("\x00", "a\r\nb", "9" * 5000, str(2**31), str(2**63), "0001-01-01T00:00", "9999-12-31T23:59",
          "0001-01-01", "9999-12-31", "2026-02-30", "zzz", "", "http://[::1", "²")
#: Sent to each query parameter of a page alone: a word where a number or a date goes, a day no month has, the
#: calendar's first and last days, a NUL, an address whose host makes urlsplit raise, a digit ``int`` refuses
#: though ``str.isdigit`` takes it.
ALONE = ("zzz", "2026-02-30", "0001-01-01", "9999-12-31", "\x00", "http://[::1", "²")
#: Names no page declares, sent to each page at once: those a view might pass on to url_for as keywords of its own.
STRAYS = {"endpoint": "x", "_anchor": "x", "_method": "POST", "_external": "1", "_scheme": "javascript",
          "token": "x", "next": "http://[::1"}
HUGE_FORM = b"body=" + b"x" * (3 * 1024 * 1024)


@dataclass
class Failure:
    method: str
    url: str
    detail: str


@dataclass
class Walk:
    app: Flask
    failures: list[Failure] = field(default_factory=list)
    requests: int = 0

    def check(self, method: str, url: str, send) -> None:  # noqa: ANN001
        self.requests += 1
        try:
            response = send()
        except Exception as error:  # noqa: BLE001 - an exception is the 500 this walk looks for
            self.failures.append(Failure(method, url, f"{type(error).__name__}: {error}"[:300]))
            return
        if response.status_code >= 500:
            self.failures.append(Failure(method, url, f"{response.status_code}"))
        response.close()

    def report(self) -> str:
        return "\n".join(f"{f.method} {f.url[:200]!r}: {f.detail}" for f in self.failures[:40])


# The data the routes act on -----------------------------------------------------------------------------------


@pytest.fixture()
def world(make, db_session):
    market = make.market("FR")
    other = make.market("KE", "Africa/Nairobi", ("en",))
    executive = make.executive("Elena Director")
    account = make.account(market)
    executive_account = make.account(market, executive=executive)
    campaign = admin.create_campaign(db_session, "Summer", market, "#Summer")
    pm = make.user(Role.project_manager, markets=[market, other], name="Walking Manager")
    cabinet = make.user(Role.cabinet, executives=[executive], name="Walking Cabinet")
    victim = make.user(Role.community_manager, markets=[market], name="Victim")
    posts = {state: make.post(state, account=account, reviewer=pm)
             for state in (State.draft, State.in_review, State.approved, State.scheduled)}
    make.post(State.with_cabinet, account=executive_account, reviewer=pm)
    # A message written for two accounts (a set), in review: its page offers the bulk decisions.
    post_set = ops.create_post_set(db_session, victim, 2)
    for member in (account, make.account(market, "x")):
        make.act(ops.create_post(db_session, victim, member, "Le stade brille ce soir.", post_set=post_set),
                 Action.submit, victim)
    ids = {"post_id": posts[State.in_review].id, "set_id": post_set.id, "market_id": market.id,
           "account_id": account.id, "user_id": victim.id, "executive_id": executive.id, "campaign_id": campaign.id,
           "number": 1, "other": 1}
    return {"pm": pm, "admin": make.user(Role.admin), "cabinet": cabinet, "ids": ids, "market": market,
            "posts": posts}


def walker_for(endpoint: str) -> str:
    if endpoint in WALKERS:
        return WALKERS[endpoint]
    if endpoint.startswith("admin."):
        return "admin"
    if endpoint.startswith("cabinet."):
        return "cabinet"
    return "pm"


# Pages -------------------------------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of the forms on a page, by the path they post to (or the page's own path, for a GET form)."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.current: str | None = None
        self.fields: dict[str, set[str]] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.current = urlsplit(attributes.get("action") or self.page_path).path
            self.fields.setdefault(self.current, set())
        elif tag in ("input", "select", "textarea", "button") and self.current and attributes.get("name"):
            self.fields[self.current].add(attributes["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def path_variants(rule: Rule, ids: dict[str, int]) -> Iterator[tuple[str, bool]]:
    """(path, hostile) pairs: the path with known values, then with each argument hostile in turn."""
    known, hostile = {}, {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IdConverter | IntegerConverter):
            known[name], hostile[name] = str(ids.get(name, 1)), [str(big) for big in BIG_IDS]
        elif isinstance(converter, AnyConverter):
            choices = sorted(converter.items) if hasattr(converter, "items") else ["approve"]
            known[name] = "schedule" if "schedule" in choices else choices[0]
            hostile[name] = ["frobnicate"]
        else:
            known[name], hostile[name] = "FR", ["%00", "a%0D%0Ab", "9" * 5000, "..%2F..%2Fetc"]
    yield _fill(rule.rule, known), False
    for name, values in hostile.items():
        for value in values:
            yield _fill(rule.rule, {**known, name: value}), True


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^<>]*:)?([a-z_]+)>", lambda m: values[m.group(1)] if "%" in values[m.group(1)]
                  else quote(values[m.group(1)], safe=""), template)


def test_every_route_is_walked(app):
    operations = _api_operations(app)
    walked = set(PARAMETERS) | EXEMPT | {endpoint for endpoint, _method, _path in operations}
    walked |= {"api-docs.openapi_json", "api-docs.openapi_swagger_ui"}
    routes = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert routes - walked == set(), "routes the hostile walk does not cover: add them to PARAMETERS"
    assert set(PARAMETERS) - routes == set(), "PARAMETERS names routes that no longer exist"
    parts = [blueprint for blueprints in PAGE_PARTS.values() for blueprint in blueprints]
    assert len(parts) == len(set(parts)), "a blueprint in two parts of the page walk (PAGE_PARTS)"
    assert {_blueprint(endpoint) for endpoint in PARAMETERS} - set(parts) == set(), \
        "blueprints in no part of the page walk: add them to PAGE_PARTS"


def _blueprint(endpoint: str) -> str:
    return endpoint.split(".", 1)[0]


@pytest.mark.parametrize("part", sorted(PAGE_PARTS))
def test_every_page_route_with_hostile_values(app, web, world, db_session, part):
    endpoints = {endpoint for endpoint in PARAMETERS if _blueprint(endpoint) in PAGE_PARTS[part]}
    clients = {}
    for role in ("pm", "admin", "cabinet"):
        clients[role] = WebClient(app.test_client())
        clients[role].login(world[role])
    discovered = _discover_form_fields(app, clients, world["ids"])
    walk = Walk(app)
    anonymous = app.test_client()
    walked = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint not in endpoints:
            continue
        walked.add(rule.endpoint)
        client = clients[walker_for(rule.endpoint)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for path, hostile in path_variants(rule, world["ids"]):
                names = set(PARAMETERS[rule.endpoint]) | discovered.get(_pattern_key(rule), set())
                names.discard("csrf_token")
                variants = [None] if hostile or not names else [None, *VALUES]
                if rule.endpoint in STREAMS:  # each answer holds the line a moment: the values that matter most
                    variants = [value for value in variants if value in ("\x00", "9" * 5000, "9999-12-31T23:59")]
                sent = [{name: value for name in names} if value is not None else {} for value in variants]
                if method == "GET" and not hostile and rule.endpoint not in STREAMS:
                    # Each parameter alone too: all at once, the first one a page refuses hides the others
                    # (an unknown ``action`` answered 400 before a date that is none was ever read).
                    sent += [{name: value} for name in sorted(names) for value in ALONE] + [STRAYS]
                for data in sent:
                    _send(walk, client, method, path, data, stream=rule.endpoint in STREAMS)
                    if rule.endpoint in LOG_OUT:
                        _stay_logged_in(client, world, walker_for(rule.endpoint))
                if method == "POST" and not hostile:
                    walk.check(method, path + " (huge body)", lambda p=path: client.client.post(
                        p, data=HUGE_FORM, content_type="application/x-www-form-urlencoded"))
                    # Each field sent as a file beside a good CSRF token: a form's validators measured the upload
                    # object Flask-WTF handed them under a text field's name (a 500 on the login page).
                    walk.check(method, path + " (fields as files)", lambda p=path, n=names: client.post(
                        p, {name: (io.BytesIO(b"x"), "x.txt") for name in n}))
                    _stay_logged_in(client, world, walker_for(rule.endpoint))
                if not hostile:
                    walk.check(method, path + " (anonymous)", lambda p=path, m=method: anonymous.open(p, method=m))
    assert walked == endpoints
    assert walk.requests > 10 * len(endpoints), walk.requests
    assert not walk.failures, f"{len(walk.failures)} answers of 5xx:\n{walk.report()}"


def _send(walk: Walk, client: WebClient, method: str, path: str, data: dict, *, stream: bool) -> None:
    if method == "GET":
        walk.check(method, f"{path} {data!r:.80}", lambda: client.client.get(path, query_string=data))
    else:
        walk.check(method, f"{path} {data!r:.80}", lambda: client.post(path, data))


def _stay_logged_in(client: WebClient, world: dict, role: str) -> None:
    """Logging out, or a victim's page that ended the walker's session: log in again."""
    probe = client.client.get("/profile")
    probe.close()
    if probe.status_code == 302:
        client.login(world[role])


def _pattern_key(rule: Rule) -> str:
    return re.sub(r"<[^>]+>", "*", rule.rule)


def _discover_form_fields(app: Flask, clients: dict[str, WebClient], ids: dict[str, int]) -> dict[str, set[str]]:
    """The fields of the forms each GET page renders, keyed by the route pattern they post to."""
    patterns = {_pattern_key(rule): re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", rule.rule) + "$")
                for rule in app.url_map.iter_rules()}
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint not in PARAMETERS or rule.endpoint in STREAMS:
            continue
        path, _hostile = next(path_variants(rule, ids))
        response = clients[walker_for(rule.endpoint)].client.get(path)
        page = response.get_data(as_text=True) if response.status_code == 200 else ""
        response.close()  # a streamed answer (a CSV) keeps its request open until closed
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = FormFields(path)
        parser.feed(page)
        for action, names in parser.fields.items():
            for key, pattern in patterns.items():
                if pattern.match(action):
                    found.setdefault(key, set()).update(names)
    return found


# The API -----------------------------------------------------------------------------------------------------


def _api_operations(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, document path) of each operation in the OpenAPI document."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    by_operation = {rule.endpoint.split(".", 1)[1]: rule.endpoint for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/api/v1/") and "." in rule.endpoint}
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                operations.append((by_operation.get(operation.get("operationId"), operation.get("operationId")),
                                   method.upper(), path))
    return operations


def _schema_properties(document: dict, operation: dict) -> dict[str, dict]:
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("properties", {})


def _hostile_for(spec: dict) -> list:
    kind = spec.get("type")
    if kind == "integer":
        return [2**31, 2**63, -(2**63), 0]
    if kind == "boolean":
        return ["\x00", 2**63]
    if kind == "array":
        return [["\x00"], [2**63], ["9" * 5000]]
    return ["\x00", "a\r\nb\x1b", "9" * 5000, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00",
            "9999-12-31T23:59", "x" * 100000]


def test_every_api_operation_with_hostile_values(app, db_session, world):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    _token, secret = issue_token(db_session, world["pm"], "hostile walk")
    db_session.flush()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    walk = Walk(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            parameters = operation.get("parameters", []) + item.get("parameters", [])
            path_names = re.findall(r"{([a-z_]+)}", path)
            known = _fill_api(path, {name: str(world["ids"].get(name, 1)) for name in path_names})
            targets = [known] + [_fill_api(path, {**{n: str(world["ids"].get(n, 1)) for n in path_names},
                                                  name: str(big)}) for name in path_names for big in BIG_IDS]
            query = [p["name"] for p in parameters if p.get("in") == "query"]
            properties = _schema_properties(document, operation)
            headers = {**auth, "If-Match": '"post-1-v1"', "Idempotency-Key": "9" * 300}
            for target in targets:
                walk.check(method, target, lambda t=target, m=method: client.open(t, method=m.upper(), headers=auth))
            for value in VALUES:
                walk.check(method, f"{known}?{value!r:.40}", lambda m=method, v=value: client.open(
                    known, method=m.upper(), headers=headers, query_string={name: v for name in query}))
            for name in query:  # each alone too, as for the pages
                for value in ALONE:
                    walk.check(method, f"{known}?{name}={value!r:.40}", lambda m=method, q={name: value}: client.open(
                        known, method=m.upper(), headers=headers, query_string=q))
            for name, spec in properties.items():
                for value in _hostile_for(spec):
                    body = {other: "x" for other in properties} | {name: value}
                    walk.check(method, f"{known} {name}={value!r:.40}", lambda m=method, b=body: client.open(
                        known, method=m.upper(), headers=headers, data=json.dumps(b),
                        content_type="application/json"))
            if method in ("post", "patch", "put"):
                long_number = '{"zz": ' + "9" * 5000 + "}"
                for raw in (long_number, "[" * 100000, '{"a": "' + "x" * (2 * 1024 * 1024) + '"}', "\x00"):
                    walk.check(method, f"{known} raw {raw[:20]!r}", lambda m=method, r=raw: client.open(
                        known, method=m.upper(), headers=headers, data=r, content_type="application/json"))
                chunked = b'{"body": "' + b"x" * (10 * 1024 * 1024) + b'"}'
                walk.check(method, f"{known} chunked", lambda m=method: client.open(
                    known, method=m.upper(), input_stream=io.BytesIO(chunked),
                    headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True}))
            for if_match in ("*", '"post-99999999999-v99999999999"', "W/\"x\", \"y\"", "\"" * 5000):
                walk.check(method, f"{known} If-Match {if_match[:20]!r}", lambda m=method, i=if_match: client.open(
                    known, method=m.upper(), headers={**auth, "If-Match": i}, json={"action": "approve"}))
    assert walk.requests > 300
    assert not walk.failures, f"{len(walk.failures)} answers of 5xx:\n{walk.report()}"


def _fill_api(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{([a-z_]+)}", lambda m: values[m.group(1)], path)
