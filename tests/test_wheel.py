"""A wheel built from the repository works outside the checkout: it carries the templates, the migrations and
alembic.ini, upgrades a database and serves the login page. Nothing is downloaded: the wheel is built with the
test environment's setuptools and installed without its dependencies into a fresh venv that reads them from this
one."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What the repository holds that a wheel is built from.
SOURCES = ["approval", "templates", "migrations", "alembic.ini", "pyproject.toml", "setup.py", "MANIFEST.in",
           "README.md"]

pytestmark = pytest.mark.wheel


def _run(*args: str | Path, cwd: Path, env: dict | None = None, timeout: int = 300) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with only the built wheel installed; its dependencies come from this venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy: the build writes build/ and *.egg-info, which stay out of the checkout
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", dist, source, cwd=tmp)
    wheel = next(dist.glob("approval-*.whl"))

    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp).strip())
    # This venv's packages come after the new venv's own: the wheel's approval wins over the editable checkout
    # (a path listed in a .pth is added as is, without running that directory's own .pth files).
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp)
    return venv


def test_the_wheel_carries_what_the_app_reads_outside_the_checkout(installed: Path, tmp_path: Path):
    python = installed / "bin" / "python"
    where = _run(python, "-c", "import approval, approval.config as c; print(approval.__file__); "
                               "print(c.PROJECT_ROOT)", cwd=tmp_path).split()
    assert not where[0].startswith(str(ROOT)) and where[0].startswith(str(installed)), where
    bundle = Path(where[1])
    assert (bundle / "alembic.ini").is_file() and (bundle / "templates" / "base.html").is_file()
    assert sorted(p.name for p in (bundle / "migrations" / "versions").glob("*.py")) == sorted(
        p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))


def test_the_installed_app_upgrades_a_database_and_serves_the_login_page(installed: Path, tmp_path: Path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("APPROVAL_")}
    env |= {"APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'approval.db'}", "PYTHONDONTWRITEBYTECODE": "1"}
    command = installed / "bin" / "approval"

    assert "Database created at revision" in _run(command, "db", "upgrade", cwd=tmp_path, env=env)

    port = _free_port()
    server = subprocess.Popen([str(command), "run", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page, deadline = None, time.monotonic() + 60
        while page is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    page = (response.status, response.read().decode())
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert page is not None, output[-3000:]
    status, body = page
    assert status == 200
    assert re.search(r'<form[^>]+method="post"', body) and 'name="password"' in body
    assert f"Serving on http://127.0.0.1:{port}" in output
    assert (tmp_path / "instance" / "secret_key").is_file()  # ./instance, not the installed package's folder
