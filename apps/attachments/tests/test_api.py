import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.storage import get_storage
from apps.attachments.tests.files import PDF, PNG
from apps.comments.services import comment_create
from apps.core.testing.factories import make_user
from apps.tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def upload_file(api, user, ticket, data=PDF, content_type="application/pdf", **extra) -> dict:
    started = api(user).post(
        f"tickets/{ticket.pk}/attachments",
        {"filename": "f.pdf", "content_type": content_type, "size": len(data), **extra},
    )
    assert started.status_code == 201, started.json()
    upload = started.json()["upload"]
    stored = Client().generic("PUT", upload["url"], data=data, content_type=upload["headers"]["Content-Type"])
    assert stored.status_code == 204
    completed = api(user).post(f"attachments/{started.json()['attachment']['id']}/complete")
    assert completed.status_code == 200, completed.json()
    return completed.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10}, "content_type"),
        ({"filename": "x.html", "content_type": "text/html", "size": 10}, "content_type"),
        ({"filename": "big.pdf", "content_type": "application/pdf", "size": 25 * 1024 * 1024 + 1}, "size"),
        ({"filename": "empty.pdf", "content_type": "application/pdf", "size": 0}, "size"),
        ({"filename": "", "content_type": "application/pdf", "size": 10}, "filename"),
        ({"content_type": "application/pdf", "size": 10}, "filename"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": "ten"}, "size"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "key": "../x"}, "key"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "status": "available"}, "status"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "comment_id": 999999}, "comment_id"),
    ],
)
def test_bad_intents_are_422_with_fields(api, requester, ticket, local_storage, payload, field):
    response = api(requester).post(f"tickets/{ticket.pk}/attachments", payload)
    assert response.status_code == 422, response.json()
    assert field in response.json()["details"]["fields"]
    assert not Attachment.objects.exists()


def test_limits_come_from_settings(api, settings, requester, ticket, local_storage):
    settings.ATTACHMENT_MAX_BYTES = 100
    settings.ATTACHMENT_ALLOWED_TYPES = ["image/png"]
    assert (
        api(requester)
        .post(f"tickets/{ticket.pk}/attachments", {"filename": "a.png", "content_type": "image/png", "size": 101})
        .status_code
        == 422
    )
    assert (
        api(requester)
        .post(f"tickets/{ticket.pk}/attachments", {"filename": "a.pdf", "content_type": "application/pdf", "size": 10})
        .status_code
        == 422
    )
    assert (
        api(requester)
        .post(f"tickets/{ticket.pk}/attachments", {"filename": "a.png", "content_type": "image/png", "size": 100})
        .status_code
        == 201
    )


def test_cannot_attach_to_a_ticket_one_cannot_see(api, ticket, local_storage):
    stranger = make_user(Role.REQUESTER)
    response = api(stranger).post(
        f"tickets/{ticket.pk}/attachments", {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}
    )
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_files_of_an_internal_note_are_invisible_to_the_requester(api, requester, agent, ticket, local_storage):
    note = comment_create(actor=agent, ticket_id=ticket.pk, body="logs attached", internal=True)
    pending = (
        api(agent)
        .post(
            f"tickets/{ticket.pk}/attachments",
            {"filename": "log.pdf", "content_type": "application/pdf", "size": len(PDF), "comment_id": note.pk},
        )
        .json()
    )
    assert pending["attachment"]["internal"] is True
    attachment_id = pending["attachment"]["id"]
    # Before completion: not even its uploader's peers can touch it.
    assert api(requester).post(f"attachments/{attachment_id}/complete").status_code == 404
    Client().generic("PUT", pending["upload"]["url"], data=PDF, content_type="application/pdf")
    assert api(agent).post(f"attachments/{attachment_id}/complete").status_code == 200

    assert api(requester).get(f"tickets/{ticket.pk}/attachments").json() == []
    assert api(requester).get(f"attachments/{attachment_id}/download").status_code == 404
    assert api(requester).post(f"attachments/{attachment_id}/complete").status_code == 404
    assert api(requester).delete(f"attachments/{attachment_id}").status_code == 404
    assert [a["id"] for a in api(agent).get(f"tickets/{ticket.pk}/attachments").json()] == [attachment_id]
    assert api(agent).get(f"attachments/{attachment_id}/download").status_code == 302

    kinds = TicketEvent.objects.filter(ticket=ticket, kind="attachment_added").values_list("internal", flat=True)
    assert list(kinds) == [True]
    requester_log = api(requester).get(f"tickets/{ticket.pk}/events").json()["items"]
    assert not [e for e in requester_log if e["kind"].startswith("attachment")]


def test_files_attach_only_to_ones_own_comment_on_that_ticket(api, requester, agent, ticket, local_storage):
    theirs = comment_create(actor=agent, ticket_id=ticket.pk, body="hi")
    response = api(requester).post(
        f"tickets/{ticket.pk}/attachments",
        {"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "comment_id": theirs.pk},
    )
    assert response.status_code == 422
    assert "comment_id" in response.json()["details"]["fields"]


def test_comment_carries_its_files(api, requester, ticket, local_storage):
    comment = comment_create(actor=requester, ticket_id=ticket.pk, body="see screenshot")
    attachment = upload_file(api, requester, ticket, data=PNG, content_type="image/png", comment_id=comment.pk)
    assert attachment["comment_id"] == comment.pk
    listed = api(requester).get(f"tickets/{ticket.pk}/comments").json()["items"]
    assert [a["id"] for a in listed[0]["attachments"]] == [attachment["id"]]


def test_deleting_a_comment_deletes_its_files(
    api, requester, ticket, local_storage, django_capture_on_commit_callbacks
):
    comment = comment_create(actor=requester, ticket_id=ticket.pk, body="see screenshot")
    attachment = upload_file(api, requester, ticket, data=PNG, content_type="image/png", comment_id=comment.pk)
    key = Attachment.objects.get(pk=attachment["id"]).key
    with django_capture_on_commit_callbacks(execute=True):
        assert api(requester).delete(f"comments/{comment.pk}").status_code == 204
    assert not Attachment.objects.exists()
    assert get_storage().stat(key) is None


def test_only_the_uploader_completes(api, requester, agent, ticket, local_storage):
    started = (
        api(requester)
        .post(f"tickets/{ticket.pk}/attachments", {"filename": "a.pdf", "content_type": "application/pdf", "size": 10})
        .json()
    )
    # A pending upload is the uploader's own business: others don't see it at all.
    assert api(agent).post(f"attachments/{started['attachment']['id']}/complete").status_code == 404


def test_complete_is_idempotent_once_available(api, requester, ticket, local_storage):
    attachment = upload_file(api, requester, ticket)
    again = api(requester).post(f"attachments/{attachment['id']}/complete")
    assert again.status_code == 200 and again.json()["status"] == "available"
    assert TicketEvent.objects.filter(kind="attachment_added").count() == 1


def test_delete_by_uploader_or_admin_only(
    api, requester, agent, admin_user, ticket, local_storage, django_capture_on_commit_callbacks
):
    first = upload_file(api, requester, ticket)
    second = upload_file(api, requester, ticket)
    key = Attachment.objects.get(pk=first["id"]).key
    denied = api(agent).delete(f"attachments/{first['id']}")
    assert denied.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert api(requester).delete(f"attachments/{first['id']}").status_code == 204
    assert get_storage().stat(key) is None
    assert api(admin_user).delete(f"attachments/{second['id']}").status_code == 204
    assert list(TicketEvent.objects.filter(kind="attachment_deleted").values_list("old__filename", flat=True)) == [
        "f.pdf",
        "f.pdf",
    ]


def test_list_query_count_does_not_grow(api, requester, ticket, local_storage):
    def add(count):
        Attachment.objects.bulk_create(
            Attachment(
                ticket=ticket,
                uploaded_by=make_user(),
                key=f"attachments/{i:032x}{count}",
                storage="local",
                filename=f"{i}.pdf",
                content_type="application/pdf",
                size=1,
                status=AttachmentStatus.AVAILABLE,
            )
            for i in range(count)
        )

    def measure():
        client = api(requester)
        client.get(f"tickets/{ticket.pk}/attachments")
        with CaptureQueriesContext(connection) as queries:
            items = client.get(f"tickets/{ticket.pk}/attachments").json()
        return len(queries), len(items)

    add(5)
    small, five = measure()
    add(45)
    large, fifty = measure()
    assert (five, fifty) == (5, 50)
    assert small == large
