"""SLA data: business calendars, policies, and each ticket's clocks with their history.

What lists need (the `sla` payload, the nearest due time, the warning time, the breached flag)
is copied onto `tickets.Ticket` by apps.sla.services; these tables hold the detail.
"""

from django.db import models
from django.db.models.functions import Coalesce

from apps.tickets.models import Ticket


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class BusinessCalendar(models.Model):
    """Working hours per weekday in an IANA zone, minus holidays (see apps.sla.business_time)."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64)
    # {"mon": [["09:00", "17:00"]], ..., "sun": []}: wall-clock intervals, "24:00" allowed as an end.
    hours = models.JSONField()
    # Extra closed dates, ISO strings ("2026-12-24"), sorted.
    holidays = models.JSONField(default=list, blank=True)
    holiday_country = models.CharField(max_length=2, blank=True)
    holiday_subdivision = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "business calendar"

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for the tickets it matches; the first matching policy by `order` applies."""

    name = models.CharField(max_length=100, unique=True)
    order = models.IntegerField(default=0)
    # Match criteria; empty means "any".
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    type = models.CharField(max_length=20, blank=True)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    pause_statuses = models.JSONField(default=list)
    warning_percent = models.PositiveSmallIntegerField(default=75)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class TicketSla(models.Model):
    """The policy a ticket runs under, as it was when it started applying.

    The targets are a snapshot: editing or deleting the policy leaves running clocks alone
    (`policy` becomes null on delete). Only a change of the ticket's priority, type or team
    matches policies again (`matched_on` is what it was matched on).
    """

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="sla_record")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    policy_name = models.CharField(max_length=100)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="ticket_slas")
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    pause_statuses = models.JSONField(default=list)
    warning_percent = models.PositiveSmallIntegerField()
    matched_on = models.JSONField(default=dict)
    # When the pending deadline job is due (warning or breach), so one is not enqueued twice.
    next_check_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ticket SLA"

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id} ({self.policy_name})"


class SlaClock(models.Model):
    """One clock of a ticket, as last computed from its activity log (apps.sla.clocks)."""

    ticket_sla = models.ForeignKey(TicketSla, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    state = models.CharField(max_length=10, choices=ClockState.choices)
    started_at = models.DateTimeField()
    target_minutes = models.PositiveIntegerField()
    # Running clocks: when the target is (was) due and when the warning threshold is reached.
    due_at = models.DateTimeField(null=True, blank=True)
    warning_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Paused clocks: business time left when the pause began (negative once past due).
    remaining = models.DurationField(null=True, blank=True)
    # Stopped clocks: the business time counted from the start to the stop (pauses and time spent
    # resolved before a reopen left out), whole seconds rounded down; null while running or paused.
    # Reports take percentiles over it (docs/reports.md "Business time").
    counted_seconds = models.BigIntegerField(null=True, blank=True)
    # Stamped once each, by the deadline check; never cleared.
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket_sla_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["ticket_sla", "kind"], name="sla_clock_once_per_kind")]
        indexes = [
            # Reports: targets whose outcome became known in a period (breached at the due time,
            # met at the stop; docs/reports.md "SLA").
            models.Index(Coalesce("breached_at", "stopped_at"), name="sla_clock_decided_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} clock of ticket {self.ticket_sla_id}"


class SlaClockEvent(models.Model):
    """A clock's history: started, paused, resumed, retargeted, recalculated, met, warning, breached."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=20)
    # When it happened on the ticket (a pause's start is the status change's time, not the sync's).
    at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["clock", "at", "id"], name="sla_clock_event_clock")]

    def __str__(self) -> str:
        return f"{self.kind} of clock {self.clock_id}"
