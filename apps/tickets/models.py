from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Priority(models.IntegerChoices):
    # Stored as a rank so that ordering by priority is a plain indexed column; the API speaks names.
    LOW = 1, "low"
    NORMAL = 2, "normal"
    HIGH = 3, "high"
    URGENT = 4, "urgent"

    @classmethod
    def from_name(cls, name: str) -> "Priority":
        return {member.label: member for member in cls}[name]


class TicketType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    CHANGE = "change", "Change"
    QUESTION = "question", "Question"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    # The human key is HD-<number>. On PostgreSQL numbers come from a sequence (gaps allowed,
    # never duplicated); on SQLite from MAX()+1 inside the write-locked transaction.
    number = models.PositiveBigIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=20000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL, db_index=True)
    type = models.CharField(max_length=20, choices=TicketType.choices, default=TicketType.INCIDENT, db_index=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # SLA columns for lists to filter and sort on without computing: written only by apps.sla's
    # services (DESIGN: a higher app's data on a lower model), never by the ticket services.
    # `sla`: the API's `sla` object as last computed; `sla_due`: the nearest due time of a running
    # clock; `sla_warning_at`: the earliest warning time of a running clock that has not breached;
    # `sla_breached`: some clock breached.
    sla = models.JSONField(null=True, blank=True, editable=False)
    sla_due = models.DateTimeField(null=True, blank=True, editable=False)
    sla_warning_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breached = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # ordering=sla_due (keyset on sla_due, id), sla=at_risk, sla=breached (newest first).
            models.Index(fields=["sla_due", "id"], name="ticket_sla_due"),
            models.Index(fields=["sla_warning_at"], name="ticket_sla_warning", condition=Q(sla_breached=False)),
            models.Index(fields=["-created_at", "-id"], name="ticket_sla_breached", condition=Q(sla_breached=True)),
            models.Index(fields=["team", "-created_at", "-id"], name="ticket_team_created"),
            models.Index(fields=["requester", "-created_at", "-id"], name="ticket_requester_created"),
            models.Index(fields=["assignee", "-created_at", "-id"], name="ticket_assignee_created"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            # Reports (apps/reports): tickets resolved or closed in a period, by the moment they
            # became finished work; and the open backlog, counted from the index alone.
            models.Index(Coalesce("resolved_at", "closed_at"), name="ticket_done_at"),
            # Tickets created in a period with their ids, read from the index alone.
            models.Index(fields=["created_at", "id"], name="ticket_created_id"),
            models.Index(
                fields=["status", "priority", "team", "assignee"],
                name="ticket_open_backlog",
                condition=~Q(status__in=["closed", "resolved"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"HD-{self.number}"

    @property
    def priority_name(self) -> str:
        return Priority(self.priority).label


class TicketEvent(models.Model):
    """The activity log. Written only by services, never edited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40, db_index=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    # Events about internal notes are shown to staff only.
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Reports: status changes in a period (resolutions and reopens) without the other kinds.
            models.Index(fields=["created_at"], name="ticketevent_status_changes", condition=Q(kind="status_changed")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"
