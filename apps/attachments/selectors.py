from apps.accounts.models import User
from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.permissions import access_attachment
from apps.attachments.storage import get_storage
from apps.attachments.storage.base import AbsoluteUrl, FileToStore
from apps.core.errors import NotFound
from apps.tickets.models import Ticket


def ticket_attachments(*, user: User, ticket: Ticket) -> list[Attachment]:
    """Available files of the ticket the user may see, oldest first; one query whatever the count."""
    attachments = Attachment.objects.filter(ticket=ticket, status=AttachmentStatus.AVAILABLE)
    if not user.is_staff_role:
        attachments = attachments.filter(internal=False)
    return list(attachments.select_related("uploaded_by").order_by("id"))


def file_of(attachment: Attachment) -> FileToStore:
    """What the storage adapter needs to know about an attachment's file."""
    return FileToStore(
        attachment_id=attachment.pk,
        key=attachment.key,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
    )


def attachment_for_output(attachment_id: int) -> Attachment:
    return Attachment.objects.select_related("uploaded_by").get(pk=attachment_id)


def attachment_download_url(*, user: User, attachment_id: int, absolute_url: AbsoluteUrl) -> str:
    """A short-lived link that downloads the file as an attachment (never displayed inline)."""
    attachment = access_attachment(user, attachment_id)
    if attachment.status != AttachmentStatus.AVAILABLE:
        raise NotFound("No such attachment.")
    return get_storage().download_url(file_of(attachment), absolute_url=absolute_url)
