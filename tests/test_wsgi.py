"""``approval.wsgi:app``, what gunicorn serves in production, takes its first request with the language models
loaded (under ``approval:create_app()`` the first style check of each process waited 2 to 8 seconds for them)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_wsgi_application_is_made_with_its_language_models_loaded(databases, tmp_path):
    probe = ("import approval.wsgi as wsgi; from approval.style.language import _detector; "
             "print(wsgi.app.name, _detector.cache_info().currsize)")
    env = {**os.environ, "APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
           "APPROVAL_INSTANCE_PATH": str(tmp_path), "APPROVAL_SECRET_KEY": "test"}
    # A web process refuses a database older than the code (approval.startup).
    databases.migrate(env["APPROVAL_DATABASE_URL"])
    made = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    assert made.stdout.split() == ["approval", "1"], made.stderr
