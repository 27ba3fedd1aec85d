from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from apps.accounts.schemas import UserOut
from apps.attachments.permissions import attachment_permissions
from apps.core.fields import Id, InputSchema, Int, Text


class AttachmentPermissions(Schema):
    """What the caller may do to this file (apps/attachments/permissions.py, the check DELETE runs)."""

    delete: bool = Field(description="DELETE /attachments/{id}")


class AttachmentOut(Schema):
    id: int
    ticket_id: int
    comment_id: int | None
    filename: str = Field(description="Display name only; the stored key is server-generated")
    content_type: str
    size: int = Field(description="Bytes")
    status: Literal["pending", "available", "rejected"]
    internal: bool = Field(description="Belongs to an internal note: visible to agents and admins only")
    uploaded_by: UserOut | None
    created_at: datetime
    completed_at: datetime | None
    permissions: AttachmentPermissions | None = Field(
        None, description="What the caller may do to it; null in websocket events (sent to many people)"
    )

    @staticmethod
    def resolve_permissions(attachment, context) -> dict | None:
        request = (context or {}).get("request")
        return attachment_permissions(request.auth, attachment) if request is not None and request.auth else None


class AttachmentCreateIn(InputSchema):
    filename: Text = Field(min_length=1, max_length=1000, description="Shown to people; never used as a path")
    content_type: Text = Field(min_length=1, max_length=127, description="Must be in ATTACHMENT_ALLOWED_TYPES")
    size: Int = Field(ge=1, description="Exact size in bytes (at most ATTACHMENT_MAX_BYTES); checked on completion")
    comment_id: Id | None = Field(None, description="One of your own comments on this ticket")


class UploadOut(Schema):
    method: Literal["POST", "PUT"] = Field(
        description="POST: send multipart/form-data with every `fields` entry first, then the file as `file`. "
        "PUT: send the raw bytes as the body with exactly the `headers` given."
    )
    url: str = Field(description="Absolute URL of the storage endpoint (S3/R2, or this app for local storage)")
    fields: dict[str, str] | None = Field(None, description="Form fields for POST, in this order")
    headers: dict[str, str] | None = Field(
        None, description="Headers for PUT; they are signed (Content-Length is set by browsers themselves)"
    )
    expires_at: datetime = Field(description="The upload URL stops working at this time (15 minutes at most)")


class AttachmentIntentOut(Schema):
    attachment: AttachmentOut
    upload: UploadOut
