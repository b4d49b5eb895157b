"""Access to mailboxes and their synced messages (the mailbox sync's pages).

A shared mailbox is seen and edited by those who manage mailboxes; its triage by those with the
triage permission. A user's own mailbox, its triage and its private addresses are its owner's
alone: nobody else, managers included, sees what waits there (a 404, so its existence is not
confirmed)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from core import visibility
from core.permissions import can

from .models import EmailMessage, Mailbox
from .permissions import CONNECT_OWN_MAILBOX, MANAGE_MAILBOXES, TRIAGE_SHARED_MAIL


def mailboxes_for(user):
    """The mailboxes `user` may open: their own, and the shared ones when they manage them."""
    condition = Q(kind=Mailbox.Kind.PERSONAL, owner=user)
    if can(user, MANAGE_MAILBOXES):
        condition |= Q(kind=Mailbox.Kind.SHARED)
    return Mailbox.objects.filter(condition)


def get_mailbox_for_user(request, pk) -> Mailbox:
    if not (can(request.user, MANAGE_MAILBOXES) or can(request.user, CONNECT_OWN_MAILBOX)):
        raise PermissionDenied
    return get_object_or_404(mailboxes_for(request.user), pk=pk)


def triage_q(user) -> Q:
    """The waiting messages `user` may sort: their own mailbox's, the shared ones' by permission."""
    condition = Q(mailbox__kind=Mailbox.Kind.PERSONAL, mailbox__owner=user)
    if can(user, TRIAGE_SHARED_MAIL):
        condition |= Q(mailbox__kind=Mailbox.Kind.SHARED)
    return condition


def triage_mailboxes_for(user):
    condition = Q(kind=Mailbox.Kind.PERSONAL, owner=user)
    if can(user, TRIAGE_SHARED_MAIL):
        condition |= Q(kind=Mailbox.Kind.SHARED)
    return Mailbox.objects.filter(condition)


def triage_messages_for(user):
    return EmailMessage.objects.filter(triage_q(user), status=EmailMessage.Status.TRIAGE)


def get_triage_message_for_user(request, pk) -> EmailMessage:
    if not (can(request.user, TRIAGE_SHARED_MAIL) or can(request.user, CONNECT_OWN_MAILBOX)):
        raise PermissionDenied
    return get_object_or_404(triage_messages_for(request.user).select_related("mailbox"), pk=pk)


def get_synced_message_for_user(request, pk) -> EmailMessage:
    """A synced message (filed or waiting) that `user` may make private: one of their own
    mailbox, or of a shared mailbox when they sort it and may change its customer (making it
    private takes it off that customer's timeline: in the "all" visibility mode another team
    sees the customer but changes nothing of it)."""
    message = get_object_or_404(
        EmailMessage.objects.filter(mailbox__isnull=False).select_related("mailbox", "customer"),
        pk=pk,
    )
    mailbox = message.mailbox
    if mailbox.kind == Mailbox.Kind.PERSONAL:
        if mailbox.owner_id != request.user.pk:
            raise Http404
        return message
    if not can(request.user, TRIAGE_SHARED_MAIL):
        raise PermissionDenied
    if (
        message.customer_id is not None
        and not EmailMessage.objects.visible_to(request.user).filter(pk=message.pk).exists()
    ):
        raise Http404
    if message.customer is not None and not visibility.can_edit_owner(
        request.user, message.customer.owner_id
    ):
        raise PermissionDenied
    return message
