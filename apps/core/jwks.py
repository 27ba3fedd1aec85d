"""A JWKS key cache that forged tokens cannot turn into a request flood.

Keys are fetched once and kept for `ttl` seconds. A token whose `kid` is unknown triggers a
refetch (key rotation), but at most one per `cooldown` window: random `kid`s from an attacker
are answered from memory after the first refetch.
"""

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable

import jwt

logger = logging.getLogger(__name__)

JwksFetcher = Callable[[], dict]


class JwksUnavailable(Exception):
    pass


class UnknownKeyId(Exception):
    pass


def http_fetcher(url: str, timeout: float = 5.0) -> JwksFetcher:
    def fetch() -> dict:
        # The configured JWKS URL (settings), never a user-supplied one.
        headers = {"Accept": "application/json", "User-Agent": "helpdesk"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())

    return fetch


class JwksCache:
    def __init__(self, fetch: JwksFetcher, *, ttl: float, cooldown: float, clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._ttl = ttl
        self._cooldown = cooldown
        self._clock = clock
        self._keys: dict[str, object] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()
        self.fetch_count = 0

    def key_for(self, kid: str | None):
        with self._lock:
            now = self._clock()
            may_fetch = self._attempted_at is None or now - self._attempted_at >= self._cooldown
            expired = self._fetched_at is None or now - self._fetched_at >= self._ttl
            if may_fetch and (expired or kid not in self._keys):
                self._refresh(now)
            if kid in self._keys:
                return self._keys[kid]
            if not self._keys:
                raise JwksUnavailable("no signing keys could be loaded")
            raise UnknownKeyId(kid)

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        self.fetch_count += 1
        try:
            document = self._fetch()
        except Exception as exc:
            # Keep serving the keys we had (if any); the next attempt waits for the cooldown.
            logger.warning("jwks: fetch failed: %s", exc)
            return
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[jwk.get("kid")] = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
            except (ValueError, KeyError, TypeError) as exc:
                logger.warning("jwks: skipping unusable key %s: %s", jwk.get("kid"), exc)
        self._keys = keys
        self._fetched_at = now
