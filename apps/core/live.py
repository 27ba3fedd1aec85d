"""The database side of the websocket consumer: who is connecting and which topics they may follow.

Plain synchronous functions (the consumer calls them through database_sync_to_async), so each one
is one short unit of database work, testable without a socket.
"""

import re
from dataclasses import dataclass

from apps.accounts.models import User
from apps.core.auth import authenticate_bearer
from apps.core.errors import NotFound
from apps.tickets.permissions import Viewer, access_ticket, visible_tickets

TICKET_TOPIC = re.compile(r"^ticket:([1-9][0-9]{0,17})$")
LIST_TOPIC = "tickets"


@dataclass(frozen=True)
class Session:
    user: User
    viewer: Viewer
    # Epoch seconds after which the socket must be re-authenticated; None for personal API tokens.
    expires_at: int | None


def open_session(token: str) -> Session:
    """Raises AuthenticationFailed like the REST API would."""
    user, expires_at = authenticate_bearer(token)
    return Session(user=user, viewer=Viewer.of(user), expires_at=expires_at)


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
    user: User | None  # None: the account is gone or disabled
    viewer: Viewer | None
    still_visible: frozenset[int]


def reload_access(user_id: int, ticket_ids: set[int]) -> AccessSnapshot:
    """After access.changed: the user's fresh role and teams, and which followed tickets remain visible.

    Two or three queries whatever the number of followed tickets.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return AccessSnapshot(user=None, viewer=None, still_visible=frozenset())
    visible = visible_tickets(user).filter(pk__in=ticket_ids).values_list("pk", flat=True) if ticket_ids else []
    return AccessSnapshot(user=user, viewer=Viewer.of(user), still_visible=frozenset(visible))
