"""The kernel's views and what every app's views share.

- `audit`: the audit list, and a record's history page (`render_history`), both readable.
- `bounds`: the admin's page of stored values outside the accepted bounds.
- `language`: the user menu's choice of language, saved on the profile.
- `alerts`: My settings' choice of alerts by e-mail at once or only in the digest.
- `helpers`: calling a service from a form view (`run_service`), lists (`paginate`), the plain
  form page (`render_object_form`) and going back after an action (`redirect_back`).
"""

from .alerts import alerts_choose
from .audit import audit_list
from .bounds import out_of_bounds
from .language import language_choose

__all__ = ["alerts_choose", "audit_list", "language_choose", "out_of_bounds"]
