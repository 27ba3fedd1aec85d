"""A demo file on the demo conversation, stored with whichever adapter is configured."""

import uuid

from django.utils import timezone

from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.storage import get_storage
from apps.tickets.models import Ticket

DEMO_FILENAME = "boot-screen-notes.txt"
DEMO_CONTENT = (
    b"Boot attempt 1: logo, then black screen.\nBoot attempt 2 (Shift held): blue recovery screen, then black.\n"
)


def seed() -> list[str]:
    # A reply on the demo conversation (comments' demo wrote it; attachments doesn't import comments).
    ticket = Ticket.objects.filter(title="Laptop won't start after update").first()
    comment = ticket.comments.filter(parent__isnull=False).first() if ticket else None
    if comment is None or Attachment.objects.filter(filename=DEMO_FILENAME).exists():
        return []
    storage = get_storage()
    key = f"attachments/{uuid.uuid4().hex}"
    storage.write(key, DEMO_CONTENT, "text/plain")
    Attachment.objects.create(
        ticket=comment.ticket,
        comment=comment,
        uploaded_by=comment.author,
        key=key,
        storage=storage.name,
        filename=DEMO_FILENAME,
        content_type="text/plain",
        size=len(DEMO_CONTENT),
        status=AttachmentStatus.AVAILABLE,
        completed_at=timezone.now(),
    )
    return [f"1 demo attachment ({storage.name} storage)"]
