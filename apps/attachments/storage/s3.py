"""S3 adapter (Cloudflare R2 or any S3-compatible endpoint): presigned POST or PUT, presigned GET.

django-storages' S3Storage owns the connection settings and the plain object operations; the
presigning and ranged reads go through its boto3 client.
"""

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import ClientError
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from apps.attachments.storage.base import (
    DOWNLOAD_URL_LIFETIME,
    UPLOAD_URL_LIFETIME,
    AbsoluteUrl,
    FileToStore,
    StoredObject,
    UploadTarget,
    expiry,
)

R2_HOST_SUFFIX = ".r2.cloudflarestorage.com"
MISSING = {"404", "NoSuchKey", "NotFound"}
KEY_PREFIX = "attachments/"  # every key the app makes; the bucket may hold other things


def is_r2(endpoint_url: str) -> bool:
    host = urlsplit(endpoint_url).hostname or ""
    return host.endswith(R2_HOST_SUFFIX)


def resolve_upload_method(configured: str, endpoint_url: str) -> str:
    """`auto`: PUT on R2, which does not implement S3's POST Object; POST (with a policy) elsewhere."""
    if configured in {"post", "put"}:
        return configured
    return "put" if is_r2(endpoint_url) else "post"


class S3AttachmentStorage:
    name = "s3"

    def __init__(
        self, *, bucket: str, endpoint_url: str, access_key: str, secret_key: str, region: str, upload_method: str
    ):
        self.bucket = bucket
        self.upload_method = resolve_upload_method(upload_method, endpoint_url)
        self.storage = S3Storage(
            bucket_name=bucket,
            endpoint_url=endpoint_url or None,
            access_key=access_key or None,
            secret_key=secret_key or None,
            region_name=region,
            default_acl=None,
            file_overwrite=True,
            client_config=Config(
                signature_version="s3v4",
                # Path style works on R2, MinIO and loopback test servers alike (no per-bucket DNS).
                s3={"addressing_style": "path"},
                # The newer default CRC checksums add headers R2 and older S3 clones reject.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=20,
            ),
        )

    @property
    def client(self):
        return self.storage.connection.meta.client

    def upload_target(self, file: FileToStore, *, absolute_url: AbsoluteUrl) -> UploadTarget:
        expires_in = int(UPLOAD_URL_LIFETIME.total_seconds())
        expires_at = expiry(UPLOAD_URL_LIFETIME)
        if self.upload_method == "post":
            # The policy pins the key (boto adds that condition), the type and the size range.
            post = self.client.generate_presigned_post(
                Bucket=self.bucket,
                Key=file.key,
                Fields={"Content-Type": file.content_type},
                Conditions=[{"Content-Type": file.content_type}, ["content-length-range", 1, file.size]],
                ExpiresIn=expires_in,
            )
            return UploadTarget("POST", post["url"], dict(post["fields"]), None, expires_at)
        # Both headers become signed headers: storage refuses any other type or length.
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": file.key,
                "ContentType": file.content_type,
                "ContentLength": file.size,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        headers = {"Content-Type": file.content_type, "Content-Length": str(file.size)}
        return UploadTarget("PUT", url, None, headers, expires_at)

    def download_url(self, file: FileToStore, *, absolute_url: AbsoluteUrl) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": file.key,
                "ResponseContentDisposition": content_disposition_header(True, file.filename),
                "ResponseContentType": file.content_type,
            },
            ExpiresIn=int(DOWNLOAD_URL_LIFETIME.total_seconds()),
        )

    def stat(self, key: str) -> StoredObject | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        return StoredObject(size=head["ContentLength"], content_type=head.get("ContentType"))

    def read_leading_bytes(self, key: str, count: int) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # an empty object
                return b""
            raise
        with response["Body"] as body:
            return body.read(count)

    def delete(self, key: str) -> None:
        self.storage.delete(key)

    def keys_older_than(self, cutoff: datetime) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=KEY_PREFIX)
        for page in pages:
            for item in page.get("Contents", []):
                if item["LastModified"] < cutoff:
                    yield item["Key"]

    def write(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def check(self) -> dict:
        self.client.head_bucket(Bucket=self.bucket)
        return {"ok": True, "backend": self.name, "upload_method": self.upload_method}
