"""Clerk's signing keys, fetched and cached by PyJWT's `PyJWKClient`.

PyJWKClient keeps the key set for `lifespan` seconds and refetches on an unknown `kid` at most
once per `cooldown_duration` (every successful fetch opens that window), so random `kid`s from
forged tokens are answered from memory. `JwksClient` adds the two things it leaves to callers:

- a failed fetch (JWKS endpoint down) is not retried on every request: the next attempt waits
  for the cooldown, so an outage can't turn our traffic into a flood against the endpoint;
- a failed refresh keeps serving the keys fetched before it, so an outage of the JWKS endpoint
  signs nobody out while Clerk's keys are unchanged.
"""

import logging
import time
from typing import Any

from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5


class JwksClient(PyJWKClient):
    def __init__(self, uri: str, *, lifespan: float, cooldown: float):
        """`uri` is the configured JWKS URL (settings), never one taken from a token."""
        super().__init__(
            uri,
            lifespan=lifespan,
            cooldown_duration=cooldown,
            timeout=FETCH_TIMEOUT_SECONDS,
            headers={"Accept": "application/json", "User-Agent": "helpdesk"},
        )
        self._last_good: dict[str, Any] | None = None
        self._failed_at: float | None = None

    def fetch_data(self) -> Any:
        """The JWKS document; on failure the last good one, else PyJWKClientConnectionError."""
        now = time.monotonic()
        if self._failed_at is not None and now - self._failed_at < self.cooldown_duration:
            return self._last_good_or_raise("the last fetch failed; waiting for the cooldown")
        try:
            document = super().fetch_data()
        except (PyJWKClientError, PyJWKSetError, ValueError) as exc:
            # ValueError: a body that isn't JSON (PyJWKClient lets json's error through).
            self._failed_at = now
            logger.warning("jwks: fetch failed: %s", exc)
            return self._last_good_or_raise(str(exc))
        self._failed_at = None
        self._last_good = document
        return document

    def _last_good_or_raise(self, reason: str) -> dict[str, Any]:
        if self._last_good is None:
            raise PyJWKClientConnectionError(f"no signing keys could be loaded: {reason}")
        return self._last_good
