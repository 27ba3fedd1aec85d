from django.db.models import QuerySet

from apps.tickets.models import Ticket


def approver_ticket_ids(user) -> QuerySet:
    """Ids of tickets on which `user` is an approver, or the delegate of one, on an approval request."""
    return Ticket.objects.none().values("pk")


def approver_user_ids(ticket_id: int) -> set[int]:
    """Approvers (and their current delegates) of the ticket's approval requests."""
    return set()


def latest_approval_summary(ticket_id: int) -> dict | None:
    """{id, state, workflow, current_step, steps_total} of the ticket's latest approval request."""
    return None
