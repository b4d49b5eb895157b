"""A Celery worker killed mid-task: the task goes to another worker and its effect happens once
(issue 13, "kill a Celery worker mid-task (retried with no double effect)")."""

import json
import time

from tests import servers


def test_a_worker_killed_mid_task_hands_it_to_another_and_the_effect_happens_once(
    app_database, seeded, tmp_path
):
    redis = servers.RedisServer().start()
    env = servers.app_environment(
        DATABASE_URL=app_database,
        CELERY_BROKER_URL=redis.url,
        # A killed worker's task is handed on after 2 s instead of an hour.
        CELERY_VISIBILITY_TIMEOUT=2,
        CELERY_UNACKED_RESTORE_INTERVAL=1,
        CELERY_UNACKED_RESTORE_THROTTLE=1,
    )
    customer = seeded["customer"]
    scores = "SELECT count(*) FROM analytics_customerscore WHERE customer_id = %s"
    first = second = None
    try:
        first = servers.celery_worker(env, name="first", include="tests.faults.tasks")
        servers.run_python(
            env,
            "from core import outbox\n"
            f"outbox.enqueue('tests.faults.rescore_then_linger', {customer}, '{tmp_path}')\n"
            "print(json.dumps(None))",
        )
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline, first.output()
            time.sleep(0.1)
        assert servers.sql(app_database, scores, customer) == [(1,)]  # the effect, not acked

        first.kill()  # SIGKILL: no chance to hand the task back itself
        second = servers.celery_worker(env, name="second", include="tests.faults.tasks")
        deadline = time.monotonic() + 40
        while not (tmp_path / "done").exists():
            assert time.monotonic() < deadline, second.output()
            time.sleep(0.2)
    finally:
        for worker in (first, second):
            if worker:
                worker.stop()
        redis.stop()

    done = json.loads((tmp_path / "done").read_text())
    assert done["worker"].startswith("second@")
    assert done["changed"] is False  # the second run found the work done
    assert servers.sql(app_database, scores, customer) == [(1,)]
    assert (tmp_path / "started").read_text().startswith("first@")
