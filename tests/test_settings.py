"""Production settings refuse to start when they would be unsafe."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _django_check(**env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="crm.settings.base")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "crm.example.com"}, "SECRET_KEY is not set"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS is empty"),
    ],
)
def test_production_refuses_to_start_without_secret_key_or_hosts(env, message):
    result = _django_check(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_both_set():
    result = _django_check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="crm.example.com")
    assert result.returncode == 0, result.stderr


def test_database_and_broker_come_from_the_environment(settings):
    # CI points these at PostgreSQL and Redis; a developer's machine runs SQLite and the filesystem.
    expected_engine = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite3"
    )
    assert settings.DATABASES["default"]["ENGINE"].endswith(expected_engine)
    if expected_engine == "postgresql":
        assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    broker = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "filesystem://"
    assert broker == settings.CELERY_BROKER_URL


def test_static_files_collect_with_the_production_storage(tmp_path):
    # The Docker image and the benchmark server run collectstatic with the manifest storage,
    # which fails on any file a stylesheet or script refers to that is not there (a source map).
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DJANGO_SETTINGS_MODULE": "crm.settings.base",
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "crm.example.com",
            "STATIC_ROOT": str(tmp_path),
        },
        capture_output=True,
        text=True,
        # Post-processing some 1,100 files takes seconds alone, and over two minutes on two
        # cores shared with a loaded suite: the limit only stops a run that hangs.
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()


def _settings_of(**env):
    """The database settings a process started with `env` gets, or its start-up error."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_"))}
    environment.update(env, DJANGO_SETTINGS_MODULE="crm.settings.base", DEBUG="true")
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'databases': settings.DATABASES, "
        "'routers': settings.DATABASE_ROUTERS}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_replica_url_adds_a_replica_alias_with_the_primarys_options():
    import json

    result = _settings_of(
        DATABASE_URL="postgres://crm@primary.example.com:5432/crm",
        DATABASE_REPLICA_URL="postgres://crm@replica.example.com:5432/crm",
        CONN_MAX_AGE="300",
        DB_PREPARE_THRESHOLD="7",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    primary, replica = found["databases"]["default"], found["databases"]["replica"]
    assert replica["HOST"] == "replica.example.com"
    assert replica["ENGINE"] == primary["ENGINE"] == "core.db.backends.postgresql"
    assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"] == 300
    assert replica["OPTIONS"]["prepare_threshold"] == primary["OPTIONS"]["prepare_threshold"] == 7
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["CONNECT_RETRY_SECONDS"] == 0
    assert found["routers"] == ["core.db.replica.PrimaryReplicaRouter"]

    alone = json.loads(_settings_of(DATABASE_URL="postgres://crm@primary.example.com/crm").stdout)
    assert set(alone["databases"]) == {"default"} and alone["routers"] == []


def test_a_replica_of_sqlite_is_refused_at_start_up():
    result = _settings_of(
        DATABASE_URL="sqlite:///var/x.sqlite3",
        DATABASE_REPLICA_URL="postgres://crm@replica.example.com:5432/crm",
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL is set but DATABASE_URL is not PostgreSQL" in result.stderr
