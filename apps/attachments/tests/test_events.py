"""attachment.available / attachment.deleted: after commit, with the REST payload, staff-only for internal notes."""

import pytest

from apps.attachments import services
from apps.attachments.storage import get_storage
from apps.attachments.tests.files import PDF
from apps.comments.services import comment_create
from apps.core.testing.events import EventRecorder
from apps.tickets.permissions import Viewer, audience_allows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def uploaded(actor, ticket, comment=None):
    attachment, _ = services.attachment_create(
        actor=actor,
        ticket_id=ticket.pk,
        filename="r.pdf",
        content_type="application/pdf",
        size=len(PDF),
        comment_id=comment.pk if comment else None,
        absolute_url=lambda path: f"http://testserver{path}",
    )
    get_storage().write(attachment.key, PDF, "application/pdf")
    return attachment


def test_available_and_deleted_are_announced(requester, ticket, local_storage):
    recorder = EventRecorder(f"ticket:{ticket.pk}")
    attachment = uploaded(requester, ticket)
    assert recorder.drain() == []  # a pending upload is nobody else's business
    services.attachment_complete(actor=requester, attachment_id=attachment.pk)
    services.attachment_delete(actor=requester, attachment_id=attachment.pk)
    messages = recorder.drain()
    assert [m["event"] for m in messages] == ["attachment.available", "attachment.deleted"]
    assert messages[0]["data"]["attachment"]["filename"] == "r.pdf"
    assert messages[0]["data"]["attachment"]["status"] == "available"
    assert all(audience_allows(Viewer.of(requester), m["audience"]) for m in messages)


def test_files_of_internal_notes_are_announced_to_staff_only(requester, agent, ticket, local_storage):
    note = comment_create(actor=agent, ticket_id=ticket.pk, body="dump attached", internal=True)
    recorder = EventRecorder(f"ticket:{ticket.pk}", "tickets")
    attachment = uploaded(agent, ticket, comment=note)
    services.attachment_complete(actor=agent, attachment_id=attachment.pk)
    services.attachment_delete(actor=agent, attachment_id=attachment.pk)
    messages = recorder.drain()
    assert {m["event"] for m in messages} == {"attachment.available", "attachment.deleted"}
    for message in messages:
        assert message["audience"]["staff_only"] is True
        assert not audience_allows(Viewer.of(requester), message["audience"])
        assert audience_allows(Viewer.of(agent), message["audience"])


def test_a_rejected_upload_announces_nothing(requester, ticket, local_storage):
    recorder = EventRecorder(f"ticket:{ticket.pk}")
    attachment, _ = services.attachment_create(
        actor=requester,
        ticket_id=ticket.pk,
        filename="r.pdf",
        content_type="application/pdf",
        size=3,
        absolute_url=lambda path: path,
    )
    with pytest.raises(services.UploadRejected):
        services.attachment_complete(actor=requester, attachment_id=attachment.pk)
    assert recorder.drain() == []
