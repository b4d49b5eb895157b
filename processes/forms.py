from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _

from core import bounds, lists
from core.concurrent_edits import ConcurrentEditMixin
from core.forms import DateField, DateInput, DecimalNumberField
from core.users import staff_users
from customers.models import Customer
from relationships.models import Asset

from .models import (
    MAX_STAGES,
    DecisionRule,
    KpiTarget,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    SlaPolicy,
    Stage,
    Task,
)
from .services.definitions import StageRow

Kind = ProcessDefinition.Kind
DATE = DateInput()
CAMPAIGN_WINDOW_MAX_DAYS = 3650


def definitions_for(kinds):
    return ProcessDefinition.objects.filter(active=True, kind__in=list(kinds)).order_by(
        "kind", "name"
    )


class InstanceForm(forms.ModelForm):
    """Open a process for a customer (sales opportunity, onboarding, retention, custom)."""

    class Meta:
        model = ProcessInstance
        fields = ["definition", "title", "owner", "amount", "currency", "expected_close_on"]
        widgets = {"expected_close_on": DATE}
        field_classes = {"expected_close_on": DateField}

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].queryset = definitions_for(kinds)
        self.fields["definition"].label = _("Process")
        self.fields["owner"].queryset = staff_users()
        self.fields["currency"].required = False

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("amount") is not None and not cleaned.get("currency"):
            definition = cleaned.get("definition")
            if definition is not None:
                cleaned["currency"] = definition.currency
        return cleaned


class InstanceEditForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = ProcessInstance
        fields = ["title", "owner", "amount", "currency", "expected_close_on"]
        widgets = {"expected_close_on": DATE}
        field_classes = {"expected_close_on": DateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["currency"].required = False
        if self.instance.title_kind:
            # A title the CRM wrote is edited as this reader reads it; left alone, it stays
            # the CRM's (not a changed field), and keeps being written in each reader's language.
            self.initial["title"] = self.instance.display_title

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()


class MoveForm(forms.Form):
    """Move a card: the stage to go to, and a reason when that stage ends the process."""

    stage = forms.ModelChoiceField(label=_("Move to"), queryset=Stage.objects.none())
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Required when the process ends (won, lost, resolved, cancelled)."),
    )

    def __init__(self, *args, instance, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        queryset, choices = targets or self.targets_for(instance)
        self.fields["stage"].queryset = queryset
        if choices is not None:
            self.fields["stage"].choices = choices
        self.auto_id = f"id_move{instance.pk}_%s"

    @staticmethod
    def targets_for(instance, *, stages=None):
        """The stages the instance may move to, as (queryset, choices) for the stage field.

        Given the definition's stages, the choices come from them without a query. The board
        builds this once per column and hands it to each card's form, rather than building a
        queryset per card.
        """
        queryset = Stage.objects.filter(definition_id=instance.definition_id).exclude(
            pk=instance.stage_id
        )
        if stages is None:
            return queryset, None
        return queryset, [("", "---------")] + [
            (s.pk, s.name) for s in stages if s.pk != instance.stage_id
        ]

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if stage is not None and stage.is_terminal and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason",
                _("Say why the process ends as “%(outcome)s”.")
                % {"outcome": stage.get_outcome_display()},
            )
        if not self.instance.is_open:
            raise forms.ValidationError(
                _("This process is closed; a closed process cannot be reopened.")
            )
        return cleaned


class BoardMoveForm(MoveForm):
    """A move from the board: also the stage the card was seen in, so that a card someone else
    moved meanwhile is refused as such rather than moved on from where the mover did not see it."""

    # The board always sends it; a post without it (no JavaScript) moves from where the card is.
    from_stage = forms.IntegerField(
        label=_("stage the card was in"), required=False, min_value=1, max_value=2**31 - 1
    )


class WorkLogForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("What was done"), max_length=200, required=False)


class DiscountForm(forms.Form):
    percent = DecimalNumberField(
        label=_("Discount (%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Why"),
        required=False,
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the discount needs a manager's approval."),
    )


class TicketForm(forms.Form):
    definition = forms.ModelChoiceField(label=_("Support process"), queryset=None)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=bounds.LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=SlaPolicy.Priority.choices, initial=SlaPolicy.Priority.NORMAL
    )
    contact_person = forms.ModelChoiceField(
        label=_("Contact person"), queryset=None, required=False
    )
    asset = forms.ModelChoiceField(label=_("Asset"), queryset=None, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].queryset = definitions_for([Kind.SUPPORT])
        self.fields["contact_person"].queryset = customer.contacts.filter(is_active=True)
        self.fields["asset"].queryset = Asset.objects.filter(customer=customer)
        self.fields["owner"].queryset = staff_users()


class TaskForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = Task
        fields = ["title", "assignee", "due_on", "instance", "notes"]
        widgets = {"due_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"due_on": DateField}

    def __init__(self, *args, customer, instance_fixed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()
        if instance_fixed is not None:
            del self.fields["instance"]
        else:
            self.fields["instance"].queryset = ProcessInstance.objects.open().filter(
                customer=customer
            )
        if not self.is_bound:
            self.fields["due_on"].initial = timezone.localdate

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate() - timezone.timedelta(days=365):
            raise forms.ValidationError(_("That date is more than a year ago."))
        return due_on


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WriteOffRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why write the debt off?"),
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RetentionCampaignForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = RetentionCampaign
        fields = ["name", "definition", "segment", "contracts_ending_within_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].queryset = definitions_for([Kind.RETENTION])
        # Ten years, as the contract list's "ending within" filter; the field's own maximum
        # (32,767) is not checked on SQLite, and a million days overflowed the date arithmetic.
        window = self.fields["contracts_ending_within_days"]
        window.validators.append(MaxValueValidator(CAMPAIGN_WINDOW_MAX_DAYS))
        window.widget.attrs["max"] = CAMPAIGN_WINDOW_MAX_DAYS


class KpiTargetForm(ConcurrentEditMixin, forms.ModelForm):
    """A manager's target for one KPI of one definition (fixed by the page) and period."""

    class Meta:
        model = KpiTarget
        fields = ["metric", "period", "target"]

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        # The model's clean() asks the definition's kind, on creating as on editing.
        self.instance.definition = definition
        # Only the KPIs measured for this kind of process; a target of another (set before
        # this rule) stays listed, so that editing it says why it must change.
        offered = set(KpiTarget.metrics_for(definition.kind))
        self.fields["metric"].choices = [
            (value, label)
            for value, label in self.fields["metric"].choices
            if not value or value in offered or value == self.instance.metric
        ]
        self.fields["target"].help_text = _(
            "A percentage (0 to 100) for a rate, days for the cycle time, an amount in "
            "%(currency)s for the cost and the amount recovered."
        ) % {"currency": definition.currency}

    def clean(self):
        cleaned = super().clean()
        # The definition is not a field, so the model's one-target-per-metric-and-period rule
        # is not among the constraints the form checks: say it here, beside the metric.
        metric, period = cleaned.get("metric"), cleaned.get("period")
        others = KpiTarget.objects.filter(definition=self.definition, metric=metric, period=period)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if metric and period and others.exists():
            self.add_error("metric", _("This process already has a target for this KPI."))
        return cleaned


class DecisionRuleForm(ConcurrentEditMixin, forms.ModelForm):
    """A manager's decision rule for one definition (fixed by the page it is edited on)."""

    class Meta:
        model = DecisionRule
        fields = [
            "name",
            "min_grade",
            "min_ltv",
            "max_cost_to_value_percent",
            "min_amount",
            "on_break",
            "active",
        ]

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.fields["min_grade"].choices = [("", _("Any grade")), *Customer.Grade.choices]
        currency = definition.currency
        self.fields["min_ltv"].label = _("Minimum lifetime value (%(currency)s)") % {
            "currency": currency
        }
        self.fields["min_amount"].label = _("Minimum amount (%(currency)s)") % {
            "currency": currency
        }
        self.fields["on_break"].widget = forms.RadioSelect(choices=DecisionRule.OnBreak.choices)

    def clean_name(self):
        # The form leaves the definition out, so the model's unique name per definition is not
        # among the constraints it checks: say it here, beside the field.
        name = self.cleaned_data["name"].strip()
        others = DecisionRule.objects.filter(definition=self.definition, name=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Another rule of this process has this name."))
        return name


class InstanceBulkForm(forms.Form):
    """The process list's bulk action: what to do to the ticked processes."""

    ASSIGN, CLOSE_TASKS = "assign", "close_tasks"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ASSIGN, _("Assign owner")), (CLOSE_TASKS, _("Close their open tasks"))],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=staff_users(), required=False, empty_label=_("Owner…")
    )
    ids = lists.IdsField(label=_("selected rows"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the filter form beside it has an owner too
        super().__init__(*args, **kwargs)
        for name in ("action", "owner"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm w-auto"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.ASSIGN and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        return cleaned


# --- Process definitions (the managers' editor) -------------------------------------------------

WORKING = "working"  # the stage table's value for "no outcome"
STAGE_FIELDS = ("name", "code", "sla_hours", "win_probability", "outcome", "fixed_cost")


class DefinitionForm(forms.ModelForm):
    """A definition's own fields; its kind is chosen once, when it is created (its instances,
    tickets and KPIs are of that kind). Carries the version it was built from, so a save made
    meanwhile by someone else is noticed instead of overwritten."""

    version = forms.IntegerField(
        label=_("version"), widget=forms.HiddenInput, required=False, min_value=1
    )
    comment = forms.CharField(
        label=_("Comment for the history"),
        required=False,
        max_length=200,
        help_text=_("Optional: why you changed it, shown on the definition's history."),
    )

    class Meta:
        model = ProcessDefinition
        fields = ["name", "kind", "goal", "active", "hourly_rate", "currency", "stall_days"]
        widgets = {"goal": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version"]  # a new definition starts at version 1
        else:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("Fixed once the definition exists.")
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class _TableRowForm:
    """A form shown as one row of a table: small Bootstrap controls, and each invalid control
    marked invalid and pointing at its error (the row has no room for labels beside them)."""

    def _style_controls(self):
        for field in self.fields.values():
            widget = field.widget
            if widget.is_hidden or isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
                continue
            select = isinstance(widget, forms.Select)
            widget.attrs["class"] = (
                "form-select form-select-sm" if select else ("form-control form-control-sm")
            )

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "") + " is-invalid"
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class StageForm(_TableRowForm, forms.ModelForm):
    """One row of the stage table. `position` is where the manager wants the stage; the editor
    renumbers the kept stages 1..n in that order when it saves."""

    position = forms.IntegerField(
        label=_("Position"), min_value=1, max_value=MAX_STAGES, required=False
    )

    class Meta:
        model = Stage
        fields = list(STAGE_FIELDS)  # the inline formset appends the definition to it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A working stage has no outcome; the list says so with a value of its own, so that
        # "working" is a choice made, not a choice left empty.
        self.fields["outcome"].choices = [
            (WORKING, _("none (working)")),
            *Stage.Outcome.choices,
        ]
        self.fields["outcome"].required = False  # not chosen: working
        if not self.initial.get("outcome"):
            self.initial["outcome"] = WORKING
        self.fields["fixed_cost"].required = False  # empty: no fixed cost
        code = Stage._meta.get_field("code")
        self.fields["code"] = forms.CharField(
            label=capfirst(code.verbose_name),
            help_text=code.help_text,
            max_length=code.max_length,
            required=False,
        )
        self._style_controls()

    def clean_outcome(self):
        outcome = self.cleaned_data.get("outcome")
        return "" if outcome in (WORKING, None) else outcome

    def clean_code(self):
        """A machine name typed as words becomes one ("Final notice" → final_notice)."""
        code = (self.cleaned_data.get("code") or "").strip()
        return slugify(code).replace("-", "_")

    def clean_fixed_cost(self):
        value = self.cleaned_data.get("fixed_cost")
        return Decimal(0) if value is None else value


class StageFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"
            form.fields["DELETE"].label = _("Remove")
        if index is not None:
            existing = index < self.initial_form_count()
            form.fields["position"].initial = form.instance.position if existing else index + 1
            # The row's name for its controls' labels, as saved (not as typed: a refused save
            # shows the typed name in the input).
            form.row_label = (
                form.instance.name if existing else _("new stage %(n)s") % {"n": index + 1}
            )

    def rows(self):
        """The stage table as the service takes it (processes.services.StageRow)."""
        rows = []
        for form in self.forms:
            existing = form.instance.pk is not None
            if not existing and not form.has_changed():
                continue
            delete = self._should_delete_form(form)
            if delete and not existing:
                continue
            data = form.cleaned_data if not delete else {}
            rows.append(
                StageRow(
                    values={name: _stage_value(data, name) for name in STAGE_FIELDS}
                    if not delete
                    else {},
                    # No position given: after the others.
                    position=data.get("position") or MAX_STAGES + 1,
                    stage=form.instance if existing else None,
                    delete=delete,
                )
            )
        return rows


def _stage_value(data, name):
    value = data.get(name)
    if value is None and name in ("code", "outcome"):
        return ""
    return value


def stage_formset_class(extra):
    return forms.inlineformset_factory(
        ProcessDefinition,
        Stage,
        form=StageForm,
        formset=StageFormSet,
        extra=extra,
        max_num=MAX_STAGES,
        absolute_max=MAX_STAGES,
        validate_max=True,
        can_delete=True,
    )


class SlaForm(_TableRowForm, forms.Form):
    """A support definition's SLA for one priority (fixed by the row, never posted): both
    hours, or neither for no SLA."""

    response_hours = SlaPolicy._meta.get_field("response_hours").formfield(required=False)
    resolution_hours = SlaPolicy._meta.get_field("resolution_hours").formfield(required=False)

    def __init__(self, *args, priority, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority = priority
        self._style_controls()

    def clean(self):
        cleaned = super().clean()
        response, resolution = cleaned.get("response_hours"), cleaned.get("resolution_hours")
        if (response is None) != (resolution is None) and not self.errors:
            missing = "resolution_hours" if resolution is None else "response_hours"
            self.add_error(missing, _("Give both times, or neither for no SLA."))
        elif response and resolution and resolution < response:
            self.add_error(
                "resolution_hours", _("Resolution cannot be due before the first response.")
            )
        return cleaned

    @property
    def priority_label(self):
        return SlaPolicy.Priority(self.priority).label


class BaseSlaFormSet(forms.BaseFormSet):
    """One row per priority, in SlaPolicy.Priority's order."""

    def get_form_kwargs(self, index):
        priority = SlaPolicy.Priority.values[index] if index is not None else ""
        return {**super().get_form_kwargs(index), "priority": priority}

    def slas(self):
        return {
            form.priority: (
                (form.cleaned_data["response_hours"], form.cleaned_data["resolution_hours"])
                if form.cleaned_data.get("response_hours")
                else None
            )
            for form in self.forms
        }


SlaFormSet = forms.formset_factory(
    SlaForm,
    formset=BaseSlaFormSet,
    extra=0,
    min_num=len(SlaPolicy.Priority),
    max_num=len(SlaPolicy.Priority),
    absolute_max=len(SlaPolicy.Priority),
    validate_min=True,
    validate_max=True,
)


def sla_initial(definition=None):
    policies = (
        {policy.priority: policy for policy in definition.sla_policies.all()}
        if definition is not None and definition.pk
        else {}
    )
    return [
        {
            "response_hours": getattr(policies.get(priority), "response_hours", None),
            "resolution_hours": getattr(policies.get(priority), "resolution_hours", None),
        }
        for priority in SlaPolicy.Priority.values
    ]


class DefinitionCopyForm(forms.ModelForm):
    """The name of a new variant copied from a definition."""

    class Meta:
        model = ProcessDefinition
        fields = ["name"]
        labels = {"name": _("Name of the new variant")}
