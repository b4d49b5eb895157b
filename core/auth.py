"""Logging in."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's log-in form with the username's length checked on the server.

    AuthenticationForm sets the field's max_length after building it, so only the browser knew
    the limit: a 100 KB username reached authenticate(), and django-axes' log of the failure
    (a varchar of 255) made PostgreSQL answer 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
