"""Who may see and work a ticket. The same rules serve REST (as a query) and websockets (in memory).

- admin: every ticket;
- everyone: tickets they requested, watch, or are (or stand in as delegate for) an approver on;
- agent: additionally the tickets of their teams, and the triage queue (tickets with no team).
A ticket the caller may not see is a 404, exactly like a missing one.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from apps.accounts.models import Role, User
from apps.core.errors import NotFound, PermissionDenied
from apps.tickets import hooks
from apps.tickets.models import Ticket


def visible_tickets_q(user: User) -> Q:
    if user.role == Role.ADMIN:
        return Q()
    personal = Q(requester=user) | Q(pk__in=_watched_ids(user))
    for ticket_ids in hooks.extra_visible_ticket_ids(user):  # approvers (apps/approvals/apps.py)
        personal |= Q(pk__in=ticket_ids)
    if user.role == Role.AGENT:
        return personal | Q(team__in=_team_ids(user)) | Q(team__isnull=True)
    return personal


def _team_ids(user: User):
    return User.teams.through.objects.filter(user_id=user.pk).values("team_id")


def _watched_ids(user: User):
    return Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")


def visible_tickets(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(visible_tickets_q(user))


def access_ticket(user: User, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket if the user may see it, else NotFound. `for_update` locks the row (call in a transaction)."""
    tickets = visible_tickets(user)
    if for_update:
        # Lock by primary key: PostgreSQL refuses FOR UPDATE on a query with subqueries in OR.
        if not tickets.filter(pk=ticket_id).exists():
            raise NotFound("No such ticket.")
        return Ticket.objects.select_for_update().get(pk=ticket_id)
    ticket = tickets.select_related("requester", "assignee", "team").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def require_ticket_visible(user: User, ticket_id: int, *, missing: str) -> None:
    """For objects that live on a ticket (comments, attachments): if the caller can't see the
    ticket, the object is missing too, with the object's own "not found" message."""
    if not visible_tickets(user).filter(pk=ticket_id).exists():
        raise NotFound(missing)


def is_staff_for(user: User, ticket: Ticket) -> bool:
    """May work the ticket as staff: transition, assign, edit every field."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.AGENT:
        return False
    return ticket.team_id is None or User.teams.through.objects.filter(user_id=user.pk, team_id=ticket.team_id).exists()


def require_staff_for(user: User, ticket: Ticket) -> None:
    if not is_staff_for(user, ticket):
        raise PermissionDenied("Only agents of the ticket's team or admins can do this.", code="staff_only")


@dataclass(frozen=True)
class Viewer:
    """What the websocket layer keeps in memory about a connected user to filter events."""

    user_id: int
    role: str
    team_ids: frozenset[int]

    @classmethod
    def of(cls, user: User) -> "Viewer":
        team_ids = User.teams.through.objects.filter(user_id=user.pk).values_list("team_id", flat=True)
        return cls(user_id=user.pk, role=user.role, team_ids=frozenset(team_ids))

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)


def audience_allows(viewer: Viewer, audience: dict | None) -> bool:
    """In-memory twin of visible_tickets_q, applied to an event's Audience (see core.events)."""
    if audience is None:
        return True
    if audience.get("staff_only") and not viewer.is_staff:
        return False
    if viewer.role == Role.ADMIN or audience.get("ticket_id") is None:
        return True
    if viewer.user_id in audience.get("user_ids", ()):
        return True
    if viewer.role == Role.AGENT:
        team_id = audience.get("team_id")
        return team_id is None or team_id in viewer.team_ids
    return False
