from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import outbox
from core.management.base import TranslatedCommand
from core.models import OutboxMessage


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Publish the background work still waiting in the outbox (what a broker outage left "
        "unsent), oldest first, until none is due or the broker refuses."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=None, help=_("Messages claimed at a time.")
        )

    def handle(self, *args, batch=None, **options):
        sent = 0
        while True:
            result = outbox.drain(limit=batch)
            sent += result["sent"]
            if result["failed"] or not result["sent"]:
                break
        left = OutboxMessage.objects.pending().count()
        self.stdout.write(_("%(sent)s sent, %(left)s unsent left.") % {"sent": sent, "left": left})
        if result["failed"]:
            self.stderr.write(_("The broker refused: %(error)s") % {"error": _last_error()})
            raise SystemExit(1)


def _last_error():
    message = OutboxMessage.objects.pending().exclude(last_error="").order_by("-id").first()
    return message.last_error if message else ""
