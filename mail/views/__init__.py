"""The mail app's pages, one module per concept: compose (writing to a customer, sending again)
and templates (the e-mail templates managers write)."""

from .compose import compose, message_resend
from .templates import template_create, template_edit, template_list

__all__ = ["compose", "message_resend", "template_create", "template_edit", "template_list"]
