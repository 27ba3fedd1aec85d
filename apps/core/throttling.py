"""Throttles of the API (API.md "Input rules that hold everywhere"; docs/authentication.md
"Throttling"): django-ninja's SimpleRateThrottle (a sliding log of request times per key) over
Django's default cache — Redis when REDIS_URL is set, so every process counts together.

- `UserWriteThrottle`: unsafe methods (POST/PUT/PATCH/DELETE: creates, comments, upload intents,
  approval decisions, ...) per signed-in user;
- `AnonymousThrottle`: every call without a signed-in user (health, dev sign-in), per client IP;
- `FailedAuthenticationThrottle`: failed Bearer authentication per client IP, checked by
  apps.accounts.auth.BearerAuth before a token is looked at, so a blocked client can't keep guessing.

Rates come from settings.THROTTLE_RATES at each request (`"120/min"`), so tests and
override_settings can change them. When the cache is unreachable the throttles let requests
through (fail open) and log it. The client IP is REMOTE_ADDR (NINJA_NUM_PROXIES = 0): behind a
reverse proxy, let uvicorn trust it (FORWARDED_ALLOW_IPS) so REMOTE_ADDR is the client, never a
header the client wrote.
"""

import logging
import math
import threading
import time

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_outage_logged_at: float | None = None


def _cache_outage(exc: Exception) -> None:
    """Throttles fail open: a cache outage must not take the API down with it (health must still
    answer 503, requests still be served). Logged at most once a minute per process."""
    global _outage_logged_at
    if _outage_logged_at is None or time.monotonic() - _outage_logged_at >= 60:
        _outage_logged_at = time.monotonic()
        logger.warning("throttling: cache unavailable, not counting requests: %s", exc)


def _signed_in_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The authenticated user (AUTH_USER_MODEL), or None for anonymous and gate-only routes."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, AbstractBaseUser) else None


class _SettingsRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle with its rate read from settings per request, and the per-request state
    it keeps between allow_request() and wait() held per thread (one instance serves all)."""

    cache_format = "throttle:%(scope)s:%(ident)s"

    def __init__(self) -> None:
        self._state = threading.local()

    key = property(lambda self: self._state.key, lambda self, value: setattr(self._state, "key", value))
    history = property(lambda self: self._state.history, lambda self, value: setattr(self._state, "history", value))
    now = property(lambda self: self._state.now, lambda self, value: setattr(self._state, "now", value))

    def get_rate(self) -> str:
        return settings.THROTTLE_RATES[self.scope]

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        try:
            return super().allow_request(request)
        except Exception as exc:  # the cache (Redis) is unreachable: any backend's error will do
            _cache_outage(exc)
            return True


class UserWriteThrottle(_SettingsRateThrottle):
    scope = "user_writes"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = _signed_in_user(request)
        if user is None or request.method in SAFE_METHODS:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AnonymousThrottle(_SettingsRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if _signed_in_user(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FailedAuthenticationThrottle(_SettingsRateThrottle):
    scope = "failed_auth"

    def get_cache_key(self, request: HttpRequest) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def retry_after(self, request: HttpRequest) -> int | None:
        """Seconds until this client may try again, or None when it is under the limit."""
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        now = self.timer()
        try:
            recorded = self.cache.get(self.get_cache_key(request), [])
        except Exception as exc:  # as in allow_request
            _cache_outage(exc)
            return None
        history = [at for at in recorded if at > now - self.duration]
        if len(history) < self.num_requests:
            return None
        return max(1, math.ceil(self.duration - (now - history[-1])))

    def record_failure(self, request: HttpRequest) -> None:
        # allow_request() records the attempt while the client is under the limit.
        self.allow_request(request)


API_THROTTLES = [UserWriteThrottle(), AnonymousThrottle()]
failed_authentication = FailedAuthenticationThrottle()


def document_throttling(api, schema: dict) -> dict:
    """Adds the 429 response (error body and Retry-After) to every operation of `schema` that a
    throttle can refuse: those with throttles, and those behind Bearer authentication."""
    throttled = set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                callbacks = operation.auth_callbacks or []
                bearer = any(getattr(callback, "openapi_scheme", None) == "bearer" for callback in callbacks)
                if operation.throttle_objects or bearer:
                    throttled.add(operation.operation_id or api.get_openapi_operation_id(operation))
    response = {
        "description": "Too many requests (code `throttled`): retry after the seconds in Retry-After.",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    for methods in schema["paths"].values():
        for operation in methods.values():
            if operation.get("operationId") in throttled:
                operation["responses"]["429"] = response
    return schema
