"""Who may see and work a ticket. The same rules serve REST (as a query) and websockets (in memory).

- admin: every ticket;
- everyone: tickets they requested, watch, or are (or stand in as delegate for) an approver on;
- agent: additionally the tickets of their teams, and the triage queue (tickets with no team).
A ticket the caller may not see is a 404, exactly like a missing one.

What a caller may *do* to a ticket they see is decided here too (require_may_* and the staff rule),
once: the services call these checks, and `ticket_permissions` builds the flags the API returns from
the same checks, so a flag is true exactly when the matching request would pass them.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.errors import Conflict, NotFound, PermissionDenied
from apps.tickets import hooks, workflow
from apps.tickets.models import Status, Ticket


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


def is_staff_for(user: User, ticket: Ticket, *, viewer: "Viewer | None" = None) -> bool:
    """May work the ticket as staff: transition, assign, edit every field (admins; agents of its team,
    or of any team while it has none). `viewer` (Viewer.of(user), when the caller holds one for many
    tickets) spares the team query."""
    if user.role not in (Role.ADMIN, Role.AGENT):
        return False
    return staff_on(viewer or Viewer.of(user), ticket.team_id)


def staff_on(viewer: "Viewer", team_id: int | None) -> bool:
    """The staff rule on a ticket of `team_id` (None: the triage queue), from a Viewer in memory."""
    if viewer.role == Role.ADMIN:
        return True
    return viewer.role == Role.AGENT and (team_id is None or team_id in viewer.team_ids)


def require_staff_for(user: User, ticket: Ticket, *, staff: bool | None = None) -> None:
    """PermissionDenied `staff_only` unless is_staff_for (or the `staff` the caller already computed)."""
    if not (is_staff_for(user, ticket) if staff is None else staff):
        raise PermissionDenied("Only agents of the ticket's team or admins can do this.", code="staff_only")


# --- What the caller may do to a ticket: checks the services call, and the flags built from them --------------

# Fields of PATCH /tickets/{id} and POST /tickets, and who may set them.
TICKET_FIELDS = ("title", "description", "priority", "type", "team_id", "tags", "due_at")
REQUESTER_EDITABLE = frozenset({"title", "description"})
REQUESTER_EDITABLE_STATUSES = frozenset({Status.NEW, Status.OPEN})
STAFF_ONLY_ON_CREATE = frozenset({"tags", "due_at"})


def creatable_fields(user: User) -> list[str]:
    """Fields the user may set on a new ticket (POST /tickets), in TICKET_FIELDS order: a requester
    may not set tags or a due date (agents and admins triage those)."""
    if user.is_staff_role:
        return list(TICKET_FIELDS)
    return [field for field in TICKET_FIELDS if field not in STAFF_ONLY_ON_CREATE]


def require_may_create_with(user: User, fields: set[str]) -> None:
    """`fields`: the fields given a value. PermissionDenied `field_not_editable` (details.fields)
    for any the user may not set (creatable_fields)."""
    forbidden = sorted(fields - set(creatable_fields(user)))
    if forbidden:
        raise PermissionDenied(
            "Only agents and admins can set tags or a due date.",
            code="field_not_editable",
            details={"fields": forbidden},
        )


def require_may_edit(user: User, ticket: Ticket, fields: set[str], *, staff: bool) -> None:
    """May the user change `fields` of the ticket now? Staff (is_staff_for): every field. Its
    requester: title and description while the ticket is new or open. Raises PermissionDenied
    (`not_editable`, `field_not_editable` with details.fields) or Conflict (`ticket_locked`)."""
    if staff:
        return
    if user.pk != ticket.requester_id:
        raise PermissionDenied("Only the requester or staff can edit this ticket.", code="not_editable")
    forbidden = sorted(fields - REQUESTER_EDITABLE)
    if forbidden:
        raise PermissionDenied(
            "Only agents and admins can change these fields.", code="field_not_editable", details={"fields": forbidden}
        )
    if ticket.status not in REQUESTER_EDITABLE_STATUSES:
        raise Conflict("The ticket can no longer be edited by its requester.", code="ticket_locked")


def require_may_delete(user: User) -> None:
    """Deleting a ticket is for admins (PermissionDenied `admin_only`)."""
    if user.role != Role.ADMIN:
        raise PermissionDenied("Only admins can delete tickets.", code="admin_only")


def workflow_actors(user: User | None, ticket: Ticket, *, staff: bool, system: bool = False) -> set[str]:
    """The roles of apps.tickets.workflow the user acts in on this ticket."""
    if system:
        return {workflow.SYSTEM}
    actors = set()
    if staff:
        actors.add(workflow.STAFF)
    if user is not None and user.pk == ticket.requester_id:
        actors.add(workflow.REQUESTER)
    return actors


def reopen_window_open(ticket: Ticket) -> bool:
    """A requester may reopen a resolved ticket for TICKET_REOPEN_WINDOW_DAYS days after resolution."""
    window = timedelta(days=settings.TICKET_REOPEN_WINDOW_DAYS)
    return ticket.resolved_at is None or timezone.now() - ticket.resolved_at <= window


def allowed_transitions(user: User, ticket: Ticket, *, staff: bool) -> list[str]:
    """Statuses the user may move the ticket to now (the workflow table, the requester's reopen window)."""
    actors = workflow_actors(user, ticket, staff=staff)
    targets = workflow.targets_from(ticket.status, actors)
    if ticket.status == Status.RESOLVED and actors == {workflow.REQUESTER} and not reopen_window_open(ticket):
        targets = [status for status in targets if status != Status.OPEN]
    return targets


def sees_internal(user: User) -> bool:
    """Internal notes (comments, activity, the staff-only events) are for agents and admins."""
    return user.is_staff_role


def _passes(check, *args, **kwargs) -> bool:
    try:
        check(*args, **kwargs)
    except (PermissionDenied, Conflict):
        return False
    return True


def ticket_permissions(user: User, ticket: Ticket, *, staff: bool | None = None) -> dict:
    """What `user` may do to `ticket` now, for the ticket's `permissions` (schemas.TicketPermissions),
    from the same checks the services run. `staff`: is_staff_for, when already known."""
    staff = is_staff_for(user, ticket) if staff is None else staff

    def may_edit(*fields: str) -> bool:
        return _passes(require_may_edit, user, ticket, set(fields), staff=staff)

    return {
        "edit": may_edit("title", "description"),
        "set_priority": may_edit("priority"),
        "set_type": may_edit("type"),
        "set_team": may_edit("team_id"),
        "set_tags": may_edit("tags"),
        "set_due": may_edit("due_at"),
        "assign": _passes(require_staff_for, user, ticket, staff=staff),
        "transition_to": allowed_transitions(user, ticket, staff=staff),
        "comment": True,  # whoever sees a ticket may comment on it and follow it
        "comment_internal": sees_internal(user),
        "upload": True,  # whoever sees a ticket may attach files (to it or to their own comments)
        "watch": True,
        "delete": _passes(require_may_delete, user),
    }


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
