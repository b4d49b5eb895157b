"""Every log-in, by whatever path (the log-in pages, the admin's, a test client), starts a
bounded session (core.sessions): the receiver only stamps the session."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .sessions import session_start


@receiver(user_logged_in)
def _session_start(sender, request, user, **kwargs):
    if request is not None:
        session_start(request, user)
