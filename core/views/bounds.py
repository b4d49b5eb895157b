from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..selectors import out_of_bounds_rows


@staff_member_required
def out_of_bounds(request):
    """The admin's list of stored values outside the accepted bounds (as check_bounds prints
    them), each linked to the record's change page to correct it."""
    rows = out_of_bounds_rows()
    groups = {}
    for row in rows:
        groups.setdefault((row.label, row.rule), []).append(row)
    context = {
        **admin.site.each_context(request),
        "title": _("Values outside the accepted bounds"),
        "groups": [
            {"label": label, "rule": rule, "rows": group} for (label, rule), group in groups.items()
        ],
    }
    return render(request, "admin/core/out_of_bounds.html", context)
