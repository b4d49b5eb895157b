from django.urls import path

from . import views
from .views import mailboxes, mailings, triage, unsubscribe

app_name = "mail"

urlpatterns = [
    path("mail/mailings/", mailings.mailing_list, name="mailing_list"),
    path("mail/mailings/new/", mailings.mailing_create, name="mailing_create"),
    path("mail/mailings/<int:pk>/", mailings.mailing_detail, name="mailing_detail"),
    path("mail/mailings/<int:pk>/edit/", mailings.mailing_edit, name="mailing_edit"),
    path("mail/mailings/<int:pk>/send/", mailings.mailing_send, name="mailing_send"),
    path("mail/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("customers/<int:pk>/email/", views.compose, name="compose"),
    path("email/<int:pk>/send-again/", views.message_resend, name="message_resend"),
    path("email/templates/", views.template_list, name="template_list"),
    path("email/templates/new/", views.template_create, name="template_create"),
    path("email/templates/<int:pk>/", views.template_edit, name="template_edit"),
    # Mailbox sync (mail.services.sync): mailboxes, private addresses, triage.
    path("mail/mailboxes/", mailboxes.mailbox_list, name="mailbox_list"),
    path(
        "mail/mailboxes/shared/new/",
        mailboxes.mailbox_create_shared,
        name="mailbox_create_shared",
    ),
    path("mail/mailboxes/mine/new/", mailboxes.mailbox_create_own, name="mailbox_create_own"),
    path("mail/mailboxes/<int:pk>/", mailboxes.mailbox_detail, name="mailbox_detail"),
    path("mail/mailboxes/<int:pk>/edit/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("mail/mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox_test"),
    path("mail/mailboxes/private/", mailboxes.private_address_add, name="private_address_add"),
    path(
        "mail/mailboxes/private/<int:pk>/remove/",
        mailboxes.private_address_remove,
        name="private_address_remove",
    ),
    path("mail/triage/", triage.triage_list, name="triage_list"),
    path("mail/triage/<int:pk>/", triage.triage_detail, name="triage_detail"),
    path(
        "mail/triage/<int:pk>/customer/",
        triage.triage_create_customer,
        name="triage_create_customer",
    ),
    path(
        "mail/triage/<int:pk>/attach/<int:customer_pk>/",
        triage.triage_attach,
        name="triage_attach",
    ),
    path("mail/triage/<int:pk>/dismiss/", triage.triage_dismiss, name="triage_dismiss"),
    path(
        "mail/messages/<int:pk>/private/",
        triage.message_make_private,
        name="message_make_private",
    ),
]
