"""Who may see a comment: whoever sees its ticket; internal notes only agents and admins.

Staff-ness for internal notes is the role (agent/admin), the same test the websocket layer
applies to `staff_only` events (tickets.permissions.audience_allows).

What a reader may do to a comment (require_may_*) is decided here once: the services call the
checks and `comment_permissions` builds the flags the API returns from them.
"""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.comments.models import Comment
from apps.core.errors import Conflict, NotFound, PermissionDenied
from apps.tickets.models import Ticket
from apps.tickets.permissions import require_ticket_visible, sees_internal, visible_tickets


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


def require_may_write_internal(user: User) -> None:
    """Internal notes are written by agents and admins (PermissionDenied `internal_note_staff_only`)."""
    if not sees_internal(user):
        raise PermissionDenied("Only agents and admins can write internal notes.", code="internal_note_staff_only")


def require_may_edit_comment(user: User, comment: Comment) -> None:
    """Authors edit their own comments while not deleted: Conflict `comment_deleted`, PermissionDenied `not_author`."""
    if comment.deleted:
        raise Conflict("This comment was deleted.", code="comment_deleted")
    if comment.author_id != user.pk:
        raise PermissionDenied("Only the author can edit a comment.", code="not_author")


def require_may_delete_comment(user: User, comment: Comment) -> None:
    """The author or an admin deletes a comment, once: Conflict `comment_deleted`, PermissionDenied `not_author`."""
    if comment.author_id != user.pk and not user.is_admin:
        raise PermissionDenied("Only the author or an admin can delete a comment.", code="not_author")
    if comment.deleted:
        raise Conflict("This comment was deleted.", code="comment_deleted")


def require_may_read_revisions(user: User) -> None:
    """Edit history is for agents and admins (PermissionDenied `staff_only`)."""
    if not user.is_staff_role:
        raise PermissionDenied("Only agents and admins can read edit history.", code="staff_only")


def _passes(check, *args) -> bool:
    try:
        check(*args)
    except (PermissionDenied, Conflict):
        return False
    return True


def comment_permissions(user: User, comment: Comment) -> dict:
    """What `user` (who sees the comment) may do to it now (schemas.CommentPermissions). No queries."""
    return {
        "edit": _passes(require_may_edit_comment, user, comment),
        "delete": _passes(require_may_delete_comment, user, comment),
        "view_revisions": _passes(require_may_read_revisions, user),
    }
