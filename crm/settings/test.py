"""Test settings: the real database and broker from the environment, made fast where it is safe."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
from .base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inline in tests; tests/test_celery_broker.py exercises the real broker separately.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
LANGUAGE_CODE = "en"

# The suite runs on one test database: a DATABASE_REPLICA_URL in the environment is ignored here.
# tests/faults/test_read_replica.py runs the app against a real replica of its own.
DATABASES.pop("replica", None)  # noqa: F405
DATABASE_ROUTERS = []

if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    # Never share a queue folder with a `make run` worker on the same machine.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "celery-test")  # noqa: F405
