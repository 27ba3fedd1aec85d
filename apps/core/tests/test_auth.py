"""The Bearer verifier, end to end through the API: every way a token can be wrong is a 401
with the error body and a WWW-Authenticate challenge; a good token provisions its user once."""

import base64
import hashlib
import hmac
import json
import logging
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client

from apps.accounts.models import Role, User
from apps.core import devauth
from apps.core.testing.clerk import new_key
from apps.core.testing.plugin import fake_clerk

ME = "/api/v1/users/me"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _call(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client().get(ME, **headers)


def _assert_rejected(response, code: str | None = None):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["message"]
    if code:
        assert body["code"] == code
    return body


def _hs256_with_public_key_as_secret(sub: str) -> str:
    """The classic algorithm-confusion forgery: HMAC keyed with the RSA public key's PEM."""
    public_pem = (
        fake_clerk.keys[fake_clerk.kid]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": fake_clerk.kid}).encode())
    payload = _b64(json.dumps(fake_clerk.claims(sub)).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _alg_none(sub: str) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": fake_clerk.kid}).encode())
    payload = _b64(json.dumps(fake_clerk.claims(sub)).encode())
    return f"{header}.{payload}."


def _tampered(sub: str) -> str:
    header, _, signature = fake_clerk.token("user_honest").split(".")
    payload = _b64(json.dumps(fake_clerk.claims(sub)).encode())
    return f"{header}.{payload}.{signature}"


def _forged_token(sub: str, kind: str) -> str:
    now = int(time.time())
    return {
        "garbage": lambda: "definitely-not-a-jwt",
        "garbage_segments": lambda: "aaa.bbb.ccc",
        "expired": lambda: fake_clerk.token(sub, exp=now - 30, iat=now - 120, nbf=now - 120),
        "nbf_future": lambda: fake_clerk.token(sub, nbf=now + 60),
        "iat_future": lambda: fake_clerk.token(sub, iat=now + 60, nbf=now - 1),
        "wrong_iss": lambda: fake_clerk.token(sub, iss="https://evil.clerk.accounts.dev"),
        "azp_not_allowed": lambda: fake_clerk.token(sub, azp="https://evil.example"),
        "azp_missing": lambda: fake_clerk.token(sub, azp=None),
        "exp_missing": lambda: fake_clerk.token(sub, exp=None),
        "sub_missing": lambda: jwt.encode(
            {k: v for k, v in fake_clerk.claims(sub).items() if k != "sub"},
            fake_clerk.keys[fake_clerk.kid],
            algorithm="RS256",
            headers={"kid": fake_clerk.kid},
        ),
        "alg_none": lambda: _alg_none(sub),
        "hs256_public_key_secret": lambda: _hs256_with_public_key_as_secret(sub),
        "unknown_kid": lambda: fake_clerk.token(sub, kid="ins_unknown0000000000", key=new_key()),
        "wrong_key_known_kid": lambda: fake_clerk.token(sub, key=new_key()),
        "tampered_payload": lambda: _tampered(sub),
        "sts_pending": lambda: fake_clerk.token(sub, sts="pending"),
        "dev_token_while_dev_login_off": lambda: devauth.mint_token(sub=sub, email="x@example.com", name="X"),
    }[kind]()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization", [None, "", "Token abc", "Bearer", "Bearer ", "Bearer a b", "Basic dXNlcjpwYXNz"]
)
def test_missing_or_malformed_header_is_401(authorization):
    body = _assert_rejected(_call(authorization))
    assert body["code"] in {"not_authenticated", "invalid_header"}


FORGERIES = [
    "garbage",
    "garbage_segments",
    "expired",
    "nbf_future",
    "iat_future",
    "wrong_iss",
    "azp_not_allowed",
    "azp_missing",
    "exp_missing",
    "sub_missing",
    "alg_none",
    "hs256_public_key_secret",
    "unknown_kid",
    "wrong_key_known_kid",
    "tampered_payload",
    "sts_pending",
    "dev_token_while_dev_login_off",
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", FORGERIES)
def test_bad_token_is_401_and_provisions_nobody(kind):
    sub = f"user_forged_{kind}"
    token = _forged_token(sub, kind)
    body = _assert_rejected(_call(f"Bearer {token}"))
    assert body["code"] in {"invalid_token", "token_expired", "session_pending"}
    assert not User.objects.filter(clerk_id=sub).exists()
    assert not User.objects.filter(clerk_id="user_honest").exists()


@pytest.mark.django_db
def test_specific_codes_for_expired_and_pending():
    _assert_rejected(_call(f"Bearer {_forged_token('user_a', 'expired')}"), "token_expired")
    _assert_rejected(_call(f"Bearer {_forged_token('user_a', 'sts_pending')}"), "session_pending")


@pytest.mark.django_db
def test_clock_skew_within_five_seconds_is_accepted():
    now = int(time.time())
    assert _call(f"Bearer {fake_clerk.token('user_skew', exp=now - 2)}").status_code == 200
    assert _call(f"Bearer {fake_clerk.token('user_skew', nbf=now + 2)}").status_code == 200


@pytest.mark.django_db
def test_valid_token_provisions_the_user_once_and_claims_update_it():
    first = _call(f"Bearer {fake_clerk.token('user_2abc', email='new@example.com', name='New Person')}")
    assert first.status_code == 200, first.content
    assert first.json()["email"] == "new@example.com"
    assert first.json()["name"] == "New Person"
    assert first.json()["role"] == Role.REQUESTER

    second = _call(f"Bearer {fake_clerk.token('user_2abc', email='renamed@example.com', name='Renamed Person')}")
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert User.objects.filter(clerk_id="user_2abc").count() == 1
    user = User.objects.get(clerk_id="user_2abc")
    assert (user.email, user.name) == ("renamed@example.com", "Renamed Person")

    # A token without the custom claims keeps what we know.
    assert _call(f"Bearer {fake_clerk.token('user_2abc')}").status_code == 200
    user.refresh_from_db()
    assert (user.email, user.name) == ("renamed@example.com", "Renamed Person")


@pytest.mark.django_db
def test_azp_is_not_checked_when_no_parties_are_configured(settings):
    settings.CLERK_AUTHORIZED_PARTIES = []
    assert _call(f"Bearer {fake_clerk.token('user_any_azp', azp='https://anywhere.example')}").status_code == 200


@pytest.mark.django_db
def test_disabled_account_is_rejected():
    User.objects.create(username="gone", clerk_id="user_gone", is_active=False)
    _assert_rejected(_call(f"Bearer {fake_clerk.token('user_gone')}"), "account_disabled")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["expired", "wrong_iss", "unknown_kid", "sts_pending", "tampered_payload"])
def test_reason_is_logged_and_the_token_never_is(caplog, kind):
    token = _forged_token(f"user_log_{kind}", kind)
    with caplog.at_level(logging.DEBUG):
        _assert_rejected(_call(f"Bearer {token}"))
    reasons = [r.getMessage() for r in caplog.records if r.name == "apps.auth"]
    assert any(message.startswith("auth rejected:") for message in reasons), reasons
    everything = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for secret_part in {token, *token.split(".")} - {""}:
        assert secret_part not in everything


@pytest.mark.django_db
def test_reason_for_expiry_names_it(caplog):
    with caplog.at_level(logging.INFO, logger="apps.auth"):
        _call(f"Bearer {_forged_token('user_logexp', 'expired')}")
    assert any("token_expired" in r.getMessage() for r in caplog.records if r.name == "apps.auth")
