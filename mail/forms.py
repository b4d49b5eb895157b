"""Forms of the mail app: writing an e-mail, and the templates managers write."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.concurrent_edits import ConcurrentEditMixin
from core.i18n import language_choices

from .models import MailTemplate
from .rendering import VARIABLES
from .services.sending import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, contact):
        return f"{contact.full_name} <{contact.email}> · {contact.get_language_display()}"


class DocumentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, document):
        return f"{document.title} ({document.original_name})"


def template_choices(templates):
    """(name, "name (en, pl)") per template name, its languages in the interface's order."""
    order = [code for code, _name in settings.LANGUAGES]
    languages = {}
    for name, language in templates.values_list("name", "language"):
        languages.setdefault(name, []).append(language)
    return [
        (name, f"{name} ({', '.join(sorted(codes, key=order.index))})")
        for name, codes in sorted(languages.items())
    ]


class ComposeForm(forms.Form):
    """An e-mail to some of the customer's contact persons: from a template (filled in the
    reader's language) or free text, with the customer's documents and a new upload."""

    to = ContactChoiceField(
        label=pgettext_lazy("e-mail recipients", "To"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The customer's contact persons with an e-mail address that did not bounce."),
    )
    # A template is chosen by its name (the languages it is written in beside it); the
    # language field decides which of its versions fills the e-mail.
    template = forms.ChoiceField(
        label=_("Template"),
        choices=(),
        required=False,
        help_text=_("Filled in the language chosen beside it."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(),
        required=False,
        help_text=_("Empty: the first recipient's language."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX_LENGTH, required=False)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )
    attachments = DocumentChoiceField(
        label=_("Attach the customer's documents"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    upload = forms.FileField(
        label=_("Attach a new file"),
        required=False,
        help_text=_("Kept as one of the customer's documents. Choose it just before sending."),
    )

    def __init__(self, *args, contacts, templates, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = contacts
        self.fields["template"].choices = [("", _("— free text —")), *template_choices(templates)]
        self.fields["attachments"].queryset = documents
        self.fields["language"].choices = [("", _("the recipient's")), *language_choices()]
        self.fields["body"].widget.attrs["maxlength"] = BODY_MAX_LENGTH

    def clean_body(self):
        # Bounded here too, so an over-long text is refused before any template is rendered.
        body = self.cleaned_data["body"]
        if len(body) > BODY_MAX_LENGTH:
            raise forms.ValidationError(
                _("The text has at most %(limit)d characters."), params={"limit": BODY_MAX_LENGTH}
            )
        return body


class MailTemplateForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ["name", "purpose", "language", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def variables(self):
        purpose = self["purpose"].value() or MailTemplate.Purpose.CUSTOMER
        return sorted(VARIABLES.get(purpose, {}).items())
