"""Real `db_worker` processes on a scratch database, with time under the test's control.

    with worker_world(tmp_path) as world:            # scratch DB, migrated; frozen clock file
        ids = world.run("setup", {...})               # scenario step in a child process (JSON out)
        with world.workers(2):                        # two real `manage.py db_worker` processes
            world.set_time(t)                         # every child now reads `t` as "now"
            world.wait_idle()                         # no due job left unclaimed or running

The database is a fresh SQLite file, or a fresh PostgreSQL database when the tests run on
PostgreSQL (apps.core.testing.live_cluster.scratch_database). Children get Redis as their channel
layer, so the test can hear the events they broadcast (`world.listener()`).
"""

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from apps.core.testing.live_cluster import redis_url, scratch_database
from apps.core.testing.servers import REPO_ROOT, child_env, manage

CLOCK_DIR = Path(__file__).resolve().parent / "frozen_clock"


@dataclass
class World:
    database_url: str
    clock_file: Path
    workdir: Path
    processes: list = field(default_factory=list)

    @property
    def env(self) -> dict:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url(),
            "SLA_TEST_CLOCK_FILE": str(self.clock_file),
            "PYTHONPATH": os.pathsep.join([str(CLOCK_DIR), str(REPO_ROOT)]),
        }

    def set_time(self, moment: datetime) -> None:
        temporary = self.clock_file.with_suffix(".tmp")
        temporary.write_text(moment.isoformat())
        temporary.replace(self.clock_file)  # atomic: a reader never sees half a timestamp

    def run(self, step: str, arguments: dict | None = None):
        """Runs `apps.sla.tests.worker_scenario.<step>(arguments)` in a child; returns its JSON."""
        code = f"from apps.sla.tests.worker_scenario import main; main({step!r})"
        env = {**self.env, "SCENARIO_ARGS": json.dumps(arguments or {})}
        output = manage(env, "shell", "-c", code).stdout
        return json.loads(output.strip().splitlines()[-1])

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.database_url.startswith("sqlite"):
            with contextlib.closing(sqlite3.connect(self.database_url.removeprefix("sqlite:///"))) as db:
                return db.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://", 1)) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchall()

    def pending_jobs(self, now: datetime) -> int:
        """Jobs due by `now` that no worker has finished yet."""
        rows = self.query(
            "SELECT status, run_after FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
        )
        return sum(1 for status, run_after in rows if status == "RUNNING" or _aware(run_after) <= now)

    def wait_idle(self, now: datetime, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.pending_jobs(now):
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs still pending after {timeout}s; logs:\n{self.logs()}")
            if any(process.poll() is not None for process, _ in self.processes):
                raise AssertionError(f"a worker died; logs:\n{self.logs()}")
            time.sleep(0.2)

    @contextlib.contextmanager
    def workers(self, count: int = 1) -> Iterator[None]:
        for index in range(count):
            log = self.workdir / f"worker-{index}-{uuid.uuid4().hex[:6]}.log"
            command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
            command += ["--interval", "0.1", "--worker-id", f"sla-test-{index}-{uuid.uuid4().hex[:8]}"]
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    command, cwd=REPO_ROOT, env=child_env(self.env), stdout=handle, stderr=subprocess.STDOUT
                )
            self.processes.append((process, log))
        try:
            yield
        finally:
            for process, _ in self.processes:
                process.terminate()
            for process, _ in self.processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            self.processes.clear()

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for _, log in self.processes)


def _aware(value) -> datetime:
    """SQLite hands back naive UTC text, PostgreSQL aware datetimes."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextlib.contextmanager
def worker_world(workdir: Path, start: datetime) -> Iterator[World]:
    postgres_url = settings.DATABASE_URL if settings.IS_POSTGRES else None
    with scratch_database(workdir, postgres_url=postgres_url) as database_url:
        world = World(database_url=database_url, clock_file=workdir / "clock.txt", workdir=workdir)
        world.set_time(start)
        manage(world.env, "migrate", "--noinput", timeout=600)
        yield world
