"""Every write to comments. Each is atomic, logs to the ticket's activity and announces on commit.

Events of internal notes are always `staff_only`: the websocket layer never forwards them to
requesters, and mentions of people who can't read the comment send nothing at all.
"""

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.attachments.services import attachments_delete_of_comment
from apps.comments.mentions import mentioned_users
from apps.comments.models import Comment, CommentMention, CommentRevision
from apps.comments.permissions import (
    access_comment,
    can_read_comment,
    require_may_delete_comment,
    require_may_edit_comment,
    require_may_write_internal,
    sees_internal,
)
from apps.comments.rendering import render_body
from apps.comments.selectors import comment_for_output
from apps.core.errors import ValidationFailed
from apps.core.events import Audience, broadcast_on_commit
from apps.tickets.broadcast import ticket_audience, ticket_topics
from apps.tickets.models import Ticket
from apps.tickets.permissions import access_ticket
from apps.tickets.services import ticket_log, ticket_watch


def comment_payload(comment: Comment) -> dict:
    from apps.comments.schemas import CommentOut

    return CommentOut.model_validate(comment_for_output(comment.pk)).model_dump(mode="json")


def _announce(event: str, comment: Comment, ticket: Ticket, actor: User) -> None:
    broadcast_on_commit(
        event,
        {"comment": comment_payload(comment), "ticket_id": ticket.pk, "actor_id": actor.pk},
        topics=ticket_topics(ticket.pk),
        audience=ticket_audience(ticket, staff_only=comment.internal),
    )


def _parent_or_error(user: User, ticket: Ticket, parent_id: int) -> Comment:
    parent = Comment.objects.filter(pk=parent_id, ticket=ticket).first()
    if parent is None or (parent.internal and not sees_internal(user)):
        raise ValidationFailed({"parent_id": "No such comment on this ticket."})
    if parent.parent_id is not None:
        raise ValidationFailed({"parent_id": "Replies go one level deep: reply to the top-level comment."})
    if parent.deleted:
        raise ValidationFailed({"parent_id": "That comment was deleted."})
    return parent


@transaction.atomic
def comment_create(
    *, actor: User, ticket_id: int, body: str, internal: bool = False, parent_id: int | None = None
) -> Comment:
    ticket = access_ticket(actor, ticket_id)
    if internal:
        require_may_write_internal(actor)
    parent = _parent_or_error(actor, ticket, parent_id) if parent_id is not None else None
    # A public reply under an internal note would show requesters a reply to something they can't see.
    internal = internal or bool(parent and parent.internal)
    mentions = _mention_names(actor, Comment(ticket=ticket, internal=internal), body)
    comment = Comment.objects.create(
        ticket=ticket,
        author=actor,
        parent=parent,
        body=body,
        body_html=render_body(body, mentions),
        internal=internal,
    )
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    ticket_log(ticket=ticket, actor=actor, kind="comment_added", new={"comment_id": comment.pk}, internal=internal)
    _announce("comment.created", comment, ticket, actor)
    _notify_mentions(comment, ticket, actor)
    return comment


@transaction.atomic
def comment_update(*, actor: User, comment_id: int, body: str) -> Comment:
    """Authors edit their own comments; the replaced body is kept as a revision (staff can read them)."""
    comment = access_comment(actor, comment_id, for_update=True)
    require_may_edit_comment(actor, comment)
    if body == comment.body:
        return comment
    CommentRevision.objects.create(comment=comment, body=comment.body, editor=actor)
    comment.body = body
    comment.body_html = render_body(body, _mention_names(actor, comment, body))
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    ticket = comment.ticket
    ticket_log(
        ticket=ticket, actor=actor, kind="comment_edited", new={"comment_id": comment.pk}, internal=comment.internal
    )
    _announce("comment.updated", comment, ticket, actor)
    _notify_mentions(comment, ticket, actor)
    return comment


@transaction.atomic
def comment_delete(*, actor: User, comment_id: int) -> Comment:
    """Soft delete by the author or an admin: a placeholder keeps the thread's shape, but the text,
    every earlier version of it (the revisions) and the comment's attachments are gone for good.
    Deleting it again is a 409 `comment_deleted`."""
    comment = access_comment(actor, comment_id, for_update=True)
    require_may_delete_comment(actor, comment)
    comment.deleted_at = timezone.now()
    comment.deleted_by = actor
    comment.body = comment.body_html = ""
    comment.save(update_fields=["deleted_at", "deleted_by", "body", "body_html"])
    CommentRevision.objects.filter(comment=comment).delete()
    ticket = comment.ticket
    attachments_delete_of_comment(actor=actor, comment=comment)
    ticket_log(
        ticket=ticket, actor=actor, kind="comment_deleted", old={"comment_id": comment.pk}, internal=comment.internal
    )
    _announce("comment.deleted", comment, ticket, actor)
    return comment


def _mention_names(actor: User, comment: Comment, body: str) -> dict[str, str]:
    """{lower-cased handle or email: display name} of the people `body` mentions who can read the
    comment (and the author): those render as names. Anyone else stays plain `@text`, so a mention
    never tells the writer who exists or what their name is."""
    names = {}
    for user in mentioned_users(body):
        if user.pk == actor.pk or can_read_comment(user, comment):
            for key in (user.username, user.email):
                if key:
                    names[key.lower()] = user.display_name
    return names


def _notify_mentions(comment: Comment, ticket: Ticket, actor: User) -> None:
    """Mentioned people who can read the comment watch the ticket and get a `mention` event.

    Anyone else gets nothing: not an event, not a watch (a watch would let them see the ticket).
    People already told about this comment (before an edit) are not told twice.
    """
    already = set(CommentMention.objects.filter(comment=comment).values_list("user_id", flat=True))
    for user in mentioned_users(comment.body):
        if user.pk == actor.pk or user.pk in already or not can_read_comment(user, comment):
            continue
        CommentMention.objects.create(comment=comment, user=user)
        if user.pk != ticket.requester_id:
            ticket_watch(actor=user, ticket_id=ticket.pk)
        broadcast_on_commit(
            "mention",
            {
                "comment": comment_payload(comment),
                "ticket": {"id": ticket.pk, "number": ticket.key, "title": ticket.title},
                "actor_id": actor.pk,
            },
            topics=[f"user:{user.pk}"],
            # Only readers get here; staff_only on internal notes is a second lock on the same door.
            audience=Audience(staff_only=comment.internal),
        )
