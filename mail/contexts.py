"""The values a template is rendered over, per purpose: plain dicts of strings, amounts and dates
already written in the reader's language (mail.rendering never sees a model object).

    language = reader_language(contact, customer)
    context = mail_context(customer=c, contact=p, sender=user, instance=ticket, language=language)
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import formats, timezone, translation

from core.i18n import is_supported, language_for_country
from core.money import format_money
from processes.models import CollectionCase, ProcessDefinition, Ticket

from .models import MailTemplate

Purpose = MailTemplate.Purpose
Kind = ProcessDefinition.Kind

# A process's kind decides what an e-mail about it is written about.
PURPOSE_OF_KIND = {
    Kind.SUPPORT: Purpose.TICKET,
    Kind.COLLECTIONS: Purpose.COLLECTION,
    Kind.SALES: Purpose.DEAL,
}


def reader_language(contact=None, customer=None) -> str:
    """The contact person's language, else the language of the customer's country."""
    if contact is not None and is_supported(contact.language):
        return contact.language
    return language_for_country(customer.country if customer is not None else "")


def purpose_for(instance=None) -> str:
    if instance is None:
        return Purpose.CUSTOMER
    return PURPOSE_OF_KIND.get(instance.definition.kind, Purpose.CUSTOMER)


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


def _money(amount, currency) -> str:
    return "" if amount is None else format_money(amount, currency)


def _person(contact) -> dict:
    if contact is None:
        return {"name": "", "first_name": ""}
    return {"name": contact.full_name, "first_name": contact.first_name}


def _sender(user) -> dict:
    if user is None:
        return {"name": "", "email": ""}
    return {"name": user.get_full_name() or user.get_username(), "email": user.email}


def _invoice(invoice) -> dict:
    return {
        "number": invoice.number,
        "total": _money(invoice.amount, invoice.currency),
        "balance": _money(invoice.balance, invoice.currency),
        "due_on": _date(invoice.due_date),
    }


def mail_context(*, customer, language, contact=None, sender=None, instance=None, invoice=None):
    """The template values for an e-mail to `contact` of `customer` about `instance` (a ticket,
    collection case or deal) or `invoice`, in `language`."""
    with translation.override(language):
        context = {
            "customer": {"name": customer.display_name},
            "contact": _person(contact),
            "sender": _sender(sender),
        }
        if instance is not None:
            stage = str(instance.stage.name) if instance.stage_id else ""
            purpose = purpose_for(instance)
            if purpose == Purpose.TICKET:
                ticket = Ticket.objects.filter(instance=instance).first()
                context["ticket"] = {
                    "title": instance.title,
                    "number": str(instance.pk),
                    "deadline": _date(ticket.resolution_due_at if ticket else None),
                    "stage": stage,
                }
            elif purpose == Purpose.COLLECTION:
                case = (
                    CollectionCase.objects.select_related("invoice")
                    .filter(instance=instance)
                    .first()
                )
                context["case"] = {"stage": stage}
                if case is not None:
                    context["invoice"] = _invoice(case.invoice)
            elif purpose == Purpose.DEAL:
                context["deal"] = {
                    "title": instance.title,
                    "amount": _money(instance.amount, instance.currency),
                    "stage": stage,
                    "expected_close_on": _date(instance.expected_close_on),
                }
        if invoice is not None:
            context["invoice"] = _invoice(invoice)
    return context


def sample_context(purpose: str, language: str) -> dict:
    """Made-up values for a template's preview, written the way `language` writes them."""
    today = timezone.localdate()
    with translation.override(language):
        context = {
            "customer": {"name": "Nowak sp. z o.o."},
            "contact": {"name": "Anna Nowak", "first_name": "Anna"},
            "sender": {"name": "Sally Sales", "email": "sally@example.com"},
            "invoice": {
                "number": "FV/2026/0042",
                "total": format_money(Decimal("12345.60"), "PLN"),
                "balance": format_money(Decimal("2345.60"), "PLN"),
                "due_on": _date(today - timedelta(days=10)),
            },
            "ticket": {
                "title": "Printer offline",
                "number": "1042",
                "deadline": _date(timezone.now() + timedelta(days=2)),
                "stage": "In progress",
            },
            "case": {"stage": "Reminder"},
            "deal": {
                "title": "Fleet renewal",
                "amount": format_money(Decimal("48000"), "EUR"),
                "stage": "Proposal",
                "expected_close_on": _date(date(today.year, 12, 15)),
            },
            "unsubscribe_url": "https://crm.example.com/u/…",
        }
    return context
