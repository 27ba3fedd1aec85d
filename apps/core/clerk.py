"""Verification of Clerk session JWTs (and dev sign-in tokens, which are shaped the same way)."""

import logging
from dataclasses import dataclass
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from apps.core import devauth
from apps.core.errors import AuthenticationFailed
from apps.core.jwks import JwksCache, JwksUnavailable, UnknownKeyId, http_fetcher

logger = logging.getLogger("apps.auth")

ALGORITHM = "RS256"


@dataclass(frozen=True)
class VerifiedSession:
    sub: str
    sid: str | None
    email: str | None
    name: str | None
    exp: int
    claims: dict


class _Reject(Exception):
    """Internal: carries the precise reason to the log, while the client gets a generic 401."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason


@lru_cache(maxsize=1)
def clerk_jwks_cache() -> JwksCache | None:
    if not settings.CLERK_JWKS_URL:
        return None
    return JwksCache(
        http_fetcher(settings.CLERK_JWKS_URL),
        ttl=settings.CLERK_JWKS_CACHE_SECONDS,
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
        clerk_jwks_cache.cache_clear()
        _static_key.cache_clear()
    if setting == "DATA_DIR":
        devauth.forget_key()


def verify_session_token(token: str) -> VerifiedSession:
    try:
        return _verify(token)
    except _Reject as rejection:
        logger.info("auth rejected: %s (%s)", rejection.code, rejection.reason)
        raise AuthenticationFailed("The session token is invalid or expired.", code=rejection.code) from None


def _verify(token: str) -> VerifiedSession:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _Reject("invalid_token", f"malformed token: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise _Reject("invalid_token", f"algorithm {header.get('alg')!r} is not accepted")

    issuer = unverified.get("iss")
    if devauth.enabled() and issuer == devauth.ISSUER:
        key, expected_issuer = _dev_key(header.get("kid")), devauth.ISSUER
    else:
        key, expected_issuer = _clerk_key(header.get("kid")), settings.CLERK_FRONTEND_API_URL or None

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            leeway=settings.CLERK_LEEWAY_SECONDS,
            issuer=expected_issuer,
            options={"require": ["exp", "nbf", "iat", "sub"], "verify_aud": False},
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
    if claims.get("sts") == "pending":
        raise _Reject("session_pending", "session status is pending (tasks not completed)")

    return VerifiedSession(
        sub=str(claims["sub"]),
        sid=claims.get("sid"),
        email=claims.get("email") or None,
        name=claims.get("name") or None,
        exp=int(claims["exp"]),
        claims=claims,
    )


def _clerk_key(kid: str | None):
    static = _static_key()
    if static is not None:
        return static
    cache = clerk_jwks_cache()
    if cache is None:
        raise _Reject(
            "invalid_token", "no Clerk key configured (CLERK_JWT_KEY or CLERK_FRONTEND_API_URL/CLERK_JWKS_URL)"
        )
    try:
        return cache.key_for(kid)
    except UnknownKeyId as exc:
        raise _Reject("invalid_token", f"unknown kid {kid!r}") from exc
    except JwksUnavailable as exc:
        raise _Reject("invalid_token", f"JWKS unavailable: {exc}") from exc


def _dev_key(kid: str | None):
    key = devauth.public_keys().get(kid)
    if key is None:
        raise _Reject("invalid_token", f"unknown dev kid {kid!r}")
    return key
