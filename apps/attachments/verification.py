"""What `complete` checks about the object that arrived in storage before it becomes available.

Storage only enforces what it was told (and a local test S3 enforces nothing), so these checks
are the ones that count: the object exists, has exactly the declared size, was stored with the
declared type, and starts with that type's signature.
"""

from dataclasses import dataclass

from apps.attachments.models import Attachment
from apps.attachments.signatures import LEADING_BYTES, has_signature, matches_declared_type
from apps.attachments.storage.base import AttachmentStorage


@dataclass(frozen=True)
class Rejection:
    reason: str  # machine-readable: not_uploaded, size_mismatch, type_mismatch, content_mismatch
    message: str


def normalise_content_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def verify_upload(storage: AttachmentStorage, attachment: Attachment) -> Rejection | None:
    stored = storage.stat(attachment.key)
    if stored is None:
        return Rejection("not_uploaded", "Nothing was uploaded for this attachment.")
    if stored.size != attachment.size:
        return Rejection(
            "size_mismatch", f"The uploaded file has {stored.size} bytes, not the {attachment.size} declared."
        )
    if stored.content_type is not None and normalise_content_type(stored.content_type) != attachment.content_type:
        return Rejection(
            "type_mismatch",
            f"The file was stored as {stored.content_type}, not the {attachment.content_type} declared.",
        )
    if has_signature(attachment.content_type):
        leading = storage.read_leading_bytes(attachment.key, LEADING_BYTES)
        if not matches_declared_type(attachment.content_type, leading):
            return Rejection("content_mismatch", f"The file's content is not {attachment.content_type}.")
    return None
