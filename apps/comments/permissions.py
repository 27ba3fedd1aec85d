"""Who may see a comment: whoever sees its ticket; internal notes only agents and admins.

Staff-ness for internal notes is the role (agent/admin), the same test the websocket layer
applies to `staff_only` events (tickets.permissions.audience_allows).
"""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.comments.models import Comment
from apps.core.errors import NotFound
from apps.tickets.models import Ticket
from apps.tickets.permissions import require_ticket_visible, visible_tickets


def sees_internal(user: User) -> bool:
    return user.is_staff_role


def comments_visible_on(user: User, ticket: Ticket) -> QuerySet[Comment]:
    comments = Comment.objects.filter(ticket=ticket)
    return comments if sees_internal(user) else comments.filter(internal=False)


def access_comment(user: User, comment_id: int, *, for_update: bool = False) -> Comment:
    """The comment if the user may see it, else NotFound (a hidden comment looks like a missing one)."""
    comments = Comment.objects.select_for_update() if for_update else Comment.objects.select_related("author")
    comment = comments.filter(pk=comment_id).first()
    if comment is None or (comment.internal and not sees_internal(user)):
        raise NotFound("No such comment.")
    require_ticket_visible(user, comment.ticket_id, missing="No such comment.")
    return comment


def can_read_comment(user: User, comment: Comment) -> bool:
    """For people other than the caller (mentions): never raises, one query at most."""
    if not user.is_active or (comment.internal and not sees_internal(user)):
        return False
    return visible_tickets(user).filter(pk=comment.ticket_id).exists()
