"""Reads of SLA configuration and of one ticket's clocks."""

from django.db.models import Prefetch, QuerySet

from apps.accounts.models import User
from apps.core.errors import NotFound
from apps.sla.models import BusinessCalendar, ClockKind, SlaClock, SlaClockEvent, SlaPolicy, TicketSla
from apps.sla.services import require_admin
from apps.sla.sync import clock_payload
from apps.tickets.permissions import access_ticket


def calendar_list(*, actor: User) -> QuerySet[BusinessCalendar]:
    require_admin(actor)
    return BusinessCalendar.objects.order_by("name", "id")


def policy_list(*, actor: User) -> QuerySet[SlaPolicy]:
    require_admin(actor)
    return SlaPolicy.objects.order_by("order", "id")


def calendar_get(*, actor: User, calendar_id: int) -> BusinessCalendar:
    require_admin(actor)
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound("No such business calendar.")
    return calendar


def policy_get(*, actor: User, policy_id: int) -> SlaPolicy:
    require_admin(actor)
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound("No such SLA policy.")
    return policy


def ticket_sla_detail(*, actor: User, ticket_id: int) -> dict | None:
    """Both clocks of a ticket the actor may see, with their history (3 queries); None: no SLA."""
    access_ticket(actor, ticket_id)
    record = (
        TicketSla.objects.select_related("calendar")
        .prefetch_related(
            Prefetch(
                "clocks",
                queryset=SlaClock.objects.prefetch_related(
                    Prefetch("history", queryset=SlaClockEvent.objects.order_by("at", "id"))
                ),
            )
        )
        .filter(ticket_id=ticket_id)
        .first()
    )
    if record is None:
        return None
    order = {kind: index for index, kind in enumerate(ClockKind.values)}
    clocks = sorted(record.clocks.all(), key=lambda clock: order[clock.kind])
    return {
        "policy": record.policy_name,
        "calendar": record.calendar.name,
        "timezone": record.calendar.timezone,
        "clocks": [
            {
                **clock_payload(clock),
                "kind": clock.kind,
                "target_minutes": clock.target_minutes,
                "started_at": clock.started_at,
                "history": [{"kind": e.kind, "at": e.at, "due_at": e.due_at} for e in clock.history.all()],
            }
            for clock in clocks
        ],
    }
