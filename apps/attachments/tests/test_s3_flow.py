"""The whole upload protocol against a real S3-compatible HTTP endpoint (moto on loopback)."""

import pytest
import requests

from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.tests.conftest import BUCKET
from apps.attachments.tests.files import HTML, PDF, PNG

pytestmark = pytest.mark.django_db


def intent(api, user, ticket, **body):
    response = api(user).post(f"tickets/{ticket.pk}/attachments", body)
    assert response.status_code == 201, response.json()
    return response.json()


def send(upload: dict, data: bytes, filename: str = "file.bin", content_type: str | None = None) -> requests.Response:
    """What the SPA does with the upload instructions (frontend/src/lib/upload.ts)."""
    if upload["method"] == "POST":
        fields = dict(upload["fields"])
        if content_type:  # a client ignoring its instructions (real S3 refuses it by the policy)
            fields["Content-Type"] = content_type
        files = {"file": (filename, data, fields["Content-Type"])}
        return requests.post(upload["url"], data=fields, files=files, timeout=10)
    headers = {k: v for k, v in upload["headers"].items() if k.lower() != "content-length"}
    if content_type:
        headers["Content-Type"] = content_type
    return requests.put(upload["url"], data=data, headers=headers, timeout=10)


def object_exists(s3_client, key: str) -> bool:
    return s3_client.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) > 0


@pytest.fixture(params=["post", "put"])
def method(request, settings, s3_storage):
    settings.S3_UPLOAD_METHOD = request.param
    return request.param.upper()


def test_upload_complete_download_returns_the_same_bytes(api, requester, ticket, method, s3_storage):
    started = intent(api, requester, ticket, filename='q3 "report".pdf', content_type="application/pdf", size=len(PDF))
    assert started["attachment"]["status"] == "pending"
    upload = started["upload"]
    assert upload["method"] == method
    assert upload["url"].startswith("http://127.0.0.1:")

    stored = send(upload, PDF, "q3.pdf")
    assert stored.status_code in (200, 204), stored.text

    attachment_id = started["attachment"]["id"]
    completed = api(requester).post(f"attachments/{attachment_id}/complete")
    assert completed.status_code == 200, completed.json()
    assert completed.json()["status"] == "available"
    assert completed.json()["size"] == len(PDF)

    redirect = api(requester).get(f"attachments/{attachment_id}/download")
    assert redirect.status_code == 302
    location = redirect["Location"]
    assert "X-Amz-Expires=300" in location
    downloaded = requests.get(location, timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    assert downloaded.headers["Content-Disposition"] == 'attachment; filename="q3 \\"report\\".pdf"'
    assert downloaded.headers["Content-Type"] == "application/pdf"

    listed = api(requester).get(f"tickets/{ticket.pk}/attachments").json()
    assert [a["id"] for a in listed] == [attachment_id]


def _reject(api, user, attachment_id, s3_client, reason):
    key = Attachment.objects.get(pk=attachment_id).key
    response = api(user).post(f"attachments/{attachment_id}/complete")
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "upload_rejected"
    assert body["details"]["reason"] == reason
    assert body["details"]["fields"]["file"]
    attachment = Attachment.objects.get(pk=attachment_id)
    assert attachment.status == AttachmentStatus.REJECTED
    assert not object_exists(s3_client, key)
    # Rejected is final: neither listed nor downloadable, and completing again is a conflict.
    assert api(user).get(f"tickets/{attachment.ticket_id}/attachments").json() == []
    assert api(user).get(f"attachments/{attachment_id}/download").status_code == 404
    assert api(user).post(f"attachments/{attachment_id}/complete").status_code == 409


def test_more_bytes_than_declared_are_rejected(api, requester, ticket, method, s3_storage):
    started = intent(api, requester, ticket, filename="a.png", content_type="image/png", size=len(PNG))
    send(started["upload"], PNG + b"extra bytes")
    _reject(api, requester, started["attachment"]["id"], s3_storage, "size_mismatch")


def test_another_type_than_declared_is_rejected(api, requester, ticket, method, s3_storage):
    started = intent(api, requester, ticket, filename="a.png", content_type="image/png", size=len(PDF))
    send(started["upload"], PDF, content_type="application/pdf")
    _reject(api, requester, started["attachment"]["id"], s3_storage, "type_mismatch")


def test_html_declared_as_png_is_rejected(api, requester, ticket, method, s3_storage):
    started = intent(api, requester, ticket, filename="cat.png", content_type="image/png", size=len(HTML))
    send(started["upload"], HTML)
    _reject(api, requester, started["attachment"]["id"], s3_storage, "content_mismatch")


def test_completing_before_uploading_is_rejected(api, requester, ticket, method, s3_storage):
    started = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=10)
    _reject(api, requester, started["attachment"]["id"], s3_storage, "not_uploaded")


def test_delete_removes_the_object(api, requester, ticket, method, s3_storage, django_capture_on_commit_callbacks):
    started = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=len(PDF))
    send(started["upload"], PDF)
    attachment_id = started["attachment"]["id"]
    assert api(requester).post(f"attachments/{attachment_id}/complete").status_code == 200
    key = Attachment.objects.get(pk=attachment_id).key
    assert object_exists(s3_storage, key)
    with django_capture_on_commit_callbacks(execute=True):
        assert api(requester).delete(f"attachments/{attachment_id}").status_code == 204
    assert not Attachment.objects.filter(pk=attachment_id).exists()
    assert not object_exists(s3_storage, key)


def test_health_checks_the_bucket(api, settings, s3_storage):
    health = api().get("health").json()
    assert health["checks"]["storage"]["ok"] is True
    assert health["checks"]["storage"]["backend"] == "s3"
    settings.R2_BUCKET_NAME = "no-such-bucket"
    degraded = api().get("health")
    assert degraded.status_code == 503
    assert degraded.json()["checks"]["storage"]["ok"] is False
