"""Documents: uploads checked by their bytes."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import uploads
from customers.models import Customer

from ..models import Document

TEXT_PROBLEMS = {
    "binary": gettext_lazy(
        "The file holds binary data, not text, so it cannot be attached as %(extension)s."
    ),
    "encoding": gettext_lazy(
        "The file is not text in UTF-8 or Windows-1250/1251, so it cannot be attached as "
        "%(extension)s."
    ),
    "markup": gettext_lazy(
        "The file looks like a web page or a script (HTML, SVG, XML), which cannot be attached."
    ),
}


def document_file_check(uploaded) -> str:
    """The content type an uploaded file is stored and served with, read from its bytes: its
    name's extension must be allowed, and its content must be of that extension's type (the
    type the browser declared is not trusted). Raises ValidationError with a message for the
    file field."""
    if getattr(uploaded, "oversized", False) or uploaded.size > settings.DOCUMENT_MAX_SIZE:
        raise ValidationError(
            _("Files may be at most %(limit)s; this one is larger.")
            % {"limit": filesizeformat(settings.DOCUMENT_MAX_SIZE)},
            code="too_large",
        )
    allowed = settings.DOCUMENT_ALLOWED_TYPES
    extension = PurePath(uploaded.name or "").suffix.lower()
    if extension not in allowed:
        raise ValidationError(
            _("Files of this type cannot be attached. Allowed: %(types)s.")
            % {"types": ", ".join(sorted(allowed))},
            code="type_not_allowed",
        )
    if not uploaded.size:
        raise ValidationError(_("The file is empty."), code="empty")
    expected = allowed[extension]
    if expected.startswith("text/"):
        # Plain text has no magic number: it is text if it decodes and holds no NUL bytes.
        problem = uploads.text_problem(uploaded)
        if problem:
            raise ValidationError(
                TEXT_PROBLEMS[problem] % {"extension": extension}, code=f"text_{problem}"
            )
        return expected
    found = uploads.content_types(uploaded)
    if expected not in found:
        raise ValidationError(
            _("The file's content (%(content_type)s) does not match its name (%(extension)s).")
            % {"content_type": found[0] if found else _("unknown"), "extension": extension},
            code="type_mismatch",
        )
    return expected


@transaction.atomic
def document_upload(
    *, customer: Customer, by, file, title="", contract=None, invoice=None, asset=None
) -> Document:
    content_type = document_file_check(file)
    name = uploads.safe_filename(
        file.name, max_length=Document._meta.get_field("original_name").max_length
    )
    document = Document(
        customer=customer,
        contract=contract,
        invoice=invoice,
        asset=asset,
        title=(title or "").strip()
        or uploads.safe_filename(name, max_length=Document._meta.get_field("title").max_length),
        file=file,
        original_name=name,
        content_type=content_type,
        size=file.size,
        uploaded_by=by,
    )
    document.full_clean()
    document.save()
    return document
