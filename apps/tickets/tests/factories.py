from apps.tickets.models import Priority, Ticket
from apps.tickets.services import _next_number


def make_ticket(
    requester,
    *,
    team=None,
    status="new",
    title="Printer on fire",
    description="",
    priority="normal",
    assignee=None,
    **fields,
) -> Ticket:
    """A ticket straight in the database (no event, no broadcast), for setting up reads."""
    return Ticket.objects.create(
        number=_next_number(),
        requester=requester,
        team=team,
        status=status,
        title=title,
        description=description,
        priority=Priority.from_name(priority),
        assignee=assignee,
        **fields,
    )
