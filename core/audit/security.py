"""Security events in the audit: log-ins, failed log-ins, lock-outs, refused pages and exports.

They are written by Python (a trigger cannot see a request). A refused page's row is written
by the middleware after the view's transactions have ended (PermissionDenied left them rolled
back), so it stays.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied

from .context import audit_context, client_address, current


def record(action, *, request=None, user=None, username="", details=None):
    """Writes one security event about `request` (its path and client address) by `user`."""
    from ..models import AuditEvent

    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if user is not None and not username:
        username = user.get_username()
    source = request.path if request is not None else current().as_dict().get("source", "")
    return AuditEvent.objects.create(
        action=action,
        user=user,
        username=(username or "")[:150],
        source=(source or "")[:300],
        client_address=client_address(request) if request is not None else None,
        details=details or {},
    )


def record_export(request, *, name, rows, filters=None, user=None):
    """Who exported which list, with which filters, how many rows (`request` None and `user`
    given: a background export, written by a worker)."""
    from ..models import AuditEvent

    if filters is None and request is not None:
        filters = {
            key: values if len(values) > 1 else values[0]
            for key, values in request.GET.lists()
            if key != "format"
        }
    record(
        AuditEvent.Action.EXPORT,
        request=request,
        user=user,
        details={"list": name, "filters": filters or {}, "rows": rows},
    )


def _logged_in(sender, request, user, **kwargs):
    from ..models import AuditEvent

    record(AuditEvent.Action.LOGIN, request=request, user=user)


def _login_failed(sender, credentials, request=None, **kwargs):
    from ..models import AuditEvent

    record(
        AuditEvent.Action.LOGIN_FAILED,
        request=request,
        username=credentials.get("username", ""),
    )


def _locked_out(sender, request, username, ip_address, **kwargs):
    from ..models import AuditEvent

    record(
        AuditEvent.Action.LOCKED_OUT,
        request=request,
        username=username or "",
        details={"ip_address": ip_address},
    )


def connect():
    from axes.signals import user_locked_out

    user_logged_in.connect(_logged_in, dispatch_uid="crm_audit_logged_in")
    user_login_failed.connect(_login_failed, dispatch_uid="crm_audit_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="crm_audit_locked_out")


class AuditMiddleware:
    """Each request's writes are recorded as the request user's, from its path; a refused page
    (PermissionDenied raised anywhere below) becomes a security event with the permission the
    view required, when it declared one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(source=request.path, request=request):
            return self.get_response(request)

    def process_exception(self, request, exception):
        from ..models import AuditEvent

        if isinstance(exception, PermissionDenied):
            match = getattr(request, "resolver_match", None)
            permission = getattr(getattr(match, "func", None), "permission", None)
            details = {"method": request.method}
            if permission is not None:
                details["permission"] = permission.codename
            if match is not None and match.view_name:
                details["view"] = match.view_name
            record(AuditEvent.Action.DENIED, request=request, details=details)
        return None
