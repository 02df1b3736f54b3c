"""The application for a production WSGI server: ``gunicorn 'approval.wsgi:app'`` (README, Deployment).

Each process makes it once and loads the style gate's language models before it takes its first request: loaded on
the first check instead, they held that request 2 to 8 seconds after every start and every worker recycled, past
many clients' timeouts (and a client that retries without an ``Idempotency-Key`` writes its post twice). Under
gunicorn's ``--preload`` they load once, in the master process, before it forks its workers.
"""

from __future__ import annotations

from approval import create_app
from approval.style.language import preload

app = create_app()
preload()
