"""The one interface every attachment storage adapter implements (local directory, S3/R2)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.utils import timezone

# S3 allows presigned URLs up to 7 days; ours are short so a leaked link is soon worthless.
UPLOAD_URL_LIFETIME = timedelta(minutes=15)
DOWNLOAD_URL_LIFETIME = timedelta(minutes=5)

# Builds an absolute URL for a path of this app (request.build_absolute_uri in the API).
AbsoluteUrl = Callable[[str], str]


@dataclass(frozen=True)
class UploadTarget:
    """What the client needs to send the bytes itself. Field names are the API's (see schemas)."""

    method: str  # "POST": multipart form, `fields` first then `file`; "PUT": raw bytes with `headers`
    url: str
    fields: dict[str, str] | None
    headers: dict[str, str] | None
    expires_at: datetime


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None  # None when the adapter doesn't record it (local enforces it on upload)


@dataclass(frozen=True)
class FileToStore:
    """Everything an adapter needs to know about a file to issue upload or download links."""

    attachment_id: int
    key: str
    filename: str
    content_type: str
    size: int


class AttachmentStorage(Protocol):
    name: str

    def upload_target(self, file: FileToStore, *, absolute_url: AbsoluteUrl) -> UploadTarget: ...

    def stat(self, key: str) -> StoredObject | None: ...

    def read_leading_bytes(self, key: str, count: int) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def download_url(self, file: FileToStore, *, absolute_url: AbsoluteUrl) -> str: ...

    def keys_older_than(self, cutoff: datetime) -> Iterator[str]:
        """Keys of stored attachment objects last written before `cutoff` (for the orphan sweep)."""

    def write(self, key: str, data: bytes, content_type: str) -> None:
        """Stores bytes directly (demo data, tests); users never upload through the app server this way."""

    def check(self) -> dict: ...


def expiry(lifetime: timedelta) -> datetime:
    return timezone.now() + lifetime
