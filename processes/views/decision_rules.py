"""Decision rules: the managers' rules for starting each process, and their upkeep."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_service

from .. import services
from ..access import get_decision_rule_for_user, get_definition_for_user
from ..forms import DecisionRuleForm
from ..models import DecisionRule, ProcessDefinition
from ..permissions import MANAGE_DEFINITIONS
from ..selectors import decision_rule_preview


def _rules_url(definition_id=None):
    url = reverse("processes:decision_rule_list")
    return f"{url}#definition-{definition_id}" if definition_id else url


@permission_required(MANAGE_DEFINITIONS)
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


def _rule_form_page(request, form, *, definition, title, submit, cancel_url):
    """The rule's form; "Preview" counts the customers the rule as typed admits today,
    saving nothing."""
    preview = None
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        form.instance.definition = definition
        preview = decision_rule_preview(form.instance)
    return render(
        request,
        "processes/decision_rule_form.html",
        {
            "form": form,
            "title": title,
            "submit": submit,
            "cancel_url": cancel_url,
            "preview": preview,
        },
    )


@permission_required(MANAGE_DEFINITIONS)
def decision_rule_create(request, pk):
    definition = get_definition_for_user(request, pk)
    form = DecisionRuleForm(request.POST or None, definition=definition)
    if (
        request.method == "POST"
        and "preview" not in request.POST
        and form.is_valid()
        and run_service(
            form,
            services.decision_rule_create,
            definition=definition,
            data=form.cleaned_data,
            by=request.user,
        )
    ):
        messages.success(request, _("Decision rule saved."))
        return redirect(_rules_url(definition.pk))
    return _rule_form_page(
        request,
        form,
        definition=definition,
        title=_("New decision rule for %(process)s") % {"process": definition.name},
        submit=_("Save rule"),
        cancel_url=_rules_url(definition.pk),
    )


@permission_required(MANAGE_DEFINITIONS)
def decision_rule_edit(request, pk):
    rule = get_decision_rule_for_user(request, pk)
    form = DecisionRuleForm(request.POST or None, instance=rule, definition=rule.definition)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if run_service(form, services.decision_rule_update, rule=rule, data=data):
            messages.success(request, _("Decision rule saved."))
            return redirect(_rules_url(rule.definition_id))
    return _rule_form_page(
        request,
        form,
        definition=rule.definition,
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
@permission_required(MANAGE_DEFINITIONS)
def decision_rule_activate(request, pk):
    return _set_rule_active(request, pk, active=True)


@require_POST
@permission_required(MANAGE_DEFINITIONS)
def decision_rule_deactivate(request, pk):
    return _set_rule_active(request, pk, active=False)
