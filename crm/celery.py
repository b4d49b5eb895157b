import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _one_beat(**kwargs):
    """Exactly one beat sends the schedule; a second one waits as its standby (core.beat)."""
    from core.beat import hold_the_beat

    hold_the_beat(**kwargs)
