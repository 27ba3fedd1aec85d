"""Who is calling: a Clerk session JWT (or dev sign-in token) or a personal API token, as a Bearer."""

import logging
import re

from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.accounts.models import User
from apps.accounts.services import api_token_authenticate, is_api_token, user_provision_from_session
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
    tokens, their expiry (epoch seconds) that the websocket enforces.

    Raises AuthenticationFailed (401). A token with characters no JWT or API token has (NUL, lone
    surrogates, any non-ASCII, padding, spaces) or longer than MAX_TOKEN_LENGTH is refused here,
    before any parsing.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not TOKEN_CHARACTERS.fullmatch(token):
        logger.info("auth rejected: invalid_token (not a token: bad characters or over %d long)", MAX_TOKEN_LENGTH)
        raise AuthenticationFailed("The token is malformed.", code="invalid_token")
    if is_api_token(token):
        try:
            return api_token_authenticate(token), None
        except AuthenticationFailed as exc:
            logger.info("auth rejected: %s (api token)", exc.code)
            raise
    session = verify_session_token(token)
    user = user_provision_from_session(clerk_id=session.sub, email=session.email, name=session.name)
    if not user.is_active:
        logger.info("auth rejected: account_disabled (sub=%s)", session.sub)
        raise AuthenticationFailed("This account is disabled.", code="account_disabled")
    return user, session.exp


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
        user, _ = authenticate_bearer(token)
        request.user = user
        return user
