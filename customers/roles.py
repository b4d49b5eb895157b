"""Being replaced by core.permissions and each app's permissions.py (processes and relationships
still read it until they are converted).

Roles are auth groups (created by a data migration); views name the roles that may use them.

Superusers may use everything. A logged-in user without a matching role gets 403.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.permissions import user_roles

SALES = "sales"
SERVICE = "service"
FINANCE = "finance"
MANAGER = "manager"

ROLE_LABELS = {
    SALES: _("Sales"),
    SERVICE: _("Service"),
    FINANCE: _("Finance"),
    MANAGER: _("Manager"),
}
ALL_ROLES = tuple(ROLE_LABELS)

# Who may do what with the customer file; views and templates read these, never literal lists.
VIEW_CUSTOMERS = ALL_ROLES
EDIT_CUSTOMERS = (SALES, MANAGER)
EDIT_CONTACTS = (SALES, SERVICE, MANAGER)
LOG_INTERACTIONS = ALL_ROLES
START_RELATIONSHIP = (SALES, MANAGER)
END_RELATIONSHIP = (MANAGER,)

# Contracts, billing, payouts, equipment and documents (relationships app).
CREATE_CONTRACTS = (SALES, MANAGER)
TERMINATE_CONTRACTS = (SALES, MANAGER)
VIEW_FINANCE = (FINANCE, MANAGER)
ISSUE_INVOICES = (FINANCE, MANAGER)
REGISTER_PAYMENTS = (FINANCE, MANAGER)
WRITE_OFF = (FINANCE, MANAGER)
REQUEST_PAYOUTS = ALL_ROLES
APPROVE_PAYOUTS = (MANAGER,)
PAY_PAYOUTS = (FINANCE, MANAGER)
# Past periods beyond BILLING_MAX_PERIODS_PER_RUN are billed only once one of these confirms.
CONFIRM_BACKBILLING = (SALES, FINANCE, MANAGER)
MANAGE_ASSETS = (SERVICE, MANAGER)
UPLOAD_DOCUMENTS = ALL_ROLES


def has_role(user, roles):
    return bool(user_roles(user) & set(roles))


def role_required(*roles):
    """Login required, then 403 unless the user holds one of `roles`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles
        return wrapper

    return decorator


# Processes: sales pipeline, tickets, collections, retention, tasks and approvals (processes app).
VIEW_PROCESSES = ALL_ROLES
WORK_SALES = (SALES, MANAGER)
WORK_ONBOARDING = (SALES, SERVICE, MANAGER)
WORK_TICKETS = (SERVICE, MANAGER)
WORK_COLLECTIONS = (FINANCE, MANAGER)
WORK_RETENTION = (SALES, MANAGER)
WORK_CUSTOM_PROCESSES = ALL_ROLES
WORK_TASKS = ALL_ROLES
APPROVE = (MANAGER,)
MANAGE_DEFINITIONS = (MANAGER,)

# Customer value (analytics app): everyone reads how it is computed, managers change it.
MANAGE_SCORING = (MANAGER,)
# Manager reports and dashboards (analytics app).
VIEW_REPORTS = (MANAGER,)
# The data quality template: what a complete customer record holds (analytics app).
MANAGE_DATA_QUALITY = (MANAGER,)
