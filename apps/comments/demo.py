"""Demo conversation on the demo tickets: a question, an internal note, a reply with a mention."""

from apps.accounts.models import User
from apps.comments import services
from apps.comments.models import Comment
from apps.tickets.models import Ticket

TICKET_TITLE = "Laptop won't start after update"


def seed() -> list[str]:
    ticket = Ticket.objects.filter(title=TICKET_TITLE).first()
    people = {
        user.email: user
        for user in User.objects.filter(email__in=["requester@example.com", "agent@example.com", "agent2@example.com"])
    }
    if ticket is None or len(people) < 3 or Comment.objects.filter(ticket=ticket).exists():
        return []
    requester, agent = people["requester@example.com"], people["agent@example.com"]
    question = services.comment_create(
        actor=agent,
        ticket_id=ticket.pk,
        body="Could you try holding **Shift** while it boots and tell me what you see?",
    )
    services.comment_create(
        actor=requester,
        ticket_id=ticket.pk,
        parent_id=question.pk,
        body="Tried it: a blue *recovery* screen, then black again.",
    )
    services.comment_create(
        actor=agent,
        ticket_id=ticket.pk,
        internal=True,
        body=f"Looks like the firmware issue from last week. @{people['agent2@example.com'].username} can you "
        "check whether the fix is in the image?",
    )
    return ["3 demo comments (one internal note)"]
