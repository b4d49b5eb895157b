# ruff: noqa: RUF001, RUF002  (Russian texts: Cyrillic letters on purpose)
"""A unique value a person typed twice is refused with a sentence of its own, beside the field.

Django's default, "%(model_name)s with this %(field_label)s already exists.", glues the model's
and the field's names into a sentence that only English grammar survives: in Russian it reads
"Счёт с таким Номер уже существует." Every unique field a person edits on a form (a page or the
admin) says its own sentence instead, on the form, in full_clean() and after a lost race."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import modelform_factory
from django.utils import translation
from django.utils.text import capfirst

from core.integrity import save_or_raise_validation
from core.models import Team
from customers.models import ConsentPurpose, CustomerMerge, Segment
from integrations.models import WebForm
from mail.models import Mailbox, SuppressedAddress
from processes.models import ProcessDefinition
from relationships.models import Contract, Invoice
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
    UserFactory,
    twin_of,
)

pytestmark = pytest.mark.django_db

LOCAL_APPS = (
    "core",
    "customers",
    "relationships",
    "processes",
    "analytics",
    "mail",
    "integrations",
    "imports",
    "privacy",
    "api",
)

# Unique fields no person types: each is written by a service or job that settles a twin itself.
WRITTEN_BY_SERVICES = {
    "core.UserProfile.user",  # get_or_create for the signed-in user
    "customers.ConsentState.event",  # customers.services.consent_record, under a lock
    "processes.CollectionCase.invoice",  # collection_case_open checks it under a lock
    "analytics.DigestSubscription.user",  # update_or_create; the form edits "enabled" only
    "analytics.GradeChange.score",  # the scoring job
    "mail.EmailMessage.interaction",  # the mailbox sync and sending
}


def _original(model, field, value):
    """A stored row holding `value` in the unique `field`."""
    if model is Contract:
        return ContractFactory(number=value)
    if model is Invoice:
        return InvoiceFactory(number=value)
    if model is Segment:
        return SegmentFactory(name=value)
    if model is ProcessDefinition:
        return ProcessDefinitionFactory(name=value)
    if model is ConsentPurpose:
        return ConsentPurpose.objects.create(
            **{"code": "twin_purpose", "name": "Twin purpose", field: value},
            wording="Twin wording",
        )
    if model is Team:
        return Team.objects.create(name=value)
    if model is Mailbox:
        return Mailbox.objects.create(
            name="Office", address=value, imap_host="imap.example.com", username="office"
        )
    if model is SuppressedAddress:
        return SuppressedAddress.objects.create(address=value)
    if model is WebForm:
        return WebForm.objects.create(name="Contact", slug=value, created_by=UserFactory())
    if model is CustomerMerge:
        return CustomerMerge.objects.create(
            survivor=CustomerFactory(), merged=CustomerFactory(relationship=False)
        )
    raise AssertionError(model)


CASES = {
    "contract number": (
        Contract,
        "number",
        "C-2024/7",
        "A contract with this number already exists.",
    ),
    "invoice number": (
        Invoice,
        "number",
        "FV/2024/7",
        "An invoice with this number already exists.",
    ),
    "segment name": (Segment, "name", "Key accounts", "A segment with this name already exists."),
    "process definition name": (
        ProcessDefinition,
        "name",
        "SMB sales",
        "A process definition with this name already exists.",
    ),
    "consent purpose code": (
        ConsentPurpose,
        "code",
        "twin_code",
        "A consent purpose with this code already exists.",
    ),
    "consent purpose name": (
        ConsentPurpose,
        "name",
        "Twin name",
        "A consent purpose with this name already exists.",
    ),
    "team name": (Team, "name", "Brno office", "A team with this name already exists."),
    "mailbox address": (
        Mailbox,
        "address",
        "office@example.com",
        "A mailbox with this address already exists.",
    ),
    "suppressed address": (
        SuppressedAddress,
        "address",
        "bounced@example.com",
        "This address is already on the suppression list.",
    ),
    "web form address": (
        WebForm,
        "slug",
        "contact-us",
        "A web form with this address already exists.",
    ),
}


def _django_default(model, field_name):
    """Django's sentence for the field, in the active language."""
    field = model._meta.get_field(field_name)
    return models.Field.default_error_messages["unique"] % {
        "model_name": capfirst(model._meta.verbose_name),
        "field_label": capfirst(field.verbose_name),
    }


def _form_errors(model, field, value):
    form = modelform_factory(model, fields=[field])(data={field: value})
    assert not form.is_valid()
    return form.errors.get_json_data()


@pytest.mark.parametrize(("model", "field", "value", "message"), CASES.values(), ids=CASES.keys())
def test_a_taken_value_is_refused_with_its_own_sentence_beside_the_field(
    model, field, value, message
):
    _original(model, field, value)
    errors = _form_errors(model, field, value)
    assert [error["message"] for error in errors[field]] == [message]
    assert "__all__" not in errors


@pytest.mark.parametrize(("model", "field", "value", "message"), CASES.values(), ids=CASES.keys())
def test_in_russian_the_message_is_not_djangos_glued_sentence(model, field, value, message):
    _original(model, field, value)
    with translation.override("ru"):
        glued = _django_default(model, field)
        assert "с таким" in glued  # the pattern this test guards against, as Django says it
        shown = [error["message"] for error in _form_errors(model, field, value)[field]]
    assert len(shown) == 1
    assert shown[0] != glued
    assert "с таким" not in shown[0]


def test_the_invoice_number_in_russian_is_not_the_broken_sentence_from_the_issue():
    InvoiceFactory(number="FV/1")
    with translation.override("ru"):
        shown = _form_errors(Invoice, "number", "FV/1")["number"][0]["message"]
    assert shown != "Счёт с таким Номер уже существует."


@pytest.mark.parametrize(("model", "field", "value", "message"), CASES.values(), ids=CASES.keys())
def test_a_twin_committed_meanwhile_gets_the_same_sentence(model, field, value, message):
    original = _original(model, field, value)
    # A twin in this one field (the consent purpose's other unique field differs).
    others = {"code": "other_purpose", "name": "Other purpose"} if model is ConsentPurpose else {}
    twin = twin_of(original, **{name: v for name, v in others.items() if name != field})
    with pytest.raises(ValidationError) as refused:
        save_or_raise_validation(twin)
    assert refused.value.message_dict[field] == [message]


def test_a_customer_merged_twice_is_said_in_a_sentence():
    original = _original(CustomerMerge, "merged", None)
    twin = CustomerMerge(survivor=CustomerFactory(), merged=original.merged)
    with pytest.raises(ValidationError) as refused:
        twin.validate_unique()
    assert refused.value.message_dict == {
        "merged": ["This customer has already been merged into another one."]
    }


def test_every_unique_field_a_person_types_has_its_own_message():
    """A new unique field needs its own "unique" message (or a place in WRITTEN_BY_SERVICES)."""
    default = models.Field.default_error_messages["unique"]
    glued = sorted(
        f"{model._meta.label}.{field.name}"
        for app in LOCAL_APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.local_fields
        if field.unique
        and not field.primary_key
        and field.editable
        and field.error_messages["unique"] == default
    )
    assert glued == sorted(WRITTEN_BY_SERVICES)
