"""Equipment the customer uses, and documents only those who may see the customer can download."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from relationships.models import Asset, Document
from tests.factories import (
    AssetFactory,
    ContractFactory,
    CustomerFactory,
    DocumentFactory,
    InvoiceFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]


def _asset_data(**overrides):
    data = {
        "name": "Coffee machine",
        "model": "Barista 3000",
        "serial_number": "BX-001",
        "installed_on": "2025-03-01",
        "location": "Kitchen, 2nd floor",
        "status": "in_use",
    }
    data.update(overrides)
    return data


def test_service_records_equipment_for_the_customer(persona_client, service_agent, customer):
    contract = ContractFactory(customer=customer)
    response = persona_client(service_agent).post(
        reverse("relationships:asset_create", args=[customer.pk]),
        _asset_data(contract=contract.pk),
    )
    assert response.status_code == 302
    asset = customer.assets.get()
    assert (asset.contract, asset.created_by) == (contract, service_agent)


def test_a_serial_number_is_unique_per_model(persona_client, service_agent, customer):
    AssetFactory(model="Barista 3000", serial_number="BX-001")
    client = persona_client(service_agent)
    url = reverse("relationships:asset_create", args=[customer.pk])
    response = client.post(url, _asset_data())
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not customer.assets.exists()
    # The same serial number on another model is another device.
    assert client.post(url, _asset_data(model="Barista 4000")).status_code == 302


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("serial_number", ""),
        ("installed_on", "soon"),
        ("status", "stolen"),
        ("contract", "999999"),
    ],
)
def test_bad_asset_input_is_refused_beside_the_field(
    persona_client, service_agent, customer, field, value
):
    response = persona_client(service_agent).post(
        reverse("relationships:asset_create", args=[customer.pk]), _asset_data(**{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Asset.objects.exists()


def test_an_asset_cannot_hang_on_another_customers_contract(
    persona_client, service_agent, customer
):
    response = persona_client(service_agent).post(
        reverse("relationships:asset_create", args=[customer.pk]),
        _asset_data(contract=ContractFactory().pk),
    )
    assert "contract" in response.context["form"].errors
    assert not Asset.objects.exists()


def _upload(
    client, customer, name="offer.pdf", content=b"%PDF-1.7 offer", content_type=None, **extra
):
    upload = SimpleUploadedFile(name, content, content_type=content_type or "application/pdf")
    return client.post(
        reverse("relationships:document_create", args=[customer.pk]),
        {"file": upload, "title": "Signed offer", **extra},
    )


def test_documents_are_uploaded_and_downloaded_only_through_the_checked_view(
    persona_client, sales_rep, customer, media_root
):
    client = persona_client(sales_rep)
    invoice = InvoiceFactory(customer=customer)
    assert _upload(client, customer, invoice=invoice.pk).status_code == 302
    document = Document.objects.get()
    assert (document.invoice, document.size, document.content_type) == (
        invoice,
        14,
        "application/pdf",
    )
    assert str(media_root) in document.file.path
    page = client.get(customer.get_absolute_url()).content.decode()
    assert reverse("relationships:document_download", args=[document.pk]) in page
    assert django_settings.MEDIA_URL + "documents/" not in page
    response = client.get(reverse("relationships:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 offer"
    assert 'attachment; filename="offer.pdf"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("sales_rep", 200),
        ("service_agent", 200),
        ("finance_clerk", 200),
        ("manager", 200),
        ("admin_user", 200),
        ("outsider", 403),
    ],
)
def test_only_users_who_may_see_the_customer_download(request, client, persona, status):
    document = DocumentFactory()
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("relationships:document_download", args=[document.pk]))
    assert response.status_code == status


def test_anonymous_users_cannot_download(client):
    document = DocumentFactory()
    response = client.get(reverse("relationships:document_download", args=[document.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_file_over_the_size_limit_is_refused_with_a_clear_error(
    settings, persona_client, sales_rep, customer
):
    settings.DOCUMENT_MAX_SIZE = 1024 * 1024
    response = _upload(persona_client(sales_rep), customer, content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 200
    assert "at most 1.0\xa0MB" in response.context["form"].errors["file"][0]
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("name", "content_type", "message"),
    [
        ("tool.exe", "application/octet-stream", "cannot be attached"),
        ("page.html", "text/html", "cannot be attached"),
        ("noextension", "application/pdf", "cannot be attached"),
    ],
)
def test_files_of_other_types_are_refused_with_a_clear_error(
    persona_client, sales_rep, customer, name, content_type, message
):
    response = _upload(persona_client(sales_rep), customer, name=name, content_type=content_type)
    assert response.status_code == 200
    assert message in response.context["form"].errors["file"][0]
    assert not Document.objects.exists()


def test_a_document_cannot_be_attached_to_another_customers_invoice(
    persona_client, sales_rep, customer
):
    response = _upload(
        persona_client(sales_rep), customer, invoice=InvoiceFactory(customer=CustomerFactory()).pk
    )
    assert "invoice" in response.context["form"].errors
    assert not Document.objects.exists()


def test_an_upload_without_a_file_is_refused(persona_client, sales_rep, customer):
    response = persona_client(sales_rep).post(
        reverse("relationships:document_create", args=[customer.pk]), {"title": "Nothing"}
    )
    assert "file" in response.context["form"].errors
    assert not Document.objects.exists()
