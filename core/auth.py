"""Logging in."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
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


class ProfileModelBackend(ModelBackend):
    """Django's ModelBackend, except that the user each request loads from the session comes
    with their profile (`crm_profile`, a LEFT JOIN in the same query): the language middleware
    (core.i18n) reads the profile's language on every request without a query of its own."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("crm_profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
