"""Several real server processes sharing one database and one Redis: the multi-process setup the
websocket end-to-end tests and bench/fanout.py run against.

    with scratch_database(tmp_dir) as database_url, cluster(tmp_dir, database_url=database_url) as live:
        people = live.seed({...})              # users, tokens, tickets, made in a child process
        httpx.patch(live.urls[0] + "/api/v1/tickets/1", ...)
        websockets.connect(live.ws_url(1))

The database is SQLite in a temporary directory, or, when the current settings use PostgreSQL, a
scratch database on that server (created and dropped here). Redis is always real: REDIS_URL, or the
local default; a fresh channel prefix keeps concurrent runs (and other tests) from hearing each other.
"""

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from apps.core.testing.servers import manage, running_server

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "").strip() or LOCAL_REDIS_URL


@dataclass(frozen=True)
class Cluster:
    urls: list[str]
    env: dict

    def ws_url(self, index: int) -> str:
        return self.urls[index].replace("http://", "ws://", 1) + "/ws/v1/events"

    def seed(self, spec: dict) -> dict:
        """Create users (with API tokens) and tickets in the cluster's database; see live_seed."""
        env = {**self.env, "LIVE_SEED_SPEC": json.dumps(spec)}
        output = manage(env, "shell", "-c", "from apps.core.testing.live_seed import main; main()").stdout
        return json.loads(output.strip().splitlines()[-1])


@contextlib.contextmanager
def scratch_database(workdir: Path, *, postgres_url: str | None = None) -> Iterator[str]:
    """A DATABASE_URL nobody else uses: a new PostgreSQL database when `postgres_url` (any database
    on the server) is given, else a SQLite file in `workdir`."""
    if not postgres_url:
        yield f"sqlite:///{Path(workdir) / 'live.sqlite3'}"
        return
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(postgres_url)
    conninfo = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
    }
    name = f"helpdesk_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
        yield f"postgres://{config['USER']}{password}@{conninfo['host']}:{conninfo['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def cluster(
    workdir: Path, *, database_url: str, processes: int = 2, env: dict | None = None, **server_options
) -> Iterator[Cluster]:
    """Migrate the database, then run `processes` uvicorn servers on it and on Redis.

    `server_options` go to each `running_server` (uvicorn_args, access_log, health_headers)."""
    cluster_env = {
        "DEBUG": "1",
        "AUTH_DEV_LOGIN": "0",
        "DATA_DIR": str(workdir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url(),
        "CHANNEL_LAYER_PREFIX": f"live{uuid.uuid4().hex[:12]}",
        **(env or {}),
    }
    manage(cluster_env, "migrate", "--noinput")
    with contextlib.ExitStack() as servers:
        urls = [
            servers.enter_context(
                running_server(cluster_env, log_path=Path(workdir) / f"server-{index}.log", **server_options)
            )
            for index in range(processes)
        ]
        yield Cluster(urls=urls, env=cluster_env)
