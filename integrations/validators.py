"""What a webhook target and a web form's origin may be.

A webhook makes the CRM's server send requests where a manager says. Pointed at the loopback
or the internal network, that would reach services meant to be unreachable from outside (SSRF),
so targets on such addresses are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS (on by default
only with DEBUG, for development and the tests' receiver on 127.0.0.1). The check runs when a
subscription is saved and again, on the resolved addresses, before every delivery.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import events
from core.network import is_local_name, reaches_private_network


def private_target_error(url: str) -> str:
    """Why the CRM must not send to `url` (empty when it may): its host is, or resolves to, a
    loopback, private, link-local or otherwise non-public address."""
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        return str(_("The port is not a number between 0 and 65535."))
    if is_local_name(host):
        return str(_("Webhooks cannot be sent to this server itself."))
    if reaches_private_network(host, port):
        return str(_("Webhooks cannot be sent to a loopback or private network address."))
    return ""


def validate_target_url(value: str):
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an http:// or https:// address."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(
            _("Leave the user name and password out of the address."), code="credentials"
        )
    if error := private_target_error(value):
        raise ValidationError(error, code="private")


def validate_origin(value: str):
    """An origin: scheme, host and optional port, nothing else (https://www.example.com)."""
    if not value:
        return
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ValidationError(
            _("Enter the website's origin only, e.g. https://www.example.com."), code="origin"
        )


def normal_origin(value: str) -> str:
    """An origin as browsers send it in the Origin header: no trailing slash, lower case."""
    return (value or "").strip().rstrip("/").lower()


def validate_event_names(value):
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one event."), code="events")
    unknown = [name for name in value if name not in events.EVENTS]
    if unknown:
        raise ValidationError(
            _("Unknown events: %(names)s."),
            code="events",
            params={"names": ", ".join(map(str, unknown))},
        )
