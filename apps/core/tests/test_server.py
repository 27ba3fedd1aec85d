"""The real thing: `make run`'s steps (migrate, seed_demo, uvicorn) in child processes, over HTTP."""

import re
import uuid

import httpx
import psycopg
import pytest
from django.conf import settings

from apps.core.testing.markers import requires_postgres
from apps.core.testing.plugin import fake_clerk
from apps.core.testing.servers import free_port, manage, running_server

# What `make run` sets: SQLite and the in-memory layer (no DATABASE_URL/REDIS_URL), dev sign-in.
MAKE_RUN_ENV = {"DEBUG": "1", "AUTH_DEV_LOGIN": "1", "DATABASE_URL": "", "REDIS_URL": ""}


def _sign_in_and_call_me(base_url: str, email: str) -> dict:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        signed_in = client.post("/api/v1/auth/dev/token", json={"email": email})
        assert signed_in.status_code == 200, signed_in.text
        me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"})
        assert me.status_code == 200, me.text
        return me.json()


def test_make_run_smoke(tmp_path):
    env = {**MAKE_RUN_ENV, "DATA_DIR": str(tmp_path)}
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    with running_server(env) as base_url:
        health = httpx.get(f"{base_url}/api/v1/health").json()
        assert health["status"] == "ok"
        assert health["checks"]["database"]["vendor"] == "sqlite"
        assert health["checks"]["channel_layer"]["backend"] == "InMemoryChannelLayer"

        me = _sign_in_and_call_me(base_url, "agent@example.com")
        assert me["email"] == "agent@example.com" and me["role"] == "agent"
        assert [team["name"] for team in me["teams"]] == ["Service Desk"]

        # The same server also trusts Clerk (here: the test run's fake Clerk, over real HTTP).
        clerk_me = httpx.get(
            f"{base_url}/api/v1/users/me", headers={"Authorization": f"Bearer {fake_clerk.token('user_smoke')}"}
        )
        assert clerk_me.status_code == 200
        assert httpx.get(f"{base_url}/api/v1/users/me").status_code == 401

        assert httpx.get(f"{base_url}/api/v1/openapi.json").json()["info"]["title"] == "Helpdesk API"
        assert httpx.get(f"{base_url}/api/v1/docs").status_code == 200
        _admin_sign_in(base_url)
    assert (tmp_path / "helpdesk.sqlite3").is_file()


def _admin_sign_in(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as browser:
        login = browser.get("/admin/login/")
        assert login.status_code == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        signed_in = browser.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": csrf, "username": "admin", "password": "admin", "next": "/admin/"},
            headers={"Referer": f"{base_url}/admin/login/"},
            follow_redirects=True,
        )
        assert signed_in.status_code == 200
        assert "Helpdesk administration" in signed_in.text and "Log out" in signed_in.text
        assert browser.get("/admin/accounts/apitoken/").status_code == 200


def test_data_survives_a_second_setup_and_restart(tmp_path):
    env = {**MAKE_RUN_ENV, "DATA_DIR": str(tmp_path)}
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    with running_server(env) as base_url:
        first = _sign_in_and_call_me(base_url, "someone@example.com")
    # `make run` again: migrate and seed on existing data, a new process, the same dev key.
    manage(env, "migrate", "--noinput")
    assert "0 created" in manage(env, "seed_demo").stdout
    with running_server(env) as base_url:
        assert _sign_in_and_call_me(base_url, "someone@example.com")["id"] == first["id"]


@requires_postgres
def test_smoke_on_postgres_and_redis(tmp_path):
    database = settings.DATABASES["default"]
    name = f"helpdesk_smoke_{uuid.uuid4().hex[:8]}"
    conninfo = {
        "host": database["HOST"],
        "port": database["PORT"] or 5432,
        "user": database["USER"],
        "password": database["PASSWORD"],
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        url = f"postgres://{database['USER']}{password}@{conninfo['host']}:{conninfo['port']}/{name}"
        env = {**MAKE_RUN_ENV, "DATA_DIR": str(tmp_path), "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL}
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        with running_server(env) as base_url:
            health = httpx.get(f"{base_url}/api/v1/health").json()
            assert health["checks"]["database"]["vendor"] == "postgresql"
            assert health["checks"]["channel_layer"]["backend"] == "RedisPubSubChannelLayer"
            assert _sign_in_and_call_me(base_url, "admin@example.com")["role"] == "admin"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    env = {**MAKE_RUN_ENV, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"}
    with running_server(env, healthy=False) as base_url:
        response = httpx.get(f"{base_url}/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is False and body["checks"]["database"]["error"]
    assert body["checks"]["channel_layer"]["ok"] is True


def test_health_is_503_when_redis_is_unreachable(tmp_path):
    env = {**MAKE_RUN_ENV, "DATA_DIR": str(tmp_path), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    manage(env, "migrate", "--noinput")
    with running_server(env, healthy=False) as base_url:
        response = httpx.get(f"{base_url}/api/v1/health", timeout=30)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["channel_layer"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_running_server_reports_a_server_that_cannot_start(tmp_path, capsys):
    env = {"DEBUG": "0", "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    with pytest.raises(RuntimeError, match="SECRET_KEY is missing or insecure"), running_server(env, timeout=30):
        pass
