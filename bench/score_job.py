#!/usr/bin/env python
"""Time the nightly scoring job against one plain SQL aggregate; bench/README.md explains it.

    .venv/bin/python bench/score_job.py --size 100k

1. Database crm_bench_<size>: created and filled, or reused and migrated, exactly as bench/run.py
   does (its prepare_database).
2. Baseline: one SQL aggregate summing every customer's payments over their invoices
   (payments JOIN invoices GROUP BY customer, currency), every row fetched through a server-side
   cursor; best of 3, wall clock.
3. The job from scratch: scores, runs and the customers' value rows reset, then
   `manage.py score_customers` in a subprocess under /usr/bin/time -v (wall time, peak RSS):
   every customer's score changes.
4. The job again right after: steady state, nothing changes.
5. A new version of the scoring parameters (the newest one's numbers copied), then the job again:
   every score changes and every current score is retired.
6. A table on stdout and bench/results/score-job-<size>-<time>.json.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as page_bench  # bench/run.py: the database and the shared helpers
from run import RESULTS, ROOT, log, size_label

# From the issue: the job within 3x of the plain aggregate; peak memory under 300 MB at 1M.
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300
TIME = "/usr/bin/time"

BASELINE_SQL = """
SELECT i.customer_id, i.currency, sum(p.amount), count(*)
FROM relationships_payment p
JOIN relationships_invoice i ON i.id = p.invoice_id
GROUP BY 1, 2
"""

# Before the first run: no score, no run, and the customers' value rows at their defaults
# (as the trigger inserts them for a new customer), so every customer's score changes.
RESET_SQL = [
    "DELETE FROM analytics_customerscore",
    "DELETE FROM analytics_scoringrun",
    "UPDATE customers_customervalue SET grade = NULL, ltv = NULL, ltv_currency = '', "
    "payment_reliability = NULL, avg_days_late = NULL, scored_at = NULL "
    "WHERE scored_at IS NOT NULL OR grade IS NOT NULL OR ltv IS NOT NULL OR ltv_currency <> '' "
    "OR payment_reliability IS NOT NULL OR avg_days_late IS NOT NULL",
]
# The reset's dead rows are vacuumed away so the first run does not pay for them.
VACUUM_TABLES = (
    "customers_customer",
    "customers_customervalue",
    "analytics_customerscore",
    "analytics_scoringrun",
)
VOLUME_TABLES = (
    "customers_customer",
    "relationships_invoice",
    "relationships_payment",
    "relationships_payout",
    "relationships_contract",
    "relationships_interaction",
    "processes_ticket",
    "analytics_customerscore",
)


# --- The baseline ---------------------------------------------------------------------------


def time_baseline(server, database, repeats):
    """Seconds per run of BASELINE_SQL with every row fetched, and the number of rows."""
    import psycopg

    timings, rows = [], 0
    with psycopg.connect(f"{server}/{database}") as connection:
        for _ in range(repeats):
            started = time.perf_counter()
            with connection.cursor(name="score_job_baseline") as cursor:
                cursor.itersize = 10_000
                cursor.execute(BASELINE_SQL)
                rows = sum(1 for _ in cursor)
            connection.commit()
            timings.append(time.perf_counter() - started)
    return timings, rows


def explain_baseline(server, database):
    with page_bench.connect(server, database) as connection:
        return [row[0] for row in connection.execute("EXPLAIN " + BASELINE_SQL)]


# --- The job ----------------------------------------------------------------------------------


def ensure_time():
    if Path(TIME).exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing GNU time with apt-get (wall time and peak memory of the job)")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "time"], env=env, **quiet).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "time"], env=env, **quiet)
    if not Path(TIME).exists():
        sys.exit(f"{TIME} is missing: install GNU time (apt-get install time)")


def reset_scores(server, database):
    """Seconds taken: {"reset": the three statements, "vacuum": VACUUM ANALYZE}, and the
    number of customers whose value rows were reset."""
    with page_bench.connect(server, database) as connection:
        started = time.perf_counter()
        for statement in RESET_SQL:
            customers = connection.execute(statement).rowcount
        reset = time.perf_counter() - started
        started = time.perf_counter()
        for table in VACUUM_TABLES:
            connection.execute(f"VACUUM ANALYZE {table}")
    return {
        "reset_seconds": reset,
        "vacuum_seconds": time.perf_counter() - started,
        "customers_reset": customers,
    }


def new_parameters(server, database):
    """A new version of the scoring parameters, the newest one's numbers copied (what a manager
    saving the /value/ page does): every score changes, since each names its version, and every
    current score is retired. Returns the new version's number."""
    kept = ("id", "version", "note", "created_at")
    with page_bench.connect(server, database) as connection:
        columns = [
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'analytics_scoringparameters' ORDER BY ordinal_position"
            )
            if row[0] not in kept
        ]
        listed = ", ".join(columns)
        return connection.execute(
            f"INSERT INTO analytics_scoringparameters (version, note, created_at, {listed}) "
            f"SELECT version + 1, 'bench/score_job.py: new parameters', now(), {listed} "
            "FROM analytics_scoringparameters ORDER BY version DESC LIMIT 1 RETURNING version"
        ).fetchone()[0]


def volumes(server, database):
    """Rows per table, from the planner's statistics (instant at 1M); customers counted."""
    with page_bench.connect(server, database) as connection:
        rows = connection.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [list(VOLUME_TABLES)],
        ).fetchall()
        customers = connection.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    return {**dict(rows), "customers_customer": customers}  # customers exactly


def last_run(server, database):
    with page_bench.connect(server, database) as connection:
        row = connection.execute(
            "SELECT status, scored, changed, extract(epoch FROM finished_at - started_at) "
            "FROM analytics_scoringrun ORDER BY started_at DESC, id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    status, scored, changed, seconds = row
    return {
        "status": status,
        "scored": scored,
        "changed": changed,
        "seconds": float(seconds) if seconds is not None else None,
    }


def time_v_field(output, label):
    match = re.search(rf"^\s*{re.escape(label)}[^:]*(?:\([^)]*\))?: (.+)$", output, re.M)
    return match[1].strip() if match else None


def clock_seconds(text):
    """'1:02:03.45' or '2:03.45' (h:mm:ss or m:ss) → seconds."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def run_job(case, server, database, batch_size, workers):
    """`manage.py score_customers` in a subprocess under /usr/bin/time -v."""
    command = [sys.executable, "manage.py", "score_customers"]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    if workers:
        command += ["--workers", str(workers)]
    log(f"{case}: {' '.join(command[1:])}")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-v", "-o", report.name, *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        measured = report.read()
    if done.returncode:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
        sys.exit(f"score_customers exited with {done.returncode}")
    summary = re.search(r"Scored (\d+) customers, (\d+) changed, in ([\d.]+) s", done.stdout)
    elapsed = time_v_field(measured, "Elapsed (wall clock) time")
    peak_kb = time_v_field(measured, "Maximum resident set size")
    user = time_v_field(measured, "User time")
    system = time_v_field(measured, "System time")
    result = {
        "case": case,
        "command": " ".join(command[1:]),
        "seconds": clock_seconds(elapsed) if elapsed else wall,
        "job_seconds": float(summary[3]) if summary else None,  # inside the command
        "python_cpu_seconds": (float(user) + float(system)) if user and system else None,
        "peak_mb": int(peak_kb) / 1024 if peak_kb else None,
        "scored": int(summary[1]) if summary else None,
        "changed": int(summary[2]) if summary else None,
        "run": last_run(server, database),
    }
    log(
        f"  {result['seconds']:.1f} s, peak {result['peak_mb'] or 0:.0f} MB, "
        f"{result['scored']} scored, {result['changed']} changed"
    )
    return result


# --- Reporting --------------------------------------------------------------------------------


def table(baseline, jobs):
    header = (
        f"{'case':<38} {'job s':>7} {'process s':>9} {'py CPU s':>8} {'peak MB':>7} "
        f"{'changed':>9} {'x agg':>6} {'x agg (process)':>15}"
    )
    lines = [header, "-" * len(header)]
    lines.append(
        f"{'Plain SQL aggregate, best of ' + str(len(baseline['timings'])):<38} "
        f"{baseline['seconds']:>7.2f} {'':>9} {'':>8} {'':>7} {'':>9} {1:>6.2f} {'':>15}"
    )
    for job in jobs:

        def number(value, spec):
            return format(value, spec) if value is not None else "?"

        lines.append(
            f"{job['case']:<38} {number(job['job_seconds'], '.2f'):>7} {job['seconds']:>9.2f} "
            f"{number(job['python_cpu_seconds'], '.2f'):>8} {number(job['peak_mb'], '.0f'):>7} "
            f"{number(job['changed'], ','):>9} {job['ratio']:>6.2f} {job['ratio_process']:>15.2f}"
        )
    return "\n".join(lines)


def misses(jobs):
    """'case (why)' for each run that misses a target."""
    missed = []
    for job in jobs:
        reasons = []
        if job["ratio"] > TARGET_RATIO:
            reasons.append(f"{job['ratio']:.1f}x > {TARGET_RATIO:g}x")
        if job["peak_mb"] is None or job["peak_mb"] >= TARGET_PEAK_MB:
            reasons.append(f"peak {job['peak_mb'] or 0:.0f} MB >= {TARGET_PEAK_MB} MB")
        if reasons:
            missed.append(f"{job['case']} ({', '.join(reasons)})")
    return missed


# --- Main -------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    page_bench.add_database_arguments(parser)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="passed to score_customers --batch-size (default: the command's own)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="passed to score_customers --workers (default: SCORING_WORKERS, 2)",
    )
    parser.add_argument(
        "--steady-only",
        action="store_true",
        help="skip the reset and the first run: time only a run over unchanged scores",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of the aggregate; the best counts (default 3)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a run of the job misses its target",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="create or check the database and stop, without measuring",
    )
    args = parser.parse_args()

    label = size_label(args.size)
    name = page_bench.database_name(args)
    os.environ.update(
        {
            "CRM_BENCH": "1",
            "DJANGO_SETTINGS_MODULE": "crm.settings.bench",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": page_bench.HOST,
            "DATABASE_URL": f"{args.server}/{name}",
            # The job queues nothing, but nothing should reach a real worker if it ever does.
            "CELERY_BROKER_URL": "memory://",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.chdir(ROOT)

    generated = page_bench.prepare_database(args, name)  # migrates a reused database
    if args.prepare_only:
        return
    ensure_time()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    busy_before = page_bench.cpu_busy()
    if busy_before is not None and busy_before > 0.25:
        log(
            f"the machine is busy ({busy_before:.0%} of its CPU time in use): "
            "the numbers will be worse than on an idle machine"
        )

    log(f"baseline: the plain aggregate, best of {args.repeats}")
    timings, baseline_rows = time_baseline(args.server, name, args.repeats)
    baseline = {
        "sql": " ".join(BASELINE_SQL.split()),
        "plan": explain_baseline(args.server, name),
        "timings": timings,
        "seconds": min(timings),
        "rows": baseline_rows,
    }
    log(f"  {', '.join(f'{t:.2f}' for t in timings)} s; {baseline_rows:,} rows")

    jobs, expectations, reset = [], [], None
    if not args.steady_only:
        log("resetting scores, runs and the customers' value rows; VACUUM ANALYZE")
        reset = reset_scores(args.server, name)
        log(
            f"  reset {reset['reset_seconds']:.1f} s ({reset['customers_reset']:,} customers' "
            f"value rows), VACUUM ANALYZE {reset['vacuum_seconds']:.1f} s"
        )
        jobs.append(
            run_job(
                "Scoring job, first run (all change)",
                args.server,
                name,
                args.batch_size,
                args.workers,
            )
        )
        expectations.append("all")
    else:
        # Scored before and unchanged since: this run is itself a steady state; a second
        # one after it is the figure.
        log("--steady-only: one run to bring every score up to date, untimed")
        run_job("Scoring job, catching up", args.server, name, args.batch_size, args.workers)
    data = volumes(args.server, name)
    jobs.append(
        run_job(
            "Scoring job, again (steady state)", args.server, name, args.batch_size, args.workers
        )
    )
    expectations.append("none")
    if not args.steady_only:
        log(f"new scoring parameters: version {new_parameters(args.server, name)}")
        jobs.append(
            run_job(
                "Scoring job, new parameters (all change)",
                args.server,
                name,
                args.batch_size,
                args.workers,
            )
        )
        expectations.append("all")
    customers = data.get("customers_customer") or 0
    for job, expected in zip(jobs, expectations, strict=True):
        # The target is on the job's own time; the process's (with Python and Django start-up,
        # about a second) is in the table as well.
        job_seconds = job["job_seconds"] if job["job_seconds"] is not None else job["seconds"]
        job["ratio"] = job_seconds / baseline["seconds"]
        job["ratio_process"] = job["seconds"] / baseline["seconds"]
        job["met"] = job["ratio"] <= TARGET_RATIO and (
            job["peak_mb"] is not None and job["peak_mb"] < TARGET_PEAK_MB
        )
        job["expected_changed"] = expected
        if expected == "none" and job["changed"]:
            log(f"{job['case']}: {job['changed']:,} scores changed, expected none")
        if expected == "all" and job["scored"] and job["changed"] != job["scored"]:
            log(f"{job['case']}: {job['changed']:,} of {job['scored']:,} changed, expected all")

    report = {
        "size": args.size,
        "seed": args.seed,
        "database": name,
        "generated_now": generated,
        "started_at": stamp,
        "revision": page_bench.git_revision(),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_busy_before": busy_before,
        },
        "targets": {"ratio_to_aggregate": TARGET_RATIO, "peak_mb_at_1m": TARGET_PEAK_MB},
        "method": {
            "baseline": "one query, server-side cursor fetching 10,000 rows at a time, "
            f"best of {args.repeats}, wall clock in the benchmark's process",
            "job": f"{TIME} -v manage.py score_customers in a subprocess: wall time (Python "
            "start-up included) and maximum resident set size; first after resetting scores, "
            "runs and customer value rows (and VACUUM ANALYZE), then again at once, then "
            "after a new version of the scoring parameters",
            "batch_size": args.batch_size,
            "workers": args.workers,
        },
        "reset": reset,
        "rows_estimated": data,
        "baseline": baseline,
        "jobs": jobs,
    }
    output = RESULTS / f"score-job-{label}-{stamp}.json"
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")

    print(
        f"\nScoring job benchmark: {customers:,} customers ({name}), "
        f"~{data.get('relationships_invoice', 0):,} invoices, "
        f"~{data.get('relationships_payment', 0):,} payments"
    )
    print(table(baseline, jobs))
    print(
        "\njob s: wall clock, the job as score_customers reports it (the aggregate: best run); "
        "process s: the whole subprocess, Python and Django start-up included; py CPU s: the "
        "job process's user + system CPU time (the rest of its wall time is waiting for "
        "PostgreSQL); x agg: job s / the aggregate's."
    )
    print(
        f"Target: each run within {TARGET_RATIO:g}x the aggregate, peak < {TARGET_PEAK_MB} MB "
        "(at 1M customers; smaller runs are judged by the same numbers)."
    )
    missed = misses(jobs)
    print(f"Missed: {'; '.join(missed)}" if missed else "All targets met.")
    print(f"JSON: {output.relative_to(ROOT)}")
    if args.check and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
