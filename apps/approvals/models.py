"""Approval workflows (admin-defined templates) and approval requests (running snapshots of them).

A request copies its workflow's steps and the *resolved* approver user ids when it starts, so
editing or deactivating a workflow never changes a request that is already running.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Role
from apps.tickets.models import TicketType


class Rule(models.TextChoices):
    ALL = "all", "All approvers"
    ANY = "any", "Any one approver"
    QUORUM = "quorum", "Quorum of N approvers"


class ApproverKind(models.TextChoices):
    USERS = "users", "Named users"
    TEAM = "team", "Every member of a team"
    TEAM_LEAD = "team_lead", "The ticket's team lead"
    ROLE = "role", "Everyone with a role"


class ApprovalWorkflow(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    # Optional applicability: a workflow with a match can only be started on matching tickets.
    match_type = models.CharField(max_length=20, choices=TicketType.choices, blank=True)
    match_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    allow_self_service = models.BooleanField(
        default=False, help_text="The ticket's requester may start this workflow on their own ticket."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkflowStep(models.Model):
    workflow = models.ForeignKey(ApprovalWorkflow, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(help_text="Steps run in ascending order.")
    name = models.CharField(max_length=120)
    approver_kind = models.CharField(max_length=16, choices=ApproverKind.choices, default=ApproverKind.USERS)
    approver_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    approver_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approver_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    rule = models.CharField(max_length=10, choices=Rule.choices, default=Rule.ALL)
    quorum = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Approvals needed when the rule is quorum."
    )

    class Meta:
        ordering = ["workflow", "order"]
        constraints = [models.UniqueConstraint(fields=["workflow", "order"], name="workflow_step_order_unique")]

    def __str__(self) -> str:
        return f"{self.workflow} · {self.order}. {self.name}"


class RequestState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class StepState(models.TextChoices):
    WAITING = "waiting", "Waiting for earlier steps"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Skipped"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class ApprovalRequest(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="approval_requests")
    workflow = models.ForeignKey(
        ApprovalWorkflow, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    workflow_name = models.CharField(
        max_length=120, help_text="Snapshot: the workflow's name when the request started."
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.PENDING, db_index=True)
    # Order number of the step that is deciding now; null once the request is finished.
    current_step = models.PositiveSmallIntegerField(null=True, blank=True)
    steps_total = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One running request per ticket, also when two starts race past the service's check.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(state="pending"), name="one_pending_approval_per_ticket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_name} on ticket {self.ticket_id} ({self.state})"


class RequestStep(models.Model):
    """A snapshot of one workflow step inside a request, with its own progress."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    rule = models.CharField(max_length=10, choices=Rule.choices)
    # Approvals needed to approve the step, fixed at start: 1 (any), all approvers (all), or N (quorum).
    required_approvals = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.WAITING)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "order"]
        constraints = [models.UniqueConstraint(fields=["request", "order"], name="request_step_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name} ({self.state})"


class StepApprover(models.Model):
    """Who may decide a step, resolved when the request started (team members, lead, role, users)."""

    step = models.ForeignKey(RequestStep, on_delete=models.CASCADE, related_name="approvers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_slots")

    class Meta:
        ordering = ["step", "user_id"]
        constraints = [models.UniqueConstraint(fields=["step", "user"], name="step_approver_unique")]

    def __str__(self) -> str:
        return f"approver {self.user_id} of step {self.step_id}"


class ApprovalDecision(models.Model):
    """One approver's decision on one step. `decided_by` differs from `approver` when a delegate decided."""

    step = models.ForeignKey(RequestStep, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_decisions"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "approver"], name="one_decision_per_approver_per_step")]

    def __str__(self) -> str:
        return f"{self.decision} by {self.approver_id} on step {self.step_id}"

    @property
    def on_behalf_of_id(self) -> int | None:
        return self.approver_id if self.decided_by_id != self.approver_id else None


class Delegation(models.Model):
    """`delegator` lets `delegate` decide their approvals between starts_at and ends_at."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["delegate", "starts_at", "ends_at"], name="delegation_delegate_window")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_window_positive"),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate}"

    @property
    def active(self) -> bool:
        return self.starts_at <= timezone.now() < self.ends_at
