from django.conf import settings
from django.db import models
from django.db.models import Q


class Comment(models.Model):
    """A message on a ticket. `internal` notes are for agents and admins only; deletion is soft."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    # One level of replies: a reply's parent is always a top-level comment of the same ticket.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(max_length=20000, help_text="As written (plain text / Markdown source).")
    # Rendered and sanitised once, on write: lists then never re-render Markdown.
    body_html = models.TextField(blank=True)
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "id"], name="comment_ticket_id"),
            # Reports' first response: public comments since a moment, read from the index alone.
            models.Index(
                fields=["created_at", "ticket", "author"], name="comment_public_by_time", condition=Q(internal=False)
            ),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on ticket {self.ticket_id}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class CommentRevision(models.Model):
    """A body a comment had before an edit: the edit history staff can read."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When this body was replaced.
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"revision {self.pk} of comment {self.comment_id}"


class CommentMention(models.Model):
    """Who a comment told about itself; an edit notifies only people not mentioned before."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_mention_once")]

    def __str__(self) -> str:
        return f"mention of user {self.user_id} in comment {self.comment_id}"
