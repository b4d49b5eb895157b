"""The process pages, one module per concept; every view is importable from here, so urls.py
names them `views.<name>`."""

from .approvals import (
    approval_approve,
    approval_list,
    approval_payout_approve,
    approval_payout_reject,
    approval_reject,
)
from .boards import board, board_move, process_overview
from .collections import collection_case_open, collection_list, collection_write_off_request
from .decision_rules import (
    decision_rule_activate,
    decision_rule_create,
    decision_rule_deactivate,
    decision_rule_edit,
    decision_rule_list,
)
from .definitions import (
    definition_copy,
    definition_create,
    definition_edit,
    definition_history,
    definition_list,
    definition_revision,
)
from .instances import (
    instance_bulk,
    instance_create,
    instance_detail,
    instance_edit,
    instance_list,
    instance_log_work,
    instance_move,
    opportunity_discount,
)
from .kpi_targets import kpi_target_create, kpi_target_delete, kpi_target_edit, kpi_target_list
from .notifications import notification_list, notification_read, notification_read_all
from .retention import campaign_create, campaign_list
from .tasks import instance_task_create, task_create, task_done, task_list
from .tickets import ticket_create, ticket_list, ticket_respond

__all__ = [
    "approval_approve",
    "approval_list",
    "approval_payout_approve",
    "approval_payout_reject",
    "approval_reject",
    "board",
    "board_move",
    "campaign_create",
    "campaign_list",
    "collection_case_open",
    "collection_list",
    "collection_write_off_request",
    "decision_rule_activate",
    "decision_rule_create",
    "decision_rule_deactivate",
    "decision_rule_edit",
    "decision_rule_list",
    "definition_copy",
    "definition_create",
    "definition_edit",
    "definition_history",
    "definition_list",
    "definition_revision",
    "instance_bulk",
    "instance_create",
    "instance_detail",
    "instance_edit",
    "instance_list",
    "instance_log_work",
    "instance_move",
    "instance_task_create",
    "kpi_target_create",
    "kpi_target_delete",
    "kpi_target_edit",
    "kpi_target_list",
    "notification_list",
    "notification_read",
    "notification_read_all",
    "opportunity_discount",
    "process_overview",
    "task_create",
    "task_done",
    "task_list",
    "ticket_create",
    "ticket_list",
    "ticket_respond",
]
