from django.contrib import admin

from .models import (
    EmailMessage,
    Mailbox,
    Mailing,
    MailingRecipient,
    MailTemplate,
    SuppressedAddress,
)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "kind", "owner", "is_active", "last_synced_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "address"]
    raw_id_fields = ["owner"]


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "direction", "status", "from_address", "customer", "occurred_at"]
    list_filter = ["direction", "status"]
    search_fields = ["subject", "message_id", "from_address"]
    raw_id_fields = [
        "customer",
        "contact_person",
        "process_instance",
        "interaction",
        "sent_by",
        "attachments",
    ]
    readonly_fields = ["message_id", "in_reply_to", "references", "thread_id", "imap_uid"]


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "purpose", "is_active", "updated_at"]
    list_filter = ["purpose", "language", "is_active"]
    search_fields = ["name", "subject"]


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    list_display = ["address", "reason", "bounces", "last_at"]
    list_filter = ["reason"]
    search_fields = ["address"]


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["name", "purpose", "status", "created_by", "send_started_at", "finished_at"]
    list_filter = ["status", "purpose"]
    search_fields = ["name"]
    raw_id_fields = ["created_by", "sent_by", "template", "segment", "campaign"]


@admin.register(MailingRecipient)
class MailingRecipientAdmin(admin.ModelAdmin):
    list_display = ["address", "mailing", "status", "status_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["address", "message_id"]
    raw_id_fields = ["mailing", "contact", "customer", "process_instance", "interaction"]
    readonly_fields = ["message_id", "claim", "claimed_at", "attempted_at", "sent_at", "error"]
