"""Background exports (core.export_jobs): an export above EXPORT_INLINE_MAX_ROWS becomes a job
whose file holds exactly the rows the list shows its user with its filters, written whole or
not at all, downloadable by its owner alone, told by a notification, run again after a failure,
and deleted after EXPORT_KEEP_HOURS."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import export_jobs, exports
from core.models import AuditEvent, ExportJob, OutboxMessage, Team
from processes.models import Notification, Task
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Export files land in a temporary folder, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def small_threshold(settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    return settings


@pytest.fixture
def ask(persona_client, django_capture_on_commit_callbacks):
    """`ask(user, url, params)`: the user asks for an export; the queued task runs (eagerly)
    once the request's transaction commits, as a worker would after the outbox publishes."""

    def run(user, url, params):
        client = persona_client(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(url, params)
        return client, response

    return run


def _stored_files(media_root):
    folder = media_root / "exports"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def _csv_rows(data):
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _download(client, job):
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return b"".join(response.streaming_content)


def test_a_big_export_is_written_by_a_job_with_what_the_user_sees(
    ask, small_threshold, settings, sales_rep, media_root
):
    settings.CRM_VISIBILITY = "team"
    stranger = UserFactory(username="prague_rep")
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    Team.objects.create(name="Prague").members.add(stranger)
    CustomerFactory(display_name="Ours A", status="active", owner=sales_rep)
    CustomerFactory(display_name="Ours B", status="active", owner=sales_rep)
    CustomerFactory(display_name="Unowned", status="active")
    CustomerFactory(display_name="Ours, prospect", status="prospect", owner=sales_rep)
    CustomerFactory(display_name="Theirs", status="active", owner=stranger)

    client, response = ask(
        sales_rep, reverse("customers:list"), {"status": "active", "format": "csv", "page": "2"}
    )

    assert response.status_code == 302
    assert response.url == reverse("export_list")
    job = ExportJob.objects.get()
    assert (job.user, job.list_key, job.format, job.query) == (
        sales_rep,
        "customers",
        "csv",
        "status=active",
    )
    assert job.status == ExportJob.Status.DONE and job.rows == 3
    assert job.file.name.startswith("exports/")
    assert OutboxMessage.objects.filter(task="core.tasks.run_export_job", args=[job.pk]).exists()
    header, *body = _csv_rows(_download(client, job))
    assert header[:2] == ["Id", "Name"]
    assert [row[1] for row in body] == ["Ours A", "Ours B", "Unowned"]  # the list's order
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == sales_rep
    assert event.details == {"list": "customers", "filters": {"status": "active"}, "rows": 3}
    notification = Notification.objects.get(recipient=sales_rep)
    assert notification.kind == Notification.Kind.EXPORT_READY
    assert notification.link == reverse("export_download", args=[job.pk])
    assert "3 rows" in notification.message

    page = client.get(reverse("export_list"))
    assert "Your export is being prepared" in page.content.decode()
    assert reverse("export_download", args=[job.pk]) in page.content.decode()
    bell = client.get(reverse("processes:notification_list")).content.decode()
    assert f'href="{notification.link}"' in bell


def test_a_big_xlsx_export_of_a_finance_list_keeps_its_types(ask, small_threshold, finance_clerk):
    for number in ("FV/1", "FV/2", "FV/3"):
        InvoiceFactory(number=number)
    client, response = ask(finance_clerk, reverse("relationships:invoice_list"), {"format": "xlsx"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.format == "xlsx"
    sheet = load_workbook(io.BytesIO(_download(client, job))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Id", "Number")
    assert sorted(row[1] for row in rows[1:]) == ["FV/1", "FV/2", "FV/3"]
    amount = sheet.cell(row=2, column=rows[0].index("Amount") + 1)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"


def test_the_tasks_list_job_keeps_the_lists_default_filter(ask, small_threshold, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    for title, done_at in (("One", None), ("Two", None), ("Three", None), ("Done", timezone.now())):
        Task.objects.create(
            customer=customer,
            title=title,
            assignee=sales_rep,
            due_on=timezone.localdate(),
            created_by=sales_rep,
            done_at=done_at,
            done_by=sales_rep if done_at else None,
        )
    client, _response = ask(sales_rep, reverse("processes:task_list"), {"format": "csv"})
    job = ExportJob.objects.get()
    _header, *body = _csv_rows(_download(client, job))
    assert sorted(row[1] for row in body) == ["One", "Three", "Two"]


def test_below_the_threshold_the_export_still_streams_at_once(persona_client, settings, sales_rep):
    settings.EXPORT_INLINE_MAX_ROWS = 3
    CustomerFactory.create_batch(3)
    response = persona_client(sales_rep).get(reverse("customers:list"), {"format": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert len(_csv_rows(b"".join(response.streaming_content))) == 4
    assert not ExportJob.objects.exists()


def test_another_user_cannot_download_or_retry_an_export(
    ask, small_threshold, sales_rep, manager, persona_client, client
):
    CustomerFactory.create_batch(3)
    ask(sales_rep, reverse("customers:list"), {"format": "csv"})
    job = ExportJob.objects.get()
    download = reverse("export_download", args=[job.pk])

    client.logout()
    assert client.get(download).status_code == 302  # to the log-in page
    other = persona_client(manager)
    assert other.get(download).status_code == 404
    assert other.post(reverse("export_retry", args=[job.pk])).status_code == 404
    assert f'id="export-{job.pk}"' not in other.get(reverse("export_list")).content.decode()


def test_the_same_export_asked_twice_while_queued_is_one_job(
    persona_client, small_threshold, sales_rep, django_capture_on_commit_callbacks
):
    CustomerFactory.create_batch(3)
    client = persona_client(sales_rep)
    with django_capture_on_commit_callbacks(execute=False):
        client.get(reverse("customers:list"), {"format": "csv"})
        response = client.get(reverse("customers:list"), {"format": "csv"}, follow=True)
    assert ExportJob.objects.get().status == ExportJob.Status.QUEUED
    assert "already being prepared" in response.content.decode()
    assert "queued" in response.content.decode()


def test_a_failed_export_says_so_leaves_no_file_and_can_run_again(
    ask, small_threshold, sales_rep, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    CustomerFactory.create_batch(3)
    real_write = exports.write_file

    def broken(output, **kwargs):
        output.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_file", broken)
    client, _response = ask(sales_rep, reverse("customers:list"), {"format": "csv"})
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED
    assert "could not be written" in job.error and "disk full" not in job.error
    assert not job.file and _stored_files(media_root) == []
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 404
    failed = Notification.objects.get(recipient=sales_rep)
    assert failed.kind == Notification.Kind.EXPORT_FAILED
    assert failed.link == reverse("export_list")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    assert "Try again" in client.get(reverse("export_list")).content.decode()

    monkeypatch.setattr(exports, "write_file", real_write)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows == 3 and job.error == ""
    assert len(_stored_files(media_root)) == 1
    assert Notification.objects.filter(
        recipient=sales_rep, kind=Notification.Kind.EXPORT_READY
    ).exists()
    # Only a failed one runs again.
    client.post(reverse("export_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE


def test_a_worker_killed_mid_file_leaves_no_file_and_the_redelivery_writes_it(
    small_threshold, sales_rep, media_root, monkeypatch
):
    CustomerFactory.create_batch(3)
    job = ExportJob.objects.create(user=sales_rep, list_key="customers", format="csv")
    real_write = exports.write_file

    def killed(output, **kwargs):
        output.write(b"half a file")
        raise SystemExit  # what a worker's shutdown raises where the rows are being written

    monkeypatch.setattr(exports, "write_file", killed)
    with pytest.raises(SystemExit):
        export_jobs.export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and not job.file
    assert _stored_files(media_root) == []

    # acks_late: the broker hands the same message to another worker, which runs it again.
    monkeypatch.setattr(exports, "write_file", real_write)
    export_jobs.export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows == 3
    # A message delivered once more finds it done and writes nothing.
    export_jobs.export_job_run(job.pk)
    assert len(_stored_files(media_root)) == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_a_user_who_lost_the_lists_permission_gets_no_file(sales_rep, media_root):
    CustomerFactory()
    job = ExportJob.objects.create(user=sales_rep, list_key="invoices", format="csv")
    export_jobs.export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "You may no longer see this list."
    assert _stored_files(media_root) == []


def test_expiry_deletes_old_exports_with_their_files(sales_rep, media_root, settings):
    settings.EXPORT_KEEP_HOURS = 24
    now = timezone.now()

    def done_job(age):
        job = ExportJob(
            user=sales_rep,
            list_key="customers",
            format="csv",
            status=ExportJob.Status.DONE,
            rows=1,
            created_at=now - age,
            finished_at=now - age,
        )
        job.file.save("customers.csv", ContentFile(b"\xef\xbb\xbfId\r\n1\r\n"), save=False)
        job.save()
        return job

    old = done_job(timedelta(hours=25))
    fresh = done_job(timedelta(hours=1))
    old_path = media_root / old.file.name
    stuck = ExportJob.objects.create(
        user=sales_rep,
        list_key="customers",
        format="xlsx",
        status=ExportJob.Status.RUNNING,
        started_at=now - timedelta(hours=3),
        created_at=now - timedelta(hours=3),
    )
    assert old_path.exists()

    assert export_jobs.expire_exports(now=now) == 1

    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not old_path.exists()
    assert (media_root / fresh.file.name).exists()
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.FAILED and "worker was lost" in stuck.error


def test_a_done_export_has_its_file_in_the_database(sales_rep):
    """The database refuses a job marked done without its file, rows and finish time."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(
            user=sales_rep, list_key="customers", format="csv", status=ExportJob.Status.DONE
        )


def test_the_admin_lists_and_opens_exports_read_only(client, admin_user, sales_rep):
    job = ExportJob.objects.create(
        user=sales_rep,
        list_key="customers",
        format="csv",
        status=ExportJob.Status.FAILED,
        error="The export could not be written.",
    )
    client.force_login(admin_user)
    assert client.get(reverse("admin:core_exportjob_changelist")).status_code == 200
    page = client.get(reverse("admin:core_exportjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert "The export could not be written." in page.content.decode()
    assert client.get(reverse("admin:core_exportjob_add")).status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_registered_list_is_written_by_a_job(manager, media_root, fmt):
    from core import lists

    InvoiceFactory(customer=CustomerFactory(display_name="Acme"))
    for info in lists.registered():
        job = ExportJob.objects.create(user=manager, list_key=info.key, format=fmt)
        job = export_jobs.export_job_run(job.pk)
        assert job.status == ExportJob.Status.DONE, (info.key, job.error)
        assert job.file.size > 0
    exported = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert {event.details["list"] for event in exported} == {i.key for i in lists.registered()}


def test_a_job_is_written_in_the_language_of_the_page_it_was_asked_from(
    persona_client, small_threshold, sales_rep, media_root
):
    """No language on the profile: the pages follow the browser (Czech here); the worker,
    with no browser to ask, writes the file in the language of the page that asked."""
    from django.utils import translation

    for name in ("A", "B", "C"):
        CustomerFactory(display_name=f"Firma {name}", owner=sales_rep)
    client = persona_client(sales_rep)
    client.get(reverse("customers:list"), {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="cs")
    job = ExportJob.objects.get()
    assert job.language == "cs"
    with translation.override("en"):  # the worker's own language
        export_jobs.export_job_run(job.pk)
    job.refresh_from_db()
    head = _csv_rows(_download(client, job))[0]
    assert "Název" in head and "Obchodní firma" in head
    assert "Name" not in head and "Legal name" not in head
