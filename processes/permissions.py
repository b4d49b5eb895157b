"""What can be done with processes: the sales pipeline, onboarding, tickets, collections,
retention, tasks and approvals (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES, FINANCE, MANAGER, SALES, SERVICE, declare

VIEW_PROCESSES = declare("processes.view_processes", _("See processes"), roles=ALL_ROLES)
# Working a process (moving it, logging work, editing it) is for the roles of its kind.
WORK_SALES = declare("processes.work_sales", _("Work sales deals"), roles=(SALES, MANAGER))
WORK_ONBOARDING = declare(
    "processes.work_onboarding", _("Work onboarding"), roles=(SALES, SERVICE, MANAGER)
)
WORK_TICKETS = declare("processes.work_tickets", _("Work tickets"), roles=(SERVICE, MANAGER))
WORK_COLLECTIONS = declare(
    "processes.work_collections", _("Work collection cases"), roles=(FINANCE, MANAGER)
)
WORK_RETENTION = declare(
    "processes.work_retention", _("Work retention campaigns"), roles=(SALES, MANAGER)
)
WORK_CUSTOM_PROCESSES = declare(
    "processes.work_custom_processes", _("Work custom processes"), roles=ALL_ROLES
)
WORK_TASKS = declare("processes.work_tasks", _("Create and complete tasks"), roles=ALL_ROLES)
APPROVE = declare("processes.approve", _("Decide approvals"), roles=(MANAGER,))
MANAGE_DEFINITIONS = declare(
    "processes.manage_definitions",
    _("Manage process definitions and decision rules"),
    roles=(MANAGER,),
)
