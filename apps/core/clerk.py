"""Verification of Clerk session JWTs (and dev sign-in tokens, which are shaped the same way).

The rules follow `@clerk/backend`'s `verifyToken` (the differential test
`apps/core/tests/test_clerk_parity.py` runs both on the same tokens); where we are stricter on
purpose, docs/authentication.md ("Where we are stricter than Clerk") says what and why.
"""

import base64
import binascii
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from apps.core import devauth
from apps.core.errors import AuthenticationFailed
from apps.core.jwks import JwksClient

logger = logging.getLogger("apps.auth")

ALGORITHM = "RS256"
# The header `typ` of a session token, when present. Clerk's OAuth access tokens say "at+jwt".
SESSION_TOKEN_TYPE = "JWT"  # noqa: S105 (a header value, not a secret)
# Clerk's header `cat` (JWT category): only these (or none) mark a session token.
SESSION_CATEGORIES = {"cl_B7d4PD111AAA", "cl_I7d4PD111III"}
TIME_CLAIMS = ("exp", "nbf", "iat")
# Clerk's machine-to-machine tokens name a machine (`mch_…`), never a person.
MACHINE_SUBJECT_PREFIX = "mch_"
# A date JavaScript (and so Clerk) can represent: ±8.64e15 ms around the epoch.
MAX_TIME_CLAIM_SECONDS = 8_640_000_000_000


@dataclass(frozen=True)
class VerifiedSession:
    """A token that passed verification. `email`/`name` are the raw custom claims (any JSON
    value or None); apps.accounts.services decides whether they fit a user."""

    sub: str
    sid: Any
    email: Any
    name: Any
    exp: int
    claims: dict


class _Reject(Exception):
    """Internal: carries the precise reason to the log, while the client gets a generic 401."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason


@lru_cache(maxsize=1)
def clerk_jwks_client() -> JwksClient | None:
    if not settings.CLERK_JWKS_URL:
        return None
    return JwksClient(
        settings.CLERK_JWKS_URL,
        lifespan=settings.CLERK_JWKS_CACHE_SECONDS,
        cooldown=settings.CLERK_JWKS_REFETCH_COOLDOWN_SECONDS,
    )


@lru_cache(maxsize=1)
def _static_key():
    if not settings.CLERK_JWT_KEY:
        return None
    return load_pem_public_key(settings.CLERK_JWT_KEY.encode())


@receiver(setting_changed)
def _forget_keys_on_setting_change(*, setting: str, **kwargs) -> None:
    # Tests (and override_settings) change the Clerk configuration at run time; the cached key
    # sources were built from the old values.
    if setting.startswith("CLERK_"):
        clerk_jwks_client.cache_clear()
        _static_key.cache_clear()
    if setting == "DATA_DIR":
        devauth.forget_key()


def verify_session_token(token: str) -> VerifiedSession:
    """The verified session of a Clerk (or dev sign-in) JWT; AuthenticationFailed (401) otherwise,
    with code `token_expired`, `session_pending` or `invalid_token`."""
    try:
        return _verify(token)
    except _Reject as rejection:
        logger.info("auth rejected: %s (%s)", rejection.code, rejection.reason)
        raise AuthenticationFailed("The session token is invalid or expired.", code=rejection.code) from None


def _verify(token: str) -> VerifiedSession:
    _check_encoding(token)
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _Reject("invalid_token", f"malformed token: {exc}") from exc
    _check_header(header)

    issuer = unverified.get("iss")
    if devauth.enabled() and issuer == devauth.ISSUER:
        key, expected_issuer = _dev_key(header.get("kid")), devauth.ISSUER
    else:
        key, expected_issuer = _clerk_key(header.get("kid")), settings.CLERK_FRONTEND_API_URL or None
    # PyJWT turns "123", true or 1.5 into an integer time; Clerk wants a JSON number. Checked
    # before PyJWT compares the times (on the unverified claims: the signature is checked next).
    _check_time_claims(unverified)

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            leeway=settings.CLERK_LEEWAY_SECONDS,
            issuer=expected_issuer,
            # Clerk requires exp and sub; nbf and iat are checked when present. It ignores aud and jti.
            options={"require": ["exp", "sub"], "verify_aud": False, "verify_jti": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _Reject("token_expired", "token expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise _Reject("invalid_token", "token not yet valid (nbf/iat in the future)") from exc
    except jwt.InvalidIssuerError as exc:
        raise _Reject("invalid_token", f"issuer {issuer!r} is not trusted") from exc
    except jwt.PyJWTError as exc:
        raise _Reject("invalid_token", f"verification failed: {exc}") from exc

    parties = settings.CLERK_AUTHORIZED_PARTIES
    if parties and expected_issuer != devauth.ISSUER and claims.get("azp") not in parties:
        raise _Reject("invalid_token", f"azp {claims.get('azp')!r} is not an authorized party")
    if claims["sub"].startswith(MACHINE_SUBJECT_PREFIX):
        raise _Reject("invalid_token", "the subject is a machine (M2M token), not a user")
    if claims.get("sts") == "pending":
        # Clerk's authenticateRequest treats a pending session as signed out (treatPendingAsSignedOut).
        raise _Reject("session_pending", "session status is pending (tasks not completed)")

    return VerifiedSession(
        sub=claims["sub"],
        sid=claims.get("sid"),
        email=claims.get("email"),
        name=claims.get("name"),
        exp=int(claims["exp"]),
        claims=claims,
    )


def _check_encoding(token: str) -> None:
    # Python's base64 decoder ignores the unused low bits of the last character, so a signature
    # segment has several spellings that all verify; Clerk's decoder refuses all but the
    # canonical one. So do we: one token, one spelling.
    for segment in token.split("."):
        try:
            decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        except (binascii.Error, ValueError) as exc:
            raise _Reject("invalid_token", f"malformed token: {exc}") from exc
        if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != segment:
            raise _Reject("invalid_token", "malformed token: a segment is not canonical base64url")


def _check_header(header: dict) -> None:
    if header.get("alg") != ALGORITHM:
        raise _Reject("invalid_token", f"algorithm {header.get('alg')!r} is not accepted")
    if "typ" in header and header["typ"] != SESSION_TOKEN_TYPE:
        raise _Reject("invalid_token", f"token type {header['typ']!r} is not a session token")
    if "cat" in header and header["cat"] not in SESSION_CATEGORIES:
        raise _Reject("invalid_token", f"token category {header['cat']!r} is not a session token")
    if "crit" in header or "b64" in header:
        # PyJWT would refuse most of these too; a session token has no critical extensions.
        raise _Reject("invalid_token", "critical header extensions are not accepted")


def _check_time_claims(claims: dict) -> None:
    for name in TIME_CLAIMS:
        if name not in claims or (name == "exp" and claims[name] is None):
            continue  # a missing exp is refused by PyJWT's "require"
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Reject("invalid_token", f"{name} is not a number: {type(value).__name__}")
        if not math.isfinite(value) or abs(value) > MAX_TIME_CLAIM_SECONDS:
            raise _Reject("invalid_token", f"{name} is outside the range of a date")


def _clerk_key(kid) -> RSAPublicKey:
    static = _static_key()
    if static is not None:
        return static
    client = clerk_jwks_client()
    if client is None:
        raise _Reject(
            "invalid_token", "no Clerk key configured (CLERK_JWT_KEY or CLERK_FRONTEND_API_URL/CLERK_JWKS_URL)"
        )
    try:
        key = client.get_signing_key(kid).key
    except jwt.PyJWKClientConnectionError as exc:
        raise _Reject("invalid_token", f"JWKS unavailable: {exc}") from exc
    except (jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:
        raise _Reject("invalid_token", f"unknown kid {kid!r}: {exc}") from exc
    if not isinstance(key, RSAPublicKey):
        raise _Reject("invalid_token", f"kid {kid!r} is not an RSA key")
    return key


def _dev_key(kid):
    key = devauth.public_keys().get(kid) if isinstance(kid, str) else None
    if key is None:
        raise _Reject("invalid_token", f"unknown dev kid {kid!r}")
    return key
