"""Tests of the JSON API (a package, so that its conftest and helpers never shadow tests/conftest.py)."""
