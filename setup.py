"""The build hook of the wheel; everything else is in pyproject.toml.

The repository keeps its top level as a Flask + Alembic project does (approval/, templates/, migrations/,
alembic.ini), and the application must find them once installed too: a built wheel carries a copy of them inside the
package, in ``approval/_bundle/``, where ``approval.config.PROJECT_ROOT`` looks first. An editable install reads the
checkout itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED_DIRECTORIES = ("templates", "migrations")
BUNDLED_FILES = ("alembic.ini",)


class build_py_with_bundle(build_py):  # noqa: N801 - setuptools' naming
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        bundle = Path(self.build_lib) / "approval" / "_bundle"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in BUNDLED_DIRECTORIES:
            shutil.copytree(ROOT / name, bundle / name, ignore=ignore, dirs_exist_ok=True)
        for name in BUNDLED_FILES:
            shutil.copy2(ROOT / name, bundle / name)


setup(cmdclass={"build_py": build_py_with_bundle})
