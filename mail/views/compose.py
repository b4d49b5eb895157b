"""Writing an e-mail to a customer's contact persons, from the customer page, a contact person,
a ticket, a collection case or a deal; and sending a failed one again."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import visibility
from core.permissions import permission_required
from core.views.helpers import redirect_back, run_action, run_service
from customers.access import get_customer_for_user, require_customer_editable
from processes.access import get_instance_for_user
from relationships.models import Document

from ..contexts import mail_context, purpose_for, reader_language
from ..forms import ComposeForm
from ..models import EmailMessage, MailTemplate, SuppressedAddress
from ..permissions import SEND_EMAIL
from ..rendering import render_mail
from ..services import email_resend, email_send


def recipients_of(customer):
    """The contact persons an e-mail can go to: active, with an address that did not bounce."""
    return (
        customer.contacts.filter(is_active=True, erased_at__isnull=True)
        .exclude(email="")
        .exclude(email__in=SuppressedAddress.objects.values("address"))
        .order_by("-is_primary", "last_name", "first_name", "pk")
    )


def templates_for(purpose):
    wanted = {purpose, MailTemplate.Purpose.CUSTOMER}
    return MailTemplate.objects.filter(is_active=True, purpose__in=wanted).order_by(
        "name", "language"
    )


def _get_int(request, name):
    value = request.POST.get(name) or request.GET.get(name) or ""
    return int(value) if value.isdigit() and len(value) < 12 else None


def _template_in(templates, name, language):
    """The version of the template `name` written in `language`; else in the site's language,
    else in the first language it has (None: it is no longer offered)."""
    versions = {template.language: template for template in templates.filter(name=name)}
    for code in (language, settings.LANGUAGE_CODE, *dict(settings.LANGUAGES)):
        if code in versions:
            return versions[code]
    return None


def _cannot_fill(form, *, has_recipients):
    """Why "Fill from template" filled nothing: said beside the template, not only at "To"."""
    if has_recipients:
        message = _("Choose whom it goes to first: it is filled in for the first recipient.")
    else:
        message = _(
            "There is nobody to fill it in for: this customer has no contact person with an "
            "e-mail address that can be written to."
        )
    form.add_error("template", message)


@permission_required(SEND_EMAIL)
@require_http_methods(["GET", "POST"])
def compose(request, pk):
    customer = get_customer_for_user(request, pk, permission=SEND_EMAIL)
    instance = reply_to = None
    if (process_pk := _get_int(request, "process")) is not None:
        # Whoever works on the process writes about it (finance on any collection case).
        instance = get_instance_for_user(request, process_pk, write=True)
        if instance.customer_id != customer.pk:
            raise Http404
    else:
        require_customer_editable(request, customer)
    if (reply_pk := _get_int(request, "reply")) is not None:
        reply_to = get_object_or_404(
            EmailMessage.objects.visible_to(request.user), pk=reply_pk, customer=customer
        )
        instance = instance or reply_to.process_instance
    purpose = purpose_for(instance)
    contacts = recipients_of(customer)
    documents = Document.objects.filter(customer=customer).order_by("-uploaded_at", "-id")
    templates = templates_for(purpose)
    form_options = {"contacts": contacts, "templates": templates, "documents": documents}
    preview = fill_note = None
    if request.method == "POST":
        action = request.POST.get("action", "preview")
        form = ComposeForm(request.POST, request.FILES, **form_options)
        if form.is_valid():
            data = form.cleaned_data
            to = list(data["to"])
            language = data["language"] or reader_language(to[0], customer)
            template = None
            if action == "fill" and data["template"]:
                template = _template_in(templates, data["template"], language)
                if template is None:  # made inactive since the page was drawn
                    form.add_error(
                        "template",
                        form.fields["template"].error_messages["invalid_choice"]
                        % {"value": data["template"]},
                    )
            if template is not None:
                if template.language != language:
                    names = dict(settings.LANGUAGES)
                    fill_note = _(
                        "“%(template)s” is not written in %(wanted)s yet: it is filled in %(used)s."
                    ) % {
                        "template": template.name,
                        "wanted": names.get(language, language),
                        "used": names[template.language],
                    }
                context = mail_context(
                    customer=customer,
                    contact=to[0],
                    sender=request.user,
                    instance=instance,
                    language=language,
                )
                subject, body = render_mail(template, context)
                values = request.POST.copy()
                values["subject"], values["body"] = subject, body
                values["language"] = template.language  # the version used, in its language
                form = ComposeForm(values, **form_options)
                form.is_valid()
                preview = {"subject": subject, "body": body, "language": template.language}
            elif action == "send" and (
                call := run_service(
                    form,
                    email_send,
                    customer=customer,
                    to=to,
                    subject=data["subject"],
                    body=data["body"],
                    by=request.user,
                    process_instance=instance,
                    attachments=data["attachments"],
                    upload=data["upload"],
                    reply_to=reply_to,
                )
            ):
                messages.success(
                    request,
                    _("The e-mail “%(subject)s” is queued and goes out in a moment.")
                    % {"subject": call.result.subject},
                )
                return redirect(instance or customer)
            if preview is None and not form.errors:
                if not (data["subject"].strip() and data["body"].strip()):
                    form.add_error(
                        None, _("Fill the subject and the text, or a template, to see a preview.")
                    )
                else:
                    preview = {
                        "subject": " ".join(data["subject"].split()),
                        "body": data["body"],
                        "language": language,
                    }
        elif action == "fill" and "to" in form.errors and form.cleaned_data.get("template"):
            _cannot_fill(form, has_recipients=contacts.exists())
    else:
        initial = {}
        if (contact_pk := _get_int(request, "contact")) is not None:
            initial["to"] = list(contacts.filter(pk=contact_pk))
        elif reply_to is not None:
            # A reply goes to who wrote to us, or again to whom we wrote.
            inbound = reply_to.direction == EmailMessage.Direction.INBOUND
            addresses = [reply_to.from_address] if inbound else reply_to.to_addresses
            initial["to"] = list(contacts.filter(email__in=addresses))
        else:
            initial["to"] = list(contacts.filter(is_primary=True))
        if reply_to is not None:
            subject = reply_to.subject
            initial["subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        form = ComposeForm(initial=initial, **form_options)
    return render(
        request,
        "mail/compose.html",
        {
            "customer": customer,
            "instance": instance,
            "reply_to": reply_to,
            "form": form,
            "preview": preview,
            "fill_note": fill_note,
            "has_recipients": contacts.exists(),
        },
    )


@permission_required(SEND_EMAIL)
@require_POST
def message_resend(request, pk):
    """Send a failed e-mail again: queued once more, with a fresh count of attempts."""
    message = get_object_or_404(
        EmailMessage.objects.visible_to(request.user)
        .select_related("customer")
        .filter(~Q(customer=None)),
        pk=pk,
    )
    if not visibility.can_edit_owner(request.user, message.customer.owner_id):
        raise PermissionDenied
    if run_action(request, email_resend, message=message, by=request.user):
        messages.success(request, _("The e-mail is queued again."))
    return redirect_back(request, message.customer.get_absolute_url())
