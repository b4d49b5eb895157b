from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions():
    """Nightly housekeeping: the session table otherwise grows with every login."""
    call_command("clearsessions")


@shared_task
def find_duplicate_customers():
    """Nightly: likely duplicates among the customers created or changed lately."""
    from .duplicates import duplicates_scan_recent

    return duplicates_scan_recent()
