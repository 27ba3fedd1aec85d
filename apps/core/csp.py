"""The Content-Security-Policy of every response the app sends: the one place it is built.

Issue 10 item 3 ("Privacy and headers"); docs/deploying.md "Security headers" says what each
directive allows and why. The policy follows from settings, never from a hand-kept list:

- always: scripts, styles, fonts, frames and workers from our own origin only; no plugins; the app
  is never framed (`frame-ancestors 'none'`, like X-Frame-Options DENY); forms post to us only;
- the live socket: `connect-src` names ws:// and wss:// of the request's own host (CSP3 lets
  'self' cover them, older engines do not);
- `style-src-attr 'unsafe-inline'`: Vue inserts its stringified static trees (and ECharts its
  tooltips) with innerHTML, style attributes included, and the Django admin's templates carry
  style attributes. Style *elements* stay 'self' only (Vite extracts all CSS to files), so an
  injected <style> still cannot restyle the page;
- attachments on S3/R2 (`ATTACHMENTS_STORAGE=s3`): the storage origin in `connect-src` (direct
  uploads with presigned PUT/POST) and `img-src` (thumbnails load presigned GET URLs);
- Clerk mode (`CLERK_PUBLISHABLE_KEY`, or the SPA's build-time `VITE_CLERK_PUBLISHABLE_KEY`):
  Clerk's documented allowances — its Frontend API (decoded from the key) for clerk-js and its
  calls, Cloudflare Turnstile's script and frame, img.clerk.com avatars, blob: workers, and
  inline <style> elements (Clerk's components inject them).

A response that already carries a policy keeps it (the sandboxed local attachment download sets a
stricter one).
"""

import base64
import binascii
import re
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
TURNSTILE = "https://challenges.cloudflare.com"
CLERK_IMAGES = "https://img.clerk.com"
_KEY_PREFIXES = ("pk_test_", "pk_live_")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?")


def clerk_frontend_api_host(publishable_key: str) -> str:
    """The host of Clerk's Frontend API named by a publishable key, e.g. "clerk.example.com".

    The key is "pk_test_" or "pk_live_" followed by base64 of "<host>$" (Clerk's
    `parsePublishableKey` in @clerk/shared). Raises ImproperlyConfigured when the key is not of
    that shape, so a mistyped key stops the server at start instead of blocking Clerk in browsers.
    """
    prefix = next((p for p in _KEY_PREFIXES if publishable_key.startswith(p)), None)
    if prefix is None:
        raise ImproperlyConfigured("CLERK_PUBLISHABLE_KEY must start with pk_test_ or pk_live_")
    encoded = publishable_key[len(prefix) :]
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ImproperlyConfigured("CLERK_PUBLISHABLE_KEY is not a Clerk publishable key (bad base64)") from None
    host = decoded.removesuffix("$").lower()
    if not decoded.endswith("$") or not _HOST.fullmatch(host):
        raise ImproperlyConfigured("CLERK_PUBLISHABLE_KEY does not name a Frontend API host")
    return host


def storage_origin() -> str | None:
    """The origin ("https://host[:port]") the browser talks to for attachments, or None when the
    app itself stores them (local storage: uploads and downloads are 'self').

    S3 presigned URLs are path-style (apps/attachments/storage/s3.py), so one origin serves every
    bucket: S3_ENDPOINT_URL's (R2 or another S3-compatible service), else AWS's regional endpoint.
    """
    if settings.ATTACHMENTS_STORAGE != "s3":
        return None
    if settings.S3_ENDPOINT_URL:
        parts = urlsplit(settings.S3_ENDPOINT_URL)
        return f"{parts.scheme}://{parts.netloc}".lower()
    if settings.S3_REGION == "us-east-1":
        return "https://s3.amazonaws.com"
    return f"https://s3.{settings.S3_REGION}.amazonaws.com"


def clerk_publishable_key() -> str:
    return getattr(settings, "CLERK_PUBLISHABLE_KEY", "")


@lru_cache(maxsize=64)
def _policy(host: str | None, clerk_key: str, storage: str | None) -> str:
    clerk = f"https://{clerk_frontend_api_host(clerk_key)}" if clerk_key else None
    own_sockets = [f"ws://{host}", f"wss://{host}"] if host else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *([clerk, TURNSTILE] if clerk else [])],
        "style-src": ["'self'", *(["'unsafe-inline'"] if clerk else [])],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([storage] if storage else []), *([CLERK_IMAGES] if clerk else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *own_sockets, *([storage] if storage else []), *([clerk] if clerk else [])],
        "worker-src": ["'self'", *(["blob:"] if clerk else [])],
        "frame-src": [TURNSTILE] if clerk else ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def policy_for(request: HttpRequest) -> str:
    """The policy string for a response to `request` (host-dependent only through the socket URLs)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        host = None  # a refused Host: its error response gets the policy without socket hosts
    return _policy(host, clerk_publishable_key(), storage_origin())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that has none. Listed first in MIDDLEWARE, so the error
    responses other middleware produce (a refused Host) carry it too. Sync-only, like its
    neighbours (see project/settings.py MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response
        # A malformed key stops the server here, at start, not per request.
        if clerk_publishable_key():
            clerk_frontend_api_host(clerk_publishable_key())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request)
        return response
