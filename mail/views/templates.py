"""The e-mail templates managers write: one per name and language, with the variables of their
purpose listed and a preview over sample values in the template's language."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.i18n import language_choices
from core.integrity import save_or_raise_validation
from core.permissions import permission_required
from core.views.helpers import run_service

from ..contexts import sample_context
from ..forms import MailTemplateForm
from ..models import MailTemplate
from ..permissions import MANAGE_TEMPLATES
from ..rendering import render_mail


@permission_required(MANAGE_TEMPLATES)
@require_GET
def template_list(request):
    """One row per template name, with the languages it is written in."""
    rows = {}
    for template in MailTemplate.objects.order_by("name", "language"):
        row = rows.setdefault(
            template.name, {"name": template.name, "purpose": template, "languages": {}}
        )
        row["languages"][template.language] = template
    languages = language_choices()
    table = [
        {
            **row,
            "cells": [(code, name, row["languages"].get(code)) for code, name in languages],
        }
        for row in rows.values()
    ]
    return render(
        request, "mail/template_list.html", {"rows": table, "language_columns": languages}
    )


def _edit(request, template, *, title):
    form = MailTemplateForm(request.POST or None, instance=template)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            candidate = form.instance
            subject, body = render_mail(
                candidate, sample_context(candidate.purpose, candidate.language)
            )
            preview = {"subject": subject, "body": body, "language": candidate.language}
        else:
            form.instance.created_by = form.instance.created_by or request.user
            # A manager saving the same name and language a moment earlier: a form error.
            if call := run_service(form, save_or_raise_validation, instance=form.instance):
                messages.success(
                    request, _("The template “%(template)s” is saved.") % {"template": call.result}
                )
                return redirect("mail:template_list")
    return render(
        request,
        "mail/template_form.html",
        {"form": form, "title": title, "preview": preview, "template": template},
    )


@permission_required(MANAGE_TEMPLATES)
@require_http_methods(["GET", "POST"])
def template_create(request):
    initial = MailTemplate()
    # "Add a language" on the list: the same name and purpose, another language.
    source_pk = request.GET.get("from", "")
    if source_pk.isdigit() and len(source_pk) < 12:
        source = MailTemplate.objects.filter(pk=source_pk).first()
        if source is not None:
            initial = MailTemplate(
                name=source.name, purpose=source.purpose, subject=source.subject, body=source.body
            )
    language = request.GET.get("language", "")
    if language in dict(language_choices()):
        initial.language = language
    return _edit(request, initial, title=_("New e-mail template"))


@permission_required(MANAGE_TEMPLATES)
@require_http_methods(["GET", "POST"])
def template_edit(request, pk):
    template = get_object_or_404(MailTemplate, pk=pk)
    return _edit(
        request, template, title=_("E-mail template “%(template)s”") % {"template": template}
    )
