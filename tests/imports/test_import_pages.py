"""The pages: who may import, the mapping, the preview with errors beside cells, the run, the
result and the undo, through the views."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from imports.models import ImportBatch, MappingTemplate

pytestmark = pytest.mark.django_db

CSV = "Nazwa;NIP;Miasto\nAlfa;1234563218;Łódź\nBeta;1234563219;Kraków\n"


def _upload(client, content=CSV, name="klienci.csv"):
    return client.post(
        reverse("imports:create"),
        {
            "kind": "customers",
            "default_country": "PL",
            "file": SimpleUploadedFile(name, content.encode()),
        },
    )


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("imports:create"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", ["service_agent", "outsider"])
def test_roles_without_import_rights_are_refused(persona, request, persona_client):
    client = persona_client(request.getfixturevalue(persona))
    assert client.get(reverse("imports:create")).status_code == 403
    assert client.get(reverse("imports:list")).status_code == 403


def test_finance_may_not_import_customers(finance_clerk, persona_client):
    response = _upload(persona_client(finance_clerk))
    # The upload page is theirs (invoices, payments), but customers are not among its kinds.
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_state_changes_need_post(sales_rep, persona_client, upload):
    batch = upload(sales_rep, CSV)
    client = persona_client(sales_rep)
    for name in ("map", "choose", "start", "undo", "layout", "template"):
        assert client.get(reverse(f"imports:{name}", args=[batch.pk])).status_code == 405


def test_another_users_import_is_not_found(sales_rep, upload, persona_client, django_user_model):
    from tests.factories import UserFactory

    batch = upload(sales_rep, CSV)
    other = UserFactory(username="other_sales", roles=["sales"])
    assert persona_client(other).get(reverse("imports:detail", args=[batch.pk])).status_code == 404


def test_the_whole_journey_through_the_pages(
    sales_rep, persona_client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = persona_client(sales_rep)
    response = _upload(client)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302

    mapping_page = client.get(batch.get_absolute_url())
    assert "Nazwa" in mapping_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:map", args=[batch.pk]),
            {
                "column_0": "display_name",
                "column_1": "tax_id",
                "column_2": "city",
                "template_name": "Program XYZ",
            },
        )
    assert response.status_code == 302
    assert MappingTemplate.objects.get().mapping == {
        "nazwa": "display_name",
        "nip": "tax_id",
        "miasto": "city",
    }

    with django_assert_max_num_queries(12):
        preview = client.get(batch.get_absolute_url()).content.decode()
    assert "Not a valid NIP." in preview
    assert "data-cell-error" in preview

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:start", args=[batch.pk]))
    result = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="count-created">1<' in result
    assert 'id="count-rejected">1<' in result
    rejected = client.get(reverse("imports:rejected", args=[batch.pk]))
    assert b"Not a valid NIP." in b"".join(rejected.streaming_content)

    client.post(reverse("imports:undo", args=[batch.pk]))
    assert not Customer.objects.exists()


def test_a_missing_required_column_is_an_error_on_the_mapping_page(sales_rep, persona_client):
    client = persona_client(sales_rep)
    _upload(client)
    batch = ImportBatch.objects.get()

    response = client.post(reverse("imports:map", args=[batch.pk]), {"column_2": "city"})

    assert response.status_code == 400
    assert "Map a column to each required field" in response.content.decode()


def test_an_oversized_upload_is_refused_with_a_message(sales_rep, persona_client, settings):
    settings.IMPORT_MAX_SIZE = 1000
    response = _upload(persona_client(sales_rep), "Name\n" + "x" * 5000)

    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_progress_partial_sends_htmx_on_when_the_batch_is_done(
    sales_rep, persona_client, imported
):
    batch = imported(sales_rep, CSV)
    response = persona_client(sales_rep).get(
        reverse("imports:progress", args=[batch.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == batch.get_absolute_url()


def test_the_user_corrects_the_encoding_and_the_header_row(sales_rep, persona_client):
    client = persona_client(sales_rep)
    content = "Lista\nNazwa;Miasto\nŻuraw;Łódź\n".encode("cp1250")
    client.post(
        reverse("imports:create"),
        {
            "kind": "customers",
            "default_country": "PL",
            "file": SimpleUploadedFile("a.csv", content),
        },
    )
    batch = ImportBatch.objects.get()

    response = client.post(
        reverse("imports:layout", args=[batch.pk]),
        {"encoding": "cp1251", "delimiter": ";", "header_row": "2"},
    )

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.encoding, batch.header_row) == ("cp1251", 2)
    assert batch.headers == ["Nazwa", "Miasto"]
    assert batch.mapping == {"0": "display_name", "1": "city"}


def test_a_forged_row_id_in_the_choices_is_ignored_not_a_crash(
    sales_rep, persona_client, upload, prepare
):
    """Found by tests/hostile: thirty digits in a choice's name overflowed the database."""
    batch = prepare(upload(sales_rep, CSV))
    row = batch.rows.order_by("number").first()
    client = persona_client(sales_rep)
    response = client.post(
        reverse("imports:choose", args=[batch.pk]),
        {
            "action_" + "9" * 30: "skip",
            "action_9223372036854775808": "skip",
            "action_\u0661\u0662": "skip",
            f"action_{row.pk}": "skip",
        },
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.action == "skip"
