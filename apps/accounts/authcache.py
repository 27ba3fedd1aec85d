"""A short-lived, per-process cache of who a Bearer token is, for REST requests.

Resolving a token costs a database round trip on every request (an API token: its row and its
user; a session token: the RSA signature and the user row). A server process keeps each successful
resolution for at most AUTH_CACHE_SECONDS (default 10) and answers repeated requests with the same
token from memory. Failures are never kept: a refused token takes the whole path (and counts
against the failed-authentication throttle) every time.

What keeps it correct (docs/authentication.md "Cached authentication"):

- Every change that can take access away — an API token revoked, changed or deleted; a user's role
  or active flag changed, team membership changed (all through
  apps.accounts.services.access_changed), any other save or deletion of a user — calls
  `forget_everywhere()`. The calling process forgets every entry at once; after the commit, a
  generation counter in the shared cache (Redis when REDIS_URL is set) is incremented.
- Every process reads that counter at most once every AUTH_CACHE_SYNC_SECONDS (default 1) and
  forgets everything when it moved (or could not be read: then nothing is served from memory until
  it can be). So a change is honoured by the process that made it immediately, and by every other
  process within AUTH_CACHE_SYNC_SECONDS of its commit.
- Without a shared cache (no REDIS_URL: the local-memory cache, meant for one process) other
  processes are not told; each entry's lifetime, AUTH_CACHE_SECONDS, is then the bound.
- A hit still checks the token's own expiry (session `exp` with the verifier's leeway, an API
  token's `expires_at`): an expired token is a miss and takes the full path, which refuses it.
- Each hit builds a new User instance from the cached column values: requests never share an
  object, so nothing one request sets on its user can reach another request.

The websocket (apps.live.sessions) does not use this cache: it authenticates once per socket, and its
re-checks after access.changed must see the database.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver

from apps.accounts.models import User

logger = logging.getLogger("apps.auth")

GENERATION_KEY = "authcache:generation"
# Entries a process holds at most (tokens in use within AUTH_CACHE_SECONDS): a bound on memory.
MAX_ENTRIES = 10_000
_USER_FIELDS = tuple(field.attname for field in User._meta.concrete_fields)


@dataclass
class Entry:
    """One resolved token. Times are epoch seconds (time.time())."""

    user_values: tuple
    db: str
    stored_at: float
    # The entry is served while stored_at <= now < valid_until: the earlier of the token's own
    # end (session exp + leeway, an API token's expires_at) and stored_at + AUTH_CACHE_SECONDS.
    valid_until: float
    epoch: int
    api_token_id: int | None = None
    api_token_last_used: datetime | None = None

    def user(self) -> User:
        """A new User instance (never shared between requests) with the cached column values."""
        return User.from_db(self.db, _USER_FIELDS, self.user_values)


_lock = threading.Lock()
_entries: dict[str, Entry] = {}
# Bumped whenever this process forgets everything; an entry is valid only under the epoch it was
# resolved in, so a resolution that raced with a change is never served.
_epoch = 0
_shared_generation: object = None
_synced_at: float | None = None


def _key(token: str) -> str:
    # The hash, not the secret, is what stays in memory.
    return hashlib.sha256(token.encode()).hexdigest()


def enabled() -> bool:
    return settings.AUTH_CACHE_SECONDS > 0


def lookup(token: str) -> Entry | None:
    """The live entry of `token`, or None (disabled, never resolved, expired, or forgotten)."""
    if not enabled():
        return None
    _sync()
    key = _key(token)
    entry = _entries.get(key)
    if entry is None:
        return None
    now = time.time()
    if entry.epoch != _epoch or not entry.stored_at <= now < entry.valid_until:
        _entries.pop(key, None)
        return None
    return entry


def current_epoch() -> int:
    """Read before resolving a token from the database; pass it to store()."""
    return _epoch


def store(
    token: str,
    user: User,
    *,
    epoch: int,
    token_expires_at: float | None,
    api_token_id: int | None = None,
    api_token_last_used: datetime | None = None,
) -> None:
    """Keep a successful resolution of `token` (to `user`, resolved in `epoch`).

    `token_expires_at` is when the token itself stops working (epoch seconds; None: never). Not
    kept when something was forgotten since `epoch` began: the resolution may predate the change.
    """
    if not enabled() or not user.is_active:
        return
    now = time.time()
    valid_until = now + settings.AUTH_CACHE_SECONDS
    if token_expires_at is not None:
        valid_until = min(valid_until, token_expires_at)
    entry = Entry(
        user_values=tuple(getattr(user, name) for name in _USER_FIELDS),
        db=user._state.db or "default",
        stored_at=now,
        valid_until=valid_until,
        epoch=epoch,
        api_token_id=api_token_id,
        api_token_last_used=api_token_last_used,
    )
    with _lock:
        if epoch != _epoch:
            return
        if len(_entries) >= MAX_ENTRIES:
            _entries.pop(next(iter(_entries)))  # the oldest
        _entries[_key(token)] = entry


def forget_here() -> None:
    """This process forgets every entry (nothing it resolved before now is served again)."""
    global _epoch
    with _lock:
        _epoch += 1
        _entries.clear()


def forget_everywhere() -> None:
    """Something that decides access changed: this process forgets now, every process sharing the
    cache within AUTH_CACHE_SYNC_SECONDS after the surrounding transaction commits.

    This process forgets again after the commit, so a resolution that read the database between
    the change and its commit is not served either.
    """
    forget_here()
    transaction.on_commit(_bump_generation)


def _bump_generation() -> None:
    global _shared_generation
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        generation = cache.incr(GENERATION_KEY)
    except Exception:  # any cache backend's error: the entries' lifetime still bounds staleness
        logger.exception("auth cache: could not tell other processes (generation not incremented)")
        generation = None
    forget_here()
    if generation is not None:
        _shared_generation = generation


def _sync() -> None:
    """At most every AUTH_CACHE_SYNC_SECONDS: forget everything if another process changed access
    (the shared generation moved) or the shared cache can't be read."""
    global _shared_generation, _synced_at
    now = time.monotonic()
    if _synced_at is not None and now - _synced_at < settings.AUTH_CACHE_SYNC_SECONDS:
        return
    _synced_at = now
    try:
        generation = cache.get(GENERATION_KEY)
    except Exception as exc:
        logger.warning("auth cache: shared generation unreadable, not serving from memory: %s", exc)
        _synced_at = None  # try again on the next request, and serve nothing until then
        forget_here()
        return
    if generation != _shared_generation:
        forget_here()
        _shared_generation = generation


def reset() -> None:
    """Forget everything, the shared generation seen included (settings changed; tests)."""
    global _shared_generation, _synced_at
    forget_here()
    _shared_generation = None
    _synced_at = None


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    # Another cache (the tests give each test its own key prefix), other Clerk keys or other
    # cache settings: what was resolved under the old ones is not evidence under the new ones.
    if setting == "CACHES" or setting.startswith(("CLERK_", "AUTH_")):
        reset()


def _on_user_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    # A new user has no cached token yet; a sign-in recording last_login changes nothing access decides.
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    forget_everywhere()


def _on_token_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created:  # a new token can't be cached anywhere yet
        forget_everywhere()


def _on_deleted(sender, instance, **kwargs) -> None:
    forget_everywhere()


def connect_signals() -> None:
    """Saves and deletions that bypass apps.accounts.services (the admin's user form, a deleted
    user or token, tests) make every process forget too. Called from AccountsConfig.ready()."""
    from django.db.models.signals import post_delete, post_save

    from apps.accounts.models import ApiToken

    post_save.connect(_on_user_saved, sender=User, dispatch_uid="authcache-user-saved")
    post_delete.connect(_on_deleted, sender=User, dispatch_uid="authcache-user-deleted")
    post_save.connect(_on_token_saved, sender=ApiToken, dispatch_uid="authcache-token-saved")
    post_delete.connect(_on_deleted, sender=ApiToken, dispatch_uid="authcache-token-deleted")
