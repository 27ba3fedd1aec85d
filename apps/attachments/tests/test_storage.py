import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.attachments.signatures import matches_declared_type
from apps.attachments.storage import get_storage
from apps.attachments.storage.base import FileToStore
from apps.attachments.storage.local import LocalAttachmentStorage
from apps.attachments.storage.s3 import S3AttachmentStorage, resolve_upload_method
from apps.attachments.tests import files

R2_ENDPOINT = "https://0123456789abcdef.r2.cloudflarestorage.com"
FILE = FileToStore(
    attachment_id=7,
    key="attachments/" + "a" * 32,
    filename='Überblick "Q3".pdf',
    content_type="application/pdf",
    size=1234,
)


def r2_storage(method: str = "auto") -> S3AttachmentStorage:
    return S3AttachmentStorage(
        bucket="tickets",
        endpoint_url=R2_ENDPOINT,
        access_key="AKID",
        secret_key="SECRET",
        region="auto",
        upload_method=method,
    )


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize(
    ("configured", "endpoint", "expected"),
    [
        ("auto", R2_ENDPOINT, "put"),
        ("auto", "https://s3.eu-central-1.amazonaws.com", "post"),
        ("auto", "http://127.0.0.1:9000", "post"),
        ("auto", "https://r2.cloudflarestorage.com.evil.example", "post"),
        ("post", R2_ENDPOINT, "post"),
        ("put", "http://127.0.0.1:9000", "put"),
    ],
)
def test_auto_picks_put_on_r2_and_post_elsewhere(configured, endpoint, expected):
    assert resolve_upload_method(configured, endpoint) == expected


def test_presigned_put_signs_type_and_exact_length_with_sigv4_region_auto():
    target = r2_storage().upload_target(FILE, absolute_url=str)
    assert target.method == "PUT"
    assert target.url.startswith(f"{R2_ENDPOINT}/tickets/attachments/")
    params = query(target.url)
    assert params["X-Amz-SignedHeaders"] == "content-length;content-type;host"
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Credential"].endswith("/auto/s3/aws4_request")
    assert int(params["X-Amz-Expires"]) <= 900
    assert target.headers == {"Content-Type": "application/pdf", "Content-Length": "1234"}
    assert target.fields is None


def test_presigned_post_policy_pins_key_type_and_size_range():
    storage = S3AttachmentStorage(
        bucket="tickets",
        endpoint_url="http://127.0.0.1:9000",
        access_key="AKID",
        secret_key="SECRET",
        region="us-east-1",
        upload_method="auto",
    )
    target = storage.upload_target(FILE, absolute_url=str)
    assert target.method == "POST" and target.headers is None
    assert target.fields["key"] == FILE.key
    assert target.fields["Content-Type"] == "application/pdf"
    policy = json.loads(base64.b64decode(target.fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": FILE.key} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, 1234] in conditions
    assert {"bucket": "tickets"} in conditions
    assert target.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_download_url_forces_an_attachment_for_five_minutes():
    url = r2_storage().download_url(FILE, absolute_url=str)
    params = query(url)
    assert params["X-Amz-Expires"] == "300"
    assert params["response-content-disposition"] == "attachment; filename*=utf-8''%C3%9Cberblick%20%22Q3%22.pdf"
    assert params["response-content-type"] == "application/pdf"


def test_local_keys_never_escape_the_directory(tmp_path):
    storage = LocalAttachmentStorage(tmp_path)
    for bad in ["../etc/passwd", "attachments/../../x", "attachments/" + "A" * 32, "/tmp/x", "attachments/abc"]:
        with pytest.raises(ValueError):
            storage.path_for(bad)


def test_local_store_is_single_use_and_bounded(tmp_path):
    storage = LocalAttachmentStorage(tmp_path)
    key = "attachments/" + "b" * 32
    with pytest.raises(OverflowError):
        storage.store_chunks(key, [b"12345", b"678"], limit=6)
    assert storage.stat(key) is None
    assert storage.store_chunks(key, [b"12345", b"6"], limit=6) == 6
    with pytest.raises(FileExistsError):
        storage.store_chunks(key, [b"x"], limit=6)
    assert storage.stat(key).size == 6
    assert storage.read_leading_bytes(key, 3) == b"123"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["b" * 32]  # no temporary files left


def test_adapter_follows_settings(settings, tmp_path):
    settings.ATTACHMENTS_STORAGE = "local"
    settings.ATTACHMENTS_LOCAL_DIR = tmp_path
    assert isinstance(get_storage(), LocalAttachmentStorage)
    settings.ATTACHMENTS_STORAGE = "s3"
    settings.R2_BUCKET_NAME = "tickets"
    settings.S3_ENDPOINT_URL = R2_ENDPOINT
    settings.S3_REGION = "auto"
    settings.S3_UPLOAD_METHOD = "auto"
    storage = get_storage()
    assert isinstance(storage, S3AttachmentStorage) and storage.upload_method == "put"


@pytest.mark.parametrize(
    ("content_type", "data", "expected"),
    [
        ("application/pdf", files.PDF, True),
        ("image/png", files.PNG, True),
        ("image/jpeg", files.JPEG, True),
        ("image/gif", files.GIF, True),
        ("image/webp", files.WEBP, True),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", files.DOCX, True),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", files.DOCX, True),
        ("application/zip", files.DOCX, True),
        ("text/plain", files.TEXT, True),
        ("image/png", files.HTML, False),
        ("image/png", files.JPEG, False),
        ("application/pdf", files.PNG, False),
        ("image/jpeg", b"", False),
        ("image/webp", b"RIFF\x00\x00\x00\x00AVI ", False),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation", files.PDF, False),
    ],
)
def test_leading_bytes_match_the_declared_type(content_type, data, expected):
    assert matches_declared_type(content_type, data[:16]) is expected


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\rita\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\r\nSet-Cookie: x=1.pdf", "evilSet-Cookie: x=1.pdf"),
        ("\u202egnp.exe", "gnp.exe"),
        ("   ", "file"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_display_filenames_are_one_safe_segment(given, shown):
    from apps.attachments.services import display_filename

    assert display_filename(given) == shown
