from django import forms
from django.utils.translation import gettext_lazy as _

from core import bounds


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the data is erased, e.g. 'the person's request of 3 May by e-mail'. Do not "
            "repeat the person's name or contact details here: this text is kept."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the personal data cannot be restored."), required=True
    )
