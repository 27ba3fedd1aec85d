"""Every write to tickets. Keyword-only, atomic, row-locked where people race, logged, announced."""

from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import Role, Team, User
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.core.events import broadcast_on_commit
from apps.tickets import workflow
from apps.tickets.broadcast import emit_ticket, ticket_audience, ticket_payload, ticket_topics
from apps.tickets.models import Priority, Status, Tag, Ticket, TicketEvent
from apps.tickets.permissions import (
    access_ticket,
    allowed_transitions,
    is_staff_for,
    reopen_window_open,
    require_may_create_with,
    require_may_delete,
    require_may_edit,
    require_staff_for,
    workflow_actors,
)

NUMBER_SEQUENCE = "tickets_ticket_number_seq"


def _next_number() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [NUMBER_SEQUENCE])
            return cursor.fetchone()[0]
    # SQLite: the transaction holds the database write lock (transaction_mode=IMMEDIATE).
    return (Ticket.objects.aggregate(top=Max("number"))["top"] or 0) + 1


def ticket_log(
    *, ticket: Ticket, actor: User | None, kind: str, old=None, new=None, note: str = "", internal: bool = False
) -> TicketEvent:
    """Appends to the activity log. Other apps (comments, approvals) write their entries through this too."""
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, old=old, new=new, note=note, internal=internal
    )


def ticket_log_many(*, entries: list[dict]) -> None:
    """`ticket_log` for many rows in one insert (batch writers above tickets, e.g. SLA recalculation):
    each entry holds `ticket_log`'s keyword arguments."""
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=entry["ticket"],
                actor=entry.get("actor"),
                kind=entry["kind"],
                old=entry.get("old"),
                new=entry.get("new"),
                note=entry.get("note", ""),
                internal=entry.get("internal", False),
            )
            for entry in entries
        ]
    )


def _team_or_error(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed({"team_id": "No such team."})
    return team


def _set_tags(ticket: Ticket, names: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    ticket.tags.set([existing[name] for name in names])


@transaction.atomic
def ticket_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    priority: str = "normal",
    type: str = "incident",
    team_id: int | None = None,
    tags: list[str] | tuple = (),
    due_at: datetime | None = None,
) -> Ticket:
    require_may_create_with(actor, {field for field, value in (("tags", tags), ("due_at", due_at)) if value})
    ticket = Ticket.objects.create(
        number=_next_number(),
        title=title,
        description=description,
        priority=Priority.from_name(priority),
        type=type,
        requester=actor,
        team=_team_or_error(team_id),
        due_at=due_at,
    )
    if tags:
        _set_tags(ticket, list(tags))
    ticket_log(ticket=ticket, actor=actor, kind="created", new={"status": ticket.status, "title": ticket.title})
    emit_ticket("ticket.created", ticket, actor_id=actor.pk)
    return ticket


def _current_value(ticket: Ticket, field: str):
    if field == "priority":
        return Priority(ticket.priority).label
    if field == "team_id":
        return ticket.team_id
    if field == "tags":
        return sorted(tag.name for tag in ticket.tags.all())
    return getattr(ticket, field)


def _logged(value):
    """A value as the activity log (JSON) keeps it: datetimes as ISO 8601 in UTC."""
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


@transaction.atomic
def ticket_update(*, actor: User, ticket_id: int, version: int, changes: dict) -> Ticket:
    """Partial update with optimistic concurrency: `version` must be the current one, else 409."""
    ticket = access_ticket(actor, ticket_id, for_update=True)
    require_may_edit(actor, ticket, set(changes), staff=is_staff_for(actor, ticket))
    if version != ticket.version:
        raise Conflict(
            "Someone changed this ticket since you loaded it.",
            code="stale_version",
            details={"current_version": ticket.version},
        )

    # Compared by meaning: aware datetimes compare as instants (the same one in another offset is
    # no change), tags as sets; an update that changes nothing bumps no version and logs nothing.
    old, new = {}, {}
    for field, value in changes.items():
        current = _current_value(ticket, field)
        if field == "tags":
            value = sorted(value)
        if current != value:
            old[field], new[field] = _logged(current), _logged(value)
    if not new:
        return ticket

    if "team_id" in new:
        ticket.team = _team_or_error(new["team_id"])
        if ticket.assignee_id and not _can_be_assignee(ticket.assignee, ticket):
            old["assignee_id"], new["assignee_id"] = ticket.assignee_id, None
            ticket.assignee = None
    for field in ("title", "description", "type"):
        if field in new:
            setattr(ticket, field, new[field])
    if "priority" in new:
        ticket.priority = Priority.from_name(new["priority"])
    if "due_at" in new:
        ticket.due_at = changes["due_at"]
    if "tags" in new:
        _set_tags(ticket, new["tags"])
    ticket.version += 1
    ticket.save()
    ticket_log(ticket=ticket, actor=actor, kind="updated", old=old, new=new)
    emit_ticket("ticket.updated", ticket, actor_id=actor.pk)
    return ticket


@transaction.atomic
def ticket_transition(*, actor: User, ticket_id: int, status: str, reason: str = "", system: bool = False) -> Ticket:
    """Moves the ticket along the workflow table. `system=True` is for the approvals app only."""
    if system:
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    else:
        ticket = access_ticket(actor, ticket_id, for_update=True)
    allowed = workflow.actors_for(ticket.status, status)
    if not allowed:
        raise Conflict(
            f"A ticket can't move from {ticket.status} to {status}.",
            code="invalid_transition",
            details={
                "from": ticket.status,
                "to": status,
                "allowed": allowed_transitions(actor, ticket, staff=is_staff_for(actor, ticket)) if actor else [],
            },
        )
    actors = workflow_actors(actor, ticket, staff=not system and is_staff_for(actor, ticket), system=system)
    if not allowed & actors:
        if allowed == {workflow.SYSTEM}:
            raise Conflict(
                f"Only the approval workflow moves a ticket to {status}.",
                code="approval_controlled",
                details={"from": ticket.status, "to": status},
            )
        raise PermissionDenied(
            "You are not allowed to make this change.",
            code="transition_not_allowed",
            details={"from": ticket.status, "to": status},
        )
    requester_only = actors & allowed == {workflow.REQUESTER}
    if requester_only and ticket.status == Status.RESOLVED and status == Status.OPEN and not reopen_window_open(ticket):
        raise Conflict(
            f"Resolved tickets can be reopened for {settings.TICKET_REOPEN_WINDOW_DAYS} days only.",
            code="reopen_window_passed",
        )

    previous = ticket.status
    now = timezone.now()
    ticket.status = status
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Status.CLOSED:
        ticket.closed_at = now
    elif previous in workflow.DONE:
        ticket.resolved_at = ticket.closed_at = None
    ticket.version += 1
    ticket.save()
    ticket_log(ticket=ticket, actor=actor, kind="status_changed", old=previous, new=status, note=reason)
    emit_ticket("ticket.transitioned", ticket, actor_id=actor.pk if actor else None)
    return ticket


def _can_be_assignee(user: User, ticket: Ticket) -> bool:
    if not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.AGENT:
        return False
    return ticket.team_id is None or user.teams.filter(pk=ticket.team_id).exists()


@transaction.atomic
def ticket_assign(*, actor: User, ticket_id: int, assignee_id: int | None) -> Ticket:
    ticket = access_ticket(actor, ticket_id, for_update=True)
    require_staff_for(actor, ticket)
    assignee = None
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id).first()
        if assignee is None or not _can_be_assignee(assignee, ticket):
            raise ValidationFailed({"assignee_id": "The assignee must be an agent of the ticket's team or an admin."})
    if ticket.assignee_id == assignee_id:
        return ticket
    previous = ticket.assignee_id
    ticket.assignee = assignee
    ticket.version += 1
    ticket.save()
    ticket_log(ticket=ticket, actor=actor, kind="assigned", old=previous, new=assignee_id)
    emit_ticket("ticket.assigned", ticket, also_to_users=(assignee_id,) if assignee_id else (), actor_id=actor.pk)
    return ticket


@transaction.atomic
def ticket_watch(*, actor: User, ticket_id: int, user: User | None = None) -> Ticket:
    """Adds `user` (default: the actor) to the watchers. Staff may add others who can see the ticket."""
    ticket = access_ticket(actor, ticket_id, for_update=True)
    watcher = user or actor
    if watcher.pk != actor.pk:
        require_staff_for(actor, ticket)
        access_ticket(watcher, ticket.pk)
    if ticket.watchers.filter(pk=watcher.pk).exists():
        return ticket
    ticket.watchers.add(watcher)
    ticket_log(ticket=ticket, actor=actor, kind="watcher_added", new=watcher.pk)
    emit_ticket("ticket.updated", ticket, actor_id=actor.pk)
    return ticket


@transaction.atomic
def ticket_unwatch(*, actor: User, ticket_id: int) -> Ticket:
    ticket = access_ticket(actor, ticket_id, for_update=True)
    if not ticket.watchers.filter(pk=actor.pk).exists():
        return ticket
    # Announce with the audience from before the removal: the leaving watcher learns of it too.
    audience = ticket_audience(ticket)
    ticket.watchers.remove(actor)
    ticket_log(ticket=ticket, actor=actor, kind="watcher_removed", old=actor.pk)
    broadcast_on_commit(
        "ticket.updated",
        {"ticket": ticket_payload(ticket), "actor_id": actor.pk},
        topics=ticket_topics(ticket.pk),
        audience=audience,
    )
    return ticket


@transaction.atomic
def ticket_delete(*, actor: User, ticket_id: int) -> None:
    ticket = access_ticket(actor, ticket_id, for_update=True)
    require_may_delete(actor)
    audience = ticket_audience(ticket)
    data = {"ticket": {"id": ticket.pk, "number": ticket.key}, "actor_id": actor.pk}
    ticket.delete()
    broadcast_on_commit("ticket.deleted", data, topics=ticket_topics(ticket_id), audience=audience)
