from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Processes")

    def ready(self):
        from . import search

        search.register()  # what the navigation bar's box finds (core.search)
        from core import lists

        from . import exports
        from .permissions import VIEW_PROCESSES, WORK_COLLECTIONS, WORK_TASKS

        for key, url_name, label, permission, build in (
            ("processes", "instance_list", _("Processes"), VIEW_PROCESSES, exports.instance_rows),
            ("tickets", "ticket_list", _("Tickets"), VIEW_PROCESSES, exports.ticket_rows),
            ("tasks", "task_list", _("My tasks"), WORK_TASKS, exports.task_rows),
            (
                "collections",
                "collection_list",
                _("Collections"),
                WORK_COLLECTIONS,
                exports.collection_rows,
            ),
        ):
            lists.register(
                key,
                url_name=f"processes:{url_name}",
                label=label,
                permission=permission,
                build=build,
            )

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

        # last_activity_at moves with every comment, task and e-mail; accrued_cost,
        # stage_due_at and sla_due_at are computed from the work logged, the stage entered and
        # the ticket's deadlines (audited on the ticket).
        audit.register(
            ProcessInstance,
            exclude=["last_activity_at", "accrued_cost", "stage_due_at", "sla_due_at"],
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
            erase={"title": ERASED, "title_kind": "", "title_params": {}, "outcome_reason": ""},
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
        from core import export_jobs

        from .services.notifications import export_finished

        export_jobs.on_finished(export_finished)  # the bell tells of a finished export
        from customers.merging import register_merge_hook

        from . import merging

        register_merge_hook(merging.hook)
        from core import events

        from .services.collections import collection_cases_on_event

        # A payment or write-off that settles an invoice closes its collection case at once.
        events.receiver(collection_cases_on_event)
