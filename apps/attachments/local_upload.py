"""The receiving end of the local adapter's signed upload links and download links.

Authorised by the link's signature (not a Bearer token), like a presigned S3 URL, and held to
the same limits the S3 adapter signs into its URLs: the declared type, the declared size.
"""

from collections.abc import Iterator

from django.http import FileResponse, HttpRequest

from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.storage import get_storage
from apps.attachments.storage.base import DOWNLOAD_URL_LIFETIME, UPLOAD_URL_LIFETIME
from apps.attachments.storage.local import (
    DOWNLOAD_SALT,
    UPLOAD_SALT,
    InvalidLink,
    LocalAttachmentStorage,
    verify_link,
)
from apps.attachments.verification import normalise_content_type
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

CHUNK_BYTES = 64 * 1024


def _local_storage() -> LocalAttachmentStorage:
    storage = get_storage()
    if not isinstance(storage, LocalAttachmentStorage):
        raise NotFound("No such endpoint.")
    return storage


def _linked_attachment(attachment_id: int, token: str, *, salt: str, lifetime_seconds: float) -> Attachment:
    try:
        key = verify_link(salt, token, attachment_id=attachment_id, max_age_seconds=lifetime_seconds)
    except InvalidLink:
        raise PermissionDenied("This link is invalid or has expired.", code="invalid_link") from None
    attachment = Attachment.objects.filter(pk=attachment_id, key=key).first()
    if attachment is None:
        raise NotFound("No such attachment.")
    return attachment


def _pending_upload(attachment_id: int, token: str) -> tuple[LocalAttachmentStorage, Attachment]:
    storage = _local_storage()
    attachment = _linked_attachment(
        attachment_id, token, salt=UPLOAD_SALT, lifetime_seconds=UPLOAD_URL_LIFETIME.total_seconds()
    )
    if attachment.status != AttachmentStatus.PENDING:
        raise Conflict("This upload is closed.", code="upload_closed")
    return storage, attachment


def _store(storage: LocalAttachmentStorage, attachment: Attachment, chunks, *, limit: int) -> None:
    try:
        written = storage.store_chunks(attachment.key, chunks, limit=limit)
    except FileExistsError:
        raise Conflict("A file was already uploaded with this link.", code="already_uploaded") from None
    except OverflowError:
        raise ValidationFailed(
            {"file": f"The file is larger than the {attachment.size} bytes declared."}, code="entity_too_large"
        ) from None
    if written == 0:
        storage.delete(attachment.key)
        raise ValidationFailed({"file": "The file is empty."})


def receive_put(request: HttpRequest, attachment_id: int, token: str) -> None:
    storage, attachment = _pending_upload(attachment_id, token)
    problems = {}
    if normalise_content_type(request.META.get("CONTENT_TYPE", "")) != attachment.content_type:
        problems["Content-Type"] = f"The upload must be sent as {attachment.content_type}."
    if request.META.get("CONTENT_LENGTH", "") != str(attachment.size):
        problems["Content-Length"] = f"The upload must be exactly {attachment.size} bytes."
    if problems:
        raise ValidationFailed(problems)
    _store(storage, attachment, _body_chunks(request), limit=attachment.size)


def _body_chunks(request: HttpRequest) -> Iterator[bytes]:
    # Read from the stream (not request.body): no whole-file copy in memory.
    while chunk := request.read(CHUNK_BYTES):
        yield chunk


def receive_post(request: HttpRequest, attachment_id: int, token: str) -> None:
    """The multipart form S3's POST Object takes: the fields as given, then `file`."""
    storage, attachment = _pending_upload(attachment_id, token)
    problems = {}
    if request.POST.get("key") != attachment.key:
        problems["key"] = "The form must carry the key it was given."
    if normalise_content_type(request.POST.get("Content-Type", "")) != attachment.content_type:
        problems["Content-Type"] = f"The form must declare {attachment.content_type}."
    upload = request.FILES.get("file")
    if upload is None:
        problems["file"] = "The form has no `file` part."
    if problems:
        raise ValidationFailed(problems)
    _store(storage, attachment, upload.chunks(CHUNK_BYTES), limit=attachment.size)


def serve_download(attachment_id: int, token: str) -> FileResponse:
    storage = _local_storage()
    attachment = _linked_attachment(
        attachment_id, token, salt=DOWNLOAD_SALT, lifetime_seconds=DOWNLOAD_URL_LIFETIME.total_seconds()
    )
    if attachment.status != AttachmentStatus.AVAILABLE:
        raise NotFound("No such attachment.")
    try:
        handle = storage.path_for(attachment.key).open("rb")
    except FileNotFoundError:
        raise NotFound("No such attachment.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    # Never rendered in the app's origin, whatever the bytes are.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
