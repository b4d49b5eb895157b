"""The kernel's views and what every app's views share.

- `audit`: the audit list, and a record's history page (`render_history`), both readable.
- `bounds`: the admin's page of stored values outside the accepted bounds.
- `helpers`: calling a service from a form view (`run_service`), lists (`paginate`), the plain
  form page (`render_object_form`) and going back after an action (`redirect_back`).
"""

from .audit import audit_list
from .bounds import out_of_bounds

__all__ = ["audit_list", "out_of_bounds"]
