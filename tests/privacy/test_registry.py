"""Every model that points at a customer or a contact person says what it holds about them."""

from django.apps import apps

from core import personal_data
from customers.models import ContactPerson, Customer


def test_every_model_linked_to_a_person_is_a_personal_data_source_or_declared_impersonal():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if any(
            field.is_relation and field.related_model in (Customer, ContactPerson)
            for field in model._meta.concrete_fields
        )
        and not personal_data.is_covered(model)
    ]
    assert missing == []
