"""Fills `SlaClock.counted_seconds` (migration sla/0002) on clocks that stopped before it existed.

New stops write it through `sync` like every clock field; a clock that had already stopped is
history that `sync` leaves alone, so its value is computed here once, with the same rules
(apps.sla.clocks) from the ticket's activity log. `manage.py sla_backfill_counted` runs it, once
after migrating (docs/sla.md); until then, reports leave those clocks out of their business-time
figures.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.sla.clocks import plan_clock
from apps.sla.models import SlaClock
from apps.sla.sync import targets_of, ticket_histories

BACKFILL_BATCH = 500


@transaction.atomic
def sla_backfill_counted(*, after_ticket_id: int = 0, limit: int = BACKFILL_BATCH) -> list[int]:
    """Stores `counted_seconds` on the stopped clocks lacking it of the first `limit` such tickets
    with ids above `after_ticket_id` (ticket-id order), one transaction. Returns those tickets' ids
    in order — fewer than `limit` means nothing is left after them. Idempotent: a clock with a value
    is not read again; one the rules no longer see as stopped (a reopen its sync hasn't caught up
    with yet) is skipped and gets its value from `sync` when it stops again."""
    ticket_ids = list(
        SlaClock.objects.filter(
            stopped_at__isnull=False, counted_seconds__isnull=True, ticket_sla_id__gt=after_ticket_id
        )
        .order_by("ticket_sla_id")
        .values_list("ticket_sla_id", flat=True)
        .distinct()[:limit]
    )
    clocks = list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_sla_id__in=ticket_ids, stopped_at__isnull=False, counted_seconds__isnull=True)
        .select_related("ticket_sla__calendar", "ticket_sla__ticket")
    )
    histories = ticket_histories([clock.ticket_sla.ticket for clock in clocks])
    now = timezone.now()
    filled = []
    for clock in clocks:
        plan = plan_clock(clock.kind, histories[clock.ticket_sla_id], targets_of(clock.ticket_sla), now)
        if plan.counted is not None:
            clock.counted_seconds = plan.counted // timedelta(seconds=1)
            filled.append(clock)
    SlaClock.objects.bulk_update(filled, ["counted_seconds"], batch_size=BACKFILL_BATCH)
    return ticket_ids


def sla_backfill_all(*, batch: int = BACKFILL_BATCH) -> int:
    """`sla_backfill_counted` batch after batch until nothing is left; returns the tickets visited."""
    after, visited = 0, 0
    while True:
        ticket_ids = sla_backfill_counted(after_ticket_id=after, limit=batch)
        visited += len(ticket_ids)
        if len(ticket_ids) < batch:
            return visited
        after = ticket_ids[-1]
