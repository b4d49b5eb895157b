from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import roles
from customers.access import get_customer_for_user
from customers.pagination import LargeTablePaginator
from customers.roles import role_required
from customers.view_helpers import (
    apply_service_errors as _apply_errors,
)
from customers.view_helpers import (
    paginate,
    render_object_form,
)
from customers.view_helpers import (
    redirect_back as _back,
)
from relationships.access import get_invoice_for_user
from relationships.models import Invoice

from . import selectors, services
from .access import (
    can_work,
    get_approval_for_user,
    get_decision_rule_for_user,
    get_definition_for_user,
    get_instance_for_user,
    get_notification_for_user,
    get_task_for_user,
    workable_kinds,
)
from .filters import InstanceFilter, TaskFilter, TicketFilter
from .forms import (
    DecisionForm,
    DecisionRuleForm,
    DiscountForm,
    InstanceEditForm,
    InstanceForm,
    MoveForm,
    RetentionCampaignForm,
    TaskForm,
    TicketForm,
    WorkLogForm,
    WriteOffRequestForm,
)
from .models import (
    Approval,
    CollectionCase,
    DecisionRule,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    Task,
    Ticket,
)

Kind = ProcessDefinition.Kind
# Kinds opened with the general form; tickets and collection cases have their own entry points.
GENERAL_KINDS = (Kind.SALES, Kind.ONBOARDING, Kind.RETENTION, Kind.CUSTOM)
# A column shows its most recently active cards; the list view has them all.
BOARD_CARDS_PER_STAGE = 20


def _page(request, queryset):
    return paginate(request, queryset, settings.PROCESS_LIST_PAGE_SIZE)


def _form_page(request, form, *, title, submit, customer=None, cancel_url=None, status=200):
    return render_object_form(
        request,
        form,
        title=title,
        submit=submit,
        customer=customer,
        cancel_url=cancel_url,
        status=status,
    )


# --- Definitions and the board --------------------------------------------------------------


@role_required(*roles.VIEW_PROCESSES)
def process_overview(request):
    definitions = ProcessDefinition.objects.filter(active=True).annotate(
        open_count=Count("instances", filter=Q(instances__closed_at__isnull=True))
    )
    return render(request, "processes/overview.html", {"definitions": definitions})


@role_required(*roles.VIEW_PROCESSES)
def board(request, pk):
    """The kanban board: one column per working stage, the most recently active cards first."""
    definition = get_definition_for_user(request, pk)
    stages = list(definition.stages.order_by("position"))
    working = [stage for stage in stages if not stage.is_terminal]
    may_move = can_work(request.user, definition.kind)
    now = timezone.now()
    columns = []
    for stage in working:
        in_stage = (
            ProcessInstance.objects.open()
            .filter(definition=definition, stage=stage)
            .order_by("-last_activity_at", "-id")
        )
        # The cards: one small query per column (at most seven), read in the order of
        # instance_board_cards_idx; numbering all open cards of a definition sorted them all.
        shown = in_stage.select_related("customer", "owner", "stage").with_hold()
        cards = list(shown[:BOARD_CARDS_PER_STAGE])
        if len(cards) < BOARD_CARDS_PER_STAGE:
            count, count_is_capped = len(cards), False  # the whole column is on show
        else:
            # A column of a large pipeline holds tens of thousands of cards: it is counted as
            # the big lists are, up to their cap and off instance_board_cards_idx alone, and a
            # count over the cap is remembered for a while (customers.pagination).
            counted = LargeTablePaginator(in_stage, BOARD_CARDS_PER_STAGE)
            count, count_is_capped = counted.count, counted.count_is_capped
        targets = MoveForm.targets_for(cards[0], stages=stages) if cards else None
        for card in cards:
            card.late = card.stage_sla_breached(now)
            # A card held for a manager's approval cannot move: it shows why instead of the form.
            card.move_form = (
                MoveForm(instance=card, targets=targets)
                if may_move and not card.awaiting_start_approval
                else None
            )
        columns.append(
            {
                "stage": stage,
                "cards": cards,
                "count": count,
                "count_is_capped": count_is_capped,
                "amounts": [],
            }
        )
    # The amounts per currency of the columns counted in full. A column over the cap takes its
    # count and amounts from a sum over all open cards reused for up to a minute, and says when
    # it was summed: summing them on every view took longer than the rest of the page.
    if any(c["count_is_capped"] for c in columns):
        summed, summed_at = selectors.recent_open_totals(definition)
        for column in columns:
            if column["count_is_capped"]:
                found = summed.get(column["stage"].pk, {"count": 0, "amounts": []})
                column.update(found, summed_at=summed_at)
    totalled = {c["stage"].pk: c for c in columns if c["count"] and not c["count_is_capped"]}
    if totalled:
        for row in (
            ProcessInstance.objects.open()
            .filter(definition=definition, stage__in=totalled, amount__isnull=False)
            .values("stage_id", "currency")
            .annotate(amount=Sum("amount"))
            .order_by("stage_id", "currency")
        ):
            totalled[row["stage_id"]]["amounts"].append((row["currency"], row["amount"]))
    return render(
        request,
        "processes/board.html",
        {
            "definition": definition,
            "columns": columns,
            "may_move": may_move,
            "per_stage": BOARD_CARDS_PER_STAGE,
        },
    )


# --- Instances ------------------------------------------------------------------------------


@role_required(*roles.VIEW_PROCESSES)
def instance_list(request):
    instance_filter = InstanceFilter(
        request.GET, queryset=ProcessInstance.objects.for_list(), request=request
    )
    page, query = _page(request, instance_filter.qs)
    now = timezone.now()
    for instance in page:
        instance.late = instance.stage_sla_breached(now)
    return render(
        request,
        "processes/instance_list.html",
        {"filter": instance_filter, "page": page, "query": query},
    )


def _detail_page(request, instance, *, status=200, **forms):
    may_work = can_work(request.user, instance.definition.kind)
    now = timezone.now()
    approvals = list(instance.approvals.select_related("requested_by", "decided_by"))
    # Read off the approvals the page shows anyway, rather than asked of the database again.
    instance.awaiting_start_approval = instance.is_open and any(
        approval.action == Approval.Action.START and approval.is_pending for approval in approvals
    )
    context = {
        "instance": instance,
        "customer": instance.customer,
        "may_work": may_work,
        "late": instance.stage_sla_breached(now),
        "transitions": list(
            instance.transitions.select_related("from_stage", "to_stage", "by").order_by(
                "-at", "-id"
            )
        ),
        "work": list(instance.work.select_related("user")[:50]),
        "tasks": list(instance.tasks.select_related("assignee", "done_by").order_by("done_at")),
        "approvals": approvals,
        "hold": next(
            (a for a in approvals if a.action == Approval.Action.START and a.is_pending), None
        ),
        "value": selectors.cost_against_value(instance),
        "ticket": None,
        "case": None,
    }
    if instance.definition.kind == Kind.SUPPORT:
        ticket = (
            Ticket.objects.filter(pk=instance.pk)
            .select_related("contact_person", "asset", "first_response_by")
            .first()
        )
        if ticket:
            ticket.response_late = ticket.response_breached(now)
            ticket.resolution_late = ticket.resolution_breached(now)
        context["ticket"] = ticket
    if instance.definition.kind == Kind.COLLECTIONS:
        context["case"] = (
            CollectionCase.objects.filter(pk=instance.pk).select_related("invoice").first()
        )
    if may_work and instance.is_open:
        if "move_form" in forms or not instance.awaiting_start_approval:
            context["move_form"] = forms.get("move_form") or MoveForm(instance=instance)
        context["work_form"] = forms.get("work_form") or WorkLogForm()
        if instance.definition.kind == Kind.SALES:
            context["discount_form"] = forms.get("discount_form") or DiscountForm(
                initial={"percent": instance.discount_percent}
            )
        if instance.definition.kind == Kind.COLLECTIONS:
            context["write_off_form"] = forms.get("write_off_form") or WriteOffRequestForm()
    return render(request, "processes/instance_detail.html", context, status=status)


@role_required(*roles.VIEW_PROCESSES)
def instance_detail(request, pk):
    return _detail_page(request, get_instance_for_user(request, pk))


@role_required(*roles.VIEW_PROCESSES)
def instance_create(request, pk):
    customer = get_customer_for_user(request, pk)
    kinds = [kind for kind in workable_kinds(request.user) if kind in GENERAL_KINDS]
    if not kinds:
        raise PermissionDenied
    initial = {"owner": request.user, "definition": request.GET.get("definition")}
    form = InstanceForm(request.POST or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            instance = services.instance_open(
                customer=customer, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            _opened_message(request, instance, _("Process opened."))
            return redirect(instance)
    return _form_page(request, form, customer=customer, title=_("Open a process"), submit=_("Open"))


def _opened_message(request, instance, opened):
    if instance.awaiting_start_approval:
        messages.warning(
            request,
            _("%(opened)s A decision rule holds it until a manager approves the start.")
            % {"opened": opened},
        )
    else:
        messages.success(request, opened)


@role_required(*roles.VIEW_PROCESSES)
def instance_edit(request, pk):
    instance = get_instance_for_user(request, pk, write=True)
    if not instance.is_open:
        messages.info(request, _("A closed process cannot be changed."))
        return redirect(instance)
    form = InstanceEditForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.instance_update(instance=instance, data=data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Process saved."))
            return redirect(instance)
    return _form_page(
        request,
        form,
        customer=instance.customer,
        title=_("Edit %(title)s") % {"title": instance.title},
        submit=_("Save"),
        cancel_url=instance.get_absolute_url(),
    )


@require_POST
@role_required(*roles.VIEW_PROCESSES)
def instance_move(request, pk):
    instance = get_instance_for_user(request, pk, write=True)
    form = MoveForm(request.POST, instance=instance)
    if form.is_valid():
        to_stage = form.cleaned_data["stage"]
        try:
            services.instance_move(
                instance=instance,
                to_stage=to_stage,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if instance.is_open:
                messages.success(request, _("Moved to %(stage)s.") % {"stage": to_stage})
            else:
                messages.success(
                    request,
                    _("Closed: %(outcome)s.") % {"outcome": instance.get_outcome_display()},
                )
            return _back(request, instance.get_absolute_url())
    return _detail_page(request, instance, move_form=form)


@require_POST
@role_required(*roles.VIEW_PROCESSES)
def instance_log_work(request, pk):
    instance = get_instance_for_user(request, pk, write=True)
    form = WorkLogForm(request.POST)
    if form.is_valid():
        try:
            services.instance_log_work(instance=instance, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Work logged."))
            return redirect(instance)
    return _detail_page(request, instance, work_form=form)


@require_POST
@role_required(*roles.WORK_SALES)
def opportunity_discount(request, pk):
    instance = get_instance_for_user(request, pk, write=True, kinds=[Kind.SALES])
    form = DiscountForm(request.POST)
    if form.is_valid():
        try:
            approval = services.opportunity_set_discount(
                instance=instance, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if approval:
                messages.info(request, _("The discount awaits a manager's approval."))
            else:
                messages.success(request, _("Discount applied."))
            return redirect(instance)
    return _detail_page(request, instance, discount_form=form)


# --- Tickets --------------------------------------------------------------------------------


@role_required(*roles.VIEW_PROCESSES)
def ticket_list(request):
    ticket_filter = TicketFilter(
        request.GET,
        queryset=ProcessInstance.objects.for_list().filter(definition__kind=Kind.SUPPORT),
        request=request,
    )
    page, query = _page(request, ticket_filter.qs)
    now = timezone.now()
    for instance in page:
        instance.response_late = instance.ticket.response_breached(now)
        instance.resolution_late = instance.ticket.resolution_breached(now)
    return render(
        request,
        "processes/ticket_list.html",
        {"filter": ticket_filter, "page": page, "query": query},
    )


@role_required(*roles.WORK_TICKETS)
def ticket_create(request, pk):
    customer = get_customer_for_user(request, pk)
    form = TicketForm(request.POST or None, customer=customer, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            ticket = services.ticket_open(customer=customer, by=request.user, **data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            _opened_message(request, ticket.instance, _("Ticket opened."))
            return redirect(ticket.instance)
    return _form_page(
        request, form, customer=customer, title=_("New ticket"), submit=_("Open ticket")
    )


@require_POST
@role_required(*roles.WORK_TICKETS)
def ticket_respond(request, pk):
    instance = get_instance_for_user(request, pk, write=True, kinds=[Kind.SUPPORT])
    try:
        services.ticket_record_first_response(ticket=instance.ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("First response recorded."))
    return _back(request, instance.get_absolute_url())


# --- Tasks ----------------------------------------------------------------------------------


@role_required(*roles.WORK_TASKS)
def task_list(request):
    """My tasks: what I have to do, the most urgent first."""
    data = request.GET.copy()
    data.setdefault("state", "open")
    task_filter = TaskFilter(
        data,
        queryset=Task.objects.filter(assignee=request.user).select_related(
            "customer", "instance", "created_by"
        ),
        request=request,
    )
    page, query = _page(request, task_filter.qs)
    return render(
        request,
        "processes/task_list.html",
        {"filter": task_filter, "page": page, "query": query, "today": timezone.localdate()},
    )


def _task_form_view(request, *, customer, instance=None):
    form = TaskForm(
        request.POST or None,
        customer=customer,
        instance_fixed=instance,
        initial={"assignee": request.user},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if instance is not None:
            data["instance"] = instance
        try:
            services.task_create(customer=customer, by=request.user, **data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Task added."))
            return redirect(instance or customer)
    return _form_page(
        request,
        form,
        customer=customer,
        title=_("New task"),
        submit=_("Add task"),
        cancel_url=(instance or customer).get_absolute_url(),
    )


@role_required(*roles.WORK_TASKS)
def task_create(request, pk):
    return _task_form_view(request, customer=get_customer_for_user(request, pk))


@role_required(*roles.WORK_TASKS)
def instance_task_create(request, pk):
    instance = get_instance_for_user(request, pk)
    return _task_form_view(request, customer=instance.customer, instance=instance)


@require_POST
@role_required(*roles.WORK_TASKS)
def task_done(request, pk):
    task = get_task_for_user(request, pk, write=True)
    try:
        services.task_complete(task=task, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Task done."))
    return _back(request, "processes:task_list")


# --- Notifications --------------------------------------------------------------------------


@role_required(*roles.VIEW_PROCESSES)
def notification_list(request):
    queryset = Notification.objects.filter(recipient=request.user).select_related(
        "instance__customer"
    )
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    page, query = _page(request, queryset.order_by("-created_at", "-id"))
    return render(
        request,
        "processes/notification_list.html",
        {"page": page, "query": query, "unread_only": unread_only},
    )


@require_POST
@role_required(*roles.VIEW_PROCESSES)
def notification_read(request, pk):
    notification = get_notification_for_user(request, pk)
    services.notification_mark_read(user=request.user, notification=notification)
    return _back(request, "processes:notification_list")


@require_POST
@role_required(*roles.VIEW_PROCESSES)
def notification_read_all(request):
    services.notification_mark_read(user=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("processes:notification_list")


# --- Approvals ------------------------------------------------------------------------------


def _approval_page(request, *, form=None, form_pk=None, status=200):
    pending = (
        Approval.objects.filter(decision=Approval.Decision.PENDING)
        .select_related("instance__customer", "instance__definition", "requested_by")
        .order_by("requested_at", "id")[:200]
    )
    decided = (
        Approval.objects.exclude(decision=Approval.Decision.PENDING)
        .select_related("instance__customer", "requested_by", "decided_by")
        .order_by("-decided_at", "-id")[:20]
    )
    return render(
        request,
        "processes/approval_list.html",
        {"pending": pending, "decided": decided, "form": form, "form_pk": form_pk},
        status=status,
    )


@role_required(*roles.APPROVE)
def approval_list(request):
    return _approval_page(request)


def _decide(request, pk, *, approve):
    approval = get_approval_for_user(request, pk, write=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        decide = services.approval_approve if approve else services.approval_reject
        try:
            decide(approval=approval, by=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Approved.") if approve else _("Rejected."))
            return _back(request, "processes:approval_list")
    return _approval_page(request, form=form, form_pk=approval.pk)


@require_POST
@role_required(*roles.APPROVE)
def approval_approve(request, pk):
    return _decide(request, pk, approve=True)


@require_POST
@role_required(*roles.APPROVE)
def approval_reject(request, pk):
    return _decide(request, pk, approve=False)


# --- Collections ----------------------------------------------------------------------------


@role_required(*roles.WORK_COLLECTIONS)
def collection_list(request):
    collection_filter = InstanceFilter(
        request.GET,
        queryset=ProcessInstance.objects.for_list()
        .filter(definition__kind=Kind.COLLECTIONS)
        .select_related("collection__invoice"),
        request=request,
    )
    page, query = _page(request, collection_filter.qs)
    uncovered = (
        Invoice.objects.overdue()
        .filter(collection_case__isnull=True)
        .select_related("customer")
        .order_by("due_date", "id")[:20]
    )
    return render(
        request,
        "processes/collection_list.html",
        {"filter": collection_filter, "page": page, "query": query, "uncovered": uncovered},
    )


@require_POST
@role_required(*roles.WORK_COLLECTIONS)
def collection_case_open(request, pk):
    invoice = get_invoice_for_user(request, pk, allowed=roles.WORK_COLLECTIONS)
    try:
        case = services.collection_case_open(invoice=invoice, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(invoice)
    _opened_message(request, case.instance, _("Collection case opened."))
    return redirect(case.instance)


@require_POST
@role_required(*roles.WORK_COLLECTIONS)
def collection_write_off_request(request, pk):
    instance = get_instance_for_user(request, pk, write=True, kinds=[Kind.COLLECTIONS])
    form = WriteOffRequestForm(request.POST)
    if form.is_valid():
        try:
            services.collection_case_request_write_off(
                instance=instance, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.info(request, _("The write-off awaits a manager's approval."))
            return redirect(instance)
    return _detail_page(request, instance, write_off_form=form)


# --- Retention ------------------------------------------------------------------------------


@role_required(*roles.WORK_RETENTION)
def campaign_list(request):
    campaigns = (
        RetentionCampaign.objects.select_related("definition", "segment", "started_by")
        .annotate(
            n=Count("instances"),
            n_open=Count("instances", filter=Q(instances__closed_at__isnull=True)),
            n_won=Count("instances", filter=Q(instances__outcome="won")),
        )
        .order_by("-started_at", "-id")
    )
    page, query = _page(request, campaigns)
    return render(request, "processes/campaign_list.html", {"page": page, "query": query})


@role_required(*roles.WORK_RETENTION)
def campaign_create(request):
    form = RetentionCampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["ending_within_days"] = data.pop("contracts_ending_within_days")
        try:
            campaign = services.retention_campaign_start(by=request.user, **data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            counts = campaign.instances.aggregate(
                n=Count("id", distinct=True),
                held=Count(
                    "id",
                    distinct=True,
                    filter=Q(
                        approvals__action=Approval.Action.START,
                        approvals__decision=Approval.Decision.PENDING,
                    ),
                ),
            )
            text = _("Campaign started for %(n)s customers.") % counts
            if counts["held"]:
                text += " " + _("%(held)s of them wait for a manager's approval.") % counts
            if campaign.skipped_by_rules:
                text += " " + _("Decision rules skipped %(skipped)s customers.") % {
                    "skipped": campaign.skipped_by_rules
                }
            messages.success(request, text)
            return redirect("processes:campaign_list")
    return _form_page(
        request,
        form,
        title=_("New retention campaign"),
        submit=_("Start campaign"),
        cancel_url=reverse("processes:campaign_list"),
    )


# --- Decision rules -------------------------------------------------------------------------


def _rules_url(definition_id=None):
    url = reverse("processes:decision_rule_list")
    return f"{url}#definition-{definition_id}" if definition_id else url


@role_required(*roles.MANAGE_DEFINITIONS)
def decision_rule_list(request):
    """Every definition with its rules: what starting each process is subject to."""
    definitions = ProcessDefinition.objects.prefetch_related(
        Prefetch(
            "decision_rules",
            queryset=DecisionRule.objects.select_related("created_by").order_by(
                "-active", "name", "id"
            ),
        )
    ).order_by("-active", "kind", "name")
    return render(request, "processes/decision_rule_list.html", {"definitions": definitions})


@role_required(*roles.MANAGE_DEFINITIONS)
def decision_rule_create(request, pk):
    definition = get_definition_for_user(request, pk)
    form = DecisionRuleForm(request.POST or None, definition=definition)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_rule_create(
                definition=definition, data=form.cleaned_data, by=request.user
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Decision rule saved."))
            return redirect(_rules_url(definition.pk))
    return _form_page(
        request,
        form,
        title=_("New decision rule for %(process)s") % {"process": definition.name},
        submit=_("Save rule"),
        cancel_url=_rules_url(definition.pk),
    )


@role_required(*roles.MANAGE_DEFINITIONS)
def decision_rule_edit(request, pk):
    rule = get_decision_rule_for_user(request, pk)
    form = DecisionRuleForm(request.POST or None, instance=rule, definition=rule.definition)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.decision_rule_update(rule=rule, data=data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Decision rule saved."))
            return redirect(_rules_url(rule.definition_id))
    return _form_page(
        request,
        form,
        title=_("Edit rule “%(name)s” of %(process)s")
        % {"name": rule.name, "process": rule.definition.name},
        submit=_("Save rule"),
        cancel_url=_rules_url(rule.definition_id),
    )


def _set_rule_active(request, pk, *, active):
    rule = get_decision_rule_for_user(request, pk)
    services.decision_rule_set_active(rule=rule, active=active)
    messages.success(
        request,
        (_("Rule “%(name)s” is active.") if active else _("Rule “%(name)s” is switched off."))
        % {"name": rule.name},
    )
    return _back(request, _rules_url(rule.definition_id))


@require_POST
@role_required(*roles.MANAGE_DEFINITIONS)
def decision_rule_activate(request, pk):
    return _set_rule_active(request, pk, active=True)


@require_POST
@role_required(*roles.MANAGE_DEFINITIONS)
def decision_rule_deactivate(request, pk):
    return _set_rule_active(request, pk, active=False)
