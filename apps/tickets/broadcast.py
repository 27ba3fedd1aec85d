"""How ticket changes are announced: payloads equal to what REST returns, with the audience facts
the websocket layer needs to filter per recipient (see tickets.permissions.audience_allows)."""

from apps.core.events import Audience, broadcast_on_commit
from apps.tickets import hooks
from apps.tickets.models import Ticket


def ticket_topics(ticket_id: int) -> list[str]:
    return ["tickets", f"ticket:{ticket_id}"]


def ticket_audience(ticket: Ticket, *, staff_only: bool = False) -> Audience:
    watcher_ids = Ticket.watchers.through.objects.filter(ticket_id=ticket.pk).values_list("user_id", flat=True)
    user_ids = {ticket.requester_id, *watcher_ids, *hooks.extra_audience_user_ids(ticket.pk)}
    return Audience(
        ticket_id=ticket.pk, team_id=ticket.team_id, user_ids=tuple(sorted(user_ids)), staff_only=staff_only
    )


def ticket_payload(ticket: Ticket) -> dict:
    from apps.tickets.schemas import TicketListItem

    fresh = Ticket.objects.select_related("requester", "assignee", "team").prefetch_related("tags").get(pk=ticket.pk)
    return TicketListItem.model_validate(fresh).model_dump(mode="json")


def emit_ticket(
    event: str, ticket: Ticket, *, also_to_users: tuple[int, ...] = (), actor_id: int | None = None
) -> None:
    data = {"ticket": ticket_payload(ticket), "actor_id": actor_id}
    topics = ticket_topics(ticket.pk) + [f"user:{user_id}" for user_id in also_to_users if user_id]
    broadcast_on_commit(event, data, topics=topics, audience=ticket_audience(ticket))
