"""Who may see an attachment: whoever sees its ticket; those of internal notes only agents and admins.
Pending or rejected uploads are visible to their uploader (and admins) only."""

from apps.accounts.models import User
from apps.attachments.models import Attachment, AttachmentStatus
from apps.core.errors import NotFound, PermissionDenied
from apps.tickets.permissions import require_ticket_visible


def access_attachment(user: User, attachment_id: int, *, for_update: bool = False) -> Attachment:
    attachments = (
        Attachment.objects.select_for_update() if for_update else Attachment.objects.select_related("uploaded_by")
    )
    attachment = attachments.filter(pk=attachment_id).first()
    if attachment is None or not _may_see(user, attachment):
        raise NotFound("No such attachment.")
    require_ticket_visible(user, attachment.ticket_id, missing="No such attachment.")
    return attachment


def _may_see(user: User, attachment: Attachment) -> bool:
    if attachment.internal and not user.is_staff_role:
        return False
    if attachment.status != AttachmentStatus.AVAILABLE:
        return attachment.uploaded_by_id == user.pk or user.is_admin
    return True


def require_may_delete_attachment(user: User, attachment: Attachment) -> None:
    """The uploader or an admin deletes a file (PermissionDenied `not_uploader`)."""
    if attachment.uploaded_by_id != user.pk and not user.is_admin:
        raise PermissionDenied("Only the uploader or an admin can delete a file.", code="not_uploader")


def attachment_permissions(user: User, attachment: Attachment) -> dict:
    """What `user` (who sees the attachment) may do to it (schemas.AttachmentPermissions). No queries."""
    try:
        require_may_delete_attachment(user, attachment)
        delete = True
    except PermissionDenied:
        delete = False
    return {"delete": delete}
