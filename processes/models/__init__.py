"""One engine for every process kind: definitions with ordered stages, instances that move through
them with every move logged, the work and cost that goes into them, and what keeps them moving
(tasks, notifications, approvals).

One module per concept; every model is importable from here (`from processes.models import
Ticket`)."""

from .approvals import Approval
from .collections import CollectionCase
from .decision_rules import DecisionRule
from .definitions import (
    MAX_STAGES,
    KpiTarget,
    ProcessDefinition,
    ProcessDefinitionRevision,
    Stage,
    stage_deadline,
)
from .instances import ProcessInstance, ProcessInstanceQuerySet, StageTransition, WorkLog
from .notifications import Notification
from .retention import RetentionCampaign
from .tasks import Task, TaskQuerySet
from .tickets import SlaPolicy, Ticket

__all__ = [
    "MAX_STAGES",
    "Approval",
    "CollectionCase",
    "DecisionRule",
    "KpiTarget",
    "Notification",
    "ProcessDefinition",
    "ProcessDefinitionRevision",
    "ProcessInstance",
    "ProcessInstanceQuerySet",
    "RetentionCampaign",
    "SlaPolicy",
    "Stage",
    "StageTransition",
    "Task",
    "TaskQuerySet",
    "Ticket",
    "WorkLog",
    "stage_deadline",
]
