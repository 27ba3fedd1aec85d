"""Throttling (apps.core.throttling): writes per user, anonymous calls and failed authentication
per client IP; over the limit a 429 with Retry-After and the error body. Counters live in Django's
cache, so on Redis every server process counts together."""

import time

import httpx
import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from apps.accounts.models import Role
from apps.core.testing.client import ApiClient
from apps.core.testing.factories import make_user
from apps.core.testing.markers import requires_redis
from apps.core.testing.plugin import fake_clerk
from apps.core.testing.servers import free_port, manage, running_server

# A write every test can repeat cheaply: revoking a token that doesn't exist (404, still counted).
MISSING_TOKEN = "users/me/tokens/987654321"


def _rates(settings, **rates):
    settings.THROTTLE_RATES = {**django_settings.THROTTLE_RATES, **rates}


def _assert_throttled(response):
    assert response.status_code == 429, response.content
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    body = response.json()
    assert body["code"] == "throttled"
    assert body["message"]
    assert body["details"] == {"retry_after": retry_after}


@pytest.mark.django_db
def test_a_burst_of_writes_gets_429_with_retry_after_and_other_users_are_unaffected(settings):
    _rates(settings, user_writes="5/min")
    rita, rob = make_user(Role.REQUESTER), make_user(Role.REQUESTER)
    client = ApiClient(rita)
    statuses = [client.post("tickets", {"title": f"Printer {n}", "description": "x"}).status_code for n in range(5)]
    assert statuses == [201] * 5
    _assert_throttled(client.post("tickets", {"title": "One too many", "description": "x"}))
    _assert_throttled(client.post("users/me/tokens", {"name": "script"}))
    _assert_throttled(client.delete(MISSING_TOKEN))
    assert ApiClient(rob).post("tickets", {"title": "Mine", "description": "x"}).status_code == 201


@pytest.mark.django_db
def test_reads_are_not_counted_nor_refused_by_the_write_limit(settings):
    _rates(settings, user_writes="3/min")
    client = ApiClient(make_user(Role.AGENT))
    for _ in range(20):
        assert client.get("users/me").status_code == 200
    assert [client.delete(MISSING_TOKEN).status_code for _ in range(3)] == [404] * 3
    _assert_throttled(client.delete(MISSING_TOKEN))
    for path in ("users/me", "tickets", "users/me/tokens"):
        assert client.get(path).status_code == 200, path


@pytest.mark.django_db
def test_with_the_defaults_a_person_never_hits_the_limit_and_a_flood_always_does():
    client = ApiClient(make_user(Role.REQUESTER))
    # A busy person: a dozen tickets and comments in a few minutes, far below 120 writes a minute.
    for n in range(12):
        assert client.post("tickets", {"title": f"Busy {n}", "description": "x"}).status_code == 201
    writes, _ = django_settings.THROTTLE_RATES["user_writes"].split("/")
    statuses = [client.delete(MISSING_TOKEN).status_code for _ in range(int(writes) + 10)]
    assert statuses.count(404) == int(writes) - 12
    assert statuses[-1] == 429 and set(statuses) == {404, 429}


@pytest.mark.django_db
def test_the_window_slides(settings):
    _rates(settings, user_writes="2/min")
    client = ApiClient(make_user(Role.REQUESTER))
    with time_machine.travel(time.time(), tick=False) as clock:
        assert [client.delete(MISSING_TOKEN).status_code for _ in range(2)] == [404, 404]
        throttled = client.delete(MISSING_TOKEN)
        _assert_throttled(throttled)
        assert int(throttled["Retry-After"]) == 60
        clock.shift(61)
        assert client.delete(MISSING_TOKEN).status_code == 404


@pytest.mark.django_db
def test_anonymous_calls_are_limited_per_client_ip_and_forwarded_for_is_not_trusted(settings):
    _rates(settings, anonymous="3/min")
    here, there = Client(REMOTE_ADDR="192.0.2.10"), Client(REMOTE_ADDR="192.0.2.20")
    assert [here.get("/api/v1/health").status_code for _ in range(3)] == [200] * 3
    _assert_throttled(here.get("/api/v1/health"))
    # A header the client writes can't make it someone else.
    _assert_throttled(here.get("/api/v1/health", HTTP_X_FORWARDED_FOR="198.51.100.7"))
    assert there.get("/api/v1/health").status_code == 200
    # Liveness is never throttled: answering costs less than counting.
    assert all(here.get("/api/v1/ping").status_code == 200 for _ in range(10))


@pytest.mark.django_db
def test_dev_sign_in_counts_as_anonymous(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.AUTH_DEV_LOGIN = True
    _rates(settings, anonymous="2/min")
    client = Client(REMOTE_ADDR="192.0.2.30")
    for _ in range(2):
        response = client.post("/api/v1/auth/dev/token", {"email": "a@example.com"}, content_type="application/json")
        assert response.status_code == 200
    _assert_throttled(
        client.post("/api/v1/auth/dev/token", {"email": "a@example.com"}, content_type="application/json")
    )


@pytest.mark.django_db
def test_failed_authentication_is_limited_per_ip_and_then_even_a_good_token_waits(settings):
    _rates(settings, failed_auth="3/min")
    user = make_user(Role.REQUESTER)
    good = f"Bearer {fake_clerk.token(user.clerk_id)}"
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    for authorization in ("Bearer forged", "Bearer hd_aaaa_guess", None):
        headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
        assert attacker.get("/api/v1/users/me", **headers).status_code == 401
    # Successful requests don't count: the honest client next door works as before.
    neighbour = Client(REMOTE_ADDR="192.0.2.67")
    for _ in range(5):
        assert neighbour.get("/api/v1/users/me", HTTP_AUTHORIZATION=good).status_code == 200
    _assert_throttled(attacker.get("/api/v1/users/me", HTTP_AUTHORIZATION="Bearer forged"))
    _assert_throttled(attacker.get("/api/v1/users/me", HTTP_AUTHORIZATION=good))
    _assert_throttled(attacker.post("/api/v1/tickets", {}, content_type="application/json"))
    assert neighbour.get("/api/v1/users/me", HTTP_AUTHORIZATION=good).status_code == 200


@pytest.mark.django_db
def test_an_unreachable_cache_lets_requests_through(settings):
    # Throttles fail open: a Redis outage must not take the API down (health must answer 503).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    _rates(settings, user_writes="1/min", failed_auth="1/min")
    client = ApiClient(make_user(Role.REQUESTER))
    assert [client.delete(MISSING_TOKEN).status_code for _ in range(3)] == [404] * 3
    assert [Client().get("/api/v1/users/me").status_code for _ in range(3)] == [401] * 3
    assert client.get("users/me").status_code == 200


def test_the_openapi_schema_documents_429_with_retry_after_everywhere_it_can_happen():
    schema = Client().get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    undocumented = {key for key, operation in operations.items() if "429" not in operation["responses"]}
    assert undocumented == {("GET", "/api/v1/ping")}
    response = operations[("POST", "/api/v1/tickets")]["responses"]["429"]
    assert "Retry-After" in response["headers"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert len(operations) > 40


@requires_redis
def test_two_server_processes_on_redis_share_one_limit(tmp_path):
    env = {
        "DATABASE_URL": "",
        "DATA_DIR": str(tmp_path),
        "THROTTLE_USER_WRITES": "6/min",
        # Both servers count in one namespace (each server would get its own otherwise).
        "CACHE_KEY_PREFIX": f"{django_settings.CACHES['default']['KEY_PREFIX']}-shared",
    }
    manage(env, "migrate", "--noinput")
    headers = {"Authorization": f"Bearer {fake_clerk.token('user_two_servers')}"}
    with running_server(env) as first, running_server(env) as second:
        statuses = []
        for n in range(6):
            base = (first, second)[n % 2]
            statuses.append(httpx.delete(f"{base}/api/v1/{MISSING_TOKEN}", headers=headers, timeout=10).status_code)
        assert statuses == [404] * 6
        for base in (first, second):
            response = httpx.delete(f"{base}/api/v1/{MISSING_TOKEN}", headers=headers, timeout=10)
            assert response.status_code == 429, response.text
            assert response.json()["code"] == "throttled" and int(response.headers["Retry-After"]) >= 1
            # Reads still pass on both.
            assert httpx.get(f"{base}/api/v1/users/me", headers=headers, timeout=10).status_code == 200
