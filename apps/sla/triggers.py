"""How ticket and comment changes reach the clocks (registered in SlaConfig.ready()).

Two paths, for one idempotent sync (apps.sla.sync.sla_sync_ticket):
- right after the commit, `on_domain_event` syncs the ticket in the same process, so the REST
  response that follows and the list already show the new clock state;
- inside the change's own transaction, `enqueue_backstop` enqueues an `sla_check` job a little
  later. It commits or rolls back with the change, so if the process dies between the commit and
  the subscriber, the job still brings the clocks up to date — from the activity log, with the
  change's own timestamps. When the subscriber did run, the job finds nothing to do.
"""

from datetime import timedelta

from django.utils import timezone

from apps.core.events import DomainEvent

# Events after which a ticket's clocks may have changed.
TRIGGERS = frozenset({"ticket.created", "ticket.updated", "ticket.transitioned", "comment.created"})
BACKSTOP_DELAY = timedelta(seconds=60)


def ticket_id_of(event: DomainEvent) -> int | None:
    if event.name not in TRIGGERS:
        return None
    ticket = event.data.get("ticket")
    if isinstance(ticket, dict) and isinstance(ticket.get("id"), int):
        return ticket["id"]
    ticket_id = event.data.get("ticket_id")
    return ticket_id if isinstance(ticket_id, int) else None


def enqueue_backstop(event: DomainEvent) -> None:
    ticket_id = ticket_id_of(event)
    if ticket_id is None:
        return
    from apps.sla.tasks import sla_check

    sla_check.using(run_after=timezone.now() + BACKSTOP_DELAY).enqueue(ticket_id)


def on_domain_event(event: DomainEvent) -> None:
    ticket_id = ticket_id_of(event)
    if ticket_id is None:
        return
    from apps.sla.sync import sla_sync_ticket

    sla_sync_ticket(ticket_id=ticket_id)
