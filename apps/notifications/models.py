"""Notifications: one row per recipient per thing they hear about, its in-app and email fate.

A Notification is the record that someone was told; `in_app` says whether the notification centre
shows it (the person's settings when it was made), `email_state` what became of its email. Email
goes out through OutgoingEmail: one per recipient and ticket within EMAIL_COALESCE_SECONDS, which
several notifications may share.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.notifications.kinds import Kind


class EmailState(models.TextChoices):
    NONE = "none", "Not wanted"
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent (read, unsubscribed or no longer visible before it went)"
    FAILED = "failed", "Failed (retries exhausted; can be resent)"


class OutgoingEmail(models.Model):
    """One email to one person about one ticket, gathering that person's notifications on the
    ticket until `send_after` (the coalescing window). Claimed by the send job with a conditional
    update pending → sending, so however many workers run it, it is sent once."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    send_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open email per recipient and ticket: the coalescing window's container.
            models.UniqueConstraint(
                fields=["recipient", "ticket"], condition=Q(state="pending"), name="one_pending_email_per_ticket"
            )
        ]

    def __str__(self) -> str:
        return f"email {self.pk} to {self.recipient_id} about ticket {self.ticket_id} ({self.state})"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500, help_text="Plain text, as the notification centre shows it.")
    # What the email quotes under the message (a comment's text, a rejection reason); same visibility.
    detail = models.TextField(blank=True)
    # What the notification is about, e.g. "comment.created:42": a recipient hears about it once.
    event_key = models.CharField(max_length=120)
    in_app = models.BooleanField(default=True)
    # About an internal note: only staff may receive it, re-checked when its email goes.
    staff_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.NONE)
    email = models.ForeignKey(
        OutgoingEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], name="notification_once_per_recipient"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], condition=Q(in_app=True), name="notification_inbox"),
            models.Index(
                fields=["recipient", "-id"], condition=Q(in_app=True, read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.message}"


class NotificationSetting(models.Model):
    """A person's choice for one kind; kinds without a row use kinds.DEFAULTS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    in_app = models.BooleanField()
    email = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: in_app={self.in_app} email={self.email}"


class UsedUnsubscribeLink(models.Model):
    """An unsubscribe link that was used: each works once (apps.notifications.unsubscribe)."""

    nonce = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kinds = models.JSONField()
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"unsubscribe {self.nonce} by {self.user_id}"
