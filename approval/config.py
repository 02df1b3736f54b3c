"""Settings, read from the environment (see CONTRACT.md). Nothing here touches the disk at import."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

_PACKAGE = Path(__file__).resolve().parent
#: What a built wheel carries of the checkout's top level (templates/, migrations/, alembic.ini): see setup.py.
_BUNDLE = _PACKAGE / "_bundle"
_INSTALLED = (_BUNDLE / "alembic.ini").is_file()
#: Where templates/, migrations/ and alembic.ini are: the checkout's root, or their copy inside an installed wheel.
PROJECT_ROOT = _BUNDLE if _INSTALLED else _PACKAGE.parent
#: The instance folder when APPROVAL_INSTANCE_PATH is unset: the checkout's, or ./instance for an installed app.
DEFAULT_INSTANCE_PATH = Path("instance") if _INSTALLED else _PACKAGE.parent / "instance"


class SettingError(ValueError):
    """A setting the environment gives that cannot be used: its message names the variable and what it takes (the
    command line prints it as one line, exit 1)."""


@dataclass
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str | None = None
    smtp_url: str | None = None
    #: Where media files are kept (``approval.media.storage``): None, the instance folder's ``media``.
    media_url: str | None = None
    #: Where the login and token throttles count: ``memory://`` (one process) or e.g. ``redis://host:6379``.
    ratelimit_storage_uri: str = "memory://"
    #: The session cookie's ``Secure`` flag: True, False, or None for "on, except on the development server over
    #: plain HTTP".
    secure_cookies: bool | None = None
    #: How many reverse proxies in front set X-Forwarded-For/-Proto/-Host: the client's address (throttling) and
    #: the scheme (HSTS) are read from them. 0: none, the connection's own values.
    proxies: int = 0
    #: Webhooks may point at the machine itself or its private network (approval.publishing.addresses).
    webhook_private_addresses: bool = False
    #: The least level the long-running commands (``approval worker``, ``approval notify``) log.
    log_level: str = "INFO"
    #: Seconds a webhook has to answer, and how long a worker's claim on a post lasts (``approval.publishing``).
    publish_webhook_timeout_s: float = 15
    publish_lease_seconds: float = 120
    #: ``APPROVAL_PUBLIC_URL``, checked; ``public_url(app)`` reads it.
    public_url: str | None = None
    #: The caps of one uploaded picture and one video, in bytes (``approval.media.intake.limits``); None: its defaults.
    media_max_image_bytes: int | None = None
    media_max_video_bytes: int | None = None

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance = Path(env.get("APPROVAL_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH).resolve()
        timeout, lease = _publishing_times(env.get("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S"),
                                           env.get("APPROVAL_PUBLISH_LEASE_SECONDS"))
        return cls(
            instance_path=instance,
            database_url=_database_url(env.get("APPROVAL_DATABASE_URL") or f"sqlite:///{instance / 'approval.db'}"),
            secret_key=env.get("APPROVAL_SECRET_KEY") or None,
            smtp_url=_smtp_url(env.get("APPROVAL_SMTP_URL") or None),
            media_url=_media_url(env.get("APPROVAL_MEDIA_URL") or None),
            ratelimit_storage_uri=_ratelimit_storage_uri(env.get("APPROVAL_RATELIMIT_STORAGE_URI") or "memory://"),
            secure_cookies=_flag("APPROVAL_SECURE_COOKIES", env.get("APPROVAL_SECURE_COOKIES")),
            proxies=_proxies(env.get("APPROVAL_PROXIES")),
            webhook_private_addresses=bool(_flag("APPROVAL_WEBHOOK_PRIVATE_ADDRESSES",
                                                 env.get("APPROVAL_WEBHOOK_PRIVATE_ADDRESSES"))),
            log_level=_log_level(env.get("APPROVAL_LOG_LEVEL")),
            publish_webhook_timeout_s=timeout,
            publish_lease_seconds=lease,
            public_url=_public_url(env.get("APPROVAL_PUBLIC_URL") or None),
            media_max_image_bytes=_bytes("APPROVAL_MEDIA_MAX_IMAGE_BYTES", env.get("APPROVAL_MEDIA_MAX_IMAGE_BYTES")),
            media_max_video_bytes=_bytes("APPROVAL_MEDIA_MAX_VIDEO_BYTES", env.get("APPROVAL_MEDIA_MAX_VIDEO_BYTES")),
        )


def _database_url(value: str) -> str:
    try:
        url = make_url(value)
        url.port  # noqa: B018 - a port that is not a number raises only when read
    except (ArgumentError, ValueError):
        raise SettingError(f"APPROVAL_DATABASE_URL is not a database URL: {_without_password(value)!r} (e.g. "
                           "postgresql+psycopg://user@host/approval or sqlite:////path/approval.db)") from None
    # Another dialect, or a driver that is not installed (``postgresql://`` means psycopg2), failed at the first
    # connection with a traceback ending in "No module named 'MySQLdb'".
    try:
        usable = url.get_backend_name() in ("postgresql", "sqlite") and bool(url.get_dialect().import_dbapi())
    except (ImportError, NoSuchModuleError):
        usable = False
    if not usable:
        raise SettingError("APPROVAL_DATABASE_URL is PostgreSQL (postgresql+psycopg://user@host/approval) or SQLite "
                           f"(sqlite:////path/approval.db), not {_without_password(value)!r}")
    return value


def _without_password(url: str) -> str:
    """``url`` as an error message may print it: a password in it (``user:secret@``) masked."""
    return re.sub(r"(?:(?<=[:/])|^)([^:/@]*):[^@/]*@", r"\1:***@", url)


#: How the mailer's refusal of one query parameter begins (``from= is one e-mail address...``, ``starttls= is 1 or
#: 0...``, ``ssl= is no parameter...``): it quotes that parameter alone, never the password, and is said as it is.
_PARAMETER_REFUSED = re.compile(r"\w+= ")


def _smtp_url(value: str | None) -> str | None:
    """``value`` when the mailer can read it (``SmtpSettings.from_url``, the one reader of the URL)."""
    if value is None:
        return None
    from approval.notifications.mailer import SmtpSettings  # the mailer reads the settings: imported when needed

    try:
        SmtpSettings.from_url(value)
    except ValueError as error:  # no smtp(s) scheme or host, a port or a timeout that is no number, a bad sender
        said = str(error)
        if _PARAMETER_REFUSED.match(said):  # one parameter's own rule: the sender, starttls, an unknown key
            raise SettingError(f"APPROVAL_SMTP_URL: {said}") from None
        raise SettingError("APPROVAL_SMTP_URL is smtp://[user:pass@]host[:port][?starttls=1] or smtps://..., "
                           f"not {_without_password(value)!r}") from None
    return value


def _media_url(value: str | None) -> str | None:
    """``value`` when the media store can be made of it (``approval.media.storage.storage_for``): ``s3://bucket``
    with a prefix or not, ``file:///srv/media``, or a folder's absolute path. Checked when a process starts: read
    only on the first page that showed a file, a mistake was a 500 on each of them."""
    if value is None:
        return None
    parts = urlsplit(value)
    if (parts.scheme == "s3" and parts.netloc) or (parts.scheme == "file" and not parts.netloc and parts.path) \
            or (not parts.scheme and Path(value).is_absolute()):
        return value
    raise SettingError("APPROVAL_MEDIA_URL is s3://bucket/prefix, file:///folder or a folder's absolute path "
                       f"(/srv/approval/media), not {_without_password(value)!r}")


def _public_url(value: str | None) -> str | None:
    """An ``http(s)://host`` address: without its scheme, every link a mail, a chat message or a webhook's receiver
    was given read ``approval.example.com/posts/5``, which nothing opens."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises only when read
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise SettingError("APPROVAL_PUBLIC_URL is the address people open, http(s)://host[:port][/path] (e.g. "
                           f"https://approval.example.com), not {value!r}")
    return value.strip()


def _ratelimit_storage_uri(value: str) -> str:
    """A store the throttles (``limits``) know, whose client is installed: an unknown one was a traceback at
    start, and a missing client another."""
    from limits.errors import ConfigurationError
    from limits.storage import SCHEMES, storage_from_string

    scheme = urlsplit(value).scheme
    if scheme not in SCHEMES or scheme.startswith("async+"):
        raise SettingError("APPROVAL_RATELIMIT_STORAGE_URI is memory:// (one process) or a shared store such as "
                           f"redis://host:6379, not {_without_password(value)!r}")
    if scheme != "memory":
        try:
            storage_from_string(value)  # makes the client, connects to nothing
        except ConfigurationError as error:
            raise SettingError(f"APPROVAL_RATELIMIT_STORAGE_URI: {scheme}:// cannot be used here ({error})") from None
    return value


def _proxies(value: str | None) -> int:
    if value is None or not value.strip():
        return 0
    if not value.strip().isascii() or not value.strip().isdigit() or int(value) > 10:
        raise SettingError(f"APPROVAL_PROXIES is the number of proxies in front (0, 1, 2...), not {value!r}")
    return int(value)


#: The levels ``APPROVAL_LOG_LEVEL`` and ``--log-level`` take.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(value: str | None) -> str:
    if value is None or not value.strip():
        return "INFO"
    if value.strip().upper() not in LOG_LEVELS:
        raise SettingError(f"APPROVAL_LOG_LEVEL is {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}, not {value!r}")
    return value.strip().upper()


#: (default, least, most) seconds of the webhook's timeout and of a claim's lease.
WEBHOOK_TIMEOUT_S = (15, 1, 300)
LEASE_SECONDS = (120, 10, 3600)
#: A claim's lease outlives the call it covers this many times over: a worker records the outcome well within it,
#: and a lease that ran out mid-call would leave the post unconfirmed for a person to check.
LEASE_PER_TIMEOUT = 4
_SECONDS = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


def _publishing_times(timeout: str | None, lease: str | None) -> tuple[float, float]:
    """The webhook's timeout and the claims' lease, in seconds, the lease long enough for the timeout."""
    timeout_s = _seconds("APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S", timeout, WEBHOOK_TIMEOUT_S)
    lease_s = _seconds("APPROVAL_PUBLISH_LEASE_SECONDS", lease, LEASE_SECONDS)
    if lease_s < LEASE_PER_TIMEOUT * timeout_s:
        given = f"{lease_s:g}" + ("" if lease and lease.strip() else ", the default")
        raise SettingError(f"APPROVAL_PUBLISH_LEASE_SECONDS ({given}) is at least {LEASE_PER_TIMEOUT} times "
                           f"APPROVAL_PUBLISH_WEBHOOK_TIMEOUT_S ({timeout_s:g}): {LEASE_PER_TIMEOUT * timeout_s:g} or "
                           "more (a worker's claim on a post outlives the call it makes)")
    return timeout_s, lease_s


def _seconds(variable: str, value: str | None, bounds: tuple[float, float, float]) -> float:
    default, least, most = bounds
    if value is None or not value.strip():
        return default
    if not _SECONDS.fullmatch(value.strip()) or not least <= float(value) <= most:
        raise SettingError(f"{variable} is a number of seconds from {least:g} to {most:g}, not {value!r}")
    number = float(value)
    return int(number) if number.is_integer() else number


_WHOLE = re.compile(r"\+?[0-9]+(?:_[0-9]+)*", re.ASCII)  # what int() reads, in ASCII digits


def _bytes(variable: str, value: str | None) -> int | None:
    """A size in bytes, 1 or more; None when unset. Read by the uploads alone, ``20MB`` answered each of them with a
    500: it is refused when a process starts, with the number it would be."""
    if value is None or not value.strip():
        return None
    if not _WHOLE.fullmatch(value.strip()) or int(value) < 1:
        raise SettingError(f"{variable} is a whole number of bytes, 1 or more (20 MB: 20971520), not {value!r}")
    return int(value)


#: The address of the development server, where nothing else says where the application is.
LOCAL_URL = "http://127.0.0.1:5000"


def configured_public_url(app: Flask) -> str | None:
    """``APPROVAL_PUBLIC_URL`` as the application was given it (its settings, else the environment), or None."""
    return app.config.get("PUBLIC_URL") or os.environ.get("APPROVAL_PUBLIC_URL") or None


def public_url(app: Flask) -> str:
    """The address people (and a webhook's receiver) open the application at, for the links it sends out: mails,
    chat messages, the publications' files (``APPROVAL_PUBLIC_URL``)."""
    return (configured_public_url(app) or LOCAL_URL).rstrip("/")


def serving_at(app: Flask, url: str) -> None:
    """The development server serves ``app`` at ``url``: where no setting says otherwise, the links it sends out
    lead there (``approval run --port 8080`` mailed links to port 5000, where nothing answered)."""
    if configured_public_url(app) is None:
        app.config["PUBLIC_URL"] = url


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(variable: str, value: str | None) -> bool | None:
    """A yes or no; None when unset. Anything else is refused: ``APPROVAL_SECURE_COOKIES=maybe`` (or ``ture``)
    silently turned the cookies' ``Secure`` off."""
    if value is None or not value.strip():
        return None
    word = value.strip().lower()
    if word not in _TRUE + _FALSE:
        raise SettingError(f"{variable} is 1 or 0 (also true/false, yes/no, on/off), not {value!r}")
    return word in _TRUE


#: The least length of a secret key given in APPROVAL_SECRET_KEY, in bytes: it signs the sessions and the links to
#: a publication's files, which anyone who guesses it can forge. The key generated is 64.
SECRET_KEY_BYTES = 32


def setting_warnings(settings: Settings) -> list[str]:
    """What a process starting with these settings should log as warnings: values it can run with, but should not."""
    warnings = []
    if settings.secret_key is not None and len(settings.secret_key.encode()) < SECRET_KEY_BYTES:
        size = len(settings.secret_key.encode())
        warnings.append(f"APPROVAL_SECRET_KEY is {size} byte{'' if size == 1 else 's'} long: a key of at least "
                        f"{SECRET_KEY_BYTES} random bytes (python3 -c 'import secrets; print(secrets.token_hex(32))') "
                        "keeps sessions and the links to a publication's files from being forged")
    return warnings


def load_or_create_secret_key(instance_path: Path) -> str:
    """The key generated on first run and kept in the instance folder, so sessions survive restarts."""
    path = instance_path / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
    except OSError as error:
        raise SettingError(f"the instance folder {instance_path} cannot keep the secret key ({error.strerror}): set "
                           "APPROVAL_INSTANCE_PATH to a folder this user may write, or APPROVAL_SECRET_KEY") from None
    return key


def flask_config(settings: Settings, overrides: dict) -> dict:
    """The Flask config derived from the settings, then ``overrides``; the secret key is only generated (and kept
    in the instance folder) when neither gives one."""
    secret_key = overrides.get("SECRET_KEY") or settings.secret_key or load_or_create_secret_key(settings.instance_path)
    return {
        "SECRET_KEY": secret_key,
        "DATABASE_URL": settings.database_url,
        "SMTP_URL": settings.smtp_url,
        "MEDIA_URL": settings.media_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": settings.secure_cookies is not False,
        "RATELIMIT_STORAGE_URI": settings.ratelimit_storage_uri,
        "PROXIES": settings.proxies,
        "WEBHOOK_PRIVATE_ADDRESSES": settings.webhook_private_addresses,
        "LOG_LEVEL": settings.log_level,
        #: Read by the publishing worker (``approval.publishing.worker``).
        "PUBLISH_WEBHOOK_TIMEOUT_S": settings.publish_webhook_timeout_s,
        "PUBLISH_LEASE_SECONDS": settings.publish_lease_seconds,
        #: Read by the uploads (``approval.media.intake.limits``); None there: its defaults.
        "MEDIA_MAX_IMAGE_BYTES": settings.media_max_image_bytes,
        "MEDIA_MAX_VIDEO_BYTES": settings.media_max_video_bytes,
        #: Login and token throttling; tests that do not exercise it turn it off with TESTING.
        "THROTTLING": not overrides.get("TESTING", False),
        #: Every request body is capped (413); forms hold at most this much in memory. A view that takes larger
        #: uploads raises ``request.max_content_length`` for itself.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "MAX_FORM_PARTS": 1000,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["en", "fr"],
        **overrides,
    }
