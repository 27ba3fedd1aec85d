"""Local adapter: the same two-step protocol as S3, served by this app from a private directory.

Upload and download links carry a django.core.signing token (HMAC with SECRET_KEY, timestamped)
instead of the caller's Bearer token, exactly like a presigned S3 URL. Files live under
ATTACHMENTS_LOCAL_DIR/<uuid>, which no URL maps to: the only way out is a signed download link.
"""

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from django.core import signing
from django.urls import reverse

from apps.attachments.storage.base import (
    UPLOAD_URL_LIFETIME,
    AbsoluteUrl,
    FileToStore,
    StoredObject,
    UploadTarget,
    expiry,
)

UPLOAD_SALT = "attachments.local.upload"
DOWNLOAD_SALT = "attachments.local.download"
KEY_PATTERN = re.compile(r"^attachments/([0-9a-f]{32})$")
FILE_NAME = re.compile(r"^[0-9a-f]{32}$")


class InvalidLink(Exception):
    """The signature is wrong, expired, or was made for another attachment."""


def sign_link(salt: str, file: FileToStore) -> str:
    return signing.dumps({"id": file.attachment_id, "key": file.key}, salt=salt, compress=False)


def verify_link(salt: str, token: str, *, attachment_id: int, max_age_seconds: float) -> str:
    """The signed key, when the token is genuine, fresh and made for this attachment."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age_seconds)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise InvalidLink(str(exc)) from exc
    if not isinstance(payload, dict) or payload.get("id") != attachment_id or not isinstance(payload.get("key"), str):
        raise InvalidLink("link made for another attachment")
    return payload["key"]


class LocalAttachmentStorage:
    name = "local"

    def __init__(self, directory: Path, upload_method: str = "put"):
        self.directory = Path(directory)
        self.upload_method = upload_method

    def path_for(self, key: str) -> Path:
        match = KEY_PATTERN.match(key)
        if not match:
            # Keys are server-made; anything else must never reach the file system.
            raise ValueError(f"not an attachment key: {key!r}")
        return self.directory / match.group(1)

    def upload_target(self, file: FileToStore, *, absolute_url: AbsoluteUrl) -> UploadTarget:
        path = reverse("api:attachment_local_upload", kwargs={"attachment_id": file.attachment_id})
        url = absolute_url(path) + "?sig=" + sign_link(UPLOAD_SALT, file)
        expires_at = expiry(UPLOAD_URL_LIFETIME)
        if self.upload_method == "post":
            return UploadTarget("POST", url, {"key": file.key, "Content-Type": file.content_type}, None, expires_at)
        headers = {"Content-Type": file.content_type, "Content-Length": str(file.size)}
        return UploadTarget("PUT", url, None, headers, expires_at)

    def download_url(self, file: FileToStore, *, absolute_url: AbsoluteUrl) -> str:
        path = reverse("api:attachment_local_file", kwargs={"attachment_id": file.attachment_id})
        return absolute_url(path) + "?sig=" + sign_link(DOWNLOAD_SALT, file)

    def stat(self, key: str) -> StoredObject | None:
        try:
            return StoredObject(size=self.path_for(key).stat().st_size, content_type=None)
        except FileNotFoundError:
            return None

    def read_leading_bytes(self, key: str, count: int) -> bytes:
        with self.path_for(key).open("rb") as handle:
            return handle.read(count)

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    def keys_older_than(self, cutoff: datetime) -> Iterator[str]:
        if not self.directory.is_dir():
            return
        limit = cutoff.timestamp()
        for entry in os.scandir(self.directory):
            if FILE_NAME.match(entry.name) and entry.is_file() and entry.stat().st_mtime < limit:
                yield f"attachments/{entry.name}"

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.store_chunks(key, [data], limit=len(data))

    def store_chunks(self, key: str, chunks: Iterable[bytes], *, limit: int) -> int:
        """Writes the chunks as the object `key`, once: returns the byte count.

        Raises FileExistsError when the object already exists (an upload link is single-use) and
        OverflowError as soon as more than `limit` bytes arrive; nothing is kept in either case.
        """
        target = self.path_for(key)
        self.directory.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise FileExistsError(key)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        written = 0
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if written > limit:
                        raise OverflowError(written)
                    out.write(chunk)
            # link() refuses an existing target: two racing uploads can't both win.
            os.link(temporary, target)
        finally:
            os.unlink(temporary)
        return written

    def check(self) -> dict:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=self.directory, prefix=".health-")
        try:
            os.write(handle, b"ok")
        finally:
            os.close(handle)
            os.unlink(probe)
        return {"ok": True, "backend": self.name}
