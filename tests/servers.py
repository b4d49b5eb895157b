"""Servers of their own for the tests that stop, restart and kill them: a Redis, a PostgreSQL
cluster, gunicorn serving the app and Celery workers, each on a spare port of 127.0.0.1 and in a
temporary folder, never the machine's shared ones. Also used by bench/faults.py."""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
BIN = PYTHON.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 20.0, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def servers_available() -> str:
    """Why the fault runs cannot run here, or '' when they can."""
    if not os.path.exists(REDIS_SERVER):
        return "redis-server is not installed (apt-get install redis-server)"
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries are not in {PG_BIN} (apt-get install postgresql)"
    return ""


class RedisServer:
    def __init__(self, port: int | None = None):
        self.port = port or spare_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        """Stops it keeping nothing, as a crashed Redis would: what was queued in it is gone
        unless something else kept it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def command(self, *words) -> str:
        with socket.create_connection(("127.0.0.1", self.port), 2) as sock:
            sock.sendall(
                b"".join(
                    [f"*{len(words)}\r\n".encode()]
                    + [f"${len(str(w).encode())}\r\n{w}\r\n".encode() for w in words]
                )
            )
            return sock.recv(65536).decode()


class PostgresCluster:
    """initdb in a temporary folder owned by the postgres user (the binaries refuse root)."""

    def __init__(self, port: int | None = None):
        self.port = port or spare_port()
        self.folder = Path(tempfile.mkdtemp(prefix="crm-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"

    def _run(self, *command, check=True):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *map(str, command)],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def url(self, database="crm") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PostgresCluster":
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync")
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action, *extra):
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off "
            f"-c unix_socket_directories={self.folder}"
        )
        self._run(
            PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", action, *extra
        )

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def createdb(self, name: str, template: str | None = None) -> None:
        command = [PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres"]
        if template:
            command += ["-T", template]
        self._run(*command, name)

    def halt(self) -> None:
        """Stops the server as a crash would, keeping its files."""
        if self.data.exists():
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop", check=False)

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresReplica(PostgresCluster):
    """A hot-standby streaming replica of `primary` (a PostgresCluster: its default wal_level,
    `replica`, and initdb's trust rules for replication connections from 127.0.0.1 allow it),
    copied with pg_basebackup and started on a port of its own."""

    def __init__(self, primary: PostgresCluster, port: int | None = None):
        super().__init__(port)
        self.primary = primary

    def start(self) -> "PostgresReplica":
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            PG_BIN / "pg_basebackup",
            *("-h", "127.0.0.1", "-p", self.primary.port, "-U", "postgres"),
            *("-D", self.data, "--write-recovery-conf", "--wal-method=stream"),
            *("--checkpoint=fast", "--no-sync"),
        )
        self._pg_ctl("start")
        return self

    def pause_replay(self) -> None:
        """Stops applying what the primary sends (it is still received): reads go stale."""
        sql(self.url("postgres"), "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while sql(self.url("postgres"), "SELECT pg_get_wal_replay_pause_state()")[0][0] != (
            "paused"
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not pause its replay")
            time.sleep(0.05)

    def wait_for_catch_up(self, timeout: float = 20.0) -> None:
        """Until the replica has replayed everything the primary wrote so far."""
        (target,) = sql(self.primary.url("postgres"), "SELECT pg_current_wal_lsn()::text")[0]
        deadline = time.monotonic() + timeout
        query = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        while not sql(self.url("postgres"), query, target)[0][0]:
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not catch up with the primary")
            time.sleep(0.05)


# Where an app process finds its servers: always the run's own, never the environment's.
SERVER_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
}


def app_environment(**overrides) -> dict:
    """The environment of an app process (gunicorn, Celery, manage.py) run by these tests."""
    env = {key: value for key, value in os.environ.items() if key not in SERVER_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings.base",
        DEBUG="true",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(env: dict, *arguments, timeout=300) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def run_python(env: dict, code: str, timeout=120):
    """Run `code` in a Django process with `env`; it prints one JSON line, returned parsed."""
    script = "import django, json\ndjango.setup()\n" + code
    result = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


class Process:
    """A long-running app process (gunicorn, a Celery worker) with its output in a file."""

    def __init__(self, command, env, *, name):
        self.log = Path(tempfile.mkstemp(prefix=f"crm-{name}-", suffix=".log")[1])
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)

    def stop(self, *, keep_log: bool = False) -> None:
        self.kill(signal.SIGTERM)
        self._out.close()
        if not keep_log:
            self.log.unlink(missing_ok=True)

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")


def gunicorn(env: dict, *, workers: int = 2) -> tuple[Process, int]:
    port = spare_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    server = Process(
        [BIN / "gunicorn", "-c", "crm/gunicorn.conf.py", "crm.wsgi"], env, name="gunicorn"
    )
    wait_for_port(port, timeout=30, process=server.process)
    return server, port


def celery_worker(env: dict, *, name: str, include: str = "") -> Process:
    command = [
        BIN / "celery",
        "-A",
        "crm",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}@%h",
        "--loglevel=INFO",
    ]
    if include:
        command += ["-I", include]
    return Process(command, env, name=name)


def warm_up(port: int, session_key: str, pages, *, workers: int) -> None:
    """Each gunicorn worker loads Django on its first request (seconds on a busy machine):
    load them all before measuring, so a slow start is not taken for a fault."""
    browsers = [Browser(port, session_key, timeout=60) for _ in range(workers * 2)]

    def visit(browser):
        for page in pages:
            browser.get(page)

    threads = [threading.Thread(target=visit, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


CSRF = "a" * 32  # any 32 letters: the cookie and the header need only agree


class Browser:
    """A logged-in user's requests over plain http.client: status, seconds, body. Cookies named
    in `keep` that a response sets are sent with the later requests (the others are not: a new
    CSRF cookie would no longer match the fixed token)."""

    def __init__(self, port: int, session_key: str, *, timeout: float = 10.0, keep=()):
        self.port = port
        self.cookies = {"sessionid": session_key, "csrftoken": CSRF}
        self.timeout = timeout
        self.keep = set(keep)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None, *, json_body=None):
        from http.cookies import SimpleCookie
        from urllib.parse import urlencode

        headers = {"Cookie": self.cookie, "Host": "127.0.0.1"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        if body is not None:
            headers["X-CSRFToken"] = CSRF
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if name in self.keep:
                        self.cookies[name] = morsel.value
            return response.status, time.monotonic() - started, content
        except OSError as error:
            return f"{type(error).__name__}", time.monotonic() - started, b""
        finally:
            connection.close()

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form):
        return self.request("POST", path, form)


SEED = """
import time
from decimal import Decimal
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from core import mfa, sessions
from core.permissions import FINANCE, MANAGER, SALES
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory

clerk = UserFactory(username="fault-clerk", roles=[FINANCE, MANAGER, SALES])
customer = CustomerFactory(owner=clerk)
invoice = InvoiceFactory(customer=customer, amount=Decimal("1000.00"), currency="PLN")
session = SessionStore()
session[SESSION_KEY] = str(clerk.pk)
session[BACKEND_SESSION_KEY] = "core.auth.ProfileModelBackend"
session[HASH_SESSION_KEY] = clerk.get_session_auth_hash()
# What a log-in stamps (core.sessions): without it the session counts as expired.
session[sessions.LOGIN_AT] = session[sessions.SEEN_AT] = int(time.time())
session[mfa.SESSION_KEY] = mfa.OFF
session.create()
print(json.dumps({"session": session.session_key, "customer": customer.pk,
                  "invoice": invoice.pk, "user": clerk.pk}))
"""


def seed(env: dict) -> dict:
    """A finance clerk with a session, a customer and an open invoice."""
    return run_python(env, SEED)


def sql(url: str, query: str, *params):
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=5) as conn:
        rows = conn.execute(query, params).fetchall()
    return rows
