import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Role
from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.storage import get_storage
from apps.attachments.tests.files import PDF
from apps.comments.services import comment_create
from apps.core.testing.factories import make_user

pytestmark = pytest.mark.django_db


def make_attachment(ticket, user, status, age: timedelta, stored: bool = True) -> Attachment:
    attachment = Attachment.objects.create(
        ticket=ticket,
        uploaded_by=user,
        key=f"attachments/{Attachment.objects.count() + 1:032x}",
        storage="local",
        filename="a.pdf",
        content_type="application/pdf",
        size=len(PDF),
        status=status,
    )
    Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - age)
    if stored:
        get_storage().write(attachment.key, PDF, "application/pdf")
    return attachment


def test_cleanup_removes_day_old_pending_uploads_and_their_objects(requester, ticket, local_storage):
    stale = make_attachment(ticket, requester, AttachmentStatus.PENDING, timedelta(hours=25))
    stale_never_uploaded = make_attachment(ticket, requester, AttachmentStatus.PENDING, timedelta(days=3), stored=False)
    fresh = make_attachment(ticket, requester, AttachmentStatus.PENDING, timedelta(hours=2))
    old_available = make_attachment(ticket, requester, AttachmentStatus.AVAILABLE, timedelta(days=30))

    out = io.StringIO()
    call_command("attachments_cleanup", stdout=out)
    assert "2 pending upload(s) removed, 0 orphaned object(s) removed" in out.getvalue()

    remaining = set(Attachment.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, old_available.pk}
    storage = get_storage()
    assert storage.stat(stale.key) is None and storage.stat(stale_never_uploaded.key) is None
    assert storage.stat(fresh.key) is not None and storage.stat(old_available.key) is not None


def test_cleanup_with_s3_deletes_the_objects(requester, ticket, s3_storage):
    stale = make_attachment(ticket, requester, AttachmentStatus.PENDING, timedelta(days=2))
    call_command("attachments_cleanup", stdout=io.StringIO())
    assert not Attachment.objects.exists()
    assert get_storage().stat(stale.key) is None


def age_object(storage_dir, key: str, age: timedelta) -> None:
    import os

    then = (timezone.now() - age).timestamp()
    os.utime(storage_dir / key.split("/")[1], (then, then))


def test_cleanup_removes_old_objects_no_attachment_refers_to(requester, ticket, local_storage):
    """E.g. the files of a deleted ticket: its rows cascade away, the objects stay until swept."""
    storage = get_storage()
    kept = make_attachment(ticket, requester, AttachmentStatus.AVAILABLE, timedelta(days=5))
    old_orphan, new_orphan = "attachments/" + "e" * 32, "attachments/" + "f" * 32
    storage.write(old_orphan, PDF, "application/pdf")
    storage.write(new_orphan, PDF, "application/pdf")
    for key in (kept.key, old_orphan):
        age_object(local_storage, key, timedelta(days=2))
    (local_storage / "unrelated.txt").write_text("not ours")

    out = io.StringIO()
    call_command("attachments_cleanup", stdout=out)
    assert "0 pending upload(s) removed, 1 orphaned object(s) removed" in out.getvalue()
    assert storage.stat(old_orphan) is None
    assert storage.stat(new_orphan) is not None  # maybe an upload in flight: too young to judge
    assert storage.stat(kept.key) is not None
    assert (local_storage / "unrelated.txt").exists()


def test_cleanup_sweeps_orphans_in_s3(requester, ticket, s3_storage):
    from apps.attachments.cleanup import attachments_cleanup

    kept = make_attachment(ticket, requester, AttachmentStatus.AVAILABLE, timedelta(days=5))
    get_storage().write("attachments/" + "d" * 32, PDF, "application/pdf")
    s3_storage.put_object(Bucket="helpdesk-test", Key="other-app/file", Body=b"x")
    result = attachments_cleanup(now=timezone.now() + timedelta(days=2))
    assert (result.pending_removed, result.orphans_removed) == (0, 1)
    keys = sorted(item["Key"] for item in s3_storage.list_objects_v2(Bucket="helpdesk-test")["Contents"])
    assert keys == [kept.key, "other-app/file"]


@pytest.fixture
def admin_client(db):
    staff = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_admin_lists_attachments_with_status_and_size(admin_client, requester, ticket, local_storage):
    make_attachment(ticket, requester, AttachmentStatus.AVAILABLE, timedelta(0))
    page = admin_client.get("/admin/attachments/attachment/")
    assert page.status_code == 200
    assert b"available" in page.content.lower() and f"{len(PDF)}".encode() in page.content


def test_admin_deletes_attachments_through_the_service(
    admin_client, requester, ticket, local_storage, django_capture_on_commit_callbacks
):
    attachment = make_attachment(ticket, requester, AttachmentStatus.AVAILABLE, timedelta(0))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/attachments/attachment/", {"action": "delete_through_service", "_selected_action": [attachment.pk]}
        )
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert get_storage().stat(attachment.key) is None


def test_admin_comments_page_and_soft_delete(admin_client, requester, ticket):
    comment = comment_create(actor=requester, ticket_id=ticket.pk, body="to be removed")
    assert admin_client.get("/admin/comments/comment/").status_code == 200
    assert admin_client.get(f"/admin/comments/comment/{comment.pk}/change/").status_code == 200
    admin_client.post("/admin/comments/comment/", {"action": "soft_delete", "_selected_action": [comment.pk]})
    comment.refresh_from_db()
    assert comment.deleted
