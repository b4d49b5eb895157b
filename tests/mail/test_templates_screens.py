"""The e-mail template screens: managers list, write and edit templates per language, see the
variables of the purpose and a preview with sample values; a template that cannot render is
refused beside its field."""

import pytest
from django.urls import reverse

from demo.mail_templates import TEMPLATES, seed_mail_templates
from mail.models import MailTemplate

pytestmark = pytest.mark.django_db


def data(**changes):
    return {
        "name": "Welcome",
        "purpose": "customer",
        "language": "pl",
        "subject": "Witamy, {{ customer.name }}",
        "body": "Dzień dobry {{ contact.first_name }},\nmiło nam.\n{{ sender.name }}",
        "is_active": "on",
        "action": "save",
        **changes,
    }


def test_only_managers_manage_templates(persona_client, sales_rep, manager):
    template = MailTemplate.objects.create(
        name="A", language="en", subject="Hi", body="Text", purpose="customer"
    )
    urls = [
        reverse("mail:template_list"),
        reverse("mail:template_create"),
        reverse("mail:template_edit", args=[template.pk]),
    ]
    for url in urls:
        assert persona_client(sales_rep).get(url).status_code == 403
    for url in urls:
        assert persona_client(manager).get(url).status_code == 200


def test_a_manager_writes_a_template_and_it_is_listed_per_language(persona_client, manager):
    client = persona_client(manager)
    response = client.post(reverse("mail:template_create"), data())
    assert response.status_code == 302
    template = MailTemplate.objects.get(name="Welcome", language="pl")
    assert template.created_by == manager
    page = client.get(reverse("mail:template_list")).content.decode()
    assert reverse("mail:template_edit", args=[template.pk]) in page
    # The other languages are offered as "add", starting from this one.
    assert f"?from={template.pk}&amp;language=cs" in page
    prefilled = client.get(reverse("mail:template_create") + f"?from={template.pk}&language=cs")
    form = prefilled.context["form"]
    assert form.initial["name"] == "Welcome" and form.initial["language"] == "cs"


def test_the_preview_renders_sample_values_in_the_templates_language(persona_client, manager):
    response = persona_client(manager).post(
        reverse("mail:template_create"),
        data(
            purpose="invoice",
            subject="Faktura {{ invoice.number }}",
            body="Do zapłaty: {{ invoice.balance }}",
            action="preview",
        ),
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["subject"] == "Faktura FV/2026/0042"
    assert preview["body"].replace("\xa0", " ") == "Do zapłaty: 2 345,60 zł"
    assert not MailTemplate.objects.exists()  # a preview saves nothing
    page = response.content.decode()
    assert "invoice.balance" in page and "what is left to pay" in page


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("body", "Hello {{ customer.owner.password }}", "Unknown variable"),
        ("body", "{% load static %}Hi", "cannot be used in an e-mail template"),
        ("subject", "Invoice {{ invoice.number }}", "Unknown variable"),  # not a customer's
        ("body", "{% if customer.name %}unclosed", "not valid"),
    ],
)
def test_a_template_that_cannot_render_is_refused_beside_its_field(
    persona_client, manager, field, text, message
):
    response = persona_client(manager).post(reverse("mail:template_create"), data(**{field: text}))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert not MailTemplate.objects.exists()


def test_a_name_is_written_once_per_language(persona_client, manager):
    client = persona_client(manager)
    assert client.post(reverse("mail:template_create"), data()).status_code == 302
    response = client.post(reverse("mail:template_create"), data(subject="Again"))
    assert response.status_code == 200
    assert "already exists in that language" in str(response.context["form"].errors)
    assert MailTemplate.objects.count() == 1


def test_editing_keeps_the_template_and_its_author(persona_client, manager, admin_user):
    template = MailTemplate.objects.create(
        name="A",
        language="en",
        subject="Hi",
        body="Text",
        purpose="customer",
        created_by=admin_user,
    )
    response = persona_client(manager).post(
        reverse("mail:template_edit", args=[template.pk]),
        data(name="A", language="en", subject="Hello {{ contact.first_name }}"),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject == "Hello {{ contact.first_name }}"
    assert template.created_by == admin_user


def test_the_demo_templates_are_valid_in_every_language_and_seeded_once():
    assert seed_mail_templates() == sum(len(languages) for languages in TEMPLATES.values())
    assert seed_mail_templates() == 0
    for template in MailTemplate.objects.all():
        template.full_clean()
    assert set(MailTemplate.objects.values_list("language", flat=True)) == {"en", "pl", "cs", "ru"}
