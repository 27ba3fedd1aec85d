from datetime import datetime

from ninja import Schema
from pydantic import Field, field_validator

from apps.accounts.schemas import UserOut
from apps.attachments.models import AttachmentStatus
from apps.attachments.schemas import AttachmentOut
from apps.comments.permissions import comment_permissions
from apps.core.fields import Bool, Id, InputSchema, Text

BODY_MAX = 20000


def _not_blank(body: str) -> str:
    if not body.strip():
        raise ValueError("The comment can't be blank.")
    return body


class CommentCreateIn(InputSchema):
    body: Text = Field(min_length=1, max_length=BODY_MAX, description="Plain text / Markdown, stored as written")
    internal: Bool = Field(False, description="Internal note: agents and admins only, never shown to requesters")
    parent_id: Id | None = Field(
        None, description="Reply to this top-level comment (one level). A reply to an internal note is internal."
    )

    _body = field_validator("body")(_not_blank)


class CommentUpdateIn(InputSchema):
    body: Text = Field(min_length=1, max_length=BODY_MAX)

    _body = field_validator("body")(_not_blank)


class CommentPermissions(Schema):
    """What the caller may do to this comment now (apps/comments/permissions.py, the checks the
    endpoints run): a flag is true exactly when the matching request is allowed."""

    edit: bool = Field(description="PATCH /comments/{id}")
    delete: bool = Field(description="DELETE /comments/{id}")
    view_revisions: bool = Field(description="GET /comments/{id}/revisions")


class CommentOut(Schema):
    id: int
    ticket_id: int
    author: UserOut | None
    body: str = Field(description="As written; empty once deleted")
    body_html: str = Field(description="Rendered Markdown, sanitised on the server: safe to insert as HTML")
    internal: bool
    parent_id: int | None
    created_at: datetime
    edited_at: datetime | None
    deleted: bool = Field(description="A placeholder that keeps the thread; body and attachments are gone")
    attachments: list[AttachmentOut] = Field(description="Available files attached to this comment")
    permissions: CommentPermissions | None = Field(
        None,
        description="What the caller may do to it; null in websocket events (sent to many people: "
        "read the comment over REST for the reader's own flags)",
    )

    @staticmethod
    def resolve_permissions(comment, context) -> dict | None:
        request = (context or {}).get("request")
        return comment_permissions(request.auth, comment) if request is not None and request.auth else None

    @staticmethod
    def resolve_body(comment) -> str:
        return "" if comment.deleted else comment.body

    @staticmethod
    def resolve_body_html(comment) -> str:
        return "" if comment.deleted else comment.body_html

    @staticmethod
    def resolve_attachments(comment) -> list:
        if comment.deleted:
            return []
        prefetched = getattr(comment, "available_attachments", None)
        if prefetched is not None:
            return prefetched
        return list(comment.attachments.filter(status=AttachmentStatus.AVAILABLE).select_related("uploaded_by"))


class CommentPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one")


class CommentRevisionOut(Schema):
    body: str = Field(description="The body before this edit")
    editor: UserOut | None
    replaced_at: datetime
