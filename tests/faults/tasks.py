"""A task for the worker-killed fault run: the real single-customer rescoring, then a pause the
first time it is delivered, so the test can kill the worker after the effect and before the
acknowledgement, which is when a redelivery could double an effect."""

import json
import time
from pathlib import Path

from celery import shared_task


@shared_task(bind=True, name="tests.faults.rescore_then_linger")
def rescore_then_linger(self, customer_id, folder):
    from analytics import scoring

    changed = scoring.score_customer(customer_id)
    started = Path(folder) / "started"
    if not started.exists():
        started.write_text(self.request.hostname)
        time.sleep(120)
    (Path(folder) / "done").write_text(
        json.dumps({"worker": self.request.hostname, "changed": changed})
    )
