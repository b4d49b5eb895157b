"""Templates staff write: Django's template language, cut down to variables, filters and
{% if %}/{% for %}, rendered over plain values (never model objects, so a template cannot reach
further than the variables offered, say from a customer to its owner's password hash).

    subject, body = render_mail(template, {"customer": {"name": "Nowak sp. z o.o."}})

Each purpose offers its variables (VARIABLES); a template naming another one, or using another
tag ({% load %}, {% include %}, {% debug %} ...), is refused when it is saved, beside its field.
The caller builds the values in the reader's language (amounts and dates formatted), see
`mail.services` for the contexts.
"""

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils.translation import gettext_lazy as _

ALLOWED_TAGS = {"if", "elif", "else", "endif", "for", "empty", "endfor", "comment", "endcomment"}

_COMMON = {
    "customer.name": _("the customer's name"),
    "contact.name": _("the contact person's full name"),
    "contact.first_name": _("the contact person's first name"),
    "sender.name": _("your name"),
    "sender.email": _("your e-mail address"),
}
VARIABLES = {
    "customer": _COMMON,
    "invoice": {
        **_COMMON,
        "invoice.number": _("the invoice's number"),
        "invoice.total": _("the invoice's total"),
        "invoice.balance": _("what is left to pay"),
        "invoice.due_on": _("the due date"),
    },
    "ticket": {
        **_COMMON,
        "ticket.title": _("the ticket's subject"),
        "ticket.number": _("the ticket's number"),
        "ticket.deadline": _("the resolution deadline"),
        "ticket.stage": _("the ticket's stage"),
    },
    "collection": {
        **_COMMON,
        "invoice.number": _("the invoice's number"),
        "invoice.balance": _("what is left to pay"),
        "invoice.due_on": _("the due date"),
        "case.stage": _("the collection stage"),
    },
    "deal": {
        **_COMMON,
        "deal.title": _("the deal's title"),
        "deal.amount": _("the deal's value"),
        "deal.stage": _("the deal's stage"),
        "deal.expected_close_on": _("the expected close date"),
    },
    "mailing": {
        **_COMMON,
        "unsubscribe_url": _("the one-click unsubscribe address"),
    },
}

# No loaders (no {% include %}/{% extends %} can find anything), no libraries to {% load %};
# text e-mail: nothing is HTML-escaped.
ENGINE = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


def _variable_name(token_contents: str) -> str:
    return token_contents.split("|", 1)[0].strip()


def template_errors(text: str, purpose: str) -> list[str]:
    """Why `text` cannot be a template of `purpose`; empty when it can."""
    allowed = VARIABLES.get(purpose, _COMMON)
    # Loop variables ({% for line in ... %}) are not offered today; keep the check simple.
    errors = []
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.VAR:
            name = _variable_name(token.contents)
            if name not in allowed:
                errors.append(
                    str(_("Unknown variable {{ %(name)s }}. Available: %(names)s."))
                    % {"name": name, "names": ", ".join(sorted(allowed))}
                )
        elif token.token_type == TokenType.BLOCK:
            tag = token.contents.split()[0] if token.contents.split() else ""
            if tag not in ALLOWED_TAGS:
                errors.append(
                    str(_("The tag {%% %(tag)s %%} cannot be used in an e-mail template."))
                    % {"tag": tag}
                )
    if not errors:
        try:
            ENGINE.from_string(text)
        except TemplateSyntaxError as error:
            errors.append(str(_("The template is not valid: %(error)s")) % {"error": error})
    return errors


def validate_template(template, *, field: str) -> None:
    errors = template_errors(getattr(template, field) or "", template.purpose)
    if errors:
        raise ValidationError({field: errors})


def render_text(text: str, context: dict) -> str:
    return ENGINE.from_string(text).render(Context(context, autoescape=False))


def render_mail(template, context: dict) -> tuple[str, str]:
    """The subject (on one line) and the body of `template` over `context` (plain values)."""
    subject = " ".join(render_text(template.subject, context).split())
    return subject[:300], render_text(template.body, context)
