from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds, events
from core.concurrent_edits import ConcurrentEditMixin
from core.users import staff_users
from customers.models import ContactPerson, Customer

from .models import WebForm, WebhookSubscription


def _formfield(field, **kwargs):
    # An address typed without a scheme is taken for https (Django 6's default, asked now).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class SubscriptionForm(ConcurrentEditMixin, forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in events.EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each event is POSTed to the target URL as signed JSON."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "target_url", "events"]
        formfield_callback = _formfield


class WebFormForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = WebForm
        fields = ["name", "slug", "allowed_origin", "redirect_url", "owner"]
        formfield_callback = _formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


def _max(model, name):
    return model._meta.get_field(name).max_length


class IntakeForm(forms.Form):
    """What a website's form may post (every field bounded by the column it fills)."""

    first_name = forms.CharField(
        label=_("first name"), max_length=_max(ContactPerson, "first_name")
    )
    last_name = forms.CharField(label=_("last name"), max_length=_max(ContactPerson, "last_name"))
    company = forms.CharField(
        label=_("company"), max_length=_max(Customer, "display_name"), required=False
    )
    email = forms.EmailField(
        label=_("e-mail"),
        max_length=254,
        required=False,
        validators=[bounds.validate_mailbox_address],
    )
    phone = forms.CharField(label=_("phone"), max_length=_max(Customer, "phone"), required=False)
    tax_id = forms.CharField(label=_("tax id"), max_length=_max(Customer, "tax_id"), required=False)
    message = forms.CharField(label=_("message"), max_length=bounds.SHORT_TEXT, required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("email") or data.get("phone")) and not self.errors:
            raise forms.ValidationError(
                _("Give an e-mail address or a phone number, so we can answer."), code="contact"
            )
        return data
