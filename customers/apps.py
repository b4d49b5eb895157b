from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from core import audit

        from .models import ContactPerson, Customer

        audit.register(
            Customer,
            exclude=[
                "updated_at",
                # Denormalised from the latest interaction by relationships' services.
                "last_contact_at",
                # Written by the scoring job; their history is analytics' CustomerScore.
                "grade",
                "ltv",
                "ltv_currency",
                "payment_reliability",
                "avg_days_late",
                "scored_at",
            ],
        )
        audit.register(ContactPerson)
