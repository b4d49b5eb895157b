"""The managers' web form pages: set-up, the snippet to paste into the website."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import render_object_form, run_service

from .. import services
from ..access import get_webform_for_user
from ..forms import WebFormForm
from ..models import WebForm
from ..permissions import MANAGE_INTEGRATIONS
from .intake import HONEYPOT_FIELD


def _snippet(action: str) -> str:
    """The HTML form to paste into the website (shown as text; the page escapes it), its labels
    in the manager's language. The honeypot is kept out of people's sight, not out of bots'."""
    fields = [
        (_("First name"), '<input name="first_name" required maxlength="100">'),
        (_("Last name"), '<input name="last_name" required maxlength="100">'),
        (_("Company"), '<input name="company" maxlength="200">'),
        (_("E-mail"), '<input name="email" type="email" maxlength="254">'),
        (_("Phone"), '<input name="phone" type="tel" maxlength="40">'),
        (_("Message"), '<textarea name="message" maxlength="2000"></textarea>'),
    ]
    lines = [f'<form method="post" action="{action}">']
    lines += [f"  <label>{label} {control}</label>" for label, control in fields]
    lines += [
        '  <div style="position:absolute;left:-10000px" aria-hidden="true">',
        f'    <input name="{HONEYPOT_FIELD}" tabindex="-1" autocomplete="off">',
        "  </div>",
        f'  <button type="submit">{_("Send")}</button>',
        "</form>",
    ]
    return "\n".join(lines)


@permission_required(MANAGE_INTEGRATIONS)
def webform_list(request):
    webforms = WebForm.objects.select_related("owner").order_by("-active", "name")
    return render(request, "integrations/webform_list.html", {"webforms": webforms})


@permission_required(MANAGE_INTEGRATIONS)
def webform_create(request):
    form = WebFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        call = run_service(form, services.webform_create, data=form.cleaned_data, by=request.user)
        if call:
            messages.success(request, _("Web form saved. Paste its snippet into your website."))
            return redirect(call.result)
    return render_object_form(
        request,
        form,
        title=_("New web form"),
        submit=_("Save web form"),
        cancel_url=reverse("integrations:webform_list"),
    )


@permission_required(MANAGE_INTEGRATIONS)
def webform_edit(request, pk):
    webform = get_webform_for_user(request, pk)
    form = WebFormForm(request.POST or None, instance=webform)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if run_service(form, services.webform_update, webform=webform, data=data):
            messages.success(request, _("Web form saved."))
            return redirect(webform)
    return render_object_form(
        request,
        form,
        title=_("Edit web form “%(name)s”") % {"name": webform.name},
        submit=_("Save web form"),
        cancel_url=webform.get_absolute_url(),
    )


@permission_required(MANAGE_INTEGRATIONS)
def webform_detail(request, pk):
    webform = get_webform_for_user(request, pk)
    action = request.build_absolute_uri(reverse("integrations:webform_post", args=[webform.slug]))
    return render(
        request,
        "integrations/webform_detail.html",
        {
            "webform": webform,
            "endpoint": action,
            "honeypot": HONEYPOT_FIELD,
            "snippet": _snippet(f"{action}?token={webform.token}"),
        },
    )


def _set_active(request, pk, *, active):
    webform = get_webform_for_user(request, pk)
    services.webform_set_active(webform=webform, active=active)
    messages.success(
        request, _("The web form is active.") if active else _("The web form is switched off.")
    )
    return redirect(webform)


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def webform_activate(request, pk):
    return _set_active(request, pk, active=True)


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def webform_deactivate(request, pk):
    return _set_active(request, pk, active=False)


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def webform_rotate_token(request, pk):
    webform = get_webform_for_user(request, pk)
    services.webform_rotate_token(webform=webform)
    messages.success(request, _("A new token is in force: update the form on your website now."))
    return redirect(webform)
