import pytest

from app.config import ConfigError, load


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/storekeeper")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load("production")


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/storekeeper")
    with pytest.raises(ConfigError, match="32 characters"):
        load("production")


def test_production_sends_cookies_only_over_https_and_never_seeds_demo_data(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/storekeeper")
    cfg = load("production")
    assert cfg.SESSION_COOKIE_SECURE and cfg.REMEMBER_COOKIE_SECURE
    assert cfg.SEED_DEMO_ALLOWED is False
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/storekeeper"


def test_local_runs_generate_a_secret_key_once_and_keep_it(monkeypatch, tmp_path):
    import app.config as config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    first = config.load("development").SECRET_KEY
    second = config.load("development").SECRET_KEY
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config.load("development").SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'storekeeper.sqlite3'}"


def test_an_unknown_profile_is_named_in_the_error():
    with pytest.raises(ConfigError, match="Unknown STOREKEEPER_ENV 'staging'"):
        load("staging")


def test_trusted_proxies_is_read_when_the_app_is_made_not_when_config_is_imported(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert load("testing").TRUSTED_PROXIES == 2
    monkeypatch.setenv("TRUSTED_PROXIES", "0")
    assert load("testing").TRUSTED_PROXIES == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "one")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES must be a whole number"):
        load("testing")


def test_starting_in_production_without_a_secret_key_stops_with_one_clear_line():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "TEST_DATABASE_URL")}
    env.update(STOREKEEPER_ENV="production", DATABASE_URL="postgresql://db/storekeeper")
    for secret in (None, "too-short"):
        if secret:
            env["SECRET_KEY"] = secret
        done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, env=env, capture_output=True,  # noqa: S603
                              text=True, timeout=60)
        assert done.returncode == 4
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Storekeeper cannot start: SECRET_KEY"), done.stderr
