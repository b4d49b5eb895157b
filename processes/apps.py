from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Processes")

    def ready(self):
        from . import search

        search.register()  # what the navigation bar's box finds (core.search)
        from core import lists

        lists.register("processes", url_name="processes:instance_list", label=_("Processes"))
        lists.register("tickets", url_name="processes:ticket_list", label=_("Tickets"))
        lists.register("tasks", url_name="processes:task_list", label=_("My tasks"))
        lists.register("collections", url_name="processes:collection_list", label=_("Collections"))

        from core import audit, personal_data
        from core.personal_data import ERASED

        from . import customer_page  # noqa: F401  (registers the section and the timeline)
        from .models import (
            Approval,
            DecisionRule,
            KpiTarget,
            ProcessDefinition,
            ProcessInstance,
            SlaPolicy,
            Stage,
            Task,
            Ticket,
        )

        # last_activity_at moves with every comment, task and e-mail; accrued_cost and
        # stage_due_at are computed from the work logged and the stage entered.
        audit.register(
            ProcessInstance, exclude=["last_activity_at", "accrued_cost", "stage_due_at"]
        )
        audit.register(Approval, select_related=["instance"])
        audit.register(DecisionRule, exclude=["updated_at"])
        audit.register(KpiTarget, select_related=["definition"])
        # Definitions, their stages and SLAs: the editor also keeps numbered revisions with
        # snapshots (ProcessDefinitionRevision); the audit records each row written, whoever
        # wrote it (the admin included). `version` moves with every revision.
        audit.register(ProcessDefinition, exclude=["version"])
        audit.register(Stage)
        audit.register(SlaPolicy, select_related=["definition"])

        # What a person's export holds and their erasure removes (privacy; README "Personal
        # data"): processes keep their amounts and stages; their titles (which often name the
        # person: "Broken printer of Jan Nowak") and free text go.
        personal_data.register(
            "processes",
            ProcessInstance,
            customer="customer",
            erase={"title": ERASED, "outcome_reason": ""},
        )
        personal_data.register(
            "tickets",
            Ticket,
            customer="instance__customer",
            contact="contact_person",
            erase={"description": ""},
        )
        personal_data.register(
            "tasks", Task, customer="customer", erase={"title": ERASED, "notes": ""}
        )
        from customers.merging import register_merge_hook

        from . import merging

        register_merge_hook(merging.hook)
