"""A live server for the wall's stream tests, and a Server-Sent Events reader (tests/test_hub_live.py, the browser
test of the wall)."""

from __future__ import annotations

import http.client
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from approval import administration as admin
from approval import create_app
from approval import kiosks
from approval.api.tokens import issue_token
from approval.db import make_engine
from approval.workflow.states import Role

PASSWORD = "approval-wall"


@dataclass
class LiveWall:
    base: str
    port: int
    app: object
    engine: object
    kiosk_path: str
    kiosk_token: str
    pm_token: str
    cm_token: str
    account_id: int


def seed(url: str) -> tuple:
    """France and Kenya, a community and a project manager with API tokens, a kiosk link for France; returns
    (kiosk path, kiosk token, project manager's token, community manager's token, the French account's id).
    ``url``: a database at the last migration (``databases.migrated_url``)."""
    engine = make_engine(url)
    with Session(engine) as session:
        france = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        kenya = admin.create_market(session, "KE", "Kenya", "Africa/Nairobi", ["en"])
        account = admin.create_account(session, france, "x", "helio_fr", "Helio")
        admin.create_account(session, kenya, "x", "helio_ke", "Helio")
        cm = admin.create_user(session, "camille@helio.example", "Camille Dubois", Role.community_manager, PASSWORD,
                               markets=[france])
        pm = admin.create_user(session, "lucile@helio.example", "Lucile Tardieu", Role.project_manager, PASSWORD,
                               markets=[france, kenya])
        kiosk = kiosks.create_kiosk(session, "Command room 1", ["FR"])
        _t, pm_secret = issue_token(session, pm, "wall test")
        _t, cm_secret = issue_token(session, cm, "wall test")
        wall = (kiosk.path, kiosk.token, pm_secret, cm_secret, account.id)
        session.commit()
    engine.dispose()
    return wall


@contextmanager
def live_wall(databases, backend: str, *, interval: float = 0.3) -> Iterator[LiveWall]:
    url = databases.migrated_url(backend)
    wall = seed(url)
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "wall", "TESTING": True, "HUB_FEED_INTERVAL": interval,
                      "RATELIMIT_ENABLED": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveWall(f"http://127.0.0.1:{server.server_port}", server.server_port, app, engine, *wall)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        engine.dispose()


def api(live: LiveWall, method: str, path: str, token: str, body: dict | None = None,
        headers: dict | None = None) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    sent = {"Authorization": f"Bearer {token}", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection.request(method, "/api/v1" + path, body=data, headers=sent)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, json.loads(payload or b"{}"), dict(response.getheaders())


def write_and_submit(live: LiveWall, body: str) -> int:
    """A community manager writes a post and submits it, over the API: it lands in the review queue."""
    status, post, headers = api(live, "POST", "/posts", live.cm_token, {"account_id": live.account_id, "body": body})
    assert status == 201, post
    status, post, _h = api(live, "POST", f"/posts/{post['id']}/transitions", live.cm_token, {"action": "submit"},
                           {"If-Match": headers["ETag"]})
    assert status == 200, post
    return post["id"]


class EventStream:
    """Reads a text/event-stream in a thread; ``next(kind, timeout)`` returns the next event of that kind."""

    def __init__(self, port: int, path: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", path, headers={"Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.events: queue.Queue = queue.Queue()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind, data = "message", []
        try:
            while True:
                line = self.response.fp.readline()
                if not line:
                    self.events.put(("closed", ""))
                    return
                line = line.decode().rstrip("\n")
                if line == "":
                    if data:
                        self.events.put((kind, "\n".join(data)))
                    kind, data = "message", []
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
        except OSError:
            self.events.put(("closed", ""))

    def next(self, kind: str, timeout: float) -> str | None:
        import time

        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if got == kind:
                return data
            if got == "closed":
                return None
        return None

    def close(self) -> None:
        self.connection.close()
