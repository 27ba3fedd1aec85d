from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Respond
from pydantic import Field

from apps.comments import selectors, services
from apps.comments.permissions import access_comment, require_may_read_revisions
from apps.comments.schemas import CommentCreateIn, CommentOut, CommentPage, CommentRevisionOut, CommentUpdateIn
from apps.core.fields import Cursor, ParamId, ParamInt
from apps.core.schemas import ErrorOut
from apps.tickets.permissions import access_ticket

router = Router(tags=["comments"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CommentListQuery(Schema):
    cursor: Cursor | None = None
    limit: ParamInt = Field(100, ge=1, le=200)


@router.get("/tickets/{ticket_id}/comments", response={200: CommentPage, 404: ErrorOut, 422: ErrorOut})
def comment_list(request: HttpRequest, ticket_id: ParamId, query: Query[CommentListQuery]):
    """The conversation, oldest first; replies carry `parent_id`. Internal notes only for agents and admins.
    Deleted comments stay as placeholders (`deleted: true`, empty body)."""
    ticket = access_ticket(request.auth, ticket_id)
    items, next_cursor = selectors.ticket_comments(
        user=request.auth, ticket=ticket, cursor=query.cursor, limit=query.limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/tickets/{ticket_id}/comments", response={201: CommentOut, **WRITE_ERRORS})
def comment_create(request: HttpRequest, ticket_id: ParamId, payload: CommentCreateIn):
    """Adds a comment (or, for agents and admins, an internal note). `@username` and `@email` mention
    people: those who can read the comment start watching the ticket and get a `mention` event."""
    comment = services.comment_create(actor=request.auth, ticket_id=ticket_id, **payload.dict())
    return Respond(201, selectors.comment_for_output(comment.pk))


@router.patch("/comments/{comment_id}", response={200: CommentOut, **WRITE_ERRORS})
def comment_update(request: HttpRequest, comment_id: ParamId, payload: CommentUpdateIn):
    """The author edits the body; the previous body is kept (see `/comments/{id}/revisions`)."""
    comment = services.comment_update(actor=request.auth, comment_id=comment_id, body=payload.body)
    return selectors.comment_for_output(comment.pk)


@router.delete("/comments/{comment_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def comment_delete(request: HttpRequest, comment_id: ParamId):
    """Soft delete by the author or an admin: the thread keeps a placeholder; the comment's files are deleted."""
    services.comment_delete(actor=request.auth, comment_id=comment_id)
    return Respond(204, None)


@router.get("/comments/{comment_id}/revisions", response={200: list[CommentRevisionOut], 403: ErrorOut, 404: ErrorOut})
def comment_revisions(request: HttpRequest, comment_id: ParamId):
    """Edit history, oldest first: agents and admins only. Empty once the comment is deleted: deleting
    a comment erases its text and every earlier version of it."""
    comment = access_comment(request.auth, comment_id)
    require_may_read_revisions(request.auth)
    return selectors.comment_revisions(comment)
