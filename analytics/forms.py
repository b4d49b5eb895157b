from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from core.concurrent_edits import ConcurrentEditMixin
from core.money import ISO_4217

from .models import DataQualityTemplate, DigestSubscription, ScoringParameters
from .services import EDITABLE, QUALITY_EDITABLE


class RatesField(forms.CharField):
    """Exchange rates typed one per line, “EUR 4.30”, kept as {"EUR": "4.30"}."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{code} {rate}" for code, rate in sorted(value.items()))
        return value

    def to_python(self, value):
        text = super().to_python(value)
        rates = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.replace("=", " ").replace(":", " ").strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                raise forms.ValidationError(
                    _("Line %(line)s: write a currency and its rate, e.g. “EUR 4.30”."),
                    params={"line": number},
                )
            code, rate = parts[0].upper(), parts[1].replace(",", ".")
            if code not in ISO_4217:
                raise forms.ValidationError(
                    _("Line %(line)s: “%(code)s” is not an ISO 4217 currency code."),
                    params={"line": number, "code": code},
                )
            try:
                value = Decimal(rate)
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or value <= 0:
                raise forms.ValidationError(
                    _("Line %(line)s: the rate must be a number above zero."),
                    params={"line": number},
                )
            rates[code] = str(value)
        return rates


class ScoringParametersForm(forms.ModelForm):
    exchange_rates = RatesField(
        label=_("Exchange rates"),
        required=False,
        help_text=_(
            "One per line: a currency and how many units of the base currency one unit is "
            "worth, e.g. “EUR 4.30”. Amounts in a currency without a rate are left out."
        ),
    )

    class Meta:
        model = ScoringParameters
        fields = EDITABLE
        labels = {"base_currency": _("Base currency")}

    def clean_base_currency(self):
        return (self.cleaned_data.get("base_currency") or "").upper()


class DigestSubscriptionForm(forms.ModelForm):
    class Meta:
        model = DigestSubscription
        fields = ["enabled"]


class DataQualityTemplateForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = DataQualityTemplate
        fields = QUALITY_EDITABLE

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in QUALITY_EDITABLE if name.startswith("require_")):
            raise forms.ValidationError(_("Choose at least one thing a complete record holds."))
        return cleaned
