"""SLA jobs (Django Tasks, database backend; `manage.py db_worker` runs them).

Every job re-reads the ticket and recomputes its clocks (apps.sla.sync.sla_sync_ticket) before it
acts, so a stale job — scheduled for a due time that moved since — does nothing, and running one
twice stamps nothing twice.
"""

from django_tasks import task

from apps.sla.models import SlaClock, TicketSla
from apps.sla.sync import sla_sync_ticket, sla_sync_tickets

# Tickets recomputed per job when a calendar changes; each batch enqueues the next.
RECALCULATE_BATCH = 500


@task()
def sla_check(ticket_id: int) -> None:
    """At a warning or due time (run_after), and as the backstop of an event subscriber."""
    sla_sync_ticket(ticket_id=ticket_id)


@task()
def sla_recalculate_calendar(calendar_id: int, after_ticket_id: int = 0) -> int:
    """Recomputes the open clocks of tickets on calendar `calendar_id`, RECALCULATE_BATCH tickets
    per job in ticket-id order (one transaction per batch, one `sla.recalculated` event), then
    enqueues the next batch. Returns how many tickets this batch recomputed."""
    with_open_clock = SlaClock.objects.filter(stopped_at__isnull=True).values("ticket_sla_id")
    ticket_ids = list(
        TicketSla.objects.filter(calendar_id=calendar_id, ticket_id__gt=after_ticket_id, pk__in=with_open_clock)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)[:RECALCULATE_BATCH]
    )
    sla_sync_tickets(ticket_ids=ticket_ids)
    if len(ticket_ids) == RECALCULATE_BATCH:
        sla_recalculate_calendar.enqueue(calendar_id, ticket_ids[-1])
    return len(ticket_ids)
