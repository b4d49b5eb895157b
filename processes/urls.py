from django.urls import path

from . import views

app_name = "processes"

urlpatterns = [
    path("processes/", views.process_overview, name="overview"),
    path("processes/<int:pk>/board/", views.board, name="board"),
    path("processes/instances/", views.instance_list, name="instance_list"),
    path("processes/instances/bulk/", views.instance_bulk, name="instance_bulk"),
    path("processes/instances/<int:pk>/", views.instance_detail, name="instance_detail"),
    path("processes/instances/<int:pk>/edit/", views.instance_edit, name="instance_edit"),
    path("processes/instances/<int:pk>/move/", views.instance_move, name="instance_move"),
    path("processes/instances/<int:pk>/board-move/", views.board_move, name="board_move"),
    path("processes/instances/<int:pk>/work/", views.instance_log_work, name="instance_log_work"),
    path(
        "processes/instances/<int:pk>/discount/",
        views.opportunity_discount,
        name="opportunity_discount",
    ),
    path(
        "processes/instances/<int:pk>/tasks/new/",
        views.instance_task_create,
        name="instance_task_create",
    ),
    path("customers/<int:pk>/processes/new/", views.instance_create, name="instance_create"),
    # Tickets
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("customers/<int:pk>/tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/respond/", views.ticket_respond, name="ticket_respond"),
    # Tasks and notifications
    path("tasks/", views.task_list, name="task_list"),
    path("customers/<int:pk>/tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    # Approvals
    path("approvals/", views.approval_list, name="approval_list"),
    path("approvals/<int:pk>/approve/", views.approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/reject/", views.approval_reject, name="approval_reject"),
    path(
        "approvals/payouts/<int:pk>/approve/",
        views.approval_payout_approve,
        name="approval_payout_approve",
    ),
    path(
        "approvals/payouts/<int:pk>/reject/",
        views.approval_payout_reject,
        name="approval_payout_reject",
    ),
    # Collections
    path("collections/", views.collection_list, name="collection_list"),
    path("invoices/<int:pk>/collection/", views.collection_case_open, name="collection_case_open"),
    path(
        "processes/instances/<int:pk>/write-off/",
        views.collection_write_off_request,
        name="collection_write_off_request",
    ),
    # Decision rules
    path("processes/targets/", views.kpi_target_list, name="kpi_target_list"),
    path("processes/<int:pk>/targets/new/", views.kpi_target_create, name="kpi_target_create"),
    path("processes/targets/<int:pk>/edit/", views.kpi_target_edit, name="kpi_target_edit"),
    path("processes/targets/<int:pk>/delete/", views.kpi_target_delete, name="kpi_target_delete"),
    path("processes/rules/", views.decision_rule_list, name="decision_rule_list"),
    path("processes/<int:pk>/rules/new/", views.decision_rule_create, name="decision_rule_create"),
    path("processes/rules/<int:pk>/edit/", views.decision_rule_edit, name="decision_rule_edit"),
    path(
        "processes/rules/<int:pk>/activate/",
        views.decision_rule_activate,
        name="decision_rule_activate",
    ),
    path(
        "processes/rules/<int:pk>/deactivate/",
        views.decision_rule_deactivate,
        name="decision_rule_deactivate",
    ),
    # Process definitions
    path("processes/definitions/", views.definition_list, name="definition_list"),
    path("processes/definitions/new/", views.definition_create, name="definition_create"),
    path("processes/<int:pk>/definition/", views.definition_edit, name="definition_edit"),
    path("processes/<int:pk>/definition/copy/", views.definition_copy, name="definition_copy"),
    path(
        "processes/<int:pk>/definition/history/",
        views.definition_history,
        name="definition_history",
    ),
    path(
        "processes/definitions/revisions/<int:pk>/",
        views.definition_revision,
        name="definition_revision",
    ),
    # Retention
    path("processes/campaigns/", views.campaign_list, name="campaign_list"),
    path("processes/campaigns/new/", views.campaign_create, name="campaign_create"),
]
