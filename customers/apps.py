from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from core import audit

        from . import customer_page
        from .models import ContactPerson, Customer, CustomerMerge

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
        audit.register(CustomerMerge)
        customer_page.register_section(
            slot="header",
            order=30,  # under the value, relationship and money headers
            template="customers/_duplicates_hint.html",
            context=customer_page.duplicates_hint,
        )
