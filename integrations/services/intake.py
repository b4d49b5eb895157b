"""What a website's form posts becomes a customer, or a contact of the customer it already is.

The duplicate guard of the "New customer" page applies (customers.services, through
relationships.services.customer_register): a post whose tax id, e-mail or phone belongs to a
known customer (or one of its contact persons) is that customer coming back, and the post is
logged as an inbound web-form interaction on it instead of making a twin. A name alone is not
enough to take a stranger for a known customer: two people may share one.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from customers.models import ContactPerson, Customer
from customers.selectors import find_duplicates
from customers.services import PossibleDuplicate, contact_person_save
from relationships.models import Interaction
from relationships.services import customer_register, interaction_log

from ..models import WebForm


@dataclass(frozen=True)
class Intake:
    customer: Customer
    created: bool  # False: a returning customer was recognised


def _customer(webform: WebForm, data: dict) -> Customer:
    person = f"{data['first_name']} {data['last_name']}".strip()
    company = data.get("company", "")
    return Customer(
        kind=Customer.Kind.ORGANISATION if company else Customer.Kind.PERSON,
        display_name=company or person,
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        tax_id=data.get("tax_id", ""),
        source=Customer.Source.WEB_FORM,
        first_contact_on=timezone.localdate(),
        owner=webform.owner,
    )


def _first_contact(webform: WebForm, data: dict) -> dict:
    return {
        "channel": Interaction.Channel.WEB_FORM,
        "direction": Interaction.Direction.INBOUND,
        "subject": webform.name,
        "notes": data.get("message", ""),
    }


def _returning(customer: Customer) -> Customer | None:
    """The known customer with this tax id, e-mail or phone (the earliest known), if any."""
    matches = find_duplicates(tax_id=customer.tax_id, email=customer.email, phone=customer.phone)
    return min((match.customer for match in matches), key=lambda c: c.pk, default=None)


@transaction.atomic
def webform_submit(*, webform: WebForm, data: dict) -> Intake:
    """A new customer with its relationship, first contact and (for a company) contact person;
    or, for a returning customer, the contact logged on it."""
    customer = _customer(webform, data)
    first_contact = _first_contact(webform, data)
    try:
        with transaction.atomic():
            customer_register(customer=customer, first_contact=first_contact, by=None)
    except ValidationError as error:
        known = _returning(customer)
        if known is not None:
            interaction_log(customer=known, by=None, **first_contact)
            return Intake(customer=known, created=False)
        if not isinstance(error, PossibleDuplicate):
            raise
        # Only the name matched someone: a namesake, not the same customer.
        customer = _customer(webform, data)
        customer_register(
            customer=customer, first_contact=first_contact, by=None, duplicates_confirmed=True
        )
    if data.get("company"):
        contact_person_save(
            contact=ContactPerson(
                customer=customer,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data.get("email", ""),
                phone=data.get("phone", ""),
                is_primary=True,
            )
        )
    return Intake(customer=customer, created=True)
