"""Forms of the mailbox sync's pages: a mailbox's connection, private addresses, triage."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.concurrent_edits import ConcurrentEditMixin
from customers.models import Customer

from .models import Mailbox, PrivateAddress
from .services.sync import private_host_refused

PASSWORD_MAX_LENGTH = 500


class MailboxForm(ConcurrentEditMixin, forms.ModelForm):
    """The connection; the password is written, never shown back (kept encrypted)."""

    password = forms.CharField(
        label=_("password"),
        max_length=PASSWORD_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "imap_host",
            "imap_port",
            "imap_ssl",
            "username",
            "password",
            "folder",
            "is_active",
        ]
        widgets = {"imap_port": forms.NumberInput(attrs={"min": 1, "max": 65535})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.password_encrypted:
            self.fields["password"].help_text = _("Leave empty to keep the stored password.")
        else:
            self.fields["password"].required = True

    def clean_imap_port(self):
        port = self.cleaned_data["imap_port"]
        if port is not None and not 1 <= port <= 65535:
            raise forms.ValidationError(_("A port is a number from 1 to 65535."))
        return port

    def clean(self):
        cleaned = super().clean()
        host, port = cleaned.get("imap_host"), cleaned.get("imap_port")
        if host and private_host_refused(host, port):
            self.add_error(
                "imap_host",
                _("The CRM does not connect to loopback or private network addresses."),
            )
        return cleaned

    def clean_address(self):
        return self.cleaned_data["address"].strip().lower()


class PrivateAddressForm(forms.ModelForm):
    class Meta:
        model = PrivateAddress
        fields = ["pattern"]


class TriageCustomerForm(forms.ModelForm):
    """A new customer from a waiting message: its first contact is that message."""

    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked the matches: this is a different customer"), required=False
    )

    class Meta:
        model = Customer
        fields = ["kind", "display_name", "country"]

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").strip().upper()


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Customer"), max_length=200, required=False)
