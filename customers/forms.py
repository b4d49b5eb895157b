from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import lists
from core.concurrent_edits import LOADED, ConcurrentEditMixin
from core.forms import DateField, DateInput
from core.i18n import language_for_country
from core.users import staff_users

from .models import (
    ConsentEvent,
    ConsentPurpose,
    ContactPerson,
    Customer,
    Segment,
    default_contact_language,
    normalize_tax_id,
)
from .selectors import find_duplicates
from .services import POSSIBLE_DUPLICATE_MESSAGE


class CustomerForm(ConcurrentEditMixin, forms.ModelForm):
    """Customer details. On creation it also guards against twins (see `find_duplicates`)."""

    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked the matches above: this is a different customer"),
        required=False,
    )

    class Meta:
        model = Customer
        fields = [
            "kind",
            "display_name",
            "legal_name",
            "tax_id",
            "email",
            "phone",
            "street",
            "postal_code",
            "city",
            "country",
            "owner",
            "source",
            "first_contact_on",
            "segments",
            "notes",
        ]
        widgets = {
            "first_contact_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "segments": forms.CheckboxSelectMultiple,
        }
        field_classes = {"first_contact_on": DateField}

    def __init__(self, *args, check_duplicates=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_duplicates = check_duplicates
        self.duplicates = []
        self.fields["owner"].queryset = staff_users()
        if not self.instance.pk:
            self.fields["first_contact_on"].initial = timezone.localdate
        if check_duplicates:
            # Offered only once there are matches to confirm against (see clean()).
            self.fields["confirm_not_duplicate"].widget = forms.HiddenInput()
        else:
            del self.fields["confirm_not_duplicate"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("kind", css_class="col-md-4"), Column("display_name", css_class="col-md-8")),
            Row(Column("legal_name", css_class="col-md-8"), Column("tax_id", css_class="col-md-4")),
            Row(Column("email"), Column("phone")),
            Row(
                # Room for "Kod pocztowy" / "Почтовый индекс" on one line, level with its row.
                Column("street", css_class="col-md-4"),
                Column("postal_code", css_class="col-md-3"),
                Column("city", css_class="col-md-3"),
                Column("country", css_class="col-md-2"),
            ),
            Row(Column("owner"), Column("source"), Column("first_contact_on")),
            "segments",
            "notes",
            *(["confirm_not_duplicate"] if check_duplicates else []),
            *([LOADED] if LOADED in self.fields else []),
        )

    def clean_tax_id(self):
        tax_id = normalize_tax_id(self.cleaned_data.get("tax_id"))
        if tax_id:
            twin = Customer.objects.filter(tax_id=tax_id).exclude(pk=self.instance.pk).first()
            if twin:
                self.tax_id_twin = twin
                raise forms.ValidationError(
                    _(
                        "%(name)s already has this tax id. "
                        "Open that customer instead of creating a twin."
                    ),
                    code="duplicate_tax_id",
                    params={"name": twin.display_name},
                )
        return tax_id

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").upper()

    def clean(self):
        cleaned = super().clean()
        if self.check_duplicates and not self.errors:
            self.duplicates = find_duplicates(
                email=cleaned.get("email", ""),
                phone=cleaned.get("phone", ""),
                display_name=cleaned.get("display_name", ""),
                exclude_pk=self.instance.pk,
            )
            if self.duplicates:
                self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()
            if self.duplicates and not cleaned.get("confirm_not_duplicate"):
                raise forms.ValidationError(POSSIBLE_DUPLICATE_MESSAGE, code="possible_duplicate")
        return cleaned

    def show_duplicates(self, error):
        """The service's guard found twins this form's check could not see yet (saved by a
        parallel request since): show them and offer the confirmation, as clean() does."""
        self.duplicates = error.matches
        self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()
        self.add_error(None, error)


class ContactPersonForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = [
            "first_name",
            "last_name",
            "title",
            "email",
            "phone",
            "language",
            "is_primary",
            "marketing_consent",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new person writes in their customer's country's language unless told otherwise;
        # a post without the field (an older form, a script) keeps that default, or the
        # person's language when editing.
        self.fields["language"].required = False
        if not self.instance.pk and self.instance.customer_id:
            self.initial["language"] = language_for_country(self.instance.customer.country)

    def clean_language(self):
        language = self.cleaned_data.get("language")
        if language:
            return language
        if self.instance.pk:
            return self.instance.language
        return self.initial.get("language") or default_contact_language()

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_primary") and cleaned.get("is_active") is False:
            self.add_error("is_primary", _("An inactive person cannot be the primary contact."))
        return cleaned


class ConsentForm(forms.Form):
    """Record that a person gave or withdrew consent to one purpose (see consent_record)."""

    GIVE, WITHDRAW = "give", "withdraw"

    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=ConsentPurpose.objects.filter(active=True)
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(GIVE, _("Consent given")), (WITHDRAW, _("Consent withdrawn"))],
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(
        label=_("How"),
        choices=[
            (value, label)
            for value, label in ConsentEvent.Source.choices
            if value not in (ConsentEvent.Source.EARLIER, ConsentEvent.Source.ERASURE)
        ],
    )
    by_person = forms.BooleanField(
        label=_("The person did it themself (e.g. a web form or an unsubscribe link)"),
        required=False,
    )


class CustomerBulkForm(forms.Form):
    """The customer list's bulk action: what to do to the ticked customers."""

    ASSIGN, SEGMENT_ADD, SEGMENT_REMOVE = "assign", "segment_add", "segment_remove"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (ASSIGN, _("Assign owner")),
            (SEGMENT_ADD, _("Add to segment")),
            (SEGMENT_REMOVE, _("Remove from segment")),
        ],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=staff_users(), required=False, empty_label=_("Owner…")
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.all(),
        required=False,
        empty_label=_("Segment…"),
    )
    ids = lists.IdsField(label=_("selected rows"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the filter form beside it has an owner too
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "ids":
                field.widget.attrs["class"] = "form-select form-select-sm w-auto"

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == self.ASSIGN and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        if action in (self.SEGMENT_ADD, self.SEGMENT_REMOVE) and not cleaned.get("segment"):
            self.add_error("segment", _("Choose the segment."))
        return cleaned
