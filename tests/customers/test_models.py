import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEvent
from customers.models import Customer
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_tax_id_is_unique_when_given_in_the_database():
    CustomerFactory(tax_id="PL1234567890")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(tax_id="PL1234567890")


def test_many_customers_may_have_no_tax_id():
    CustomerFactory(tax_id="")
    CustomerFactory(tax_id="")
    assert Customer.objects.filter(tax_id="").count() == 2


def test_clean_normalises_tax_id_and_email_so_spellings_collide():
    CustomerFactory(tax_id="PL1234567890")
    twin = Customer(
        display_name="Twin",
        tax_id="pl 123-456-78-90",
        email=" Office@Example.COM ",
        source=Customer.Source.OTHER,
        first_contact_on="2024-01-01",
    )
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert twin.tax_id == "PL1234567890"
    assert twin.email == "office@example.com"
    assert "A customer with this tax id already exists." in str(error.value)


def test_phone_digits_are_generated_by_the_database():
    customer = CustomerFactory(phone="+48 (600) 100-200")
    customer.refresh_from_db()
    assert customer.phone_digits == "48600100200"


def test_a_customer_has_at_most_one_primary_contact():
    customer = CustomerFactory()
    ContactPersonFactory(customer=customer, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPersonFactory(customer=customer, is_primary=True)


def test_marketing_consent_needs_its_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPersonFactory(marketing_consent=True, marketing_consent_at=None)


def test_history_is_kept_for_customers_and_contacts():
    customer = CustomerFactory(display_name="Before")
    customer.display_name = "After"
    customer.save()
    contact = ContactPersonFactory(customer=customer)
    events = AuditEvent.objects.filter(model="customers.customer", object_id=customer.pk)
    created, renamed = events.order_by("at", "id")
    assert created.action == "create"
    assert created.changes["display_name"] == [None, "Before"]
    assert (renamed.action, renamed.changes) == ("update", {"display_name": ["Before", "After"]})
    contact_events = AuditEvent.objects.filter(
        model="customers.contactperson", object_id=contact.pk
    )
    assert list(contact_events.values_list("action", flat=True)) == ["create"]


def test_a_customer_with_history_cannot_be_deleted_from_under_it():
    customer = CustomerFactory()
    ContactPersonFactory(customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).delete()


def test_tax_id_in_finds_current_and_merged_holders_but_never_an_empty_tax_id():
    from customers.models import tax_id_in

    survivor = CustomerFactory(tax_id="1111111111")
    merged = CustomerFactory(tax_id="2222222222")
    Customer.objects.filter(pk=merged.pk).update(status="merged", merged_into=survivor)
    CustomerFactory(tax_id="")
    CustomerFactory(tax_id="3333333333")

    found = Customer.objects.filter(tax_id_in(["1111111111", "2222222222", "", "9999999999"]))

    assert set(found) == {survivor, merged}
