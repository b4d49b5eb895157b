"""Redis stopped under traffic: pages keep answering, and the work a write queued meanwhile runs
once Redis is back (issue 13, "Redis is an optimisation, not a dependency of reading")."""

import time

from django.utils import timezone

from tests import servers


def wait_until(check, *, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"still not true after {timeout}s: {check.__doc__}")


def test_with_redis_stopped_pages_answer_and_queued_work_runs_once_it_is_back(app_database, seeded):
    redis = servers.RedisServer().start()
    env = servers.app_environment(
        DATABASE_URL=app_database,
        REDIS_URL=redis.url,
        CELERY_BROKER_URL=redis.url,
        OUTBOX_RETRY_AFTER=1,
    )
    web, port = servers.gunicorn(env, workers=2)
    worker = None
    browser = servers.Browser(port, seeded["session"])
    customer, invoice = seeded["customer"], seeded["invoice"]
    pages = ["/", "/customers/", f"/customers/{customer}/", "/invoices/", "/value/"]
    try:
        servers.warm_up(port, seeded["session"], pages, workers=2)
        for page in pages:
            assert browser.get(page)[0] == 200, page

        redis.stop()
        answers = [(page, *browser.get(page)[:2]) for _ in range(3) for page in pages]
        assert [a for a in answers if a[1] != 200] == []
        slowest = max(answers, key=lambda a: a[2])
        assert slowest[2] < 2.0, slowest

        status, seconds, _ = browser.post(
            f"/invoices/{invoice}/payments/new/",
            {
                "amount": "1000.00",
                "currency": "PLN",
                "paid_on": timezone.localdate().isoformat(),
                "method": "bank_transfer",
                "reference": "during the outage",
            },
        )
        assert (status, seconds < 2.0) == (302, True)
        waiting = servers.sql(
            app_database,
            "SELECT args FROM core_outboxmessage "
            "WHERE task = 'analytics.tasks.rescore_customer' AND sent_at IS NULL",
        )
        assert [customer] in [row[0] for row in waiting]
        assert servers.sql(app_database, "SELECT count(*) FROM relationships_payment") == [(1,)]

        redis.start()
        worker = servers.celery_worker(env, name="after-outage")
        assert "0 unsent left" in servers.manage(env, "drain_outbox")

        def scored():
            """the customer is scored with the payment made during the outage"""
            rows = servers.sql(
                app_database,
                "SELECT ltv FROM customers_customervalue WHERE customer_id = %s",
                customer,
            )
            return rows[0][0] is not None and rows[0][0] >= 1000

        wait_until(scored)
        for page in pages:
            assert browser.get(page)[0] == 200, page
    finally:
        web.stop()
        if worker:
            worker.stop()
        redis.stop()
