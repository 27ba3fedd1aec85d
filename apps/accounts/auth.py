"""Who is calling: a Clerk session JWT (or dev sign-in token) or a personal API token, as a Bearer."""

import logging
import re

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.accounts import authcache
from apps.accounts.models import ApiToken, User
from apps.accounts.services import api_token_check, api_token_touch, is_api_token, user_provision_from_session
from apps.core.clerk import verify_session_token
from apps.core.errors import AuthenticationFailed, Throttled
from apps.core.throttling import failed_authentication

logger = logging.getLogger("apps.auth")


# A JWT is three base64url segments joined by dots, an API token `hd_<hex>_<base64url>`: nothing
# else can be one of them. Clerk's session tokens are 1-3 KB (they travel in a cookie, < 4 KB).
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]+")
MAX_TOKEN_LENGTH = 8192


def authenticate_bearer(token: str) -> tuple[User, int | None]:
    """The user of a Bearer token (REST header or the websocket's auth frame) and, for session
    tokens, their expiry (epoch seconds) that the websocket enforces. Always from the database
    (the websocket's path); REST requests go through authenticate_cached.

    Raises AuthenticationFailed (401). A token with characters no JWT or API token has (NUL, lone
    surrogates, any non-ASCII, padding, spaces) or longer than MAX_TOKEN_LENGTH is refused here,
    before any parsing.
    """
    user, session_exp, _ = _resolve(token)
    return user, session_exp


def authenticate_cached(token: str) -> User:
    """authenticate_bearer for REST requests, through the per-process cache of resolved tokens
    (apps.accounts.authcache: a revocation or access change is honoured by every process within
    AUTH_CACHE_SYNC_SECONDS of its commit). Each call returns its own User instance.

    Raises AuthenticationFailed (401) as authenticate_bearer; refusals are never cached.
    """
    entry = authcache.lookup(token) if isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH else None
    if entry is not None:
        if entry.api_token_id is not None:
            entry.api_token_last_used = api_token_touch(entry.api_token_id, entry.api_token_last_used)
        return entry.user()
    epoch = authcache.current_epoch()
    user, session_exp, api_token = _resolve(token)
    if api_token is not None:
        authcache.store(
            token,
            user,
            epoch=epoch,
            token_expires_at=api_token.expires_at.timestamp() if api_token.expires_at else None,
            api_token_id=api_token.pk,
            api_token_last_used=api_token.last_used_at,
        )
    else:
        # PyJWT refuses a token once now >= exp + leeway: the cached entry ends there too.
        authcache.store(token, user, epoch=epoch, token_expires_at=session_exp + settings.CLERK_LEEWAY_SECONDS)
    return user


def _resolve(token: str) -> tuple[User, int | None, ApiToken | None]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not TOKEN_CHARACTERS.fullmatch(token):
        logger.info("auth rejected: invalid_token (not a token: bad characters or over %d long)", MAX_TOKEN_LENGTH)
        raise AuthenticationFailed("The token is malformed.", code="invalid_token")
    if is_api_token(token):
        try:
            api_token = api_token_check(token)
        except AuthenticationFailed as exc:
            logger.info("auth rejected: %s (api token)", exc.code)
            raise
        return api_token.user, None, api_token
    session = verify_session_token(token)
    user = user_provision_from_session(clerk_id=session.sub, email=session.email, name=session.name)
    if not user.is_active:
        logger.info("auth rejected: account_disabled (sub=%s)", session.sub)
        raise AuthenticationFailed("This account is disabled.", code="account_disabled")
    return user, session.exp, None


class BearerAuth(HttpBearer):
    def __call__(self, request: HttpRequest):
        # A client over the failed-authentication rate is refused before its token is looked at:
        # otherwise it could keep guessing until one guess is right.
        retry_after = failed_authentication.retry_after(request)
        if retry_after is not None:
            logger.info("auth throttled: too many failed authentications from this client")
            raise Throttled(retry_after)
        try:
            return self._authenticate_header(request)
        except AuthenticationFailed:
            failed_authentication.record_failure(request)
            raise

    def _authenticate_header(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if not header:
            logger.info("auth rejected: missing Authorization header")
            raise AuthenticationFailed("Send Authorization: Bearer <token>.", code="not_authenticated")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
            logger.info("auth rejected: malformed Authorization header")
            raise AuthenticationFailed("The Authorization header must be 'Bearer <token>'.", code="invalid_header")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = authenticate_cached(token)
        request.user = user
        return user
