"""Real `manage.py db_worker` processes on the test database, for tests of background jobs.

    pytestmark = pytest.mark.django_db(transaction=True)   # a worker only sees committed rows

    def test_reminder_is_sent():
        remind.using(run_after=past).enqueue(step_id=1)
        drain_queue()                        # one child process runs every due job, then exits
        ...
        with running_worker() as worker:     # or a worker that keeps polling while the test acts
            wait_until(lambda: Thing.objects.filter(done=True).exists(), message="job ran")
        print(worker.log())

The child runs the same code against the same database as the test (the test database:
PostgreSQL's `test_<db>`, or on SQLite the file the pytest plugin puts the test database in,
see apps.core.testing.plugin), with this process's environment (the test environment from the
plugin) updated with `env`. A worker only sees what the test committed, hence
`transaction=True`. Its output goes to a log file whose tail is printed when the `with` body
raises, so pytest shows it with the failure.
"""

import contextlib
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from apps.core.testing.servers import REPO_ROOT, child_env, manage


def shared_database_url() -> str:
    """DATABASE_URL of the database this process uses now (the test database during tests), for a child."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(params["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("an in-memory SQLite database can't be shared with a worker process")
        return f"sqlite:///{name}"
    if connection.vendor == "postgresql":
        user = quote(params.get("USER") or "", safe="")
        password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"
    raise RuntimeError(f"no worker support for {connection.vendor}")


def _worker_env(env: dict | None) -> dict:
    """`env` for the child; the test database unless `env` names a DATABASE_URL itself."""
    env = dict(env or {})
    if "DATABASE_URL" not in env:
        env["DATABASE_URL"] = shared_database_url()
    return env


def drain_queue(env: dict | None = None, *, timeout: float = 120) -> str:
    """Run every job that is due now in one `db_worker --batch` child process; returns its output.

    Jobs whose `run_after` lies in the future stay queued (that is how a test sees "not yet").
    Raises with the output when the worker exits non-zero.
    """
    result = manage(
        _worker_env(env),
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        "--queue-name",
        "*",
        "--worker-id",
        f"drain-{uuid.uuid4().hex[:12]}",
        timeout=timeout,
    )
    return result.stdout + result.stderr


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log_path: Path
    worker_id: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    # SIGTERM: db_worker finishes the job it runs, then exits (its graceful shutdown).
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def running_worker(
    env: dict | None = None, *, interval: float = 0.1, log_path: Path | None = None
) -> Iterator[WorkerProcess]:
    """A `db_worker` child polling every `interval` seconds until the `with` block ends.

    Several may run at once (each has its own worker id), e.g. to show that two workers never
    run one job twice. On exit the worker gets SIGTERM and finishes its current job first.
    """
    worker_id = f"test-{uuid.uuid4().hex[:12]}"
    log = log_path or Path(tempfile.mkdtemp(prefix="helpdesk-worker-")) / "worker.log"
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        str(interval),
        "--queue-name",
        "*",
        "--worker-id",
        worker_id,
        "--verbosity",
        "2",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=child_env(_worker_env(env)),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        worker = WorkerProcess(process=process, log_path=log, worker_id=worker_id)
        try:
            yield worker
        except BaseException:
            sys.stderr.write(f"--- worker log ({log}) ---\n{_tail(log)}\n")
            raise
        finally:
            _stop(process)


def _tail(path: Path, lines: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(
    condition: Callable[[], object], *, timeout: float = 60, interval: float = 0.1, message: str = "condition"
) -> object:
    """Poll `condition` until it returns something truthy (returned), or fail after `timeout` seconds.

    Generous default deadline: the machine running the tests may be loaded; the wait ends as soon
    as the condition holds, so a long deadline costs nothing when things work.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
