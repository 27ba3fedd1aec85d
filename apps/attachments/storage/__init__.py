"""The configured attachment storage adapter (ATTACHMENTS_STORAGE: `local` or `s3`)."""

from django.conf import settings

from apps.attachments.storage.base import AttachmentStorage
from apps.attachments.storage.local import LocalAttachmentStorage
from apps.attachments.storage.s3 import S3AttachmentStorage

_cache: dict[tuple, AttachmentStorage] = {}


def _configuration() -> tuple:
    return (
        settings.ATTACHMENTS_STORAGE,
        str(settings.ATTACHMENTS_LOCAL_DIR),
        settings.R2_BUCKET_NAME,
        settings.S3_ENDPOINT_URL,
        settings.R2_ACCESS_KEY_ID,
        settings.R2_SECRET_ACCESS_KEY,
        settings.S3_REGION,
        settings.S3_UPLOAD_METHOD,
    )


def get_storage() -> AttachmentStorage:
    """One adapter per configuration (tests switch settings; boto3 clients are worth reusing)."""
    key = _configuration()
    if key not in _cache:
        _cache.clear()
        _cache[key] = _build()
    return _cache[key]


def _build() -> AttachmentStorage:
    if settings.ATTACHMENTS_STORAGE == "s3":
        return S3AttachmentStorage(
            bucket=settings.R2_BUCKET_NAME,
            endpoint_url=settings.S3_ENDPOINT_URL,
            access_key=settings.R2_ACCESS_KEY_ID,
            secret_key=settings.R2_SECRET_ACCESS_KEY,
            region=settings.S3_REGION,
            upload_method=settings.S3_UPLOAD_METHOD,
        )
    # Locally the app itself receives the bytes; PUT unless POST forms are asked for explicitly.
    method = "post" if settings.S3_UPLOAD_METHOD == "post" else "put"
    return LocalAttachmentStorage(settings.ATTACHMENTS_LOCAL_DIR, upload_method=method)


def check_storage() -> dict:
    """Health: the configured adapter works (local: the private directory takes a write; s3: HEAD bucket)."""
    return get_storage().check()
