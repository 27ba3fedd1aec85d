from django.db.models import Prefetch

from apps.accounts.models import User
from apps.attachments.models import Attachment, AttachmentStatus
from apps.comments.models import Comment, CommentRevision
from apps.comments.permissions import comments_visible_on
from apps.core.pagination import Keyset, keyset_page
from apps.tickets.models import Ticket


def with_attachments(comments):
    """Comments with author and available attachments loaded: three queries whatever the count."""
    available = Attachment.objects.filter(status=AttachmentStatus.AVAILABLE).select_related("uploaded_by")
    return comments.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=available, to_attr="available_attachments")
    )


THREAD_KEYSET = Keyset(fields=("id",))


def ticket_comments(*, user: User, ticket: Ticket, cursor: str | None, limit: int) -> tuple[list[Comment], str | None]:
    """The thread oldest first (replies carry `parent_id`), a page at a time; a cursor is valid for
    this ticket's thread only."""
    comments = with_attachments(comments_visible_on(user, ticket))
    return keyset_page(comments, THREAD_KEYSET, scope=f"comments:{ticket.pk}", cursor=cursor, limit=limit)


def comment_for_output(comment_id: int) -> Comment:
    return with_attachments(Comment.objects.all()).get(pk=comment_id)


def comment_revisions(comment: Comment) -> list[CommentRevision]:
    return list(comment.revisions.select_related("editor").order_by("replaced_at", "id"))
