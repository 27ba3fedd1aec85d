"""The local adapter: the same two-step protocol, with Django receiving and serving the bytes."""

from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.tests.files import HTML, PDF, PNG, TEXT

pytestmark = pytest.mark.django_db


def intent(api, user, ticket, **body):
    response = api(user).post(f"tickets/{ticket.pk}/attachments", body)
    assert response.status_code == 201, response.json()
    return response.json()


def put(upload: dict, data: bytes, **overrides):
    """The test client sends Content-Length = len(data), as a browser does."""
    headers = {**upload["headers"], **overrides}
    return Client().generic("PUT", upload["url"], data=data, content_type=headers["Content-Type"])


def stored_files(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith(".")) if directory.exists() else []


def test_put_complete_download(api, requester, ticket, local_storage):
    started = intent(
        api, requester, ticket, filename="../../etc/notes.txt", content_type="text/plain; charset=utf-8", size=len(TEXT)
    )
    upload = started["upload"]
    assert upload["method"] == "PUT"
    assert upload["url"].startswith(
        f"http://testserver/api/v1/attachments/{started['attachment']['id']}/upload/local?sig="
    )
    assert upload["headers"] == {"Content-Type": "text/plain", "Content-Length": str(len(TEXT))}
    attachment = started["attachment"]
    assert attachment["filename"] == "notes.txt" and attachment["content_type"] == "text/plain"

    # No Bearer token: the signature is the authorisation.
    assert put(upload, TEXT).status_code == 204
    assert stored_files(local_storage) == [Attachment.objects.get().key.split("/")[1]]

    completed = api(requester).post(f"attachments/{attachment['id']}/complete")
    assert completed.status_code == 200 and completed.json()["status"] == "available"

    redirect = api(requester).get(f"attachments/{attachment['id']}/download")
    assert redirect.status_code == 302
    location = redirect["Location"]
    assert location.startswith(f"http://testserver/api/v1/attachments/{attachment['id']}/file?sig=")
    response = Client().get(location)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TEXT
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain"


def test_multipart_post_like_s3(api, settings, requester, ticket, local_storage):
    settings.S3_UPLOAD_METHOD = "post"
    started = intent(api, requester, ticket, filename="shot.png", content_type="image/png", size=len(PNG))
    upload = started["upload"]
    assert upload["method"] == "POST" and list(upload["fields"]) == ["key", "Content-Type"]
    form = {**upload["fields"], "file": SimpleUploadedFile("shot.png", PNG, "image/png")}
    assert Client().post(upload["url"], form).status_code == 204
    completed = api(requester).post(f"attachments/{started['attachment']['id']}/complete")
    assert completed.json()["status"] == "available"


def test_post_larger_than_declared_is_refused(api, settings, requester, ticket, local_storage):
    settings.S3_UPLOAD_METHOD = "post"
    started = intent(api, requester, ticket, filename="shot.png", content_type="image/png", size=len(PNG))
    upload = started["upload"]
    form = {**upload["fields"], "file": SimpleUploadedFile("shot.png", PNG + b"more", "image/png")}
    assert Client().post(upload["url"], form).status_code == 422
    wrong_key = {**upload["fields"], "key": "attachments/" + "0" * 32, "file": SimpleUploadedFile("s.png", PNG)}
    assert Client().post(upload["url"], wrong_key).status_code == 422
    assert stored_files(local_storage) == []


def test_upload_link_enforces_size_and_type(api, requester, ticket, local_storage):
    started = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=len(PDF))
    upload = started["upload"]
    longer = put(upload, PDF + b"tail")
    assert longer.status_code == 422
    assert "Content-Length" in longer.json()["details"]["fields"]
    other_type = put(upload, PDF, **{"Content-Type": "text/html"})
    assert other_type.status_code == 422
    assert "Content-Type" in other_type.json()["details"]["fields"]
    assert stored_files(local_storage) == []

    # Nothing stored, so completing rejects the attachment for good.
    rejected = api(requester).post(f"attachments/{started['attachment']['id']}/complete")
    assert rejected.status_code == 422 and rejected.json()["details"]["reason"] == "not_uploaded"
    assert Attachment.objects.get().status == AttachmentStatus.REJECTED
    assert put(upload, PDF).status_code == 409  # the link died with the attachment


def test_html_declared_as_png_is_rejected_and_deleted(api, requester, ticket, local_storage):
    started = intent(api, requester, ticket, filename="cat.png", content_type="image/png", size=len(HTML))
    assert put(started["upload"], HTML).status_code == 204
    assert len(stored_files(local_storage)) == 1
    rejected = api(requester).post(f"attachments/{started['attachment']['id']}/complete")
    assert rejected.status_code == 422
    assert rejected.json()["details"]["reason"] == "content_mismatch"
    assert stored_files(local_storage) == []
    assert Attachment.objects.get().status == AttachmentStatus.REJECTED


def test_upload_link_is_single_use(api, requester, ticket, local_storage):
    started = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=len(PDF))
    assert put(started["upload"], PDF).status_code == 204
    again = put(started["upload"], PDF)
    assert again.status_code == 409 and again.json()["code"] == "already_uploaded"


def test_forged_expired_or_borrowed_links_are_refused(api, requester, ticket, local_storage):
    first = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=len(PDF))
    second = intent(api, requester, ticket, filename="b.pdf", content_type="application/pdf", size=len(PDF))
    url = first["upload"]["url"]
    forged = put({**first["upload"], "url": url[:-2] + ("AA" if not url.endswith("AA") else "BB")}, PDF)
    assert forged.status_code == 403 and forged.json()["code"] == "invalid_link"
    borrowed_sig = urlsplit(url).query
    borrowed_url = second["upload"]["url"].split("?")[0] + "?" + borrowed_sig
    assert put({**second["upload"], "url": borrowed_url}, PDF).status_code == 403
    unsigned = Client().generic("PUT", url.split("?")[0], data=PDF, content_type="application/pdf")
    assert unsigned.status_code == 422  # `sig` is required
    with mock.patch("django.core.signing.time.time", return_value=__import__("time").time() + 16 * 60):
        assert put(first["upload"], PDF).status_code == 403
    assert stored_files(local_storage) == []


def test_download_links_expire_after_five_minutes(api, requester, ticket, local_storage):
    started = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=len(PDF))
    put(started["upload"], PDF)
    api(requester).post(f"attachments/{started['attachment']['id']}/complete")
    location = api(requester).get(f"attachments/{started['attachment']['id']}/download")["Location"]
    later = __import__("time").time() + timedelta(minutes=5, seconds=5).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert Client().get(location).status_code == 403
    assert Client().get(location).status_code == 200


def test_local_endpoints_do_not_exist_with_s3_storage(api, requester, ticket, local_storage, settings):
    started = intent(api, requester, ticket, filename="a.pdf", content_type="application/pdf", size=len(PDF))
    settings.ATTACHMENTS_STORAGE = "s3"
    settings.R2_BUCKET_NAME = "unused"
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:9"
    assert put(started["upload"], PDF).status_code == 404
