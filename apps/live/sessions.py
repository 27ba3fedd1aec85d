"""The database side of the websocket consumer: who is connecting and which topics they may follow.

Plain synchronous functions (the consumer calls them through database_sync_to_async), so each one
is one short unit of database work, testable without a socket.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from apps.accounts.auth import authenticate_bearer
from apps.accounts.models import User
from apps.accounts.services import api_token_expires_at, is_api_token
from apps.core.errors import AuthenticationFailed, NotFound
from apps.tickets.permissions import Viewer, access_ticket, visible_tickets

TICKET_TOPIC = re.compile(r"^ticket:([1-9][0-9]{0,17})$")
LIST_TOPIC = "tickets"


@dataclass(frozen=True)
class Session:
    user: User
    viewer: Viewer
    # Epoch seconds at which REST would start refusing the token, so the socket closes; None: never.
    expires_at: float | None
    # Kept for personal API tokens only, so a revocation can be checked while the socket is open.
    api_token: str | None = None


def open_session(token: str) -> Session:
    """Raises AuthenticationFailed like the REST API would."""
    user, session_exp = authenticate_bearer(token)
    api_token = token if is_api_token(token) else None
    if api_token:
        token_expiry = api_token_expires_at(api_token)
        expires_at = token_expiry.timestamp() if token_expiry else None
    else:
        # The leeway REST grants for clock skew: a token REST would still accept keeps the socket open.
        expires_at = session_exp + settings.CLERK_LEEWAY_SECONDS
    return Session(user=user, viewer=Viewer.of(user), expires_at=expires_at, api_token=api_token)


def user_public(user: User) -> dict:
    return {"id": user.pk, "email": user.email, "display_name": user.display_name, "role": user.role}


def ticket_id_of(topic: str) -> int | None:
    match = TICKET_TOPIC.match(topic)
    return int(match.group(1)) if match else None


def may_follow_ticket(user: User, ticket_id: int) -> bool:
    """The REST rule, so a missing ticket and an invisible one answer the same."""
    try:
        access_ticket(user, ticket_id)
    except NotFound:
        return False
    return True


@dataclass(frozen=True)
class AccessSnapshot:
    user: User | None  # None: the socket must close, for the reason in `refused`
    viewer: Viewer | None
    still_visible: frozenset[int]
    refused: str | None = None


def reload_access(session: Session, ticket_ids: set[int]) -> AccessSnapshot:
    """After access.changed: the user's fresh role and teams, and which followed tickets remain visible.

    A few queries whatever the number of followed tickets.
    """
    if session.api_token:
        try:
            authenticate_bearer(session.api_token)
        except AuthenticationFailed as exc:
            return AccessSnapshot(user=None, viewer=None, still_visible=frozenset(), refused=exc.code)
    user = User.objects.filter(pk=session.user.pk, is_active=True).first()
    if user is None:
        return AccessSnapshot(user=None, viewer=None, still_visible=frozenset(), refused="account_disabled")
    visible = visible_tickets(user).filter(pk__in=ticket_ids).values_list("pk", flat=True) if ticket_ids else []
    return AccessSnapshot(user=user, viewer=Viewer.of(user), still_visible=frozenset(visible))
