"""The mailing form (its own module, as customers.merge_forms, beside the app's other forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.concurrent_edits import ConcurrentEditMixin
from customers.models import ConsentPurpose, Segment
from processes.models import RetentionCampaign

from .models import Mailing, MailTemplate
from .models.mailings import FILTER_LIMIT


class MailingForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = Mailing
        fields = ["name", "purpose", "template", "segment", "customer_filter", "campaign"]
        widgets = {"customer_filter": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = ConsentPurpose.objects.filter(active=True)
        self.fields["template"].queryset = MailTemplate.objects.filter(
            purpose=MailTemplate.Purpose.MAILING, is_active=True
        ).order_by("name", "language")
        self.fields["template"].label = _("Template (its language is the default)")
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["campaign"].queryset = RetentionCampaign.objects.order_by("-started_at", "-id")
        self.fields["customer_filter"].max_length = FILTER_LIMIT
        self.fields["customer_filter"].help_text = _(
            "Or paste the address of the customer list with its filters set."
        )

    def clean_customer_filter(self):
        value = (self.cleaned_data.get("customer_filter") or "").strip()
        # The customer list's whole address works too: only its query string is kept.
        return value.partition("?")[2] if "?" in value else value

    def clean(self):
        cleaned = super().clean()
        chosen = [name for name in ("segment", "customer_filter", "campaign") if cleaned.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError(
                _("Choose one audience: a segment, a customer list filter or a campaign.")
            )
        return cleaned
