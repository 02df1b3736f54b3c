"""Settings an operator types wrong are refused when a process starts, in one line naming the variable and what it
takes (the operator's walk, m3): they used to be taken silently (``APPROVAL_SECURE_COOKIES=maybe`` turned ``Secure``
off, ``APPROVAL_PUBLIC_URL=approval.example.com`` went out in every mail's links) or to fail late, as a traceback or a
500 on each page that read them (``APPROVAL_MEDIA_URL=/srv/media``, ``APPROVAL_RATELIMIT_STORAGE_URI=bogus://x``,
``APPROVAL_DATABASE_URL=mysql://...``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from approval.config import SettingError, Settings, setting_warnings


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {"APPROVAL_INSTANCE_PATH": str(tmp_path / "instance"), **settings}


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("APPROVAL_SECURE_COOKIES", "maybe", "APPROVAL_SECURE_COOKIES is 1 or 0"),
    ("APPROVAL_SECURE_COOKIES", "ture", "APPROVAL_SECURE_COOKIES is 1 or 0"),
    ("APPROVAL_WEBHOOK_PRIVATE_ADDRESSES", "maybe", "APPROVAL_WEBHOOK_PRIVATE_ADDRESSES is 1 or 0"),
    ("APPROVAL_MEDIA_URL", "ftp://x/y", "APPROVAL_MEDIA_URL is s3://bucket/prefix"),
    ("APPROVAL_MEDIA_URL", "s3://", "APPROVAL_MEDIA_URL is s3://bucket/prefix"),
    ("APPROVAL_MEDIA_URL", "s3:///media", "APPROVAL_MEDIA_URL is s3://bucket/prefix"),
    ("APPROVAL_MEDIA_URL", "media", "APPROVAL_MEDIA_URL is s3://bucket/prefix"),  # relative: which folder?
    ("APPROVAL_MEDIA_URL", "file://srv/media", "APPROVAL_MEDIA_URL is s3://bucket/prefix"),  # two slashes: a host
    ("APPROVAL_PUBLIC_URL", "approval.example.com", "APPROVAL_PUBLIC_URL is the address people open"),
    ("APPROVAL_PUBLIC_URL", "not a url", "APPROVAL_PUBLIC_URL is the address people open"),
    ("APPROVAL_PUBLIC_URL", "https://", "APPROVAL_PUBLIC_URL is the address people open"),
    ("APPROVAL_PUBLIC_URL", "ftp://approval.example.com", "APPROVAL_PUBLIC_URL is the address people open"),
    ("APPROVAL_DATABASE_URL", "mysql://u@h/db", "APPROVAL_DATABASE_URL is PostgreSQL"),
    ("APPROVAL_DATABASE_URL", "postgresql+psycopg2://u@h/db", "APPROVAL_DATABASE_URL is PostgreSQL"),
    ("APPROVAL_RATELIMIT_STORAGE_URI", "bogus://x", "APPROVAL_RATELIMIT_STORAGE_URI is memory://"),
    ("APPROVAL_RATELIMIT_STORAGE_URI", "memcached://127.0.0.1:11211", "APPROVAL_RATELIMIT_STORAGE_URI: memcached"),
    # Read by the uploads alone, with int(): "20MB" answered every upload with a 500.
    ("APPROVAL_MEDIA_MAX_IMAGE_BYTES", "20MB", "APPROVAL_MEDIA_MAX_IMAGE_BYTES is a whole number of bytes"),
    ("APPROVAL_MEDIA_MAX_IMAGE_BYTES", "2.5e7", "APPROVAL_MEDIA_MAX_IMAGE_BYTES is a whole number of bytes"),
    ("APPROVAL_MEDIA_MAX_IMAGE_BYTES", "0", "APPROVAL_MEDIA_MAX_IMAGE_BYTES is a whole number of bytes"),
    ("APPROVAL_MEDIA_MAX_VIDEO_BYTES", "-1", "APPROVAL_MEDIA_MAX_VIDEO_BYTES is a whole number of bytes"),
    ("APPROVAL_MEDIA_MAX_VIDEO_BYTES", "512 MB", "APPROVAL_MEDIA_MAX_VIDEO_BYTES is a whole number of bytes"),
    ("APPROVAL_MEDIA_MAX_VIDEO_BYTES", "\u0661\u0662\u0663\u0664\u0665", "APPROVAL_MEDIA_MAX_VIDEO_BYTES is a whole"),
])
def test_a_bad_value_is_refused_in_one_line_naming_the_variable(tmp_path, variable, value, said):
    with pytest.raises(SettingError) as refused:
        Settings.from_env(_env(tmp_path, **{variable: value}))
    assert str(refused.value).startswith(said), str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_good_values_are_taken_as_they_mean(tmp_path):
    for word, meant in (("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False),
                        ("no", False), ("OFF", False), ("", None)):
        settings = Settings.from_env(_env(tmp_path, APPROVAL_SECURE_COOKIES=word,
                                          APPROVAL_WEBHOOK_PRIVATE_ADDRESSES=word))
        assert settings.secure_cookies is meant and settings.webhook_private_addresses is bool(meant)
    for url in ("s3://bucket", "s3://bucket/team/media", f"file://{tmp_path}/media", f"{tmp_path}/media", None):
        assert Settings.from_env(_env(tmp_path, **({"APPROVAL_MEDIA_URL": url} if url else {}))).media_url == url
    for url in ("https://approval.example.com", "http://127.0.0.1:5000/", "https://example.com/approval"):
        assert Settings.from_env(_env(tmp_path, APPROVAL_PUBLIC_URL=url)) is not None
    for url in ("sqlite:////srv/approval.db", "postgresql+psycopg://approval@db/approval",
                "postgresql+psycopg://approval:secret@db:5433/approval?sslmode=require"):
        assert Settings.from_env(_env(tmp_path, APPROVAL_DATABASE_URL=url)).database_url == url
    for uri in ("memory://", "redis://cache:6379", "rediss://cache:6380/2", "redis+sentinel://s1:26379/main"):
        assert Settings.from_env(_env(tmp_path, APPROVAL_RATELIMIT_STORAGE_URI=uri)).ratelimit_storage_uri == uri


def test_the_media_caps_are_settings_the_uploads_apply(tmp_path, monkeypatch):
    """``APPROVAL_MEDIA_MAX_IMAGE_BYTES`` and ``..._VIDEO_BYTES`` are read and checked with the other settings (a bad
    one refuses to start, above); a good one is the cap the uploads apply, and unset leaves the defaults."""
    from approval import create_app
    from approval.media.intake import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_VIDEO_BYTES, limits

    url = f"sqlite:///{tmp_path / 'app.db'}"
    for variable in ("APPROVAL_MEDIA_MAX_IMAGE_BYTES", "APPROVAL_MEDIA_MAX_VIDEO_BYTES"):
        monkeypatch.delenv(variable, raising=False)
    caps = limits(create_app({"DATABASE_URL": url, "SECRET_KEY": "s"}))
    assert (caps.image_bytes, caps.video_bytes) == (DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_VIDEO_BYTES)
    monkeypatch.setenv("APPROVAL_MEDIA_MAX_IMAGE_BYTES", " 3145728 ")
    monkeypatch.setenv("APPROVAL_MEDIA_MAX_VIDEO_BYTES", "104857600")
    caps = limits(create_app({"DATABASE_URL": url, "SECRET_KEY": "s"}))
    assert (caps.image_bytes, caps.video_bytes) == (3 * 1024 * 1024, 100 * 1024 * 1024)
    # What int() read before these were checked still reads the same (a setting that worked keeps working).
    monkeypatch.setenv("APPROVAL_MEDIA_MAX_VIDEO_BYTES", "+104_857_600")
    assert limits(create_app({"DATABASE_URL": url, "SECRET_KEY": "s"})).video_bytes == 100 * 1024 * 1024
    monkeypatch.setenv("APPROVAL_MEDIA_MAX_IMAGE_BYTES", "20MB")
    with pytest.raises(SettingError, match=r"^APPROVAL_MEDIA_MAX_IMAGE_BYTES is a whole number of bytes.*'20MB'"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "s"})
    # Beside the other settings in the README.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    for variable in ("APPROVAL_MEDIA_MAX_IMAGE_BYTES", "APPROVAL_MEDIA_MAX_VIDEO_BYTES"):
        assert f"| `{variable}` |" in table, variable


def test_a_plain_folder_path_is_a_media_folder(tmp_path):
    from approval.media.storage import FolderStorage, storage_for

    store = storage_for(str(tmp_path / "media"), tmp_path)
    assert isinstance(store, FolderStorage) and store.root == tmp_path / "media"


def test_a_short_secret_key_is_warned_of(tmp_path):
    short = Settings.from_env(_env(tmp_path, APPROVAL_SECRET_KEY="x"))
    assert any("APPROVAL_SECRET_KEY is 1 byte" in warning for warning in setting_warnings(short))
    long = Settings.from_env(_env(tmp_path, APPROVAL_SECRET_KEY="k" * 32))
    assert not setting_warnings(long)
    assert not setting_warnings(Settings.from_env(_env(tmp_path)))  # generated: 64 hexadecimal digits


def test_the_command_line_says_it_in_one_line_without_a_traceback(tmp_path):
    for variable, value, said in (
        ("APPROVAL_DATABASE_URL", "mysql://u:S3cretPassw0rd@h/db", "APPROVAL_DATABASE_URL is PostgreSQL"),
        ("APPROVAL_RATELIMIT_STORAGE_URI", "bogus://x", "APPROVAL_RATELIMIT_STORAGE_URI is memory://"),
    ):
        result = subprocess.run([sys.executable, "-m", "approval.cli", "account", "list"], capture_output=True,
                                text=True, timeout=120, env={**os.environ, **_env(tmp_path, **{variable: value}),
                                                             "APPROVAL_SECRET_KEY": "k" * 32})
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"Error: {said}"), result.stderr
        assert "S3cretPassw0rd" not in result.stderr


def test_a_short_secret_key_is_logged_when_a_long_running_command_starts(tmp_path):
    env = {**os.environ, **_env(tmp_path), "APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
           "APPROVAL_SECRET_KEY": "x"}
    for args in (["db", "upgrade"], ["notify", "--once"]):
        result = subprocess.run([sys.executable, "-m", "approval.cli", *args], capture_output=True, text=True,
                                timeout=120, env=env)
        assert result.returncode == 0, result.stderr
    assert "WARNING approval.startup: APPROVAL_SECRET_KEY is 1 byte" in result.stderr, result.stderr


def _mailer_refuses_unknown_parameters() -> bool:
    from approval.notifications.mailer import SmtpSettings

    try:
        SmtpSettings.from_url("smtp://host?ssl=1")
    except ValueError:
        return True
    return False


@pytest.mark.xfail(not _mailer_refuses_unknown_parameters(), strict=True,
                   reason="needs SmtpSettings.from_url to refuse unknown parameters and values (approval.notifications."
                          "mailer, the mailer's owner applies it); remove this mark with that change")
@pytest.mark.parametrize(("value", "said"), [
    ("smtp://mailer:S3cretPassw0rd@host:587?starttls=maybe", "APPROVAL_SMTP_URL: starttls= is 1 or 0"),
    ("smtp://mailer:S3cretPassw0rd@host:587?ssl=1", "APPROVAL_SMTP_URL: ssl= is no parameter"),
])
def test_the_mail_servers_url_takes_no_unknown_parameter_or_value(tmp_path, value, said):
    """``starttls=maybe`` was plain SMTP, the password sent in the clear; ``ssl=1`` was ignored."""
    with pytest.raises(SettingError) as refused:
        Settings.from_env(_env(tmp_path, APPROVAL_SMTP_URL=value))
    assert str(refused.value).startswith(said) and "S3cretPassw0rd" not in str(refused.value), str(refused.value)
    assert Settings.from_env(_env(tmp_path, APPROVAL_SMTP_URL="smtp://host:587?starttls=on&timeout=5")).smtp_url
