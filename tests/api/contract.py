"""Helpers of the API tests: a client that speaks as a user through a personal token, and CONTRACT.md's shapes."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from approval.models import User

PREFIX = "/api/v1"
POST_KEYS = {"id", "account_id", "campaign_id", "state", "body", "version", "revision", "approved_revision",
             "scheduled_at", "published_url", "findings", "created_at", "updated_at", "media", "publication", "hold",
             "proposed_at"}
ERROR_KEYS = {"code", "status", "message"}
FINDING_KEYS = {"rule", "severity", "message", "start", "end"}
UTC_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class ApiClient:
    """Calls the API as one user (through a real token), or anonymously; paths are relative to /api/v1."""

    def __init__(self, app: Flask, token: str | None, user: User | None = None) -> None:
        self.client = app.test_client()
        self.token = token
        self.user = user

    def request(self, method: str, path: str, *, json: Any = None, if_match: str | None = None,
                key: str | None = None, headers: dict | None = None, **kwargs: Any) -> TestResponse:
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if if_match is not None:
            headers["If-Match"] = if_match
        if key is not None:
            headers["Idempotency-Key"] = key
        url = path if path.startswith(PREFIX) else PREFIX + path
        return self.client.open(url, method=method, json=json, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, json=json, **kwargs)

    def act(self, post: dict | Any, action: str, etag: str | None = None, **fields: Any) -> TestResponse:
        """Take a workflow action on a post (a dumped post or a model), with its current ETag unless given."""
        post_id = post["id"] if isinstance(post, dict) else post.id
        if etag is None:
            etag = self.get(f"/posts/{post_id}").headers["ETag"]
        return self.post(f"/posts/{post_id}/transitions", {"action": action, **fields}, if_match=etag)



def assert_post_shape(body: dict) -> None:
    """CONTRACT.md's post, exactly."""
    assert set(body) == POST_KEYS, set(body) ^ POST_KEYS
    assert isinstance(body["id"], int) and isinstance(body["version"], int)
    assert set(body["revision"]) == {"number", "sha256"} and len(body["revision"]["sha256"]) == 64
    assert body["approved_revision"] is None or set(body["approved_revision"]) == {"number", "sha256"}
    for key in ("created_at", "updated_at"):
        assert UTC_INSTANT.fullmatch(body[key]), body[key]
    assert body["scheduled_at"] is None or UTC_INSTANT.fullmatch(body["scheduled_at"])
    assert body["proposed_at"] is None or UTC_INSTANT.fullmatch(body["proposed_at"])
    for finding in body["findings"]:
        assert FINDING_KEYS <= set(finding) <= FINDING_KEYS | {"suggestion"}


def assert_error(response: TestResponse, status: int, *fields: str) -> dict:
    """The contract's error shape, with ``status``, and reasons under each of ``fields``."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:1000])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"errors", "findings"}, body
    if "findings" in body:  # only the style gate's refusals carry them: its errors (under body), or sensitive terms
        assert status == 422 and body["findings"], body
        assert body.get("errors", {}).keys() & {"body", "acknowledge_warnings", "comment"}, body
        assert all(FINDING_KEYS <= set(finding) for finding in body["findings"]), body
    assert body["code"] == status and isinstance(body["message"], str) and body["message"]
    for field in fields:
        assert body.get("errors", {}).get(field), (field, body)
        assert all(isinstance(reason, str) for reason in body["errors"][field])
    return body
