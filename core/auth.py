"""Logging in: the password form, the second step's code form, and the two-factor forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import fastpath, mfa
from .login_limits import username_wait_seconds


class LoginForm(AuthenticationForm):
    """Django's log-in form with the username's length checked on the server, and the
    per-username soft limit (core.login_limits) asked before the password is.

    AuthenticationForm sets the field's max_length after building it, so only the browser knew
    the limit: a 100 KB username reached authenticate(), and django-axes' log of the failure
    (a varchar of 255) made PostgreSQL answer 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password") and self.request is not None:
            seconds = username_wait_seconds(self.request, username)
            if seconds:
                raise forms.ValidationError(
                    ngettext(
                        "This username has had many failed log-ins from other places recently, "
                        "so each attempt from here waits a little. Try again in %(seconds)s "
                        "second.",
                        "This username has had many failed log-ins from other places recently, "
                        "so each attempt from here waits a little. Try again in %(seconds)s "
                        "seconds.",
                        seconds,
                    ),
                    code="wait",
                    params={"seconds": seconds},
                )
        return super().clean()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=mfa.CODE_MAX_LENGTH,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=mfa.CODE_MAX_LENGTH,
        help_text=_("The 6 digits the app shows once it has read the QR code or the key."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class DisableForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=mfa.CODE_MAX_LENGTH,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not right."), code="password")
        return password


class ProfileModelBackend(ModelBackend):
    """Django's ModelBackend, except that the user each request loads from the session comes
    with their profile (`crm_profile`, a LEFT JOIN in the same query): the language middleware
    (core.i18n) reads the profile's language on every request without a query of its own."""

    def get_user(self, user_id):
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:  # not an id a session of ours holds
            return None
        users = _user_with_profile(pk)
        return users[0] if users and self.user_can_authenticate(users[0]) else None


# Every request's first query after the session's: compiled once per process (core.fastpath).
_user_with_profile = fastpath.UserRows(
    lambda user: get_user_model()._default_manager.select_related("crm_profile").filter(pk=user)
)
