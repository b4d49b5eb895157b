"""Process instances: the list, the page, opening, editing, moving, logging work and the
discount of a sales opportunity."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from core import exports, lists
from core.forms import share_choices
from core.permissions import permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_action, run_service
from customers.access import customer_editable, get_customer_for_user

from .. import selectors, services
from ..access import get_instance_for_user, mark_completable, may_work_on, workable_kinds
from ..forms import (
    DiscountForm,
    InstanceBulkForm,
    InstanceEditForm,
    InstanceForm,
    MoveForm,
    WorkLogForm,
    WriteOffRequestForm,
)
from ..models import Approval, CollectionCase, ProcessInstance, Ticket
from ..permissions import VIEW_PROCESSES, WORK_SALES
from .helpers import Kind, _form_page, _page

# Kinds opened with the general form; tickets and collection cases have their own entry points.
GENERAL_KINDS = (Kind.SALES, Kind.ONBOARDING, Kind.RETENTION, Kind.CUSTOM)


@permission_required(VIEW_PROCESSES)
def instance_list(request):
    rows = lists.get("processes").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="processes", rows=rows)
    instance_filter = rows.filterset
    page, query = _page(request, instance_filter.qs)
    now = timezone.now()
    for instance in page:
        instance.late = instance.stage_sla_breached(now)
    context = {"filter": instance_filter, "page": page, "query": query}
    if workable_kinds(request.user):
        context["bulk_form"] = bulk_form = InstanceBulkForm()
        share_choices("owner", instance_filter.form, bulk_form)
    return render(request, "processes/instance_list.html", context)


@require_POST
@permission_required(VIEW_PROCESSES)
def instance_bulk(request):
    """One bulk action on the processes ticked in the list: all of them, or none."""
    form = InstanceBulkForm(request.POST)
    back = _back(request, "processes:instance_list")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    data = form.cleaned_data
    if not data["ids"]:
        messages.warning(request, lists.NOTHING_SELECTED)
        return back
    try:
        instances = lists.selected(ProcessInstance.objects.visible_to(request.user), data["ids"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back
    count = len(data["ids"])
    if data["action"] == InstanceBulkForm.ASSIGN:
        if run_action(
            request,
            services.instance_bulk_assign,
            instances=instances,
            owner=data["owner"],
            by=request.user,
        ):
            messages.success(
                request,
                ngettext(
                    "%(count)s process now belongs to %(owner)s.",
                    "%(count)s processes now belong to %(owner)s.",
                    count,
                )
                % {"count": count, "owner": data["owner"].get_username()},
            )
    elif call := run_action(
        request, services.instance_bulk_close_tasks, instances=instances, by=request.user
    ):
        messages.success(
            request,
            ngettext("%(count)s open task closed.", "%(count)s open tasks closed.", call.result)
            % {"count": call.result},
        )
    return back


def _detail_page(request, instance, *, status=200, **forms):
    may_work = may_work_on(request.user, instance)
    now = timezone.now()
    approvals = list(instance.approvals.select_related("requested_by", "decided_by"))
    for approval in approvals:
        # Asked as the service asks it: one's own request is not one's to decide.
        approval.own_request = approval.is_requested_by(request.user)
    # Read off the approvals the page shows anyway, rather than asked of the database again.
    instance.awaiting_start_approval = instance.is_open and any(
        approval.action == Approval.Action.START and approval.is_pending for approval in approvals
    )
    context = {
        "instance": instance,
        "customer": instance.customer,
        "may_work": may_work,
        # Adding a task to the process is the customer's owner side's (instance_task_create).
        "customer_editable": customer_editable(request.user, instance.customer),
        "late": instance.stage_sla_breached(now),
        "transitions": list(
            instance.transitions.select_related("from_stage", "to_stage", "by").order_by(
                "-at", "-id"
            )
        ),
        "work": list(instance.work.select_related("user")[:50]),
        "tasks": mark_completable(
            request.user,
            instance.tasks.select_related("assignee", "done_by").order_by("done_at"),
            customer_owner_id=instance.customer.owner_id,
        ),
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


@permission_required(VIEW_PROCESSES)
def instance_detail(request, pk):
    return _detail_page(request, get_instance_for_user(request, pk))


@permission_required(VIEW_PROCESSES)
def instance_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=VIEW_PROCESSES)
    kinds = [kind for kind in workable_kinds(request.user) if kind in GENERAL_KINDS]
    if not kinds:
        raise PermissionDenied
    initial = {"owner": request.user, "definition": request.GET.get("definition")}
    form = InstanceForm(request.POST or None, kinds=kinds, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(
                form,
                services.instance_open,
                customer=customer,
                by=request.user,
                **form.cleaned_data,
            )
        )
    ):
        instance = call.result
        _opened_message(request, instance, _("Process opened."))
        return redirect(instance)
    return _form_page(
        request,
        form,
        customer=customer,
        title=_("Open a process"),
        submit=pgettext("button", "Open"),
    )


def _opened_message(request, instance, opened):
    if instance.awaiting_start_approval:
        messages.warning(
            request,
            _("%(opened)s A decision rule holds it until a manager approves the start.")
            % {"opened": opened},
        )
    else:
        messages.success(request, opened)


@permission_required(VIEW_PROCESSES)
def instance_edit(request, pk):
    instance = get_instance_for_user(request, pk, write=True)
    if not instance.is_open:
        messages.info(request, _("A closed process cannot be changed."))
        return redirect(instance)
    form = InstanceEditForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if run_service(form, services.instance_update, instance=instance, data=data):
            messages.success(request, _("Process saved."))
            return redirect(instance)
    return _form_page(
        request,
        form,
        customer=instance.customer,
        title=_("Edit %(title)s") % {"title": instance.display_title},
        submit=_("Save"),
        cancel_url=instance.get_absolute_url(),
    )


@require_POST
@permission_required(VIEW_PROCESSES)
def instance_move(request, pk):
    instance = get_instance_for_user(request, pk, write=True)
    form = MoveForm(request.POST, instance=instance)
    if form.is_valid():
        to_stage = form.cleaned_data["stage"]
        if run_service(
            form,
            services.instance_move,
            instance=instance,
            to_stage=to_stage,
            by=request.user,
            reason=form.cleaned_data["reason"],
        ):
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
@permission_required(VIEW_PROCESSES)
def instance_log_work(request, pk):
    instance = get_instance_for_user(request, pk, write=True)
    form = WorkLogForm(request.POST)
    if form.is_valid() and run_service(
        form,
        services.instance_log_work,
        instance=instance,
        user=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, _("Work logged."))
        return redirect(instance)
    return _detail_page(request, instance, work_form=form)


@require_POST
@permission_required(WORK_SALES)
def opportunity_discount(request, pk):
    instance = get_instance_for_user(request, pk, write=True, kinds=[Kind.SALES])
    form = DiscountForm(request.POST)
    if form.is_valid() and (
        call := run_service(
            form,
            services.opportunity_set_discount,
            instance=instance,
            by=request.user,
            **form.cleaned_data,
        )
    ):
        approval = call.result
        if approval:
            messages.info(request, _("The discount awaits a manager's approval."))
        else:
            messages.success(request, _("Discount applied."))
        return redirect(instance)
    return _detail_page(request, instance, discount_form=form)
