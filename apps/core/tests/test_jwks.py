"""JWKS caching (PyJWT's PyJWKClient, apps.core.jwks) against a real JWKS server on loopback
(FakeClerk counts the fetches)."""

import time
import types
import uuid

import jwt.api_jwk
import jwt.jwk_set_cache
import jwt.jwks_client
import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

import apps.core.jwks
from apps.core.jwks import JwksClient
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


@pytest.fixture
def clock(monkeypatch):
    """Drives the monotonic clock PyJWT's key cache and JwksClient read (and nothing else)."""
    manual = ManualClock()
    for module in (jwt.jwks_client, jwt.jwk_set_cache, jwt.api_jwk, apps.core.jwks):
        monkeypatch.setattr(module, "time", types.SimpleNamespace(monotonic=manual))
    return manual


UNKNOWN_KID = "Unable to find a signing key"


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
def test_unknown_kids_refetch_at_most_once_per_cooldown_window(clerk, clock):
    cache = JwksClient(clerk.jwks_url, lifespan=3600, cooldown=30)
    cache.get_signing_key(clerk.kid)
    for window in range(1, 4):
        clock.now += 30
        for _ in range(100):
            with pytest.raises(PyJWKClientError, match=UNKNOWN_KID):
                cache.get_signing_key(f"ins_{uuid.uuid4().hex}")
            clock.now += 0.1
        assert clerk.fetches == 1 + window
    assert cache.get_signing_key(clerk.kid) is not None


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


def test_new_kid_after_cooldown_and_known_kid_after_ttl_refetch(clerk, clock):
    cache = JwksClient(clerk.jwks_url, lifespan=60, cooldown=10)
    first = cache.get_signing_key(clerk.kid)
    second_kid = clerk.rotate()
    clock.now += 10
    assert cache.get_signing_key(second_kid) is not None
    assert first is not None and clerk.fetches == 2
    # After the TTL the keys are refreshed even for a known kid (PyJWT expires a key set
    # strictly after its lifespan).
    clock.now += 60.5
    cache.get_signing_key(second_kid)
    assert clerk.fetches == 3


def test_an_unreachable_jwks_is_unavailable_and_retried_only_after_cooldown(clerk, clock):
    clerk.down = True
    cache = JwksClient(clerk.jwks_url, lifespan=3600, cooldown=5)
    for _ in range(50):
        with pytest.raises(PyJWKClientConnectionError):
            cache.get_signing_key("ins_any")
    assert clerk.fetches == 1
    clock.now += 5
    with pytest.raises(PyJWKClientConnectionError):
        cache.get_signing_key("ins_any")
    assert clerk.fetches == 2


def test_an_outage_after_a_good_fetch_keeps_serving_the_known_keys(clerk, clock):
    cache = JwksClient(clerk.jwks_url, lifespan=60, cooldown=10)
    known = cache.get_signing_key(clerk.kid)
    clerk.down = True
    clock.now += 61
    assert cache.get_signing_key(clerk.kid).key_id == known.key_id
    assert clerk.fetches == 2
    # The failed refresh opened the cooldown: no new attempt per request.
    for _ in range(20):
        cache.get_signing_key(clerk.kid)
        with pytest.raises(PyJWKClientError, match=UNKNOWN_KID):
            cache.get_signing_key("ins_unknown")
    assert clerk.fetches == 2


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
