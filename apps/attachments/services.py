"""Every write to attachments: the upload intent, its completion, deletion and cleanup."""

import logging
import os
import unicodedata
import uuid

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.attachments import hooks
from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.permissions import access_attachment, require_may_delete_attachment
from apps.attachments.schemas import AttachmentOut
from apps.attachments.selectors import attachment_for_output, file_of
from apps.attachments.storage import get_storage
from apps.attachments.storage.base import AbsoluteUrl, UploadTarget
from apps.attachments.verification import Rejection, normalise_content_type, verify_upload
from apps.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from apps.core.events import broadcast_on_commit
from apps.tickets.broadcast import ticket_audience, ticket_topics
from apps.tickets.models import Ticket
from apps.tickets.permissions import access_ticket
from apps.tickets.services import ticket_log

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (BotoCoreError, ClientError, OSError)


class UploadRejected(DomainError):
    status = 422
    code = "upload_rejected"

    def __init__(self, rejection: Rejection):
        super().__init__(
            rejection.message, details={"reason": rejection.reason, "fields": {"file": [rejection.message]}}
        )


class StorageUnavailable(DomainError):
    status = 503
    code = "storage_unavailable"
    message = "File storage is not reachable right now; try again in a moment."


def display_filename(filename: str) -> str:
    """The last path segment without control characters, at most 255 characters, extension kept."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C")).strip()
    if len(name) > 255:
        stem, extension = os.path.splitext(name)
        extension = extension[:20]
        name = stem[: 255 - len(extension)] + extension
    return name or "file"


def _check_limits(content_type: str, size: int) -> None:
    problems = {}
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        problems["content_type"] = f"Files of type {content_type} are not accepted."
    if size > settings.ATTACHMENT_MAX_BYTES:
        problems["size"] = f"Files can be at most {settings.ATTACHMENT_MAX_BYTES} bytes."
    if problems:
        raise ValidationFailed(problems)


def _comment_or_error(actor: User, ticket: Ticket, comment_id: int):
    """The comment a file is attached to; its visibility rule is comments' (apps.attachments.hooks)."""
    try:
        comment = hooks.access_comment(actor, comment_id)
    except NotFound:
        comment = None
    if comment is None or comment.ticket_id != ticket.pk:
        raise ValidationFailed({"comment_id": "No such comment on this ticket."})
    if comment.author_id != actor.pk or comment.deleted:
        raise ValidationFailed({"comment_id": "Files can be attached to your own comments only."})
    return comment


@transaction.atomic
def attachment_create(
    *,
    actor: User,
    ticket_id: int,
    filename: str,
    content_type: str,
    size: int,
    comment_id: int | None = None,
    absolute_url: AbsoluteUrl,
) -> tuple[Attachment, UploadTarget]:
    """A `pending` attachment and the instructions to upload its bytes straight to storage."""
    ticket = access_ticket(actor, ticket_id)
    content_type = normalise_content_type(content_type)
    _check_limits(content_type, size)
    comment = _comment_or_error(actor, ticket, comment_id) if comment_id is not None else None
    storage = get_storage()
    attachment = Attachment.objects.create(
        ticket=ticket,
        comment=comment,
        internal=bool(comment and comment.internal),
        uploaded_by=actor,
        key=f"attachments/{uuid.uuid4().hex}",
        storage=storage.name,
        filename=display_filename(filename),
        content_type=content_type,
        size=size,
    )
    try:
        target = storage.upload_target(file_of(attachment), absolute_url=absolute_url)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc
    return attachment, target


def attachment_complete(*, actor: User, attachment_id: int) -> Attachment:
    """Verifies the stored object: `available` (and announced), or `rejected`, deleted and a 422.

    The rejection is committed before the error is raised, so it sticks.
    """
    attachment, rejection = _verify_and_record(actor=actor, attachment_id=attachment_id)
    if rejection is not None:
        _delete_object_quietly(attachment.key)
        raise UploadRejected(rejection)
    return attachment


@transaction.atomic
def _verify_and_record(*, actor: User, attachment_id: int) -> tuple[Attachment, Rejection | None]:
    access_attachment(actor, attachment_id)
    attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
    if attachment.uploaded_by_id != actor.pk:
        raise PermissionDenied("Only the uploader can complete an upload.", code="not_uploader")
    if attachment.status == AttachmentStatus.AVAILABLE:
        return attachment, None  # a retried request after a lost response
    if attachment.status == AttachmentStatus.REJECTED:
        raise Conflict(
            f"This upload was rejected ({attachment.rejection_reason}); start a new one.",
            code="upload_already_rejected",
        )
    try:
        rejection = verify_upload(get_storage(), attachment)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc
    attachment.completed_at = timezone.now()
    if rejection is not None:
        attachment.status = AttachmentStatus.REJECTED
        attachment.rejection_reason = rejection.message[:200]
        attachment.save(update_fields=["status", "rejection_reason", "completed_at"])
        return attachment, rejection
    attachment.status = AttachmentStatus.AVAILABLE
    attachment.save(update_fields=["status", "completed_at"])
    ticket = attachment.ticket
    ticket_log(
        ticket=ticket,
        actor=actor,
        kind="attachment_added",
        new={"attachment_id": attachment.pk, "filename": attachment.filename},
        internal=attachment.internal,
    )
    _announce("attachment.available", attachment, ticket, actor)
    return attachment, None


def attachment_payload(attachment: Attachment) -> dict:
    return AttachmentOut.model_validate(attachment_for_output(attachment.pk)).model_dump(mode="json")


def _announce(event: str, attachment: Attachment, ticket: Ticket, actor: User, payload: dict | None = None) -> None:
    broadcast_on_commit(
        event,
        {"attachment": payload or attachment_payload(attachment), "ticket_id": ticket.pk, "actor_id": actor.pk},
        topics=ticket_topics(ticket.pk),
        audience=ticket_audience(ticket, staff_only=attachment.internal),
    )


@transaction.atomic
def attachment_delete(*, actor: User, attachment_id: int) -> None:
    """By the uploader or an admin; the stored object is removed once the deletion is committed."""
    access_attachment(actor, attachment_id)
    attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
    require_may_delete_attachment(actor, attachment)
    _delete(actor, attachment)


def attachments_delete_of_comment(*, actor: User, comment) -> None:
    """Part of deleting a comment (called inside its transaction, by apps.comments.services)."""
    for attachment in Attachment.objects.select_for_update().filter(comment=comment):
        _delete(actor, attachment)


def _delete(actor: User, attachment: Attachment) -> None:
    key, was_available = attachment.key, attachment.status == AttachmentStatus.AVAILABLE
    payload = attachment_payload(attachment) if was_available else None
    ticket = attachment.ticket
    attachment.delete()
    if was_available:
        ticket_log(
            ticket=ticket,
            actor=actor,
            kind="attachment_deleted",
            old={"attachment_id": payload["id"], "filename": payload["filename"]},
            internal=payload["internal"],
        )
        _announce("attachment.deleted", attachment, ticket, actor, payload=payload)
    transaction.on_commit(lambda: _delete_object_quietly(key))


def _delete_object_quietly(key: str) -> None:
    try:
        get_storage().delete(key)
    except STORAGE_ERRORS:
        # The row is gone or rejected either way; an orphaned object is only wasted space.
        logger.exception("could not delete stored object %s", key)
