from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from django.db.models.signals import post_migrate

        # SQLite rebuilds a table to alter it, dropping its triggers: reinstalled after every
        # migrate (customers.value_rows).
        post_migrate.connect(_install_value_trigger, sender=self)
        from . import search

        search.register()  # what the navigation bar's box finds (core.search)
        from core import lists

        from .exports import customer_rows
        from .permissions import VIEW_CUSTOMERS

        lists.register(
            "customers",
            url_name="customers:list",
            label=_("Customers"),
            permission=VIEW_CUSTOMERS,
            build=customer_rows,
        )

        from core import audit, personal_data
        from core.personal_data import ERASED

        from . import customer_page
        from .models import (
            ConsentEvent,
            ConsentPurpose,
            ConsentState,
            ContactPerson,
            Customer,
            CustomerMerge,
            CustomerValue,
            DuplicateSuggestion,
        )

        audit.register(
            Customer,
            exclude=[
                "updated_at",
                # Denormalised from the latest interaction by relationships' services.
                "last_contact_at",
            ],
        )
        # CustomerValue is not audited: the scoring job writes it, and its history is
        # analytics' CustomerScore.
        audit.register(ContactPerson)
        # What a person's export holds and their erasure removes (privacy; README "Personal
        # data"). A customer's tax id is erased only for a person (an individual customer),
        # which is the only kind of customer erased whole.
        personal_data.register(
            "customer",
            Customer,
            customer="pk",
            erase={
                "display_name": ERASED,
                "legal_name": "",
                "tax_id": "",
                "email": "",
                "phone": "",
                "street": "",
                "postal_code": "",
                "city": "",
                "notes": "",
            },
        )
        personal_data.register(
            "contact_persons",
            ContactPerson,
            customer="customer",
            contact="pk",
            erase={
                "first_name": ERASED,
                "last_name": "",
                "title": "",
                "email": "",
                "phone": "",
                "is_active": False,
                "marketing_consent": False,
                "marketing_consent_at": None,
            },
        )
        # Consent history is kept: it proves what the person agreed to and withdrew, and holds
        # no name or address (erasure appends the withdrawals).
        personal_data.register(
            "consents",
            ConsentEvent,
            customer="contact__customer",
            contact="contact",
            order_by=("contact", "at", "pk"),
        )
        # A merge keeps each differing field's two values (names, e-mails...): erased with the
        # person, the record of the merge itself stays. A suggestion holds ids and reasons only.
        personal_data.register("merges", CustomerMerge, customer="survivor", erase={"values": {}})
        # How we value the person now (grade, LTV, reliability) is in their export, like the
        # score history (analytics); it holds no personal text and an erasure keeps it, as it
        # keeps the finances it is computed from.
        personal_data.register("value", CustomerValue, customer="customer")
        personal_data.declare_impersonal(DuplicateSuggestion)
        personal_data.declare_impersonal(ConsentState)
        personal_data.declare_impersonal(ConsentPurpose)
        audit.register(CustomerMerge)
        customer_page.register_section(
            slot="header",
            order=30,  # under the value, relationship and money headers
            template="customers/_duplicates_hint.html",
            context=customer_page.duplicates_hint,
        )


def _install_value_trigger(sender, using="default", **kwargs):
    from .value_rows import install_trigger

    install_trigger(using)
