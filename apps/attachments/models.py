from django.conf import settings
from django.db import models


class AttachmentStatus(models.TextChoices):
    PENDING = "pending", "Pending upload"
    AVAILABLE = "available", "Available"
    REJECTED = "rejected", "Rejected"


class Attachment(models.Model):
    """A file on a ticket (optionally on one of its comments), stored under a server-made key.

    The client uploads straight to storage; `complete` verifies what arrived before the file
    becomes `available`. The user's filename is only ever a display name, never a key or path.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        "comments.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    # Copied from the comment (whose `internal` never changes): visibility is one column, no join.
    internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    key = models.CharField(max_length=100, unique=True, editable=False)
    storage = models.CharField(max_length=10, editable=False, help_text="Adapter the object was stored with.")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField(help_text="Declared size in bytes; verified on completion.")
    status = models.CharField(max_length=10, choices=AttachmentStatus.choices, default=AttachmentStatus.PENDING)
    rejection_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "status", "id"], name="attachment_ticket_status"),
            models.Index(fields=["status", "created_at"], name="attachment_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
