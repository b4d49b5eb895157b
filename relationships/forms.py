from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Interaction, Relationship


class FirstContactForm(forms.Form):
    """How the customer first reached us (or we them), recorded as the first interaction."""

    prefix = "first"

    relationship_kind = forms.ChoiceField(
        label=_("Relationship kind"),
        choices=Relationship.Kind.choices,
        initial=Relationship.Kind.LASTING,
        help_text=_(
            "A casual contact buys once from whoever is available; a lasting one we shape."
        ),
    )
    channel = forms.ChoiceField(
        label=_("First contact channel"), choices=Interaction.Channel.choices
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Interaction.Direction.choices,
        initial=Interaction.Direction.INBOUND,
    )
    subject = forms.CharField(label=_("What was it about?"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = [
            "channel",
            "direction",
            "contact_person",
            "subject",
            "notes",
            "outcome",
            "occurred_at",
        ]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_person"].queryset = customer.contacts.filter(is_active=True)
        # Empty means "just now": a pre-filled minute would sort a fresh call before one logged
        # seconds earlier.
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].initial = None
        if not self.instance.pk:
            self.initial.pop("occurred_at", None)
        self.fields["occurred_at"].help_text = _("Leave empty for now.")
        # The most common entry is a call we made; one less choice to make for it.
        self.fields["channel"].initial = Interaction.Channel.CALL
        self.fields["direction"].initial = Interaction.Direction.OUTBOUND

    def clean_occurred_at(self):
        when = self.cleaned_data["occurred_at"]
        if when and when > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError(
                _("An interaction that has not happened yet is a task, not a contact.")
            )
        return when


class RelationshipEndForm(forms.Form):
    end_reason = forms.ChoiceField(
        label=_("Why does the relationship end?"),
        choices=[("", "---------"), *Relationship.EndReason.choices],
    )
    end_note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the reason is “Other”."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this ends our relationship with the customer."),
        error_messages={"required": _("Confirm that you mean to end the relationship.")},
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("end_reason") == Relationship.EndReason.OTHER
            and not cleaned.get("end_note", "").strip()
        ):
            self.add_error("end_note", _("Describe the reason when you choose “Other”."))
        return cleaned


class RelationshipStartForm(forms.Form):
    kind = forms.ChoiceField(label=_("Relationship kind"), choices=Relationship.Kind.choices)
