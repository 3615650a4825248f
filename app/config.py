"""Settings read from the environment.

Three profiles: development (the default for `make run`), testing, and production. Production refuses to start
without SECRET_KEY; local runs generate one once into instance/ so sessions survive restarts without a secret in
the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"  # where local runs keep their SQLite file and generated secret key


def instance_dir() -> Path:
    """instance/, or STOREKEEPER_INSTANCE when set (read when the app is created, not when this is imported)."""
    override = os.environ.get("STOREKEEPER_INSTANCE")
    return Path(override) if override else INSTANCE


class ConfigError(RuntimeError):
    """The app cannot start with these settings."""


def _local_secret_key() -> str:
    folder = instance_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        # Written whole and private under a name of its own, then linked into place: two workers starting at once
        # on a fresh clone both end up with the one key, and nobody ever reads it half-written or world-readable.
        tmp = folder / f".secret_key.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process got there first: use its key
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _database_url(default_name: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    folder = instance_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / default_name}"


class Config:
    ENV_NAME = "development"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # No ping before every checkout (a round trip per request on PostgreSQL): a connection found dead when used
    # makes SQLAlchemy invalidate the whole pool, so after a database restart the requests in flight get a clean 503
    # (app/web/errors) and every later one gets a fresh connection.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": False}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "storekeeper_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12  # one shift and a bit
    # The 12 hours run from sign-in, and the cookie is not signed again on every request (each re-signing cost a
    # pick by scan a tenth of a millisecond): a shift signs in once, and a cookie stolen late in it dies with it.
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 12  # a page left open for a shift can still replay its offline queue
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    # CSRF is checked by our own hook (app/web/security.py): every cookie-authenticated state change, but not API
    # calls that authenticate with a bearer token (no cookie, so nothing for a forged request to ride on).
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_SSL_STRICT = True
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash algorithm name, not a password
    # Login throttle: failures per account and per client within the window before sign-in is refused.
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_CLIENT = 20
    SEED_DEMO_ALLOWED = True
    TRUSTED_PROXIES = 0

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
        self.SQLALCHEMY_DATABASE_URI = _database_url("storekeeper.sqlite3")
        self._read_common()

    def _read_common(self) -> None:
        """Settings every profile reads from the environment when the app is made (create_app), never at import:
        a test or a second app in the same process sees the environment as it is then."""
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers we trust.
        raw = os.environ.get("TRUSTED_PROXIES", "0").strip() or "0"
        if not raw.isdigit():
            raise ConfigError(f"TRUSTED_PROXIES must be a whole number of proxies (0, 1, 2 …), not {raw!r}.")
        self.TRUSTED_PROXIES = int(raw)


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    # Cheap hashes keep hundreds of test logins fast; production uses scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hash algorithm name, not a password

    def __init__(self) -> None:
        self.SECRET_KEY = "testing-only-secret-key"  # noqa: S105 - never used outside the test profile
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or _database_url("test.sqlite3")
        self._read_common()


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SEED_DEMO_ALLOWED = False

    def __init__(self) -> None:
        secret = os.environ.get("SECRET_KEY")
        if not secret:
            raise ConfigError("SECRET_KEY must be set (at least 32 characters) in production; make one with "
                              "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
        if len(secret) < 32:
            raise ConfigError(f"SECRET_KEY is too short ({len(secret)} characters); production needs at least "
                              "32 characters.")
        self.SECRET_KEY = secret
        url = os.environ.get("DATABASE_URL")
        if not url:
            raise ConfigError("DATABASE_URL must be set in production.")
        self.SQLALCHEMY_DATABASE_URI = _database_url("storekeeper.sqlite3")
        self._read_common()


PROFILES = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def load(name: str | None = None) -> Config:
    name = name or os.environ.get("STOREKEEPER_ENV", "development")
    try:
        return PROFILES[name]()
    except KeyError:
        raise ConfigError(f"Unknown STOREKEEPER_ENV {name!r}; use one of {', '.join(PROFILES)}.") from None
