"""gunicorn settings for production (docker-compose.yml) and for bench/run.py.

Read from the environment so the same file serves both: the container binds 0.0.0.0:8000
behind a reverse proxy; the benchmark binds 127.0.0.1 with a fixed number of workers.
"""

import os


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The usual 2 * cores + 1 sync workers, capped: on a large host each worker is a full Django
# process with its own database connection, and PostgreSQL's connection limit runs out first.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores() + 1, 12))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in any library cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The reverse proxy in front sets X-Forwarded-Proto; trust it from any address, since only
# the proxy can reach the container's port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# Heartbeat files in memory: a container's overlay file system can stall them under load.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# gunicorn ≥ 27 opens a control socket under $HOME; nothing here uses it, the container's
# home is read-only, and two servers on one machine (a benchmark beside `make run`) would share it.
control_socket_disable = True
