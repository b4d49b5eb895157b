"""Process definitions edited by managers in the app: the variants of each kind side by side,
the editor (fields, stages, SLAs) and each definition's history of revisions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.permissions import permission_required
from core.views.helpers import apply_service_errors, run_service

from .. import services
from ..forms import (
    DefinitionCopyForm,
    DefinitionForm,
    SlaFormSet,
    sla_initial,
    stage_formset_class,
)
from ..models import MAX_STAGES, ProcessDefinition, ProcessDefinitionRevision, SlaPolicy, Stage
from ..permissions import MANAGE_DEFINITIONS
from ..services.definitions import shown_value

Kind = ProcessDefinition.Kind
STAGE_PREFIX, SLA_PREFIX = "stages", "slas"


def _get_definition(pk):
    return get_object_or_404(ProcessDefinition, pk=pk)


@permission_required(MANAGE_DEFINITIONS)
def definition_list(request):
    """Every definition, grouped by kind so that variants stand side by side, with its open
    instances and stages counted in the same query."""
    definitions = ProcessDefinition.objects.annotate(
        open_count=Count("instances", filter=Q(instances__closed_at__isnull=True), distinct=True),
        stage_count=Count("stages", distinct=True),
    ).order_by("kind", "-active", "name")
    return render(request, "processes/definition_list.html", {"definitions": definitions})


def _stage_formset(request, definition):
    """The stage table: the stages as saved, plus the empty rows asked for with "Add a stage"
    (which posts the table as typed, saving nothing, and shows it with one more row)."""
    existing = definition.stages.count()
    data = request.POST or None
    if data is not None and "add_stage" in data:
        data = data.copy()
        total = data.get(f"{STAGE_PREFIX}-TOTAL_FORMS", "")
        total = int(total) if total.isdigit() else existing
        data[f"{STAGE_PREFIX}-TOTAL_FORMS"] = str(min(max(total, existing) + 1, MAX_STAGES))
    formset_class = stage_formset_class(extra=0)
    return formset_class(
        data,
        instance=definition,
        prefix=STAGE_PREFIX,
        queryset=definition.stages.order_by("position"),
    )


def _apply_errors(error: ValidationError, form, stage_formset, sla_formset):
    """A service's errors where they belong: stage and SLA refusals at the top of their tables,
    the rest beside the definition's fields (or above them)."""
    if hasattr(error, "error_dict"):
        rest = {}
        for key, errors in error.error_dict.items():
            if key == "stages":
                stage_formset.non_form_errors().extend(e for err in errors for e in err.messages)
            elif key == "slas" and sla_formset is not None:
                sla_formset.non_form_errors().extend(e for err in errors for e in err.messages)
            else:
                rest[key] = errors
        if rest:
            apply_service_errors(form, ValidationError(rest))
    else:
        apply_service_errors(form, error)


def _editor(request, definition, *, title, save):
    """The editor page of an existing definition; `save(form, stages, slas)` calls the service
    and answers the saved definition, or raises ValidationError."""
    form = DefinitionForm(request.POST or None, instance=definition)
    stage_formset = _stage_formset(request, definition)
    sla_formset = (
        SlaFormSet(request.POST or None, prefix=SLA_PREFIX, initial=sla_initial(definition))
        if definition.kind == Kind.SUPPORT
        else None
    )
    if request.method == "POST" and "add_stage" not in request.POST:
        valid = all(
            [
                form.is_valid(),
                stage_formset.is_valid(),
                sla_formset is None or sla_formset.is_valid(),
            ]
        )
        saved = None
        if valid:
            try:
                saved = save(form, stage_formset, sla_formset)
            except ValidationError as error:
                _apply_errors(error, form, stage_formset, sla_formset)
        if saved is None and _tables_have_errors(stage_formset, sla_formset):
            # The page is long: say at its top that the tables below hold the errors.
            form.add_error(None, _("Nothing was saved: see the errors in the tables below."))
        if saved is not None:
            messages.success(
                request,
                _("“%(name)s” saved as version %(version)s.")
                % {"name": saved.name, "version": saved.version},
            )
            return redirect("processes:definition_edit", saved.pk)
    return render(
        request,
        "processes/definition_form.html",
        {
            "title": title,
            "definition": definition,
            "form": form,
            "stage_formset": stage_formset,
            "sla_formset": sla_formset,
            "open_count": definition.instances.open().count(),
            "show_probability": definition.kind == Kind.SALES,
            "max_stages": MAX_STAGES,
            "may_add_stage": stage_formset.total_form_count() < MAX_STAGES,
        },
    )


def _tables_have_errors(stage_formset, sla_formset):
    return any(
        formset is not None
        and (formset.non_form_errors() or any(form.errors for form in formset.forms))
        for formset in (stage_formset, sla_formset)
    )


def _slas(sla_formset):
    return sla_formset.slas() if sla_formset is not None else {}


def _data(form):
    return {
        name: value
        for name, value in form.cleaned_data.items()
        if name not in ("version", "comment")
    }


@permission_required(MANAGE_DEFINITIONS)
def definition_create(request):
    """A new definition: its fields here; it starts with a working stage and the outcomes its
    kind needs, adjusted in the editor it opens in."""
    form = DefinitionForm(request.POST or None, instance=ProcessDefinition())
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(
                form,
                services.definition_create,
                data=_data(form),
                by=request.user,
                comment=form.cleaned_data["comment"],
            )
        )
    ):
        messages.success(
            request,
            _("“%(name)s” created: add and adjust its stages here.") % {"name": call.result.name},
        )
        return redirect("processes:definition_edit", call.result.pk)
    return render(request, "processes/definition_create.html", {"form": form})


@permission_required(MANAGE_DEFINITIONS)
def definition_edit(request, pk):
    definition = _get_definition(pk)

    def save(form, stage_formset, sla_formset):
        return services.definition_update(
            definition=definition,
            version=form.cleaned_data["version"],
            data=_data(form),
            stages=stage_formset.rows(),
            slas=_slas(sla_formset),
            by=request.user,
            comment=form.cleaned_data["comment"],
        )

    return _editor(
        request,
        definition,
        title=_("Edit “%(name)s”") % {"name": definition.name},
        save=save,
    )


@permission_required(MANAGE_DEFINITIONS)
def definition_copy(request, pk):
    """A new variant: the definition's fields, stages and SLAs under a new name."""
    source = _get_definition(pk)
    form = DefinitionCopyForm(
        request.POST or None,
        initial={"name": _("%(name)s (copy)") % {"name": source.name}},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(
                form,
                services.definition_copy,
                definition=source,
                name=form.cleaned_data["name"],
                by=request.user,
            )
        )
    ):
        messages.success(
            request,
            _("“%(name)s” created as a copy of “%(source)s”: adjust it here.")
            % {"name": call.result.name, "source": source.name},
        )
        return redirect("processes:definition_edit", call.result.pk)
    return render(
        request,
        "processes/definition_copy.html",
        {"form": form, "source": source},
    )


@permission_required(MANAGE_DEFINITIONS)
def definition_history(request, pk):
    """The revisions, newest first, each with what changed since the one before it."""
    definition = _get_definition(pk)
    revisions = list(definition.revisions.select_related("created_by").order_by("number"))
    previous = None
    for revision in revisions:
        revision.changes = services.describe_changes(
            previous.snapshot if previous else None, revision.snapshot
        )
        previous = revision
    revisions.reverse()
    return render(
        request,
        "processes/definition_history.html",
        {"definition": definition, "revisions": revisions},
    )


@permission_required(MANAGE_DEFINITIONS)
def definition_revision(request, pk):
    """One revision as it was saved: the fields, stages and SLAs of that version."""
    revision = get_object_or_404(
        ProcessDefinitionRevision.objects.select_related("definition", "created_by"), pk=pk
    )
    snapshot = revision.snapshot
    fields = [
        (
            str(ProcessDefinition._meta.get_field(name).verbose_name),
            shown_value(ProcessDefinition, name, value),
        )
        for name, value in snapshot.get("fields", {}).items()
    ]
    stages = [
        {**row, "outcome_label": shown_value(Stage, "outcome", row.get("outcome"))}
        for row in snapshot.get("stages", [])
    ]
    slas = [
        (label, snapshot.get("slas", {}).get(priority))
        for priority, label in SlaPolicy.Priority.choices
    ]
    return render(
        request,
        "processes/definition_revision.html",
        {
            "revision": revision,
            "definition": revision.definition,
            "fields": fields,
            "stages": stages,
            "slas": slas,
            "history_url": reverse("processes:definition_history", args=[revision.definition_id]),
        },
    )
