"""The e-mails a collection case sends the customer as it enters a reminder, demand or final
notice stage: shared by the engine's moves, the collections job and approvals."""

from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation

from core.i18n import language_for_country
from customers.models import Customer
from relationships import services as relationship_services
from relationships.models import Interaction

from ..models import CollectionCase, ProcessInstance, Stage

COLLECTION_EMAIL_STAGES = ("reminder", "demand", "final_notice")


def billing_contact(customer: Customer) -> tuple[str, str]:
    """Where the customer's payment letters go and the language they are written in: the
    primary contact's e-mail and language, else the customer's own e-mail, in the language of
    the customer's country (core.i18n.language_for_country)."""
    primary = customer.contacts.filter(is_primary=True, is_active=True).exclude(email="").first()
    if primary:
        return primary.email, primary.language
    return customer.email, language_for_country(customer.country)


def billing_contact_email(customer: Customer):
    """The customer's primary contact's e-mail, else the customer's own."""
    return billing_contact(customer)[0]


def _collection_email(*, instance: ProcessInstance, stage: Stage, by):
    if stage.code not in COLLECTION_EMAIL_STAGES:
        return False
    case = CollectionCase.objects.select_related("invoice", "instance__customer").get(
        pk=instance.pk
    )
    customer = case.instance.customer
    address, language = billing_contact(customer)
    if not address:
        return False
    context = {"case": case, "invoice": case.invoice, "customer": customer, "stage": stage}
    # In the reader's language, dates and amounts included, whoever moved the case.
    with translation.override(language):
        subject = render_to_string(
            f"processes/emails/collections_{stage.code}_subject.txt", context
        )
        body = render_to_string(f"processes/emails/collections_{stage.code}.txt", context)
    send_mail(subject.strip(), body, None, [address])
    CollectionCase.objects.filter(pk=case.pk).update(reminders_sent=F("reminders_sent") + 1)
    relationship_services.interaction_log(
        customer=customer,
        by=by,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND,
        subject=subject.strip()[:200],
        notes=body,
    )
    return True
