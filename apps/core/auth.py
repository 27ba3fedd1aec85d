"""Who is calling: a Clerk session JWT (or dev sign-in token) or a personal API token, as a Bearer."""

import logging

from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.accounts.models import User
from apps.accounts.services import api_token_authenticate, is_api_token, user_provision_from_session
from apps.core.clerk import verify_session_token
from apps.core.errors import AuthenticationFailed

logger = logging.getLogger("apps.auth")


def authenticate_bearer(token: str) -> tuple[User, int | None]:
    """Returns the user and, for session tokens, the expiry (epoch seconds) the websocket enforces."""
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
