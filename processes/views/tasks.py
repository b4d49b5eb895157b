"""Tasks: my tasks, adding one to a customer or a process, and ticking one off."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import exports, lists
from core.permissions import permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_action, run_service
from customers.access import get_customer_for_user, require_customer_editable

from .. import services
from ..access import get_instance_for_user, get_task_for_user
from ..forms import TaskForm
from ..permissions import WORK_TASKS
from .helpers import _form_page, _page


@permission_required(WORK_TASKS)
def task_list(request):
    """My tasks: what I have to do, the most urgent first."""
    rows = lists.get("tasks").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="tasks", rows=rows)
    task_filter = rows.filterset
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
        if run_service(form, services.task_create, customer=customer, by=request.user, **data):
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


@permission_required(WORK_TASKS)
def task_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=WORK_TASKS)
    return _task_form_view(request, customer=customer)


@permission_required(WORK_TASKS)
def instance_task_create(request, pk):
    instance = get_instance_for_user(request, pk)
    require_customer_editable(request, instance.customer)
    return _task_form_view(request, customer=instance.customer, instance=instance)


@require_POST
@permission_required(WORK_TASKS)
def task_done(request, pk):
    task = get_task_for_user(request, pk, write=True)
    if run_action(request, services.task_complete, task=task, by=request.user):
        messages.success(request, _("Task done."))
    return _back(request, "processes:task_list")
