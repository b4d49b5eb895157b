"""The kernel's views and what every app's views share.

- `bounds`: the admin's page of stored values outside the accepted bounds.
- `language`: the user menu's choice of language, saved on the profile.
- `helpers`: calling a service from a form view (`run_service`), lists (`paginate`), the plain
  form page (`render_object_form`) and going back after an action (`redirect_back`).
"""

from .bounds import out_of_bounds
from .language import language_choose

__all__ = ["language_choose", "out_of_bounds"]
