"""Two requests completing the same upload at once (a retried request, two tabs): one wins, once."""

import pytest

from apps.attachments import services
from apps.attachments.models import AttachmentStatus
from apps.attachments.storage import get_storage
from apps.attachments.tests.files import PDF
from apps.core.testing.concurrency import run_concurrently
from apps.core.testing.markers import requires_postgres
from apps.tickets.models import TicketEvent

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def test_concurrent_completes_make_one_available_attachment(requester, ticket, local_storage):
    attachment, _ = services.attachment_create(
        actor=requester,
        ticket_id=ticket.pk,
        filename="r.pdf",
        content_type="application/pdf",
        size=len(PDF),
        absolute_url=lambda path: path,
    )
    get_storage().write(attachment.key, PDF, "application/pdf")
    results = run_concurrently(
        [lambda: services.attachment_complete(actor=requester, attachment_id=attachment.pk) for _ in range(4)]
    )
    assert all(getattr(result, "status", None) == AttachmentStatus.AVAILABLE for result in results), results
    assert TicketEvent.objects.filter(kind="attachment_added").count() == 1
