from django.urls import path

from .views import mailboxes, triage

app_name = "mail"

urlpatterns = [
    # Mailbox sync (mail.services.sync): mailboxes, private addresses, triage.
    path("mailboxes/", mailboxes.mailbox_list, name="mailbox_list"),
    path("mailboxes/shared/new/", mailboxes.mailbox_create_shared, name="mailbox_create_shared"),
    path("mailboxes/mine/new/", mailboxes.mailbox_create_own, name="mailbox_create_own"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_detail, name="mailbox_detail"),
    path("mailboxes/<int:pk>/edit/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox_test"),
    path("mailboxes/private/", mailboxes.private_address_add, name="private_address_add"),
    path(
        "mailboxes/private/<int:pk>/remove/",
        mailboxes.private_address_remove,
        name="private_address_remove",
    ),
    path("triage/", triage.triage_list, name="triage_list"),
    path("triage/<int:pk>/", triage.triage_detail, name="triage_detail"),
    path("triage/<int:pk>/customer/", triage.triage_create_customer, name="triage_create_customer"),
    path("triage/<int:pk>/attach/<int:customer_pk>/", triage.triage_attach, name="triage_attach"),
    path("triage/<int:pk>/dismiss/", triage.triage_dismiss, name="triage_dismiss"),
    path("messages/<int:pk>/private/", triage.message_make_private, name="message_make_private"),
]
