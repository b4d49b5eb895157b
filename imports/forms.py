from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core import visibility
from core.permissions import can
from core.users import staff_users

from . import kinds, reading
from .models import ImportRow, MappingTemplate

COUNTRIES = [("PL", _("Poland")), ("CZ", _("Czechia")), ("RU", _("Russia"))]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (any delimiter, UTF-8 or Windows code pages) or Excel (.xlsx)."),
    )
    default_country = forms.ChoiceField(
        label=_("Country of rows without one"),
        choices=COUNTRIES,
        help_text=_("Its phone and tax id rules apply to rows without a country."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner of new customers"),
        queryset=staff_users(),
        required=False,
        help_text=_("Empty: you."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (kind.key, kind.label) for kind in kinds.all_kinds() if can(user, kind.permission)
        ]
        self.fields["default_country"].initial = settings.IMPORT_DEFAULT_COUNTRY
        self.user = user

    def clean_owner(self):
        owner = self.cleaned_data.get("owner")
        if owner is not None and not visibility.can_edit_owner(self.user, owner.pk):
            raise forms.ValidationError(_("You may not assign customers to this person."))
        return owner


class LayoutForm(forms.Form):
    # Not asked for a workbook (the page leaves them out): a CSV's only.
    encoding = forms.ChoiceField(
        label=_("Encoding"), choices=list(reading.ENCODINGS.items()), required=False
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"), choices=list(reading.DELIMITERS.items()), required=False
    )
    header_row = forms.IntegerField(
        label=_("Header row"), min_value=1, max_value=reading.HEADER_SEARCH_ROWS * 50
    )


class MappingForm(forms.Form):
    """One choice per column of the file: which field it fills, or none."""

    template_name = forms.CharField(
        label=_("Save as a template named"),
        max_length=100,
        required=False,
        help_text=_("The next file with these headers gets this mapping."),
    )

    def __init__(self, *args, batch, **kwargs):
        super().__init__(*args, **kwargs)
        kind = kinds.get(batch.kind)
        choices = [("", _("— not imported —"))] + [
            (f.name, f"{f.label}{' *' if f.required else ''}") for f in kind.fields
        ]
        self.columns = []
        for index, header in enumerate(batch.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=batch.mapping.get(str(index), ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.columns.append(name)
        self.order_fields([*self.columns, "template_name"])

    def mapping(self):
        return {
            name.removeprefix("column_"): self.cleaned_data[name]
            for name in self.columns
            if self.cleaned_data.get(name)
        }


class TemplateChoiceForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=MappingTemplate.objects.none())

    def __init__(self, *args, batch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = MappingTemplate.objects.filter(kind=batch.kind)


ACTION_CHOICES = ImportRow.Action.choices
