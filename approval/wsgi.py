"""The application for a production WSGI server: ``gunicorn 'approval.wsgi:app'`` (README, Deployment).

Each process makes it once, checks what it starts on (``approval.startup``: its log lines, the database's schema,
the settings it should not run with), and loads the style gate's language models before it takes its first request:
loaded on the first check instead, they held that request 2 to 8 seconds after every start and every worker
recycled, past many clients' timeouts (and a client that retries without an ``Idempotency-Key`` writes its post
twice). Under gunicorn's ``--preload`` they load once, in the master process, before it forks its workers.

A process that cannot start (a setting it cannot use, a database older than the code) says why in one line on
stderr and exits with the status that stops gunicorn's master, which otherwise starts new workers for ever.
"""

from __future__ import annotations

import click

from approval import create_app, startup
from approval.config import SettingError
from approval.style.language import preload

try:
    app = create_app()
    startup.start_web(app)
except (SettingError, click.ClickException) as refused:
    startup.refuse(refused)
preload()
