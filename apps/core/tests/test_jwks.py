"""JWKS caching against a real JWKS server on loopback (FakeClerk counts the fetches)."""

import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client

from apps.core.jwks import JwksCache, JwksUnavailable, UnknownKeyId, http_fetcher
from apps.core.testing.clerk import FakeClerk, new_key
from apps.core.testing.servers import free_port

ME = "/api/v1/users/me"


def _get(token: str):
    return Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db
def test_hundred_authenticated_requests_fetch_the_jwks_once(clerk):
    client = Client()
    for n in range(100):
        token = clerk.token(f"user_cached_{n % 7}")
        assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert clerk.fetches == 1


@pytest.mark.django_db
def test_random_unknown_kids_do_not_hammer_the_jwks(clerk):
    assert _get(clerk.token("user_warm")).status_code == 200
    assert clerk.fetches == 1
    attacker_key = new_key()
    for _ in range(100):
        forged = clerk.token("user_attacker", kid=f"ins_{uuid.uuid4().hex}", key=attacker_key)
        assert _get(forged).status_code == 401
    # The warm-up fetch opened the cooldown window: no refetch inside it.
    assert clerk.fetches == 1
    assert _get(clerk.token("user_warm")).status_code == 200
    assert clerk.fetches == 1


@pytest.mark.django_db
def test_unknown_kids_refetch_at_most_once_per_cooldown_window(clerk):
    cache = JwksCache(http_fetcher(clerk.jwks_url), ttl=3600, cooldown=30, clock=(clock := ManualClock()))
    cache.key_for(clerk.kid)
    for window in range(1, 4):
        clock.now += 30
        for _ in range(100):
            with pytest.raises(UnknownKeyId):
                cache.key_for(f"ins_{uuid.uuid4().hex}")
            clock.now += 0.1
        assert clerk.fetches == 1 + window
    assert cache.key_for(clerk.kid) is not None


@pytest.mark.django_db
def test_key_rotation_is_picked_up_after_the_cooldown(clerk, settings):
    settings.CLERK_JWKS_REFETCH_COOLDOWN_SECONDS = 1
    old_kid = clerk.kid
    assert _get(clerk.token("user_rot")).status_code == 200
    new_kid = clerk.rotate(keep_old=False)
    assert new_kid != old_kid
    time.sleep(1.05)
    assert _get(clerk.token("user_rot")).status_code == 200
    assert clerk.fetches == 2
    # The old key is gone from the JWKS, so its tokens no longer verify.
    assert _get(clerk.token("user_rot", kid=old_kid, key=new_key())).status_code == 401


def test_new_kid_after_cooldown_and_known_kid_after_ttl_refetch(clerk):
    clock = ManualClock()
    cache = JwksCache(http_fetcher(clerk.jwks_url), ttl=60, cooldown=10, clock=clock)
    first = cache.key_for(clerk.kid)
    second_kid = clerk.rotate()
    clock.now += 10
    assert cache.key_for(second_kid) is not None
    assert first is not None and clerk.fetches == 2
    # After the TTL the keys are refreshed even for a known kid.
    clock.now += 60
    cache.key_for(second_kid)
    assert clerk.fetches == 3


def test_an_unreachable_jwks_is_unavailable_and_retried_only_after_cooldown(clerk):
    attempts = []

    def failing_fetch():
        attempts.append(1)
        raise OSError("connection refused")

    clock = ManualClock()
    cache = JwksCache(failing_fetch, ttl=3600, cooldown=5, clock=clock)
    for _ in range(50):
        with pytest.raises(JwksUnavailable):
            cache.key_for("ins_any")
    assert len(attempts) == 1
    clock.now += 5
    with pytest.raises(JwksUnavailable):
        cache.key_for("ins_any")
    assert len(attempts) == 2


@pytest.mark.django_db
def test_jwks_server_down_is_a_401_not_a_500(settings):
    settings.CLERK_JWKS_URL = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    other = FakeClerk()
    try:
        settings.CLERK_FRONTEND_API_URL = other.issuer
        response = _get(other.token("user_nojwks"))
    finally:
        other.server.shutdown()
        other.server.server_close()
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@pytest.mark.django_db
def test_clerk_jwt_key_verifies_without_any_network(clerk, settings):
    pem = (
        clerk.keys[clerk.kid]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    settings.CLERK_JWT_KEY = pem.decode()
    settings.CLERK_JWKS_URL = f"http://127.0.0.1:{free_port()}/unreachable"
    assert _get(clerk.token("user_pem")).status_code == 200
    assert _get(clerk.token("user_pem", kid="ins_other_kid")).status_code == 200
    assert _get(clerk.token("user_pem", key=new_key())).status_code == 401
    assert _get(clerk.token("user_pem", iss="https://evil.example")).status_code == 401
    assert clerk.fetches == 0


@pytest.mark.django_db
def test_no_key_source_configured_rejects_every_token(clerk, settings):
    settings.CLERK_JWKS_URL = ""
    settings.CLERK_JWT_KEY = ""
    response = _get(clerk.token("user_nokey"))
    assert response.status_code == 401
    assert clerk.fetches == 0
