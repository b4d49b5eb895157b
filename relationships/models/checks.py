"""Checks shared by the records that hang off a customer."""

from django.utils.translation import gettext_lazy as _


def _same_customer_errors(obj, **related):
    """Errors for related records (contract, invoice, asset) that belong to another customer."""
    errors = {}
    for field, other in related.items():
        if other is not None and obj.customer_id and other.customer_id != obj.customer_id:
            errors[field] = _("This belongs to another customer.")
    return errors
