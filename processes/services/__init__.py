"""Writes that span the process models: opening and moving instances (under the definitions'
decision rules), cost accrual, tickets, tasks, the SLA and stall watch, approvals, collections
and retention campaigns.

One module per concept; every service is callable from here (`services.ticket_open(...)`)."""

from .approvals import (
    approval_approve,
    approval_reject,
    collection_case_request_write_off,
    opportunity_set_discount,
)
from .bulk import instance_bulk_assign, instance_bulk_close_tasks
from .collection_emails import COLLECTION_EMAIL_STAGES, billing_contact_email
from .collections import (
    collection_case_open,
    collection_cases_open_overdue,
    collection_cases_settle_paid,
)
from .decision_rules import (
    DecisionRuleRefusal,
    decision_rule_create,
    decision_rule_set_active,
    decision_rule_update,
    decision_rules_check,
)
from .definitions import (
    StageRow,
    definition_copy,
    definition_create,
    definition_record_revision,
    definition_update,
    describe_changes,
)
from .instances import (
    CENT,
    instance_log_work,
    instance_move,
    instance_open,
    instance_update,
    move_error,
    moved_meanwhile,
)
from .kpi_targets import kpi_target_create, kpi_target_delete, kpi_target_update
from .notifications import ALERT_KINDS, managers, notification_mark_read, notification_send
from .retention import retention_campaign_start, retention_candidates
from .tasks import task_complete, task_create
from .tickets import (
    sla_deadlines,
    ticket_open,
    ticket_record_first_response,
    ticket_store_sla_due,
)
from .watch import processes_watch

__all__ = [
    "ALERT_KINDS",
    "CENT",
    "COLLECTION_EMAIL_STAGES",
    "DecisionRuleRefusal",
    "StageRow",
    "approval_approve",
    "approval_reject",
    "billing_contact_email",
    "collection_case_open",
    "collection_case_request_write_off",
    "collection_cases_open_overdue",
    "collection_cases_settle_paid",
    "decision_rule_create",
    "decision_rule_set_active",
    "decision_rule_update",
    "decision_rules_check",
    "definition_copy",
    "definition_create",
    "definition_record_revision",
    "definition_update",
    "describe_changes",
    "instance_bulk_assign",
    "instance_bulk_close_tasks",
    "instance_log_work",
    "instance_move",
    "instance_open",
    "instance_update",
    "kpi_target_create",
    "kpi_target_delete",
    "kpi_target_update",
    "managers",
    "move_error",
    "moved_meanwhile",
    "notification_mark_read",
    "notification_send",
    "opportunity_set_discount",
    "processes_watch",
    "retention_campaign_start",
    "retention_candidates",
    "sla_deadlines",
    "task_complete",
    "task_create",
    "ticket_open",
    "ticket_record_first_response",
    "ticket_store_sla_due",
]
