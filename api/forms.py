from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateTimeField

from .models import ApiToken


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ERP import”."),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Access.choices,
        initial=ApiToken.Access.READ,
        widget=forms.RadioSelect,
        help_text=_("A read-only token cannot change anything, whatever your roles allow."),
    )
    expires_at = DateTimeField(
        label=_("Expires at"),
        required=False,
        help_text=_("Leave empty for a token that works until you revoke it."),
    )
