import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import services
from imports.models import ImportBatch


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """`upload(user, content, name=…)`: an uploaded file made into a batch, its mapping guessed."""

    def make(user, content, name="customers.csv", *, kind="customers", country="PL", owner=None):
        if isinstance(content, str):
            content = content.encode("utf-8")
        uploaded = SimpleUploadedFile(name, content, content_type="text/csv")
        return services.batch_upload(
            uploaded=uploaded, kind=kind, by=user, default_country=country, owner=owner
        )

    return make


@pytest.fixture
def prepare(django_capture_on_commit_callbacks):
    """`prepare(batch)`: the mapping accepted and every row read for the preview."""

    def run(batch, mapping=None):
        with django_capture_on_commit_callbacks(execute=True):
            services.batch_map(batch=batch, mapping=mapping or batch.mapping, by=batch.created_by)
        batch.refresh_from_db()
        return batch

    return run


@pytest.fixture
def run_batch(django_capture_on_commit_callbacks):
    """`run_batch(batch)`: the import run (the Celery task runs inline in tests)."""

    def run(batch):
        with django_capture_on_commit_callbacks(execute=True):
            services.batch_start(batch=batch, by=batch.created_by)
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.DONE, batch.error
        return batch

    return run


@pytest.fixture
def imported(upload, prepare, run_batch):
    """`imported(user, content, name=…)`: upload, guessed mapping, preview, run."""

    def go(user, content, name="customers.csv", **kwargs):
        return run_batch(prepare(upload(user, content, name, **kwargs)))

    return go
