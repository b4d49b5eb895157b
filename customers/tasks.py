from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions():
    """Nightly housekeeping: the session table otherwise grows with every login."""
    call_command("clearsessions")
